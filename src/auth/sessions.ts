// Browser sessions for the web UI, kept in the repository (src/repo/sessions.ts) so that every
// node sees them and they survive a restart. No password is ever kept in the browser.
//
// Cookie: reconflow_session=<random token>; HttpOnly (scripts cannot read it), SameSite=Strict
// (a cross-site page cannot make the browser send it), Secure when the request came over TLS or
// conf/authentication.json sessions.secureCookie is true. The table keeps only the token's
// SHA-256.
//
// CSRF: each session has its own random token, handed to the page in the sign-in answer and in
// GET /openidm/authentication (never in a cookie or in storage). Every request authenticated by
// the cookie with a method other than GET/HEAD/OPTIONS must echo it in X-CSRF-Token, else 403.
// SameSite=Strict already keeps the cookie off cross-site requests; the token also covers
// same-site pages (another app on a sibling subdomain) and browsers without SameSite.
//
// Revocation: a session stores a fingerprint of the account it signed in as (password hash,
// roles, status, user name). Each request reads the session and the account (two primary-key
// reads, no scrypt) and compares: a disabled, deleted, re-roled or re-passworded account ends its
// sessions at its next request. Sessions also end after sessions.idleMinutes without a request
// and sessions.maxAgeMinutes after sign-in, and a user keeps at most sessions.maxPerUser of them
// (signing in once more drops the oldest).
import crypto from 'node:crypto';
import { Request, Response } from 'express';
import { SessionsConfig } from '../config/conf';
import { forbidden } from '../crest/errors';
import { Q } from '../repo/dialect';
import * as repo from '../repo/sessions';
import { canSignIn, principalOf } from './authenticator';
import { Account, AccountLookup, Principal } from './interfaces';

const COOKIE = 'reconflow_session';
const SWEEP_EVERY_MS = 60_000;

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

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/** What a session is bound to: any change to it ends the session. */
export function fingerprintOf(a: Account): string {
  return sha256(JSON.stringify([a.component, a.id, a.userName, a.passwordHash, [...a.roles].sort(), a.accountStatus ?? null]));
}

export interface ActiveSession {
  principal: Principal;
  csrf: string;
}

export class Sessions {
  private lastSweep = 0;

  constructor(private q: Q, private accounts: AccountLookup, private cfg: SessionsConfig, private now: () => number = Date.now) {}

  private cookie(req: Request, value: string, maxAgeSeconds: number): string {
    const secure = this.cfg.secureCookie === true || (this.cfg.secureCookie === 'auto' && req.secure);
    return `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
  }

  async create(req: Request, res: Response, account: Account): Promise<{ csrfToken: string }> {
    const token = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(24).toString('base64url');
    const now = this.now();
    const maxAgeMs = this.cfg.maxAgeMinutes * 60_000;
    await repo.insertSession(this.q, {
      id: sha256(token), component: account.component, principalId: account.id, csrf, fingerprint: fingerprintOf(account),
      createdAt: now, lastSeen: now, expiresAt: now + maxAgeMs,
    });
    // After the insert is committed, so that of sign-ins at once the last to delete sees them all.
    await repo.deleteOldestSessions(this.q, account.component, account.id, this.cfg.maxPerUser);
    if (now - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = now;
      await repo.deleteExpiredSessions(this.q, now, now - this.cfg.idleMinutes * 60_000);
    }
    res.setHeader('Set-Cookie', this.cookie(req, token, Math.floor(maxAgeMs / 1000)));
    return { csrfToken: csrf };
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const token = cookieValue(req, COOKIE);
    if (token) await repo.deleteSession(this.q, sha256(token));
    res.setHeader('Set-Cookie', this.cookie(req, '', 0));
  }

  /** The cookie's session if it is still valid for the account as it is now; else null (and gone). */
  async resolve(req: Request): Promise<ActiveSession | null> {
    const token = cookieValue(req, COOKIE);
    if (!token || token.length > 100) return null;
    const id = sha256(token);
    const s = await repo.readSession(this.q, id);
    if (!s) return null;
    const now = this.now();
    const idleMs = this.cfg.idleMinutes * 60_000;
    const account = s.expiresAt > now && s.lastSeen + idleMs > now ? await this.accounts.findById(s.component as Principal['component'], s.principalId) : null;
    if (!account || !canSignIn(account) || fingerprintOf(account) !== s.fingerprint) {
      await repo.deleteSession(this.q, id);
      return null;
    }
    // Idle time is kept to the minute: not a write on every request.
    if (now - s.lastSeen > Math.min(60_000, idleMs / 10)) await repo.touchSession(this.q, id, now);
    return { principal: principalOf(account), csrf: s.csrf };
  }

  /** The session's principal; unsafe methods must carry the matching CSRF token. */
  async principalFor(req: Request): Promise<Principal | null> {
    const s = await this.resolve(req);
    if (!s) return null;
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const a = Buffer.from(req.get('X-CSRF-Token') ?? '');
      const b = Buffer.from(s.csrf);
      if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) throw forbidden('Missing or wrong CSRF token');
    }
    return s.principal;
  }

  /** After a password hash upgrade: the account's sessions follow it to the new fingerprint. */
  async rebind(before: Account, after: Account): Promise<void> {
    await repo.rebindSessions(this.q, before.component, before.id, fingerprintOf(before), fingerprintOf(after));
  }

  count(account: Pick<Account, 'component' | 'id'>): Promise<number> {
    return repo.countSessions(this.q, account.component, account.id);
  }
}
