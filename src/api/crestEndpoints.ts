// OpenIDM resources reconflow answers in IDM's shapes (issue 16, Deliver 5): repo/link,
// info/version, authentication?_action=reauthenticate, and the endpoints IDM's UIs call
// (endpoint/gettasksview, endpoint/getprocessesforuser). Each cites the OpenIDM source it follows.
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { CrestError, forbidden, notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import type { Filter } from '../crest/queryFilter';
import { envelope, parseQueryRequest, QueryRequest, resultShape } from '../crest/query';
import { AppContext } from '../context';
import { packageRoot } from '../config/project';
import { countLinkViews, queryLinks, streamLinkViews } from '../recon/links';
import { sendUnpaged, shapeBatches } from './queryStream';
import { WorkflowRuntime } from '../workflow/runtime';
import { definitionView, taskDefinitionView, taskView } from '../workflow/views';
import { taskApproval } from '../approval/views';
import { actionOf, queryString, unknownAction } from './http';

/** reconflow's own version (package.json), its revision (the checkout's HEAD, when there is one) and build date. */
function versionInfo() {
  const root = packageRoot();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string };
  const revision = gitRevision(root);
  // IDM's productBuildDate is yyyyMMddHHmmss of the build; reconflow's is when the running code was built (this file's mtime).
  const built = fs.statSync(__filename).mtime.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return { _id: 'version', productVersion: pkg.version ?? null, productBuildDate: built, productRevision: revision };
}

