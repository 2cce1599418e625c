// The AccountLookup that authentication uses: rows of internal_user and managed_user (src/repo)
// become Accounts here, where their roles are computed.
import { AuthModulesConfig, RECONFLOW_MODULES } from '../config/idmAuthentication';
import { Q } from '../repo/dialect';
import { replacePasswordHash } from '../repo/accounts';
import { internalUserWrites, InternalUserRow, readInternalUser } from '../repo/internalUsers';
import { findManagedUserByUserName, ManagedUserRow, readManagedUser } from '../repo/managedUsers';
import { Account, AccountLookup } from './interfaces';

export function roleNames(refs: { _ref?: string }[] | string[]): string[] {
  return refs
    .map((r) => (typeof r === 'string' ? r : r?._ref ?? ''))
    .filter((r) => r.startsWith('internal/role/'))
    .map((r) => r.slice('internal/role/'.length));
}

function internalAccount(u: InternalUserRow, extraRoles: string[]): Account {
  const roles = Array.from(new Set([...roleNames(u.authzRoles), ...extraRoles]));
  return { component: 'internal/user', id: u.id, rev: u.rev, userName: u.id, passwordHash: u.passwordHash, roles };
}

function managedAccount(u: ManagedUserRow, m: NonNullable<AuthModulesConfig['managed']>): Account {
  const value = u.obj[m.roleProperty];
  const refs = Array.isArray(value) ? (value as { _ref: string }[]) : value && typeof value === 'object' ? [value as { _ref: string }] : [];
  // The module's defaultUserRoles plus the mapped role property, as IDM computes them
  // (reconflow's own authentication.json: openidm-authorized + authzRoles).
  const roles = Array.from(new Set([...roleNames(refs), ...m.defaultRoles]));
  const status = u.obj.accountStatus;
  return {
    component: 'managed/user', id: u.id, rev: u.rev, userName: String(u.obj.userName ?? ''), passwordHash: u.passwordHash, roles,
    accountStatus: status === undefined || status === null ? undefined : String(status),
  };
}

/**
 * internal_user rows (and the names that are none) as read in the last INTERNAL_ACCOUNT_TTL_MS:
 * every REST call with credentials or a session looked its account up, and administrators and
 * service accounts are internal users, so each call read internal_user (and each managed user's
 * sign-in read it to find nothing). A write on this node (password change, hash upgrade, bootstrap:
 * src/repo/internalUsers.ts counts them) drops the copies at once; a write on another node is seen
 * here within the TTL (README, Security notes). Managed users are not kept: they change through many
 * paths (REST, reconciliation, scripts), so each look-up reads them.
 */
export const INTERNAL_ACCOUNT_TTL_MS = 2_000;
const INTERNAL_ACCOUNT_MAX = 10_000;

class InternalRowCache {
  private rows = new Map<string, { row: InternalUserRow | null; until: number }>();
  private writes = internalUserWrites();

  async get(id: string, read: () => Promise<InternalUserRow | null>): Promise<InternalUserRow | null> {
    const now = Date.now();
    const writes = internalUserWrites();
    if (this.writes !== writes) {
      this.rows.clear();
      this.writes = writes;
    }
    const hit = this.rows.get(id);
    if (hit && hit.until > now) return hit.row;
    const row = await read();
    // Kept only if no write began or ended on this node while it was read.
    if (writes === internalUserWrites() && this.writes === writes) {
      if (this.rows.size >= INTERNAL_ACCOUNT_MAX) this.rows.clear();
      this.rows.set(id, { row, until: now + INTERNAL_ACCOUNT_TTL_MS });
    }
    return row;
  }
}

/**
 * Accounts as the authentication modules allow them: internal users when INTERNAL_USER is on (a
 * STATIC_USER always, with only its configured roles), managed users when MANAGED_USER is on.
 */
export function accountLookup(q: Q, modules: AuthModulesConfig = RECONFLOW_MODULES): AccountLookup {
  const cache = new InternalRowCache();
  const internal = async (id: string) => {
    const isStatic = modules.staticUsers.some((s) => s.userName === id);
    if (!isStatic && !modules.internal) return null;
    const u = await cache.get(id, () => readInternalUser(q, id));
    return u && internalAccount(u, isStatic ? [] : modules.internal!.defaultRoles);
  };
  const managed = async (byId: boolean, value: string) => {
    const m = modules.managed;
    if (!m) return null;
    const u = byId ? await readManagedUser(q, value) : await findManagedUserByUserName(q, value);
    return u && managedAccount(u, m);
  };
  return {
    async findByUserName(userName) {
      return (await internal(userName)) ?? (await managed(modules.managed?.idProperty === '_id', userName));
    },
    async findById(component, id) {
      return component === 'internal/user' ? internal(id) : managed(true, id);
    },
    replaceHash(account, oldHash, newHash) {
      return replacePasswordHash(q, account.component === 'internal/user' ? 'internal_user' : 'managed_user', account.id, oldHash, newHash);
    },
  };
}
