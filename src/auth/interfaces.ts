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

/** An account as authentication sees it: what signs in, and what a session is bound to. */
export interface Account {
  component: Principal['component'];
  id: string;
  rev: string;
  userName: string;
  passwordHash: string | null;
  roles: string[];
  /** managed/user only; anything but absent or 'active' cannot sign in. */
  accountStatus?: string;
}

/** What authentication needs from the repository; implemented in src/auth/accounts.ts. */
export interface AccountLookup {
  /** By sign-in name: internal users first, then managed users by userName. */
  findByUserName(userName: string): Promise<Account | null>;
  /** By resource id, for a session's check on each request. */
  findById(component: Principal['component'], id: string): Promise<Account | null>;
  /** Replaces the password hash if it is still `oldHash` (an upgrade to the current cost). */
  replaceHash(account: Account, oldHash: string, newHash: string): Promise<boolean>;
}

export const ADMIN_ROLE = 'openidm-admin';
export const AUTHORIZED_ROLE = 'openidm-authorized';
/** IDM 7's role of its `prometheus` user: may read /openidm/metrics/prometheus, and nothing else. */
export const METRICS_ROLE = 'openidm-prometheus';
