// The AccountLookup that authentication uses, over internal_user and managed_user.
import { AccountLookup, AUTHORIZED_ROLE } from '../auth/interfaces';
import { roleNames } from '../auth/authenticator';
import { Q } from './dialect';
import { readInternalUser } from './internalUsers';
import { findManagedUserByUserName } from './managedUsers';

export function accountLookup(q: Q): AccountLookup {
  return {
    async findInternalUser(id) {
      const u = await readInternalUser(q, id);
      return u && { id: u.id, rev: u.rev, passwordHash: u.passwordHash, roles: roleNames(u.authzRoles) };
    },
    async findManagedUserByUserName(userName) {
      const u = await findManagedUserByUserName(q, userName);
      if (!u) return null;
      const refs = Array.isArray(u.obj.authzRoles) ? (u.obj.authzRoles as { _ref: string }[]) : [];
      // Every signed-in managed user is at least openidm-authorized, as in IDM.
      const roles = Array.from(new Set([...roleNames(refs), AUTHORIZED_ROLE]));
      return { id: u.id, rev: u.rev, userName, passwordHash: u.passwordHash, roles, accountStatus: u.obj.accountStatus as string | undefined };
    },
  };
}
