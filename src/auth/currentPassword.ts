// Changing one's own password needs the current one (X-OpenIDM-Reauth-Password, as PingIDM); an
// administrator setting someone else's does not.
import { Forbidden } from '../errors';
import { Authenticator } from './authenticator';
import { Principal } from './interfaces';

/** Else 403. `current` is what the caller sent as its current password, if anything. */
export async function requireCurrentPassword(auth: Authenticator, principal: Principal, component: Principal['component'], id: string, current: string | undefined, address: string): Promise<void> {
  if (principal.component !== component || principal.id !== id) return;
  if (!current) throw new Forbidden('Changing your own password needs your current one in the X-OpenIDM-Reauth-Password header');
  if (current.length > 1024 || !(await auth.reauthenticate(principal, current, address))) throw new Forbidden('Reauthentication failed');
}
