// IDM's script API (`openidm.*`, `identityServer.getProperty`, `logger.*`; OpenIDM's
// openidm-script ResourceFunctions / ScriptRegistryImpl "openidm" and "identityServer" bindings)
// served in the main thread against reconflow's own services, for scripts run by
// src/scripts/asyncHost.ts. Like src/api, it is an edge: it speaks CREST (query envelopes, error codes).
// Only conf scripts (written by the project's administrators) reach it, so calls are not checked
// against a principal: they act as the calling context's actor (a recon's starter, else "system"),
// which is also the startUserId of the processes they start (as IDM runs a recon's scripts in the
// recon's security context). Any resource or method not served here is an exception in the script
// naming the call, never a silent no-op.
import type { Knex } from 'knex';
import { Principal } from '../auth/interfaces';
import { CODE_OF_KIND, DomainError } from '../errors';
import { CrestError } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest, resultShape } from '../crest/query';
import { applyPatch, validatePatch } from '../managed/patch';
import { MANAGED_QUERY_IDS } from '../managed/queryIds';
import { ManagedUsers } from '../managed/users';
import { InternalUsers } from '../auth/internalUsers';
import { PropertyResolver } from '../config/properties';
import { Logger } from '../context';
import { WorkflowRuntime } from '../workflow/runtime';
import type { Reconciler } from '../recon/reconciler';
import { parseAction } from '../recon/resyncOne';
import { qualifierView } from '../recon/qualifierView';
import { SITUATIONS, Situation } from '../recon/interfaces';
import { INSTANCE_QUERY_IDS, TASK_QUERY_IDS } from '../workflow/queryIds';
import { instanceView, taskView } from '../workflow/views';
import type { CallHandler, ScriptCall } from '../scripts/asyncHost';

/** What a `workflow/processinstance` create answers (OpenIDM's ProcessInstanceResource create). */
export interface StartedProcess {
  _id: string | null;
  processInstanceId: string | null;
  status: string;
  businessKey?: string | null;
  processDefinitionId?: string;
  /** reconflow: false when the approval hand-off did not start one (already open, or ask-again said no). */
  started?: boolean;
  message?: string;
}

/**
 * A policy action script's row (src/recon/policyScript.ts, targetPolicyScript.ts): a
 * `workflow/processinstance` create for this row (same reconId, mapping and sourceId, or none given;
 * in the target phase, no sourceId and the same targetId or none) is handed to `startApproval`
 * (src/approval/trigger.ts requestApprovals: snapshot, ask-again, one open request per source row,
 * or per target in the target phase).
 */
export interface ReconRowContext {
  reconId: string;
  mapping: string;
  /** null in the target phase (OpenIDM's TargetSyncOperation has no sourceId). */
  sourceId: string | null;
  /** The target, in the target phase. */
  targetId?: string | null;
  startApproval(workflowName: string, variables: Record<string, unknown>): Promise<StartedProcess>;
}

export interface ScriptCallContext {
  /** The script's name, on every log line it writes. */
  scriptName: string;
  /** Who the script's calls act as: a recon's starter, or null for the system. */
  actor: string | null;
  reconRow?: ReconRowContext;
}

export interface FacadeServices {
  knex: Knex;
  users: ManagedUsers;
  internalUsers: InternalUsers;
  runtime: WorkflowRuntime;
  properties: PropertyResolver;
  log: Logger;
}

/** An exception for the script: the message, and the CREST code when there is one (404 for a missing object...). */
class CallError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

const unsupported = (call: string, resource: string, what = 'is not supported by reconflow') =>
  new CallError(`${call}('${resource}') ${what}; the script API serves managed/user, internal/user (read), workflow/processinstance (create, read, query), workflow/taskinstance (query), recon (actions recon, reconById) and sync (action performAction)`, 400);

function codeOf(e: unknown): number | undefined {
  if (e instanceof CrestError) return e.code;
  if (e instanceof DomainError) return CODE_OF_KIND[e.kind];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A script's query parameters as CREST's HTTP layer sees them (strings); IDM's `_var-x` spelling is `var-x`. */
function queryParams(call: string, v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw new CallError(`${call}: the query parameters must be an object, e.g. {"_queryFilter": "true"}`, 400);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null) continue;
    out[k.startsWith('_var-') ? k.slice(1) : k] = typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  return out;
}

function fieldsOf(v: unknown): ReturnType<typeof parseFields> {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return parseFields(v.map(String).join(','));
  return parseFields(String(v));
}

