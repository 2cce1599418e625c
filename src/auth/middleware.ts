// Express side of authentication: X-OpenIDM-Username/Password headers, or HTTP Basic,
// or the UI's session cookie (see sessions.ts). The principal lands in res.locals.principal.
import { NextFunction, Request, Response } from 'express';
import { forbidden, unauthorized } from '../crest/errors';
import { Authenticator } from './authenticator';
import { Credentials, Principal } from './interfaces';
import { Sessions } from './sessions';

function credentialsFrom(req: Request): Credentials | null {
  const user = req.get('X-OpenIDM-Username');
  const password = req.get('X-OpenIDM-Password');
  if (user !== undefined && password !== undefined) return { userName: user, password };
  const auth = req.get('Authorization');
  if (auth && /^Basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { userName: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  return null;
}

export function authenticate(auth: Authenticator, sessions: Sessions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const creds = credentialsFrom(req);
    if (creds) {
      if (creds.userName.length > 255 || creds.password.length > 1024) throw unauthorized();
      res.locals.principal = await auth.authenticate(creds, req.ip ?? 'unknown');
      return next();
    }
    const fromSession = await sessions.principalFor(req);
    if (fromSession) {
      res.locals.principal = fromSession;
      return next();
    }
    throw unauthorized();
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw unauthorized();
  return p;
}

/**
 * Changing one's own password needs the current one in X-OpenIDM-Reauth-Password (as PingIDM);
 * an administrator setting someone else's does not. Else 403.
 */
export async function requireCurrentPassword(auth: Authenticator, req: Request, principal: Principal, component: Principal['component'], id: string): Promise<void> {
  if (principal.component !== component || principal.id !== id) return;
  const current = req.get('X-OpenIDM-Reauth-Password');
  if (!current) throw forbidden('Changing your own password needs your current one in the X-OpenIDM-Reauth-Password header');
  if (current.length > 1024 || !(await auth.reauthenticate(principal, current, req.ip ?? 'unknown'))) throw forbidden('Reauthentication failed');
}
