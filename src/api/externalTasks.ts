// external-task: Camunda 7's external task REST API under /openidm, so that a worker written with
// camunda-external-task-client-js runs unmodified with baseUrl http://host:port/openidm
// (administrators: BasicAuthInterceptor with an openidm-admin account).
//   POST /external-task/fetchAndLock            → [LockedExternalTaskDto] (long polling: asyncResponseTimeout, at most 60 s)
//   POST /external-task/{id}/complete           {workerId, variables, localVariables} → 204
//   POST /external-task/{id}/failure            {workerId, errorMessage, errorDetails, retries, retryTimeout} → 204
//   POST /external-task/{id}/bpmnError          {workerId, errorCode, errorMessage, variables} → 204
//   POST /external-task/{id}/extendLock         {workerId, newDuration} → 204
//   POST /external-task/{id}/lock               {workerId, lockDuration} → 204
//   POST /external-task/{id}/unlock             → 204
//   PUT  /external-task/{id}/retries            {retries} → 204
//   GET  /external-task[?topicName=…&workerId=…&locked=true&…&firstResult=&maxResults=], /external-task/count,
//        /external-task/{id}, /external-task/{id}/errorDetails (text/plain)
// Errors keep reconflow's CREST shape {code, reason, message}; the statuses are Camunda's (400 for a
// worker that does not hold the lock, 404 for a task that does not exist). Every body is checked
// here, before the service runs.
import { Request, Response, Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { AppContext } from '../context';
import { badRequest } from '../crest/errors';
import type { ExternalTaskService, FetchRequest, FetchTopicRequest, LockedExternalTask } from '../workflow/externalTaskService';
import { MAX_ASYNC_RESPONSE_MS } from '../workflow/externalTaskService';
import type { ExternalTaskRow } from '../workflow/externalTaskService';
import { principalOf } from './authenticate';
import { fromTypedMap, toTypedMap } from './camundaVariables';
import { objectBody } from './http';

type Body = Record<string, unknown>;

const MAX_TASKS = 1000;
const MAX_DURATION_MS = 365 * 24 * 3600_000;

/** Camunda's date format (yyyy-MM-dd'T'HH:mm:ss.SSSZ). */
function camundaDate(ms: number | null | string): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('Z', '+0000');
}

function allowedKeys(body: Body, keys: string[], where: string): void {
  for (const k of Object.keys(body)) if (!keys.includes(k)) throw badRequest(`${where}: unknown property "${k.slice(0, 64)}"`);
}

