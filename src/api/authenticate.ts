// Authentication over HTTP: X-OpenIDM-Username/Password headers, or HTTP Basic, or the UI's
// session cookie (sessionCookie.ts). The principal lands in res.locals.principal; src/auth decides.
import { NextFunction, Request, Response } from 'express';
import { Authenticator } from '../auth/authenticator';
import * as currentPassword from '../auth/currentPassword';
import { Credentials, Principal } from '../auth/interfaces';
import { Sessions } from '../auth/sessions';
import { Unauthenticated } from '../errors';
import { sessionPrincipal } from './sessionCookie';

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
      if (creds.userName.length > 255 || creds.password.length > 1024) throw new Unauthenticated();
      res.locals.principal = await auth.authenticate(creds, req.ip ?? 'unknown');
      return next();
    }
    const fromSession = await sessionPrincipal(sessions, req);
    if (fromSession) {
      res.locals.principal = fromSession;
      return next();
    }
    throw new Unauthenticated();
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Unauthenticated();
  return p;
}

/** The caller's own password change carries its current password (src/auth/currentPassword.ts). */
export function requireCurrentPassword(auth: Authenticator, req: Request, principal: Principal, component: Principal['component'], id: string): Promise<void> {
  return currentPassword.requireCurrentPassword(auth, principal, component, id, req.get('X-OpenIDM-Reauth-Password'), req.ip ?? 'unknown');
}