/** `managed/user/bjensen` → ['managed/user', 'bjensen']; a collection has no id. */
function split(resource: string): { collection: string; id: string | null } {
  const r = resource.replace(/^\/+|\/+$/g, '');
  for (const c of ['managed/user', 'internal/user', 'workflow/processinstance', 'workflow/taskinstance', 'recon', 'sync']) {
    if (r === c) return { collection: c, id: null };
    if (r.startsWith(`${c}/`)) return { collection: c, id: decodeURIComponent(r.slice(c.length + 1)) };
  }
  return { collection: r, id: null };
}

/** What the recon and sync actions reach (the Reconciler, made after the facade: wiring.ts attaches it). */
export type ReconService = Pick<Reconciler, 'startRun' | 'resync' | 'mapping' | 'connectorFor'>;

export class OpenidmFacade {
  private recon: ReconService | null = null;

  constructor(private readonly s: FacadeServices) {}

  attachRecon(recon: ReconService): void {
    this.recon = recon;
  }

  /** The handler runScriptAsync takes, for one script run. */
  handler(ctx: ScriptCallContext): CallHandler {
    return async (call) => {
      try {
        return await this.serve(call, ctx);
      } catch (e) {
        if (e instanceof CallError) throw e;
        throw new CallError(e instanceof Error ? e.message : String(e), codeOf(e));
      }
    };
  }

  private system(ctx: ScriptCallContext): Principal {
    return { component: 'internal/user', id: ctx.actor ?? 'system', userName: ctx.actor ?? 'system', roles: ['openidm-admin', 'openidm-authorized'] };
  }

  private async serve(call: ScriptCall, ctx: ScriptCallContext): Promise<unknown> {
    const a = call.args;
    if (call.name.startsWith('logger.')) return this.log(call.name.slice(7), a, ctx);
    if (call.name === 'identityServer.getProperty') {
      // IdentityServer.getProperty(name, defaultValue, useDefault): the default when the property is unset.
      if (typeof a[0] !== 'string') throw new CallError('identityServer.getProperty needs a property name', 400);
      return this.s.properties.get(a[0]) ?? (a[1] === undefined ? null : a[1]);
    }
    const method = call.name.startsWith('openidm.') ? call.name.slice(8) : null;
    if (!method) throw new CallError(`${call.name} is not part of the script API`, 400);
    if (typeof a[0] !== 'string' || !a[0]) throw new CallError(`${call.name} needs a resource name, e.g. 'managed/user/bjensen'`, 400);
    const { collection, id } = split(a[0]);
    const name = `openidm.${method}`;
    switch (collection) {
      case 'managed/user':
        return this.managedUser(name, method, id, a, a[0]);
      case 'internal/user':
        if (method === 'read' && id) return this.readOrNull(() => this.s.internalUsers.read(id));
        throw unsupported(name, a[0], 'is not supported (internal/user is read-only to scripts)');
      case 'workflow/processinstance':
        if (method === 'create' && id === null) return this.startProcess(a[2], ctx);
        if (method === 'action' && id === null && a[1] === 'create') return this.startProcess(a[2], ctx);
        if (method === 'query' && id === null) return this.queryInstances(name, a[1], a[2]);
        if (method === 'read' && id) return this.readOrNull(async () => {
          const n = Number(id);
          const inst = Number.isSafeInteger(n) ? await this.s.runtime.readInstance(n) : null;
          if (!inst || inst.status !== 'active') throw new CallError(`Process instance ${id} not found`, 404);
          return instanceView(inst, await this.s.runtime.tasksOfInstance(n));
        });
        throw unsupported(name, a[0]);
      case 'workflow/taskinstance':
        if (method === 'query' && id === null) return this.queryTasks(name, a[1], a[2], ctx);
        throw unsupported(name, a[0]);
      case 'recon':
      case 'sync':
        if (method === 'action' && id === null) return this.reconAction(collection, a[1], a[3], ctx);
        throw unsupported(name, a[0]);
      default:
        throw unsupported(name, a[0]);
    }
  }

  private log(level: string, args: unknown[], ctx: ScriptCallContext): null {
    // IDM's logger formats "{}" placeholders with the arguments that follow (SLF4J).
    let i = 1;
    const text = String(args[0] ?? '').replace(/\{\}/g, (m) => (i < args.length ? (typeof args[i] === 'string' ? (args[i++] as string) : JSON.stringify(args[i++])) : m));
    const fields = { script: ctx.scriptName };
    const log = this.s.log;
    if (level === 'error') log.error(text, undefined, fields);
    else if (level === 'warn') log.warn(text, fields);
    else if (level === 'info') log.info(text, fields);
    else log.debug?.(text, fields);
    return null;
  }

