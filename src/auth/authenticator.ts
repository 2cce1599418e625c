// Turns credentials into a Principal: internal users first, then managed users by userName.
//
// Order of a sign-in: read the account; if this (account, rev, hash, password) was verified in the
// last minute and no block is known here, it is right: answer without a write (header and Basic
// auth on every REST call stay one read). Otherwise count the attempt in the repository first
// (rateLimiter.ts), refuse with 429 past the limit, and only then run scrypt: against the
// account's hash, or against a fixed dummy hash for an unknown name, so both cost the same.
// Identical credentials already being checked on this node wait for that check (signIn).
import crypto from 'node:crypto';
import { TooManyRequests, Unauthenticated } from '../errors';
import type { Logger } from '../context';
import { Account, AccountLookup, Credentials, Principal } from './interfaces';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords';
import { LoginRateLimiter } from './rateLimiter';

const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

export function canSignIn(a: Account): boolean {
  return !!a.passwordHash && (a.accountStatus === undefined || a.accountStatus === 'active');
}

export function principalOf(a: Account): Principal {
  return { component: a.component, id: a.id, userName: a.userName, roles: a.roles };
}

/** Called after a hash was upgraded, so that sessions bound to the old one stay valid. */
export type RehashListener = (before: Account, after: Account) => Promise<void>;

export class Authenticator {
  private verified = new Map<string, number>();
  private inflight = new Map<string, Promise<Account>>();
  /** Sign-ins answered from the cache, and those that ran scrypt (for tests and RELIABILITY.md). */
  readonly stats = { cached: 0, checked: 0, refused: 0 };
  private rehashListeners: RehashListener[] = [];

  constructor(private accounts: AccountLookup, private limiter: LoginRateLimiter, private log?: Logger) {}

  onRehash(listener: RehashListener): void {
    this.rehashListeners.push(listener);
  }

  private cacheKey(a: Account, password: string): string {
    return crypto.createHash('sha256').update(`${a.component}\0${a.id}\0${a.rev}\0${a.passwordHash}\0${password}`).digest('base64');
  }

  private cached(key: string): boolean {
    const until = this.verified.get(key);
    return until !== undefined && until > Date.now();
  }

  private remember(key: string): void {
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(key, Date.now() + CACHE_MS);
  }

  async authenticate(creds: Credentials, address: string): Promise<Principal> {
    return principalOf(await this.signIn(creds, address));
  }

  /** The account the credentials prove, as verified (a session binds to exactly this). */
  async signIn({ userName, password }: Credentials, address: string): Promise<Account> {
    const account = await this.accounts.findByUserName(userName);
    const usable = !!account && canSignIn(account);
    const key = account ? this.cacheKey(account, password) : crypto.createHash('sha256').update(`?\0${userName}\0${password}`).digest('base64');
    const blocked = this.limiter.blockedLocally(userName, address);
    if (usable && !blocked && this.cached(key)) {
      this.stats.cached++;
      await this.limiter.forgiveCached(userName);
      return account;
    }
    // The same credentials already being checked here (a client's parallel calls after the cache
    // expired or the account changed): share that check instead of counting one attempt each.
    // A repeated guess tells nothing new, so this gives an attacker nothing.
    const running = blocked ? undefined : this.inflight.get(key);
    if (running) return running;
    const check = this.check(account, usable, userName, password, address, key).finally(() => this.inflight.delete(key));
    if (!blocked) this.inflight.set(key, check);
    return check;
  }

  private async check(account: Account | null, usable: boolean, userName: string, password: string, address: string, key: string): Promise<Account> {
    const wait = await this.limiter.begin(userName, address);
    if (wait > 0) {
      this.stats.refused++;
      throw new TooManyRequests(`Too many failed sign-in attempts; try again in ${wait} s`);
    }
    this.stats.checked++;
    // A disabled account or one without a password is checked all the same: same cost, same 401.
    const ok = await verifyPassword(password, account?.passwordHash ?? (await dummyHash()));
    if (!ok || !usable || !account) throw new Unauthenticated('Access Denied');
    await this.limiter.forgive(userName, address);
    const current = await this.upgrade(account, password);
    this.remember(current === account ? key : this.cacheKey(current, password));
    return current;
  }

  /**
   * Proves that `principal` knows its current password (X-OpenIDM-Reauth-Password), counted
   * against the same limit as a sign-in: a stolen session cannot guess its way to a new password.
   */
  async reauthenticate(principal: Principal, password: string, address: string): Promise<boolean> {
    const account = await this.accounts.findById(principal.component, principal.id);
    if (account && canSignIn(account) && this.cached(this.cacheKey(account, password)) && !this.limiter.blockedLocally(principal.userName, address)) return true;
    const wait = await this.limiter.begin(principal.userName, address);
    if (wait > 0) throw new TooManyRequests(`Too many failed sign-in attempts; try again in ${wait} s`);
    const ok = await verifyPassword(password, account?.passwordHash ?? (await dummyHash()));
    if (ok && account) await this.limiter.forgive(principal.userName, address);
    return ok && !!account;
  }

  /** Re-hashes a password stored with older scrypt parameters; a failure only logs. */
  private async upgrade(a: Account, password: string): Promise<Account> {
    const old = a.passwordHash!;
    if (!needsRehash(old)) return a;
    try {
      const fresh = await hashPassword(password);
      if (!(await this.accounts.replaceHash(a, old, fresh))) return a;
      const after = { ...a, passwordHash: fresh };
      for (const l of this.rehashListeners) await l(a, after);
      return after;
    } catch (e) {
      this.log?.warn(`could not upgrade the password hash of ${a.component}/${a.id}: ${(e as Error).message}`);
      return a;
    }
  }
}
