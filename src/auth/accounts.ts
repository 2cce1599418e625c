// The AccountLookup that authentication uses: rows of internal_user and managed_user (src/repo)
// become Accounts here, where their roles are computed.
import { AuthModulesConfig, RECONFLOW_MODULES } from '../config/idmAuthentication';
import { Q } from '../repo/dialect';
import { replacePasswordHash } from '../repo/accounts';
import { InternalUserRow, readInternalUser } from '../repo/internalUsers';
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
 * Accounts as the authentication modules allow them: internal users when INTERNAL_USER is on (a
 * STATIC_USER always, with only its configured roles), managed users when MANAGED_USER is on.
 */
export function accountLookup(q: Q, modules: AuthModulesConfig = RECONFLOW_MODULES): AccountLookup {
  const internal = async (id: string) => {
    const isStatic = modules.staticUsers.some((s) => s.userName === id);
    if (!isStatic && !modules.internal) return null;
    const u = await readInternalUser(q, id);
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
