// IDM's serverAuthContext (authentication.json) mapped onto reconflow's sign-in. Followed:
// https://docs.pingidentity.com/pingidm/7.2/auth-guide/appendix-auth-modules.html (module
// properties) and https://docs.pingidentity.com/pingidm/8/auth-guide/authentication-and-roles.html
// (a user's roles are the module's defaultUserRoles plus the roles in the property that
// propertyMapping.userRoles names).
//   STATIC_USER   → an internal user whose password and roles are those of the file, at every start
//   INTERNAL_USER → the internal users (internal/user) sign in; roles: authzRoles + defaultUserRoles
//   MANAGED_USER  → managed users sign in by userName (or _id) with their password; roles: the
//                   userRoles property + defaultUserRoles
// Any other module (CLIENT_CERT, OPENAM_SESSION, PASSTHROUGH, OAUTH…) is refused unless disabled.

export interface StaticUserConfig {
  userName: string;
  password: string;
  /** Role names without internal/role/. */
  roles: string[];
}

export interface AuthModulesConfig {
  /** internal/user accounts sign in; null: only STATIC_USER ones do. */
  internal: { defaultRoles: string[] } | null;
  /** managed/user accounts sign in; null: none does. */
  managed: { defaultRoles: string[]; idProperty: 'userName' | '_id'; roleProperty: string } | null;
  staticUsers: StaticUserConfig[];
}

/** reconflow's own form: internal users, and managed users by userName with openidm-authorized. */
export const RECONFLOW_MODULES: AuthModulesConfig = {
  internal: { defaultRoles: [] },
  managed: { defaultRoles: ['openidm-authorized'], idProperty: 'userName', roleProperty: 'authzRoles' },
  staticUsers: [],
};

/** The only augmentSecurityContext reconflow accepts: IDM 7's stock one, which sets delegated-admin attributes reconflow has none of. */
const STOCK_AUGMENT = /^\s*require\(\s*['"]auth\/customAuthz['"]\s*\)\.setProtectedAttributes\(\s*security\s*\)\s*;?\s*$/;

type Fail = (field: string, problem: string) => never;

function roleNames(refs: string[]): string[] {
  return refs.map((r) => (r.startsWith('internal/role/') ? r.slice('internal/role/'.length) : r));
}

interface RawModule {
  name: string;
  enabled?: boolean;
  properties?: Record<string, unknown>;
}

/** Reads serverAuthContext.authModules (already checked against the schema); notes get warnings. */
export function readAuthModules(modules: RawModule[], fail: Fail, notes: string[]): AuthModulesConfig {
  const out: AuthModulesConfig = { internal: null, managed: null, staticUsers: [] };
  modules.forEach((m, i) => {
    const at = `serverAuthContext.authModules[${i}]`;
    if (m.enabled === false) return;
    const p = (m.properties ?? {}) as Record<string, any>;
    const mapping = (p.propertyMapping ?? {}) as Record<string, string | undefined>;
    const defaultRoles = roleNames((p.defaultUserRoles as string[] | undefined) ?? []);
    if (p.augmentSecurityContext !== undefined) {
      const a = p.augmentSecurityContext as { type?: string; source?: string };
      if (a.type === 'text/javascript' && typeof a.source === 'string' && STOCK_AUGMENT.test(a.source)) {
        notes.push(`${at}.properties.augmentSecurityContext (IDM's stock setProtectedAttributes: delegated-admin attributes, which reconflow does not have)`);
      } else {
        fail(`${at}.properties.augmentSecurityContext`, 'is a script reconflow does not run (roles come from defaultUserRoles and propertyMapping.userRoles only): remove it');
      }
    }
    const credential = (field: string) => {
      if (mapping.userCredential !== undefined && mapping.userCredential !== 'password') {
        fail(`${at}.properties.propertyMapping.userCredential`, `must be "password" (the only credential reconflow stores, hashed); is ${JSON.stringify(mapping.userCredential)}`);
      }
      void field;
    };
    switch (m.name) {
      case 'STATIC_USER': {
        if (p.queryOnResource !== undefined && p.queryOnResource !== 'internal/user' && p.queryOnResource !== 'repo/internal/user') {
          fail(`${at}.properties.queryOnResource`, 'must be internal/user for a STATIC_USER');
        }
        if (typeof p.username !== 'string' || !p.username) fail(`${at}.properties.username`, 'is required');
        if (typeof p.password !== 'string' || !p.password) fail(`${at}.properties.password`, 'is required');
        if (out.staticUsers.some((u) => u.userName === p.username)) fail(`${at}.properties.username`, `${p.username} is already a STATIC_USER`);
        out.staticUsers.push({ userName: p.username, password: p.password, roles: defaultRoles });
        return;
      }
      case 'INTERNAL_USER': {
        if (out.internal) fail(`${at}.name`, 'INTERNAL_USER appears twice: keep one');
        if (p.queryOnResource !== undefined && p.queryOnResource !== 'internal/user' && p.queryOnResource !== 'repo/internal/user') {
          fail(`${at}.properties.queryOnResource`, `must be internal/user or repo/internal/user; is ${JSON.stringify(p.queryOnResource)}`);
        }
        if (p.queryId !== undefined && p.queryId !== 'credential-internaluser-query') fail(`${at}.properties.queryId`, 'must be credential-internaluser-query (or absent)');
        if (mapping.authenticationId !== undefined && !['_id', 'username', 'userName'].includes(mapping.authenticationId)) {
          fail(`${at}.properties.propertyMapping.authenticationId`, 'must be _id or username (an internal user signs in with its id)');
        }
        if (mapping.userRoles !== undefined && !['roles', 'authzRoles'].includes(mapping.userRoles)) {
          fail(`${at}.properties.propertyMapping.userRoles`, 'must be authzRoles or roles (the roles stored with the internal user)');
        }
        credential('internal');
        out.internal = { defaultRoles };
        return;
      }
      case 'MANAGED_USER': {
        if (out.managed) fail(`${at}.name`, 'MANAGED_USER appears twice: keep one');
        if (p.queryOnResource !== undefined && p.queryOnResource !== 'managed/user') {
          fail(`${at}.properties.queryOnResource`, `must be managed/user (the only managed object reconflow serves); is ${JSON.stringify(p.queryOnResource)}`);
        }
        if (p.queryId !== undefined && p.queryId !== 'credential-query') fail(`${at}.properties.queryId`, 'must be credential-query (or absent)');
        const id = mapping.authenticationId ?? 'userName';
        if (!['userName', 'username', '_id'].includes(id)) {
          fail(`${at}.properties.propertyMapping.authenticationId`, `must be userName or _id (what a managed user signs in with); is ${JSON.stringify(id)}`);
        }
        credential('managed');
        const roleProperty = mapping.userRoles ?? 'authzRoles';
        if (roleProperty.includes('/')) fail(`${at}.properties.propertyMapping.userRoles`, 'must name a property of managed/user');
        out.managed = { defaultRoles, idProperty: id === '_id' ? '_id' : 'userName', roleProperty };
        return;
      }
      default:
        fail(`${at}.name`, `${JSON.stringify(m.name)} is an authentication module reconflow does not implement (implemented: STATIC_USER, INTERNAL_USER, MANAGED_USER): remove it or set "enabled": false`);
    }
  });
  return out;
}
