// internal/user (bootstrapped administrators: read, change password) and internal/role (read).
import { Router } from 'express';
import { hashPassword } from '../auth/passwords';
import { requireAdmin, requireSelfOrAdmin } from '../auth/authorize';
import { principalOf, requireCurrentPassword } from '../auth/middleware';
import { failedPolicy, passwordFailures } from '../auth/passwordPolicy';
import { badRequest, notFound, preconditionFailed } from '../crest/errors';
import { envelope, parseQueryRequest } from '../crest/query';
import { matchesFilter } from '../crest/queryFilter';
import { newRev } from '../crest/rev';
import { AppContext } from '../context';
import { validatePatch } from '../managed/patch';
import { listRoles, readInternalUser, updateInternalUser } from '../repo/internalUsers';
import { ifMatch, sendObject } from './http';

export function internalRouter(ctx: AppContext): Router {
  const r = Router();
  const knex = ctx.db.knex;

  r.get('/internal/user/:id', async (req, res) => {
    requireSelfOrAdmin(principalOf(res), 'internal/user', req.params.id);
    const u = await readInternalUser(knex, req.params.id);
    if (!u) throw notFound(`Object internal/user/${req.params.id} not found`);
    sendObject(res, { _id: u.id, _rev: u.rev, authzRoles: u.authzRoles });
  });

  // Only the password can change here: roles of bootstrapped users come from conf.
  r.patch('/internal/user/:id', async (req, res) => {
    const p = principalOf(res);
    requireSelfOrAdmin(p, 'internal/user', req.params.id);
    const ops = validatePatch(req.body);
    const u = await readInternalUser(knex, req.params.id);
    if (!u) throw notFound(`Object internal/user/${req.params.id} not found`);
    const expected = ifMatch(req);
    if (expected !== null && expected !== '*' && expected !== u.rev) throw preconditionFailed(`Revision ${expected} does not match`);
    let password: string | undefined;
    for (const op of ops) {
      if (op.field.replace(/^\//, '') !== 'password' || !['replace', 'add'].includes(op.operation)) throw badRequest('Only /password can be replaced on an internal user');
      const failed = passwordFailures(op.value, u.id, ctx.config.authentication.passwordPolicy);
      if (failed.length) throw failedPolicy([{ property: 'password', policyRequirements: failed }]);
      password = op.value as string;
    }
    if (password === undefined) throw badRequest('Nothing to change');
    await requireCurrentPassword(ctx.authenticator, req, p, 'internal/user', u.id);
    const next = { ...u, rev: newRev(), passwordHash: await hashPassword(password) };
    if (!(await updateInternalUser(knex, next, u.rev))) throw preconditionFailed(`internal/user/${u.id} was changed concurrently`);
    sendObject(res, { _id: next.id, _rev: next.rev, authzRoles: next.authzRoles });
  });

  r.get('/internal/role', async (req, res) => {
    requireAdmin(principalOf(res));
    const q = parseQueryRequest(req.query as Record<string, unknown>);
    const roles = (await listRoles(knex)).map((x) => ({ _id: x.id, _rev: x.rev, description: x.description })).filter((x) => matchesFilter(q.filter, x));
    res.json(envelope(q, roles, roles.length));
  });

  return r;
}
