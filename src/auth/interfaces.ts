export interface Principal {
  /** Resource id: internal/user/<id> or managed/user/<id>. */
  component: 'internal/user' | 'managed/user';
  id: string;
  userName: string;
  /** Role names without the internal/role/ prefix, e.g. openidm-admin. */
  roles: string[];
}

export interface Credentials {
  userName: string;
  password: string;
}

/** What authentication needs from the repository; implemented in src/repo. */
export interface AccountLookup {
  findInternalUser(id: string): Promise<{ id: string; rev: string; passwordHash: string; roles: string[] } | null>;
  findManagedUserByUserName(userName: string): Promise<{ id: string; rev: string; userName: string; passwordHash: string | null; roles: string[]; accountStatus?: string } | null>;
}

export const ADMIN_ROLE = 'openidm-admin';
export const AUTHORIZED_ROLE = 'openidm-authorized';
