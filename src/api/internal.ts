// internal/user (bootstrapped administrators: read, change password) and internal/role (read);
// the service is src/auth/internalUsers.ts.
import { Router } from 'express';
import { requireAdmin, requireSelfOrAdmin } from '../auth/authorize';
import { InternalUsers } from '../auth/internalUsers';
import { envelope, parseQueryRequest, sortInMemory } from '../crest/query';
import { matchesFilter } from '../crest/queryFilter';
import { AppContext } from '../context';
import { validatePatch } from '../managed/patch';
import { principalOf, requireCurrentPassword } from './authenticate';
import { ifMatch, sendObject } from './http';

/** A role's fields, the keys _sortKeys accepts on internal/role. */
export const ROLE_SORT_KEYS = ['_id', 'description'];

export function internalRouter(ctx: AppContext): Router {
  const r = Router();
  const users = new InternalUsers(ctx.db.knex, ctx.config.authentication.passwordPolicy, ctx.config.authentication.modules.staticUsers.map((s) => s.userName));

  r.get('/internal/user/:id', async (req, res) => {
    requireSelfOrAdmin(principalOf(res), 'internal/user', req.params.id);
    sendObject(res, { ...(await users.read(req.params.id)) });
  });

  r.patch('/internal/user/:id', async (req, res) => {
    const p = principalOf(res);
    requireSelfOrAdmin(p, 'internal/user', req.params.id);
    const ops = validatePatch(req.body);
    const change = await users.planPasswordChange(req.params.id, ops, ifMatch(req));
    await requireCurrentPassword(ctx.authenticator, req, p, 'internal/user', change.user.id);
    sendObject(res, { ...(await users.changePassword(change)) });
  });

  r.get('/internal/role', async (req, res) => {
    requireAdmin(principalOf(res));
    const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: ROLE_SORT_KEYS });
    const roles = sortInMemory((await users.roles()).filter((x) => matchesFilter(q.filter, x)), q.sort);
    res.json(envelope(q, roles, roles.length));
  });

  return r;
}
