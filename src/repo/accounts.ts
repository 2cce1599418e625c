// The AccountLookup that authentication uses, over internal_user and managed_user.
import { Account, AccountLookup, AUTHORIZED_ROLE } from '../auth/interfaces';
import { roleNames } from '../auth/authenticator';
import { Q } from './dialect';
import { InternalUserRow, readInternalUser } from './internalUsers';
import { findManagedUserByUserName, ManagedUserRow, readManagedUser } from './managedUsers';

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
    // The rev stays: only the private hash changes, and the password it checks is the same.
    async replaceHash(account, oldHash, newHash) {
      const table = account.component === 'internal/user' ? 'internal_user' : 'managed_user';
      return (await q(table).where({ id: account.id, password_hash: oldHash }).update({ password_hash: newHash })) === 1;
    },
  };
}