function str(body: Body, key: string, required: true, max?: number): string;
function str(body: Body, key: string, required?: false, max?: number): string | undefined;
function str(body: Body, key: string, required = false, max = 255): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw badRequest(`${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || (required && !v) || v.length > max) throw badRequest(`${key} must be a${required ? ' non-empty' : ''} string of at most ${max} characters`);
  return v;
}

function int(body: Body, key: string, opts: { required?: boolean; min: number; max: number; fallback?: number }): number {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required || opts.fallback === undefined) throw badRequest(`${key} is required`);
    return opts.fallback;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < opts.min || v > opts.max) throw badRequest(`${key} must be a whole number from ${opts.min} to ${opts.max}`);
  return v;
}

function bool(body: Body, key: string, fallback: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw badRequest(`${key} must be true or false`);
  return v;
}

function strings(body: Body, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 1000 || v.some((x) => typeof x !== 'string' || x.length > 1024)) throw badRequest(`${key} must be an array of strings`);
  return v as string[];
}

const TOPIC_KEYS = [
  'topicName', 'lockDuration', 'variables', 'localVariables', 'businessKey', 'processDefinitionId', 'processDefinitionIdIn', 'processDefinitionKey',
  'processDefinitionKeyIn', 'processDefinitionVersionTag', 'processInstanceIdIn', 'tenantIdIn', 'withoutTenantId', 'deserializeValues', 'includeExtensionProperties', 'processVariables',
];

function parseTopic(raw: unknown, i: number): FetchTopicRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(`topics[${i}] must be an object`);
  const t = raw as Body;
  allowedKeys(t, TOPIC_KEYS, `topics[${i}]`);
  const processVariables = t.processVariables;
  if (processVariables !== undefined && processVariables !== null && (typeof processVariables !== 'object' || Object.keys(processVariables).length)) {
    throw badRequest(`topics[${i}].processVariables: filtering by variable values is not supported; filter by businessKey or processDefinitionKey`);
  }
  const one = (single: string | undefined, many: string[] | undefined) => (single !== undefined ? [single, ...(many ?? [])] : many);
  const instanceIds = strings(t, 'processInstanceIdIn');
  if (instanceIds?.some((x) => !/^\d{1,15}$/.test(x))) throw badRequest(`topics[${i}].processInstanceIdIn: process instance ids are numbers`);
  const tenants = strings(t, 'tenantIdIn');
  const versionTag = str(t, 'processDefinitionVersionTag');
  bool(t, 'withoutTenantId', false);
  bool(t, 'deserializeValues', false);
  const out: FetchTopicRequest = {
    topicName: str(t, 'topicName', true),
    lockMs: int(t, 'lockDuration', { required: true, min: 1, max: MAX_DURATION_MS }),
    localVariables: bool(t, 'localVariables', false),
    includeExtensionProperties: bool(t, 'includeExtensionProperties', false),
    // reconflow's definitions have no tenant and no version tag: such a filter matches no task.
    matchesNothing: (tenants !== undefined && tenants.length > 0) || versionTag !== undefined,
  };
  const variables = strings(t, 'variables');
  if (variables) out.variables = variables;
  const businessKey = str(t, 'businessKey', false, 1024);
  if (businessKey !== undefined) out.businessKey = businessKey;
  const ids = one(str(t, 'processDefinitionId'), strings(t, 'processDefinitionIdIn'));
  if (ids) out.processDefinitionIds = ids;
  const keys = one(str(t, 'processDefinitionKey'), strings(t, 'processDefinitionKeyIn'));
  if (keys) out.processDefinitionKeys = keys;
  if (instanceIds) out.processInstanceIds = instanceIds.map(Number);
  return out;
}

function parseFetch(body: Body): FetchRequest {
  allowedKeys(body, ['workerId', 'maxTasks', 'usePriority', 'asyncResponseTimeout', 'topics', 'sorting'], 'fetchAndLock');
  const topics = body.topics;
  if (topics !== undefined && topics !== null && (!Array.isArray(topics) || topics.length > 100)) throw badRequest('topics must be an array of at most 100 topics');
  let newestFirst = false;
  const sorting = body.sorting;
  if (sorting !== undefined && sorting !== null) {
    if (!Array.isArray(sorting) || sorting.length > 1) throw badRequest('sorting must be an array with at most one entry {sortBy: "createTime", sortOrder: "asc" | "desc"}');
    for (const s of sorting as Body[]) {
      if (typeof s !== 'object' || s === null || s.sortBy !== 'createTime' || (s.sortOrder !== 'asc' && s.sortOrder !== 'desc')) {
        throw badRequest('sorting: only {sortBy: "createTime", sortOrder: "asc" | "desc"} is supported');
      }
      newestFirst = s.sortOrder === 'desc';
    }
  }
  return {
    workerId: str(body, 'workerId', true),
    maxTasks: int(body, 'maxTasks', { min: 0, max: MAX_TASKS, fallback: 10 }),
    usePriority: bool(body, 'usePriority', false),
    newestFirst,
    asyncResponseTimeout: int(body, 'asyncResponseTimeout', { min: 0, max: 30 * 60_000, fallback: 0 }),
    topics: ((topics as unknown[] | undefined) ?? []).map(parseTopic),
  };
}

function taskId(req: Request): number {
  const raw = String(req.params.id);
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`"${raw.slice(0, 64)}" is not an external task id`);
  return Number(raw);
}

export function externalTaskDto(t: ExternalTaskRow) {
  return {
    id: String(t.id),
    topicName: t.topicName,
    workerId: t.workerId,
    lockExpirationTime: camundaDate(t.lockExpiration),
    createTime: camundaDate(t.createTime),
    processInstanceId: String(t.processInstanceId),
    processDefinitionId: t.definitionId,
    processDefinitionKey: t.definitionKey,
    processDefinitionVersionTag: null,
    activityId: t.activityId,
    activityInstanceId: t.executionId,
    executionId: t.executionId,
    retries: t.retries,
    errorMessage: t.errorMessage,
    suspended: false,
    tenantId: null,
    priority: t.priority,
    businessKey: t.businessKey,
  };
}

function lockedDto(l: LockedExternalTask) {
  const { suspended: _s, ...dto } = externalTaskDto(l.task);
  return {
    ...dto,
    errorDetails: l.task.errorDetails,
    variables: toTypedMap(l.variables),
    ...(l.extensionProperties && { extensionProperties: l.extensionProperties }),
  };
}

/** JSON with exactly "application/json": the client parses a body only when the type is exactly that. */
function sendJson(res: Response, value: unknown): void {
  res.setHeader('Content-Type', 'application/json');
  res.status(200).send(Buffer.from(JSON.stringify(value), 'utf8'));
}

function queryOf(req: Request) {
  const q = req.query as Record<string, unknown>;
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 1024) throw badRequest(`Parameter ${name} must be given once`);
    return v;
  };
  const flag = (name: string) => {
    const v = one(name);
    if (v !== undefined && v !== 'true' && v !== 'false') throw badRequest(`Parameter ${name} must be true or false`);
    return v === 'true';
  };
  const n = (name: string, fallback: number, max: number) => {
    const v = one(name);
    if (v === undefined) return fallback;
    if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw badRequest(`Parameter ${name} must be a whole number up to ${max}`);
    return Number(v);
  };
  const known = ['externalTaskId', 'topicName', 'workerId', 'locked', 'notLocked', 'withRetriesLeft', 'noRetriesLeft', 'processInstanceId', 'processDefinitionId', 'processDefinitionKey', 'activityId', 'executionId', 'firstResult', 'maxResults'];
  for (const k of Object.keys(q)) if (!known.includes(k)) throw badRequest(`Unknown parameter ${k.slice(0, 64)}`);
  const id = one('externalTaskId');
  const instance = one('processInstanceId');
  if ((id !== undefined && !/^\d{1,15}$/.test(id)) || (instance !== undefined && !/^\d{1,15}$/.test(instance))) throw badRequest('externalTaskId and processInstanceId are numbers');
  const out = {
    topicName: one('topicName'), workerId: one('workerId'), processDefinitionId: one('processDefinitionId'), processDefinitionKey: one('processDefinitionKey'),
    activityId: one('activityId'), executionId: one('executionId'),
    locked: flag('locked'), notLocked: flag('notLocked'), withRetriesLeft: flag('withRetriesLeft'), noRetriesLeft: flag('noRetriesLeft'),
    ...(id !== undefined && { id: Number(id) }), ...(instance !== undefined && { processInstanceId: Number(instance) }),
    offset: n('firstResult', 0, 1_000_000_000), limit: n('maxResults', 1000, 10_000),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as typeof out;
}

export function externalTaskRouter(service: ExternalTaskService) {
  return (_ctx: AppContext): Router => {
    const r = Router();
    r.use('/external-task', (_req, res, next) => {
      requireAdmin(principalOf(res));
      next();
    });
    r.post('/external-task/fetchAndLock', async (req, res) => {
      const fetch = parseFetch(objectBody(req));
      // A long poll ends when the worker goes away.
      const aborted = new AbortController();
      res.once('close', () => aborted.abort());
      const locked = await service.fetchAndLock({ ...fetch, asyncResponseTimeout: Math.min(fetch.asyncResponseTimeout, MAX_ASYNC_RESPONSE_MS) }, aborted.signal);
      sendJson(res, locked.map(lockedDto));
    });
    r.get('/external-task', async (req, res) => {
      sendJson(res, (await service.query(queryOf(req))).map(externalTaskDto));
    });
    r.get('/external-task/count', async (req, res) => {
      const { offset: _o, limit: _l, ...q } = queryOf(req);
      sendJson(res, { count: await service.count(q) });
    });
    r.get('/external-task/:id', async (req, res) => {
      sendJson(res, externalTaskDto(await service.read(taskId(req))));
    });
    r.get('/external-task/:id/errorDetails', async (req, res) => {
      const t = await service.read(taskId(req));
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.status(200).send(t.errorDetails ?? '');
    });
    r.post('/external-task/:id/complete', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['workerId', 'variables', 'localVariables'], 'complete');
      const workerId = str(body, 'workerId', true);
      await service.complete(id, workerId, fromTypedMap('variables', body.variables), fromTypedMap('localVariables', body.localVariables));
      res.status(204).end();
    });
    r.post('/external-task/:id/failure', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['workerId', 'errorMessage', 'errorDetails', 'retries', 'retryTimeout'], 'failure');
      await service.handleFailure(id, {
        workerId: str(body, 'workerId', true),
        errorMessage: str(body, 'errorMessage', false, 4000) ?? null,
        errorDetails: str(body, 'errorDetails', false, 100_000) ?? null,
        retries: int(body, 'retries', { min: 0, max: 1_000_000, fallback: 0 }),
        retryTimeout: int(body, 'retryTimeout', { min: 0, max: MAX_DURATION_MS, fallback: 0 }),
      });
      res.status(204).end();
    });
    r.post('/external-task/:id/bpmnError', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['workerId', 'errorCode', 'errorMessage', 'variables'], 'bpmnError');
      const workerId = str(body, 'workerId', true);
      const errorCode = str(body, 'errorCode', true);
      await service.bpmnError(id, workerId, errorCode, str(body, 'errorMessage', false, 4000), fromTypedMap('variables', body.variables));
      res.status(204).end();
    });
    r.post('/external-task/:id/extendLock', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['workerId', 'newDuration'], 'extendLock');
      await service.extendLock(id, str(body, 'workerId', true), int(body, 'newDuration', { required: true, min: 1, max: MAX_DURATION_MS }));
      res.status(204).end();
    });
    r.post('/external-task/:id/lock', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['workerId', 'lockDuration'], 'lock');
      await service.lock(id, str(body, 'workerId', true), int(body, 'lockDuration', { required: true, min: 1, max: MAX_DURATION_MS }));
      res.status(204).end();
    });
    r.post('/external-task/:id/unlock', async (req, res) => {
      const id = taskId(req);
      await service.unlock(id);
      res.status(204).end();
    });
    r.put('/external-task/:id/retries', async (req, res) => {
      const id = taskId(req);
      const body = objectBody(req);
      allowedKeys(body, ['retries'], 'retries');
      await service.setRetries(id, int(body, 'retries', { required: true, min: 0, max: 1_000_000 }));
      res.status(204).end();
    });
    return r;
  };
}
