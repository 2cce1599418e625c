// Browser sessions for the web UI, kept in the repository (src/repo/sessions.ts) so that every
// node sees them and they survive a restart. No password is ever kept in the browser.
//
// A session is a random token (the cookie's value: src/api/sessionCookie.ts sets and reads it);
// the table keeps only the token's SHA-256. This file decides: what a token proves, CSRF, revocation.
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
import { SessionsConfig } from '../config/conf';
import { Forbidden } from '../errors';
import { Q } from '../repo/dialect';
import * as repo from '../repo/sessions';
import { canSignIn, principalOf } from './authenticator';
import { Account, AccountLookup, Principal } from './interfaces';

const SWEEP_EVERY_MS = 60_000;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/** What a session is bound to: any change to it ends the session. */
export function fingerprintOf(a: Account): string {
  return sha256(JSON.stringify([a.component, a.id, a.userName, a.passwordHash, [...a.roles].sort(), a.accountStatus ?? null]));
}

export interface ActiveSession {
  principal: Principal;
  csrf: string;
}

export interface NewSession {
  /** The secret the browser keeps (in the cookie). */
  token: string;
  csrfToken: string;
  maxAgeSeconds: number;
}

/** Unsafe methods of a session-authenticated request must echo the session's CSRF token, else 403. */
export function requireCsrf(method: string, sent: string | undefined, s: ActiveSession): void {
  if (['GET', 'HEAD', 'OPTIONS'].includes(method)) return;
  const a = Buffer.from(sent ?? '');
  const b = Buffer.from(s.csrf);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) throw new Forbidden('Missing or wrong CSRF token');
}

export class Sessions {
  private lastSweep = 0;

  constructor(private q: Q, private accounts: AccountLookup, readonly cfg: SessionsConfig, private now: () => number = Date.now) {}

  async create(account: Account): Promise<NewSession> {
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
    return { token, csrfToken: csrf, maxAgeSeconds: Math.floor(maxAgeMs / 1000) };
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await repo.deleteSession(this.q, sha256(token));
  }

  /** The token's session if it is still valid for the account as it is now; else null (and gone). */
  async resolve(token: string | undefined): Promise<ActiveSession | null> {
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

  /** After a password hash upgrade: the account's sessions follow it to the new fingerprint. */
  async rebind(before: Account, after: Account): Promise<void> {
    await repo.rebindSessions(this.q, before.component, before.id, fingerprintOf(before), fingerprintOf(after));
  }

  count(account: Pick<Account, 'component' | 'id'>): Promise<number> {
    return repo.countSessions(this.q, account.component, account.id);
  }
}
