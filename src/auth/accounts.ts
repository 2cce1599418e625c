// The AccountLookup that authentication uses: rows of internal_user and managed_user (src/repo)
// become Accounts here, where their roles are computed.
import { Q } from '../repo/dialect';
import { replacePasswordHash } from '../repo/accounts';
import { InternalUserRow, readInternalUser } from '../repo/internalUsers';
import { findManagedUserByUserName, ManagedUserRow, readManagedUser } from '../repo/managedUsers';
import { Account, AccountLookup, AUTHORIZED_ROLE } from './interfaces';

export function roleNames(refs: { _ref?: string }[] | string[]): string[] {
  return refs
    .map((r) => (typeof r === 'string' ? r : r?._ref ?? ''))
    .filter((r) => r.startsWith('internal/role/'))
    .map((r) => r.slice('internal/role/'.length));
}

function internalAccount(u: InternalUserRow): Account {
  return { component: 'internal/user', id: u.id, rev: u.rev, userName: u.id, passwordHash: u.passwordHash, roles: roleNames(u.authzRoles) };
}

function managedAccount(u: ManagedUserRow): Account {
  const refs = Array.isArray(u.obj.authzRoles) ? (u.obj.authzRoles as { _ref: string }[]) : [];
  // Every signed-in managed user is at least openidm-authorized, as in IDM.
  const roles = Array.from(new Set([...roleNames(refs), AUTHORIZED_ROLE]));
  const status = u.obj.accountStatus;
  return {
    component: 'managed/user', id: u.id, rev: u.rev, userName: String(u.obj.userName ?? ''), passwordHash: u.passwordHash, roles,
    accountStatus: status === undefined || status === null ? undefined : String(status),
  };
}

export function accountLookup(q: Q): AccountLookup {
  return {
    async findByUserName(userName) {
      const internal = await readInternalUser(q, userName);
      if (internal) return internalAccount(internal);
      const managed = await findManagedUserByUserName(q, userName);
      return managed && managedAccount(managed);
    },
    async findById(component, id) {
      if (component === 'internal/user') {
        const u = await readInternalUser(q, id);
        return u && internalAccount(u);
      }
      const u = await readManagedUser(q, id);
      return u && managedAccount(u);
    },
    replaceHash(account, oldHash, newHash) {
      return replacePasswordHash(q, account.component === 'internal/user' ? 'internal_user' : 'managed_user', account.id, oldHash, newHash);
    },
  };
}
