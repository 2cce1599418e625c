// Authorization decisions: the services and routers call these with the principal.
import { Forbidden } from '../errors';
import { ADMIN_ROLE, Principal } from './interfaces';

export function isAdmin(p: Principal): boolean {
  return p.roles.includes(ADMIN_ROLE);
}

export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new Forbidden('Access denied: requires the openidm-admin role');
}

/** A non-admin may act on its own managed/user entry only. */
export function requireSelfOrAdmin(p: Principal, component: string, id: string): void {
  if (isAdmin(p)) return;
  if (p.component === component && p.id === id) return;
  throw new Forbidden('Access denied');
}
