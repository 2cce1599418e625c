// The web UI's session over HTTP: the cookie that carries a session's token (src/auth/sessions.ts
// decides what a token proves).
//
// Cookie: reconflow_session=<random token>; HttpOnly (scripts cannot read it), SameSite=Strict
// (a cross-site page cannot make the browser send it), Secure when the request came over TLS or
// conf/authentication.json sessions.secureCookie is true.
import { Request, Response } from 'express';
import { Account, Principal } from '../auth/interfaces';
import { ActiveSession, requireCsrf, Sessions } from '../auth/sessions';

const COOKIE = 'reconflow_session';

function cookieValue(req: Request, name: string): string | undefined {
  const header = req.get('Cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function setCookie(sessions: Sessions, req: Request, res: Response, value: string, maxAgeSeconds: number): void {
  const secure = sessions.cfg.secureCookie === true || (sessions.cfg.secureCookie === 'auto' && req.secure);
  res.setHeader('Set-Cookie', `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`);
}

/** Signs `account` in: a new session, its cookie on the response; the CSRF token for the page. */
export async function startSession(sessions: Sessions, req: Request, res: Response, account: Account): Promise<{ csrfToken: string }> {
  const s = await sessions.create(account);
  setCookie(sessions, req, res, s.token, s.maxAgeSeconds);
  return { csrfToken: s.csrfToken };
}

export async function endSession(sessions: Sessions, req: Request, res: Response): Promise<void> {
  await sessions.destroy(cookieValue(req, COOKIE));
  setCookie(sessions, req, res, '', 0);
}

/** The cookie's session, if still valid. */
export function sessionOf(sessions: Sessions, req: Request): Promise<ActiveSession | null> {
  return sessions.resolve(cookieValue(req, COOKIE));
}

/** The cookie session's principal; unsafe methods must carry the matching CSRF token. */
export async function sessionPrincipal(sessions: Sessions, req: Request): Promise<Principal | null> {
  const s = await sessionOf(sessions, req);
  if (!s) return null;
  requireCsrf(req.method, req.get('X-CSRF-Token'), s);
  return s.principal;
}
