// managed/user: CREST create, read, update (PUT), patch, delete, query and the create action.
import { Request, Response, Router } from 'express';
import { isAdmin, requireAdmin, requireSelfOrAdmin } from '../auth/authorize';
import { principalOf, requireCurrentPassword } from './authenticate';
import { badRequest, forbidden, preconditionFailed } from '../crest/errors';
import { parseFields } from '../crest/fields';
import { envelope, parseQueryRequest, resultShape } from '../crest/query';
import { MANAGED_QUERY_IDS } from '../managed/queryIds';
import { applyPatch, validatePatch } from '../managed/patch';
import { AppContext } from '../context';
import { sendUnpaged, shapeBatches } from './queryStream';
import { actionOf, ifMatch, ifNoneMatch, objectBody, queryString, sendObject, sendReadObject, unknownAction } from './http';

/**
 * Fields a user may not change on itself: that would be privilege escalation. userName included:
 * tasks are assigned to user names (the sample's assignee is async.admin), so renaming oneself to
 * a free name would take over that identity's approvals.
 */
const ADMIN_ONLY_FIELDS = ['userName', 'authzRoles', 'accountStatus', 'effectiveRoles', 'effectiveAssignments'];

export function managedRouter(ctx: AppContext): Router {
  const r = Router();
  const users = ctx.users;

  r.get('/managed/user', async (req, res) => {
    requireAdmin(principalOf(res));
    const q = parseQueryRequest(req.query as Record<string, unknown>, { queryIds: MANAGED_QUERY_IDS });
    const fields = parseFields(queryString(req, '_fields'));
    if (q.pageSize === undefined) {
      // Unpaged: from a cursor, however many match (src/api/queryStream.ts).
      return sendUnpaged(req, res, q, { batches: shapeBatches(users.stream(ctx.db.knex, q, fields), (u) => resultShape(q, u)), count: () => users.count(ctx.db.knex, q) }, ctx.log);
    }
    const { items, total } = await users.query(ctx.db.knex, q, fields);
    res.json(envelope(q, items.map((u) => resultShape(q, u)), total));
  });

  r.post('/managed/user', async (req, res) => {
    requireAdmin(principalOf(res));
    // CREST create: POST to the collection, with or without _action=create; without an _id the
    // server makes one (CREST "Create", docs.pingidentity.com/pingidm/8/crest/crest-create.html).
    const action = actionOf(req);
    if (action !== undefined && action !== 'create') throw unknownAction(action);
    const body = objectBody(req);
    const id = queryString(req, '_id') ?? (typeof body._id === 'string' ? body._id : undefined);
    if (body._id !== undefined && typeof body._id !== 'string') throw badRequest('_id must be a string');
    sendObject(res, await users.create(ctx.db.knex, body, id), 201);
  });

  r.get('/managed/user/:id', async (req, res) => {
    const p = principalOf(res);
    requireSelfOrAdmin(p, 'managed/user', req.params.id);
    sendReadObject(req, res, await users.read(ctx.db.knex, req.params.id, parseFields(queryString(req, '_fields'))));
  });

  r.put('/managed/user/:id', async (req, res) => {
    const p = principalOf(res);
    const id = req.params.id;
    requireSelfOrAdmin(p, 'managed/user', id);
    const body = objectBody(req);
    if (body._id !== undefined && body._id !== id) throw badRequest(`The body's _id "${String(body._id)}" does not match the URL's "${id}"`);
    if (body.password !== undefined && body.password !== null) await requireCurrentPassword(ctx.authenticator, req, p, 'managed/user', id);
    // CREST's HTTP adapter: on PUT, If-None-Match may only be "*" (create only); any other value is 400.
    const none = ifNoneMatch(req);
    if (none !== null && none !== '*') throw badRequest('If-None-Match on PUT must be "*" (create only)');
    if (none === '*') {
      requireAdmin(p);
      const existing = await users.readRow(ctx.db.knex, id);
      if (existing) throw preconditionFailed(`managed/user/${id} already exists`);
      return sendObject(res, await users.create(ctx.db.knex, body, id), 201);
    }
    if (!isAdmin(p)) {
      const current = await users.read(ctx.db.knex, id, null);
      for (const f of ADMIN_ONLY_FIELDS) {
        if (f in body && JSON.stringify(body[f]) !== JSON.stringify(current[f])) throw forbidden(`Only an administrator may change ${f}`);
      }
      const row = await users.readRow(ctx.db.knex, id);
      // A replace by the user must not drop the fields it cannot see or change.
      for (const f of ADMIN_ONLY_FIELDS) if (!(f in body) && row?.obj[f] !== undefined) body[f] = row.obj[f];
    }
    const { user, created } = await users.replace(ctx.db.knex, id, body, ifMatch(req));
    sendObject(res, user, created ? 201 : 200);
  });

  const patch = async (req: Request<{ id: string }>, res: Response) => {
    const p = principalOf(res);
    const id = req.params.id;
    requireSelfOrAdmin(p, 'managed/user', id);
    const ops = validatePatch(req.body);
    if (!isAdmin(p)) {
      for (const op of ops) {
        for (const f of [op.field, op.from]) {
          const top = f?.replace(/^\//, '').split('/')[0];
          if (top !== undefined && ADMIN_ONLY_FIELDS.includes(top)) throw forbidden(`Only an administrator may change ${top}`);
        }
      }
    }
    if (ops.some((o) => o.from?.replace(/^\//, '').split('/')[0] === 'password')) throw badRequest('password cannot be the source of a copy or move');
    const passwordOps = ops.filter((o) => o.field.replace(/^\//, '') === 'password');
    if (passwordOps.some((o) => o.operation !== 'add' && o.operation !== 'replace' && o.operation !== 'remove')) throw badRequest(`password can only be added, replaced or removed`);
    if (passwordOps.some((o) => o.operation === 'replace' || o.operation === 'add')) await requireCurrentPassword(ctx.authenticator, req, p, 'managed/user', id);
    sendObject(res, await users.modify(ctx.db.knex, id, ifMatch(req), (obj) => {
      const next = applyPatch(obj, ops.filter((o) => !passwordOps.includes(o)));
      const pw = passwordOps.find((o) => o.operation === 'replace' || o.operation === 'add');
      if (pw) next.password = pw.value;
      return next;
    }));
  };
  r.patch('/managed/user/:id', patch);
  // CREST's action form of PATCH: POST …?_action=patch with the PATCH body.
  r.post('/managed/user/:id', async (req, res) => {
    const action = actionOf(req);
    if (action !== 'patch') throw unknownAction(action);
    await patch(req, res);
  });

  r.delete('/managed/user/:id', async (req, res) => {
    requireAdmin(principalOf(res));
    sendObject(res, await users.remove(ctx.db.knex, req.params.id, ifMatch(req)));
  });

  return r;
}