/** The checkout's HEAD commit (10 hex digits), following a worktree's .git file and packed refs; null without a checkout. */
function gitRevision(root: string): string | null {
  try {
    let gitDir = path.join(root, '.git');
    if (fs.statSync(gitDir).isFile()) gitDir = path.resolve(root, fs.readFileSync(gitDir, 'utf8').replace(/^gitdir:\s*/, '').trim());
    const commonFile = path.join(gitDir, 'commondir');
    const commonDir = fs.existsSync(commonFile) ? path.resolve(gitDir, fs.readFileSync(commonFile, 'utf8').trim()) : gitDir;
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return head.slice(0, 10);
    for (const dir of [gitDir, commonDir]) {
      const file = path.join(dir, ref);
      if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim().slice(0, 10);
    }
    const packed = fs.readFileSync(path.join(commonDir, 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
    return packed ? packed.slice(0, 10) : null;
  } catch {
    return null; // an installed package has no checkout
  }
}

/** IDM's shipped conf/process-access.json: every process for openidm-authorized and openidm-admin. */
const DEFAULT_PROCESS_ACCESS = {
  workflowAccess: [
    { propertiesCheck: { property: '_id', matches: '.*', requiresRole: 'openidm-authorized' } },
    { propertiesCheck: { property: '_id', matches: '.*', requiresRole: 'openidm-admin' } },
  ],
};

interface AccessPolicy { property: string; matches: RegExp; requiresRole: string }

/** conf/process-access.json, checked: a policy that cannot be applied is an error naming it, never skipped. */
function processAccess(raw: unknown): AccessPolicy[] {
  const conf = (raw ?? DEFAULT_PROCESS_ACCESS) as { workflowAccess?: unknown };
  if (!Array.isArray(conf.workflowAccess)) throw new CrestError(500, 'conf/process-access.json: workflowAccess must be an array');
  return conf.workflowAccess.map((p, i) => {
    const c = (p as { propertiesCheck?: Record<string, unknown> })?.propertiesCheck;
    if (!c || typeof c.property !== 'string' || typeof c.matches !== 'string' || typeof c.requiresRole !== 'string') {
      throw new CrestError(500, `conf/process-access.json: workflowAccess[${i}].propertiesCheck needs property, matches and requiresRole strings`);
    }
    try {
      return { property: c.property, matches: new RegExp(c.matches), requiresRole: c.requiresRole };
    } catch (e) {
      throw new CrestError(500, `conf/process-access.json: workflowAccess[${i}].propertiesCheck.matches is not a regular expression: ${(e as Error).message}`);
    }
  });
}

/** A role as a process-access policy or a task names it: with or without IDM 7's internal/role/ prefix. */
const hasRole = (roles: string[], role: string) => roles.includes(role) || roles.includes(role.replace(/^internal\/role\//, ''));

export function crestRouter(runtime: WorkflowRuntime) {
  return (ctx: AppContext): Router => {
    const r = Router();
    const knex = ctx.db.knex;

    // OpenIDM's InfoService (info/version.js returns its `version` binding).
    r.get('/info/version', (_req, res) => {
      res.json(versionInfo());
    });

    // repo/link: the links of every mapping (OpenIDM's repository; linkType is the mapping name).
    r.get('/repo/link', async (req, res) => {
      requireAdmin(principalOf(res));
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: ['_id', 'linkType', 'linkQualifier', 'firstId', 'secondId'] });
      const fields = parseFields(queryString(req, '_fields'));
      if (q.pageSize === undefined) {
        return sendUnpaged(req, res, q, { batches: shapeBatches(streamLinkViews(knex, q), (l) => resultShape(q, project(l, fields))), count: () => countLinkViews(knex, q) }, ctx.log);
      }
      const { items, total } = await queryLinks(knex, q);
      res.json(envelope(q, items.map((l) => resultShape(q, project(l, fields))), total));
    });

    // OpenIDM's AuthenticationService action reauthenticate: the X-OpenIDM-Reauth-Password header
    // checked against the caller's account; {"reauthenticated": true} or 403.
    r.post('/authentication', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'reauthenticate') throw unknownAction(action);
      const p = principalOf(res);
      const password = req.get('X-OpenIDM-Reauth-Password');
      if (!password) throw forbidden('Reauthentication failed, missing or empty headers');
      if (password.length > 1024 || !(await ctx.authenticator.reauthenticate(p, password, req.ip ?? 'unknown'))) throw forbidden(`Reauthentication failed for ${p.userName}`);
      res.json({ reauthenticated: true });
    });

    // OpenIDM's bin/defaults/script/workflow/gettasksview.js (a query): viewType=assignee lists the
    // caller's assigned tasks, otherwise the tasks offered to it or to one of its roles; the answer
    // is one object keyed by task _id, each {name, tasks: [task read + businessKey, startTime,
    // startUserId, startUserDisplayable, processDefinitionId, taskDefinition, usersToAssign]}.
    r.get('/endpoint/gettasksview', async (req, res) => {
      const p = principalOf(res);
      // The script reads no query parameter but viewType (IDM's UI sends _queryId=gettasksview).
      const q: QueryRequest = { filter: { type: 'literal', value: true }, idsOnly: false, params: {}, sort: [], offset: 0, totalPolicy: 'NONE' };
      const assigned = queryString(req, 'viewType') === 'assignee';
      const me: Filter = { type: 'compare', op: 'eq', field: ['assignee'], value: p.userName };
      const rows = assigned
        ? await runtime.queryTasks(me, p, { offset: 0 })
        : await runtime.queryTasks({ type: 'literal', value: true }, p, {
            offset: 0, candidate: { user: p.userName, groups: p.roles.flatMap((x) => [x, `internal/role/${x}`]) },
          });
      const view: Record<string, { name: string | null; tasks: Record<string, unknown>[] }> = {};
      for (const row of rows) {
        const task = await runtime.readTask(row.id);
        if (!runtime.mayWorkOn(p, task)) continue;
        const inst = await runtime.readInstance(task.processInstanceId);
        const def = await runtime.definitions.get(task.definitionId);
        const taskDef = def.parsed.tasks.find((d) => d.id === task.taskDefinitionKey);
        view[String(task.id)] = {
          name: task.name,
          tasks: [{
            ...taskView(task, true),
            ...(await taskApproval(knex, task.processInstanceId)),
            businessKey: inst?.businessKey ?? null,
            startTime: inst?.startTime ?? null,
            startUserId: inst?.startUserId ?? null,
            startUserDisplayable: p.userName,
            processDefinitionId: task.definitionId,
            taskDefinition: taskDef ? taskDefinitionView(taskDef) : null,
            // IDM fills this from endpoint/getavailableuserstoassign for openidm-tasks-manager; reconflow has no such role.
            usersToAssign: { users: [] },
          }],
        };
      }
      res.json(envelope(q, [view]));
    });

    // OpenIDM's bin/defaults/script/workflow/getprocessesforuser.js (a read): the definitions whose
    // `property` matches a conf/process-access.json policy whose requiresRole the caller has.
    r.get('/endpoint/getprocessesforuser', async (_req, res) => {
      const p = principalOf(res);
      const policies = processAccess(ctx.config.raw['process-access.json']);
      const roles = p.roles.flatMap((x) => [x, `internal/role/${x}`]);
      const defs = (await runtime.definitions.list()).map((d) => definitionView(d) as Record<string, unknown>);
      const processes = defs.filter((d) => policies.some((pol) => typeof d[pol.property] === 'string' && pol.matches.test(d[pol.property] as string) && hasRole(roles, pol.requiresRole)));
      res.json({ processes });
    });

    r.all(['/endpoint/gettasksview', '/endpoint/getprocessesforuser'], () => {
      throw forbidden('Access denied');
    });
    r.all('/endpoint/:name', (req) => {
      throw notFound(`Resource 'endpoint/${req.params.name.slice(0, 100)}' not found: this server provides endpoint/gettasksview and endpoint/getprocessesforuser`);
    });

    return r;
  };
}
