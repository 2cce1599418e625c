// workflow/execution, workflow/message and workflow/signal: the waits other than user tasks and
// timers, resumed over REST in Camunda 7's shapes (execution trigger, message correlation, signal
// broadcast) under OpenIDM's URL space. Administrators only: each resumes processes on anyone's
// behalf. Every body is checked here, in full, before any work starts.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { badRequest, notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest, sortInMemory } from '../crest/query';
import { matchesFilter } from '../crest/queryFilter';
import { AppContext } from '../context';
import { refuseUnpagedOver } from './queryStream';
import type { MessageCorrelation, WorkflowRuntime } from '../workflow/runtime';
import { executionView, instanceView } from '../workflow/views';
import { actionOf, objectBody, queryString, unknownAction } from './http';

const MAX_NAME = 255;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const TYPED_KEYS = new Set(['value', 'type', 'valueInfo']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Variables as a JSON object: plain values, or Camunda's typed form {"x": {"value": 1, "type":
 * "Integer"}} (an object whose keys are value/type/valueInfo and has a value), which is unwrapped.
 */
function variablesOf(body: Obj, field: string): Obj | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw badRequest(`${field} must be a JSON object of variables`, { field });
  const out: Obj = {};
  for (const [k, raw] of Object.entries(v)) {
    if (!k || k.length > MAX_NAME || UNSAFE_KEYS.has(k)) throw badRequest(`${field} has a variable name that is not allowed: "${k.slice(0, 64)}"`, { field });
    const typed = isObj(raw) && Object.hasOwn(raw, 'value') && Object.keys(raw).every((x) => TYPED_KEYS.has(x));
    out[k] = typed ? (raw as Obj).value : raw;
  }
  return out;
}

function nameOf(body: Obj, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || !v.trim()) throw badRequest(`${field} is required (a non-empty string)`, { field });
  if (v.length > MAX_NAME) throw badRequest(`${field} is longer than ${MAX_NAME} characters`, { field });
  return v;
}

function onlyKeys(body: Obj, allowed: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw badRequest(`Unknown field(s) ${extra.map((k) => `"${k.slice(0, 64)}"`).join(', ')}; expected ${allowed.join(', ')}`);
}

function parseMessage(body: Obj): MessageCorrelation {
  onlyKeys(body, ['messageName', 'businessKey', 'correlationKeys', 'processVariables', 'all']);
  const req: MessageCorrelation = { messageName: nameOf(body, 'messageName') };
  if (body.businessKey !== undefined && body.businessKey !== null) {
    if (typeof body.businessKey !== 'string') throw badRequest('businessKey must be a string', { field: 'businessKey' });
    req.businessKey = body.businessKey;
  }
  const keys = variablesOf(body, 'correlationKeys');
  if (keys) req.correlationKeys = keys;
  const vars = variablesOf(body, 'processVariables');
  if (vars) req.processVariables = vars;
  if (body.all !== undefined && typeof body.all !== 'boolean') throw badRequest('all must be true or false', { field: 'all' });
  if (body.all) req.all = true;
  return req;
}

/** A waiting execution's fields (src/workflow/views.ts executionView), the keys _sortKeys accepts. */
export const EXECUTION_SORT_KEYS = ['_id', 'id', 'processInstanceId', 'processDefinitionId', 'activityId', 'executionId', 'kind', 'name', 'businessKey', 'created'];

export function workflowEventsRouter(runtime: WorkflowRuntime) {
  return (ctx: AppContext): Router => {
    const r = Router();

    r.get('/workflow/execution', async (req, res) => {
      requireAdmin(principalOf(res));
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: EXECUTION_SORT_KEYS });
      const all = (await runtime.waitingExecutions({ offset: 0 })).map(executionView);
      const matched = sortInMemory(all.filter((e) => matchesFilter(q.filter, e)), q.sort);
      // Filtered and sorted in memory: an unpaged answer is held whole, so it has a ceiling (conf/repo.json).
      refuseUnpagedOver(q, matched.length, ctx.config.repo.query.maxUnpagedResults, 'waiting executions');
      const page = matched.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      const fields = parseFields(queryString(req, '_fields'));
      res.json(envelope(q, page.map((e) => project(e, fields)), matched.length));
    });

    r.post('/workflow/execution/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      const action = actionOf(req);
      if (action !== 'trigger') throw unknownAction(action);
      if (!/^\d{1,15}$/.test(req.params.id)) throw notFound(`Execution ${req.params.id.slice(0, 64)} not found`);
      const body = objectBody(req);
      onlyKeys(body, ['variables']);
      const variables = variablesOf(body, 'variables') ?? {};
      const inst = await runtime.trigger(Number(req.params.id), variables);
      res.json(instanceView(inst, inst.status === 'active' ? await runtime.tasksOfInstance(inst.id) : undefined));
    });

    r.post('/workflow/message', async (req, res) => {
      const p = principalOf(res);
      requireAdmin(p);
      const correlation = parseMessage(objectBody(req));
      const result = await runtime.correlateMessage({ ...correlation, startUserId: p.userName });
      res.json(result.map((c) => ({ processInstanceId: String(c.processInstanceId), started: c.started })));
    });

    r.post('/workflow/signal', async (req, res) => {
      const p = principalOf(res);
      requireAdmin(p);
      const body = objectBody(req);
      onlyKeys(body, ['name', 'variables']);
      const name = nameOf(body, 'name');
      const variables = variablesOf(body, 'variables');
      const result = await runtime.broadcastSignal({ name, ...(variables && { variables }), startUserId: p.userName });
      res.json({ name, count: result.count, processInstanceIds: [...result.resumed, ...result.started].map(String), started: result.started.map(String) });
    });

    return r;
  };
}