  /** IDM's openidm.read answers null for an object that is not there (ResourceFunctions: NotFoundException → null). */
  private async readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (e) {
      if (codeOf(e) === 404 || (e instanceof CallError && e.code === 404)) return null;
      throw e;
    }
  }

  private async managedUser(name: string, method: string, id: string | null, a: unknown[], resource: string): Promise<unknown> {
    const { knex, users } = this.s;
    const rev = (v: unknown) => (v === undefined || v === null ? null : String(v));
    switch (method) {
      case 'create': {
        // create(resource, newResourceId, content, params, fields)
        if (!isObject(a[2])) throw new CallError(`${name}: the content must be an object`, 400);
        const newId = id ?? (typeof a[1] === 'string' ? a[1] : typeof a[2]._id === 'string' ? a[2]._id : undefined);
        return users.create(knex, a[2], newId);
      }
      case 'read':
        if (!id) break;
        return this.readOrNull(() => users.read(knex, id, fieldsOf(a[2])));
      case 'update':
        // update(resource, rev, value, params, fields)
        if (!id) break;
        if (!isObject(a[2])) throw new CallError(`${name}: the value must be an object`, 400);
        return (await users.replace(knex, id, a[2], rev(a[1]))).user;
      case 'patch': {
        if (!id) break;
        const ops = validatePatch(a[2]);
        return users.modify(knex, id, rev(a[1]), (obj) => applyPatch(obj, ops));
      }
      case 'delete':
        if (!id) break;
        return users.remove(knex, id, rev(a[1]));
      case 'query': {
        if (id) break;
        const q = parseQueryRequest(queryParams(name, a[1]), { queryIds: MANAGED_QUERY_IDS });
        const { items, total } = await users.query(knex, q, fieldsOf(a[2]));
        return envelope(q, items.map((u) => resultShape(q, u)), total);
      }
    }
    throw unsupported(name, resource);
  }

  private async startProcess(content: unknown, ctx: ScriptCallContext): Promise<StartedProcess> {
    if (!isObject(content)) throw new CallError(`openidm.create('workflow/processinstance'): the content must be an object with _key or _processDefinitionId`, 400);
    const { _key, _processDefinitionId, _businessKey, ...variables } = content;
    if (_key === undefined && _processDefinitionId === undefined) throw new CallError('_key or _processDefinitionId is required', 400);
    if (_key !== undefined && typeof _key !== 'string') throw new CallError('_key must be a string', 400);
    if (_processDefinitionId !== undefined && typeof _processDefinitionId !== 'string') throw new CallError('_processDefinitionId must be a string', 400);
    if (_businessKey !== undefined && _businessKey !== null && typeof _businessKey !== 'string') throw new CallError('_businessKey must be a string', 400);
    const row = ctx.reconRow;
    const sameRow = (k: string, want: string) => variables[k] === undefined || variables[k] === null || String(variables[k]) === want;
    const sameSubject = row && (row.sourceId !== null
      ? sameRow('sourceId', row.sourceId)
      : (variables.sourceId === undefined || variables.sourceId === null) && sameRow('targetId', row.targetId ?? ''));
    if (row && sameSubject && typeof _key === 'string' && sameRow('reconId', row.reconId) && sameRow('mapping', row.mapping)) {
      return row.startApproval(_key, variables);
    }
    const { instance } = await this.s.runtime.start({
      key: _key as string | undefined,
      definitionId: _processDefinitionId as string | undefined,
      businessKey: (_businessKey as string | undefined) ?? null,
      variables,
      startUserId: ctx.actor,
    });
    if (instance.status === 'failed') throw new CallError(`Process instance ${instance.id} failed at ${instance.endActivityId ?? 'its start'}: ${instance.error ?? 'failed'}`, 500);
    return {
      _id: String(instance.id),
      processInstanceId: String(instance.id),
      status: instance.status === 'active' ? 'suspended' : instance.status,
      businessKey: instance.businessKey,
      processDefinitionId: instance.definitionId,
    };
  }

  /**
   * openidm.action('recon', 'recon' | 'reconById', {}, {mapping, waitForCompletion, id(s)}) and
   * openidm.action('sync', 'performAction', {}, {mapping, sourceId, action, situation, reconId, linkQualifier}), as
   * the REST routes (src/api/recon.ts) serve them. A recon of a mapping that is running (the calling
   * run's own) is refused with 409, never waited for.
   */
  private async reconAction(resource: string, actionName: unknown, rawParams: unknown, ctx: ScriptCallContext): Promise<unknown> {
    const call = `openidm.action('${resource}', '${String(actionName)}')`;
    if (!this.recon) throw new CallError(`${call}: reconciliation is not running on this server`, 503);
    const params = rawParams === undefined || rawParams === null ? {} : queryParams(call, rawParams);
    const str = (k: string) => (typeof params[k] === 'string' && params[k] !== '' ? (params[k] as string) : undefined);
    if (resource === 'recon' && (actionName === 'recon' || actionName === 'reconById')) {
      const wait = actionName === 'recon' ? str('waitForCompletion') === 'true' : str('waitForCompletion') !== 'false';
      let ids: string[] | undefined;
      if (actionName === 'reconById') {
        const id = str('id') ?? str('ids');
        if (!id) throw new CallError(`${call}: the id parameter is required`, 400);
        ids = id.split(',').map((x) => x.trim()).filter(Boolean);
      }
      const run = await this.recon.startRun(str('mapping'), wait, ctx.actor, ids ? { ids } : {});
      return { _id: run.id, state: run.state, ...(wait && { situationSummary: run.situationSummary, statusSummary: run.statusSummary }) };
    }
    if (resource === 'sync' && actionName === 'performAction') {
      let mapping = this.recon.mapping(str('mapping'));
      try {
        mapping = qualifierView(mapping, str('linkQualifier') ?? 'default');
      } catch (e) {
        throw new CallError(`${call}: ${(e as Error).message}`, 400);
      }
      const sourceId = str('sourceId');
      if (!sourceId) throw new CallError(`${call}: the sourceId parameter is required`, 400);
      const situation = str('situation');
      if (situation !== undefined && !(SITUATIONS as readonly string[]).includes(situation)) throw new CallError(`${call}: situation must be one of ${SITUATIONS.join(', ')}`, 400);
      const result = await this.recon.resync({
        mapping, connector: this.recon.connectorFor(mapping), sourceId, action: parseAction(str('action')), reconId: str('reconId') ?? null, situation: (situation as Situation | undefined) ?? null,
      });
      // OpenIDM's ObjectMapping.performAction: a SynchronizationException (409) on failure.
      if (result.status === 'FAILURE') throw new CallError(result.message ?? `${result.action} failed for ${result.sourceId}`, 409);
      return { status: 'OK', situation: result.situation, action: result.action, sourceId: result.sourceId, targetId: result.targetId };
    }
    throw new CallError(`${call} is not supported by reconflow (recon: recon, reconById; sync: performAction)`, 400);
  }

  private async queryInstances(name: string, params: unknown, fields: unknown): Promise<unknown> {
    const q = parseQueryRequest(queryParams(name, params), { queryIds: INSTANCE_QUERY_IDS });
    const rows = await this.s.runtime.queryInstances(q.filter, {
      statuses: ['active'], offset: q.offset, limit: q.pageSize !== undefined ? q.pageSize + 1 : undefined, sort: q.sort, countTotal: q.totalPolicy !== 'NONE',
    });
    const f = fieldsOf(fields);
    return envelope(q, rows.map((i) => resultShape(q, project(instanceView(i), f))), rows.total);
  }

  private async queryTasks(name: string, params: unknown, fields: unknown, ctx: ScriptCallContext): Promise<unknown> {
    const q = parseQueryRequest(queryParams(name, params), { queryIds: TASK_QUERY_IDS });
    let candidate: { user?: string; groups?: string[] } | undefined;
    if (q.queryId === 'filtered-query' && (q.params.taskCandidateUser !== undefined || q.params.taskCandidateGroup !== undefined)) {
      candidate = { user: q.params.taskCandidateUser, groups: q.params.taskCandidateGroup?.split(',').map((g) => g.trim()).filter(Boolean) ?? [] };
    }
    const rows = await this.s.runtime.queryTasks(q.filter, this.system(ctx), {
      offset: q.offset, limit: q.pageSize !== undefined ? q.pageSize + 1 : undefined, sort: q.sort, candidate, countTotal: q.totalPolicy !== 'NONE',
    });
    const f = fieldsOf(fields);
    return envelope(q, rows.map((t) => resultShape(q, project(taskView(t), f, false))), rows.total);
  }
}
