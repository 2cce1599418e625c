// Seeds internal roles and the internal users named in conf/authentication.json. An existing
// user keeps its (possibly changed) password; a default password still in use is warned about.
import { AuthenticationConfig } from '../config/conf';
import { RECONFLOW_MODULES } from '../config/idmAuthentication';
import { Logger } from '../context';
import { newRev } from '../crest/rev';
import { Q } from '../repo/dialect';
import { insertInternalUserIfMissing, insertRoleIfMissing, readInternalUser, updateInternalUser } from '../repo/internalUsers';
import { hashPassword, verifyPassword } from './passwords';

export async function bootstrapAccounts(q: Q, cfg: AuthenticationConfig, log: Logger): Promise<void> {
  await insertRoleIfMissing(q, 'openidm-admin', 'Administrative access');
  await insertRoleIfMissing(q, 'openidm-authorized', 'Basic minimum user');
  await insertRoleIfMissing(q, 'openidm-prometheus', 'Reads /openidm/metrics/prometheus, nothing else');
  for (const u of cfg.internalUsers) {
    const existing = await readInternalUser(q, u._id);
    const defaultInUse = existing ? await verifyPassword(u.password, existing.passwordHash) : true;
    if (!existing) {
      await insertInternalUserIfMissing(q, { id: u._id, rev: newRev(), passwordHash: await hashPassword(u.password), authzRoles: u.authzRoles });
    }
    if (defaultInUse) log.warn(`internal user ${u._id} has the default password from conf/authentication.json: change it (PATCH /openidm/internal/user/${u._id})`);
  }
  const m = cfg.modules;
  if (m !== RECONFLOW_MODULES) {
    // Who can sign in, said once at start (an IDM file used to be accepted and ignored in silence).
    const managed = m.managed ? `managed users by ${m.managed.idProperty} (roles: ${m.managed.roleProperty} + [${m.managed.defaultRoles.join(', ')}])` : 'no managed users';
    log.info(`authentication.json (IDM modules): ${m.staticUsers.length ? `STATIC_USER ${m.staticUsers.map((s) => s.userName).join(', ')}; ` : ''}${m.internal ? 'internal users' : 'no internal users'}; ${managed}`);
  }
  // A STATIC_USER (IDM's authentication.json) has the password and roles of the file, as IDM
  // checks them against its configuration: the row follows the file at every start.
  for (const s of cfg.modules.staticUsers) {
    const authzRoles = s.roles.map((r) => ({ _ref: `internal/role/${r}` }));
    const existing = await readInternalUser(q, s.userName);
    if (!existing) {
      await insertInternalUserIfMissing(q, { id: s.userName, rev: newRev(), passwordHash: await hashPassword(s.password), authzRoles });
    } else {
      const same = await verifyPassword(s.password, existing.passwordHash);
      if (!same || JSON.stringify(existing.authzRoles) !== JSON.stringify(authzRoles)) {
        await updateInternalUser(q, { id: s.userName, rev: newRev(), passwordHash: same ? existing.passwordHash : await hashPassword(s.password), authzRoles }, existing.rev);
      }
    }
    if (s.password === 'openidm-admin' || s.password === s.userName) log.warn(`STATIC_USER ${s.userName} of conf/authentication.json has a default password: change it there`);
  }
}
