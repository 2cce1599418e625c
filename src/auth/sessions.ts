// Browser sessions for the web UI: an opaque, HttpOnly, SameSite=Strict cookie that maps to a
// principal held in memory, plus a per-session CSRF token that every unsafe request must echo
// in the X-CSRF-Token header. No password is ever kept in the browser.
import crypto from 'node:crypto';
import { Request, Response } from 'express';
import { forbidden } from '../crest/errors';
import { Principal } from './interfaces';

const COOKIE = 'reconflow_session';
const TTL_MS = 8 * 60 * 60 * 1000;

interface Session {
  principal: Principal;
  csrf: string;
  expires: number;
}

function cookieValue(req: Request, name: string): string | undefined {
  const header = req.get('Cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export class Sessions {
  private sessions = new Map<string, Session>();

  create(res: Response, principal: Principal): { csrfToken: string } {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(24).toString('base64url');
    this.sessions.set(id, { principal, csrf, expires: Date.now() + TTL_MS });
    res.setHeader('Set-Cookie', `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${TTL_MS / 1000}`);
    return { csrfToken: csrf };
  }

  destroy(req: Request, res: Response): void {
    const id = cookieValue(req, COOKIE);
    if (id) this.sessions.delete(id);
    res.setHeader('Set-Cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
  }

  private lookup(req: Request): Session | null {
    const id = cookieValue(req, COOKIE);
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expires < Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  /** The session's principal; unsafe methods must carry the matching CSRF token. */
  principalFor(req: Request): Principal | null {
    const s = this.lookup(req);
    if (!s) return null;
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const token = req.get('X-CSRF-Token') ?? '';
      const a = Buffer.from(token);
      const b = Buffer.from(s.csrf);
      if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) throw forbidden('Missing or wrong CSRF token');
    }
    return s.principal;
  }

  csrfFor(req: Request): string | null {
    return this.lookup(req)?.csrf ?? null;
  }
}
