// Seeds internal roles and the internal users named in conf/authentication.json. An existing
// user keeps its (possibly changed) password; a default password still in use is warned about.
import { AuthenticationConfig } from '../config/conf';
import { Logger } from '../context';
import { newRev } from '../crest/rev';
import { Q } from '../repo/dialect';
import { insertInternalUserIfMissing, insertRoleIfMissing, readInternalUser } from '../repo/internalUsers';
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
}
