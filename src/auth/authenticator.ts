// Turns credentials into a Principal: internal users first, then managed users by userName.
// scrypt is deliberately slow, so a verified (user, password, rev) is remembered briefly;
// any write to the account changes its rev and so invalidates the memory.
import crypto from 'node:crypto';
import { tooManyRequests, unauthorized } from '../crest/errors';
import { AccountLookup, Credentials, Principal } from './interfaces';
import { verifyPassword } from './passwords';
import { LoginRateLimiter } from './rateLimiter';

const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

export function roleNames(refs: { _ref?: string }[] | string[]): string[] {
  return refs
    .map((r) => (typeof r === 'string' ? r : r?._ref ?? ''))
    .filter((r) => r.startsWith('internal/role/'))
    .map((r) => r.slice('internal/role/'.length));
}

export class Authenticator {
  private verified = new Map<string, number>();

  constructor(private accounts: AccountLookup, private limiter: LoginRateLimiter) {}

  private cacheKey(kind: string, id: string, rev: string, password: string): string {
    return crypto.createHash('sha256').update(`${kind}\0${id}\0${rev}\0${password}`).digest('base64');
  }

  private async check(kind: string, id: string, rev: string, password: string, hash: string): Promise<boolean> {
    const key = this.cacheKey(kind, id, rev, password);
    const until = this.verified.get(key);
    if (until && until > Date.now()) return true;
    if (!(await verifyPassword(password, hash))) return false;
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(key, Date.now() + CACHE_MS);
    return true;
  }

  async authenticate(creds: Credentials, address: string): Promise<Principal> {
    const wait = this.limiter.blockedFor(creds.userName, address);
    if (wait > 0) throw tooManyRequests(`Too many failed sign-in attempts; try again in ${wait} s`);
    const principal = await this.lookup(creds);
    if (!principal) {
      this.limiter.fail(creds.userName, address);
      throw unauthorized('Access Denied');
    }
    this.limiter.succeed(creds.userName);
    return principal;
  }

  private async lookup({ userName, password }: Credentials): Promise<Principal | null> {
    const internal = await this.accounts.findInternalUser(userName);
    if (internal) {
      if (!(await this.check('i', internal.id, internal.rev, password, internal.passwordHash))) return null;
      return { component: 'internal/user', id: internal.id, userName: internal.id, roles: internal.roles };
    }
    const managed = await this.accounts.findManagedUserByUserName(userName);
    if (!managed || !managed.passwordHash) return null;
    if (managed.accountStatus && managed.accountStatus !== 'active') return null;
    if (!(await this.check('m', managed.id, managed.rev, password, managed.passwordHash))) return null;
    return { component: 'managed/user', id: managed.id, userName: managed.userName, roles: managed.roles };
  }
}
