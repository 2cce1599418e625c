// Starting instances: the engine (or the definition's template) runs each start to its first wait,
// then the instance is stored; a batch of plain waits is stored with multi-row inserts. An open key
// (one approval per mapping and source id) is held by at most one active instance.
import type { Knex } from 'knex';
import { Conflict, InvalidInput, NotFound } from '../errors';
import { inTransaction, isUniqueViolation } from '../repo/dialect';
import { insertActivityHistory, type NewActivityHistory } from '../repo/activityHistory';
import * as externalTasks from '../repo/externalTasks';
import * as instances from '../repo/processInstances';
import * as tasks from '../repo/tasks';
import { deleteSubscriptionsOfInstance } from '../repo/eventSubscriptions';
import type { LoadedDefinition } from './definitions';
import { cancelCalled } from './calledInstances';
import { startInstance } from './engine';
import type { RunResult } from './interfaces';
import { storeRun, taskRow } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';

export interface StartRequest {
  key?: string;
  definitionId?: string;
  businessKey?: string | null;
  variables: Record<string, unknown>;
  startUserId?: string | null;
  /** At most one active instance per open key (e.g. one approval per mapping and source id). */
  openKey?: string | null;
}

/**
 * startMany's options, for callers that bind data to what they start (the approval's snapshot).
 * Both act inside the transaction that stores the new instances, so either all of it commits or none.
 */
export interface StartManyOptions {
  /** Active instances (by open key) to end as canceled with this reason, freeing the key for the new start. */
  supersede?: Map<string, { instanceId: number; reason: string }>;
  /** Called with the instances just stored (and their requests) before the transaction commits. */
  onStored?: (trx: Knex.Transaction, stored: { req: StartRequest; instance: instances.InstanceRow }[]) => Promise<void>;
}

/** A start's answer: the new instance, or the active one already holding the open key (created false). */
export interface StartResult {
  instance: instances.InstanceRow;
  created: boolean;
}

type Pending = { index: number; req: StartRequest; def: LoadedDefinition; result: RunResult };

/** Rows per multi-row insert (SQLite compiles one into a compound SELECT: at most 500 terms). */
const INSERT_CHUNK = 200;
const TASK_CHUNK = 200;
/** Runs of a batch's transaction when deadlocks pick it (MariaDB: every race for an open key is one). */
const START_ATTEMPTS = 20;

/**
 * The row of a new, active instance, as repo/processInstances writes it (also in multi-row
 * inserts); `run` is what the start's run left (none yet for a start stored by storeRun).
 */
function newInstanceRow(req: StartRequest, def: LoadedDefinition, startTime: string, run: Pick<instances.NewInstance, 'state' | 'variables' | 'wakeAt'>): instances.NewInstance {
  return {
    definitionId: def.row.id,
    definitionKey: def.row.key,
    businessKey: req.businessKey ?? null,
    status: 'active',
    ...run,
    startTime,
    startUserId: req.startUserId ?? null,
    startActivityId: null,
    endTime: null,
    endActivityId: null,
    error: null,
    openKey: req.openKey ?? null,
  };
}

function definitionFor(rt: RuntimeContext, req: { key?: string; definitionId?: string }): Promise<LoadedDefinition> {
  if (req.definitionId) return rt.definitions.get(req.definitionId);
  if (req.key) return rt.definitions.latest(req.key);
  return Promise.reject(new NotFound('A process definition key or id is required'));
}

/**
 * Starts many instances: the engine (or the definition's template) runs for each, then every
 * instance that simply waits is stored with one multi-row insert of instances and one of tasks,
 * in one transaction. An open key already held (before, or by an earlier request of the same
 * batch, or by a concurrent start) yields the active instance holding it, as a single start does.
 * Results come in request order.
 */
export async function startMany(rt: RuntimeContext, reqs: StartRequest[], opts: StartManyOptions = {}): Promise<StartResult[]> {
  const out: (StartResult | undefined)[] = new Array(reqs.length);
  const keys = [...new Set(reqs.map((r) => r.openKey).filter((k): k is string => !!k))];
  const held = new Map<string, instances.InstanceRow>();
  for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
    for (const key of await instances.heldOpenKeys(rt.db.knex, keys.slice(i, i + INSERT_CHUNK))) {
      const existing = await instances.findActiveByOpenKey(rt.db.knex, key);
      if (existing && opts.supersede?.get(key)?.instanceId !== existing.id) held.set(key, existing);
    }
  }
  // One definition lookup per key (or id) for the whole batch, not one per instance.
  const definitions = new Map<string, Promise<LoadedDefinition>>();
  const definitionOf = (req: StartRequest) => {
    const k = req.definitionId ? `id:${req.definitionId}` : `key:${req.key ?? ''}`;
    let d = definitions.get(k);
    if (!d) definitions.set(k, (d = definitionFor(rt, req)));
    return d;
  };
  const simple: Pending[] = [];
  const later: number[] = []; // duplicates within the batch: answered once the first is stored
  const claimed = new Set<string>();
  for (let index = 0; index < reqs.length; index++) {
    const req = reqs[index];
    const existing = req.openKey ? held.get(req.openKey) : undefined;
    if (existing) {
      out[index] = { instance: existing, created: false };
      continue;
    }
    if (req.openKey) {
      if (claimed.has(req.openKey)) {
        later.push(index);
        continue;
      }
      claimed.add(req.openKey);
    }
    // Engine runs (and template fills) resolve through microtasks only: let I/O in now and then.
    if (index % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
    const def = await definitionOf(req);
    const result = await startInstance(def.parsed, req.variables, { ...rt.runOptions, externalVariables: true, startUserId: req.startUserId ?? null, instance: { businessKey: req.businessKey ?? null } }).catch((e: unknown) => {
      // A reserved variable name (reservedVariables.ts): refused, naming it, before anything is stored.
      const err = e as { code?: string; message?: string; field?: string };
      if (err?.code === 'FORM_VALIDATION') throw new InvalidInput(String(err.message), { field: err.field ?? null });
      throw e;
    });
    // Anything but a plain wait (an end, a failure, jobs, a wait beyond user tasks and timers)
    // takes the one-by-one path with its hooks.
    if (result.status === 'waiting' && !result.jobs.length && !result.waits?.length && result.state) simple.push({ index, req, def, result });
    else out[index] = await startOne(rt, req, def, result, opts);
  }
  if (simple.length) await insertWaiting(rt, simple, out, opts);
  for (const index of later) {
    const key = reqs[index].openKey!;
    const existing = await instances.findActiveByOpenKey(rt.db.knex, key);
    out[index] = existing ? { instance: existing, created: false } : (await startMany(rt, [reqs[index]], opts))[0];
  }
  return out as StartResult[];
}

/**
 * Multi-row inserts of waiting instances and their tasks; an open key taken meanwhile is skipped.
 * A transaction InnoDB picks as a deadlock's victim runs again from the start (inTransaction):
 * what it stored is rolled back whole, so its answers are only taken once it commits.
 */
async function insertWaiting(rt: RuntimeContext, pending: Pending[], out: (StartResult | undefined)[], opts: StartManyOptions): Promise<void> {
  const { created, lost, startedOf } = await inTransaction(rt.db.knex, async (trx) => {
    const created: { index: number; result: StartResult }[] = [];
    const lost: number[] = [];
    const startedOf = new Map<LoadedDefinition, number>();
    const stored: { req: StartRequest; instance: instances.InstanceRow }[] = [];
    await endSuperseded(rt, trx, pending.map((p) => p.req), opts);
    for (let i = 0; i < pending.length; i += INSERT_CHUNK) {
      const part = pending.slice(i, i + INSERT_CHUNK);
      const startTime = rt.iso();
      const rows = part.map(({ req, def, result }) =>
        newInstanceRow(req, def, startTime, { state: result.state!, variables: result.variables, wakeAt: result.timers[0]?.expireAt ?? null }),
      );
      const ids = await instances.insertInstancesSkippingTakenKeys(trx, rows);
      const taskRows: tasks.NewTask[] = [];
      const history: NewActivityHistory[] = [];
      part.forEach((p, j) => {
        const id = ids[j];
        if (id === null) {
          lost.push(p.index);
          return;
        }
        const result = { instance: { ...rows[j], id, version: 1 }, created: true };
        created.push({ index: p.index, result });
        startedOf.set(p.def, (startedOf.get(p.def) ?? 0) + 1);
        stored.push({ req: p.req, instance: result.instance });
        for (const t of p.result.openTasks) taskRows.push(taskRow(id, p.def.row.id, t, startTime));
        if (p.result.passed?.length) history.push({ processInstanceId: id, activityIds: p.result.passed, recordedAt: startTime });
      });
      for (let k = 0; k < taskRows.length; k += TASK_CHUNK) await tasks.insertTasks(trx, taskRows.slice(k, k + TASK_CHUNK));
      await insertActivityHistory(trx, history); // at most INSERT_CHUNK rows
    }
    if (opts.onStored && stored.length) await opts.onStored(trx, stored);
    return { created, lost, startedOf };
  }, START_ATTEMPTS);
  for (const { index, result } of created) out[index] = result;
  for (const [def, n] of startedOf) rt.hooks.metrics?.instancesStarted(def.row.key, def.row.version, n);
  for (const index of lost) {
    const req = pending.find((p) => p.index === index)!.req;
    const existing = await instances.findActiveByOpenKey(rt.db.knex, req.openKey!);
    out[index] = existing ? { instance: existing, created: false } : (await startMany(rt, [req], opts))[0];
  }
}

/** One instance, stored by storeRun (hooks, jobs, an immediate end, subscriptions). */
export async function startOne(rt: RuntimeContext, req: StartRequest, def: LoadedDefinition, result: RunResult, opts: StartManyOptions = {}): Promise<StartResult> {
  try {
    const instance = await rt.db.knex.transaction(async (trx) => {
      await endSuperseded(rt, trx, [req], opts);
      // storeRun writes the run's state, tasks and timers right after the insert.
      const row = newInstanceRow(req, def, rt.iso(), { state: null, variables: req.variables, wakeAt: null });
      const id = await instances.insertInstance(trx, row);
      const inserted = { ...row, id, version: 1 };
      if (opts.onStored) await opts.onStored(trx, [{ req, instance: inserted }]);
      return storeRun(rt, trx, inserted, def, result, {});
    });
    rt.hooks.metrics?.instancesStarted(def.row.key, def.row.version, 1);
    if (result.jobs.length) rt.hooks.onJobsEnqueued?.();
    return { instance, created: true };
  } catch (e) {
    if (req.openKey && isUniqueViolation(e)) {
      const existing = await instances.findActiveByOpenKey(rt.db.knex, req.openKey);
      if (existing) return { instance: existing, created: false };
    }
    throw e;
  }
}

/** Ends (as canceled, with the reason as its error) the active instances these starts replace. */
async function endSuperseded(rt: RuntimeContext, trx: Knex.Transaction, reqs: StartRequest[], opts: StartManyOptions): Promise<void> {
  for (const req of reqs) {
    const old = req.openKey ? opts.supersede?.get(req.openKey) : undefined;
    if (!old) continue;
    const inst = await instances.readInstance(trx, old.instanceId);
    if (!inst || inst.status !== 'active') throw new Conflict(`Process instance ${old.instanceId} has ended meanwhile`);
    const changes: Partial<instances.InstanceRow> = { status: 'canceled', state: null, endTime: rt.iso(), openKey: null, wakeAt: null, error: old.reason };
    if (!(await instances.updateInstance(trx, inst.id, inst.version, changes))) throw new Conflict(`Process instance ${inst.id} was changed concurrently`);
    await tasks.deleteTasksOfInstance(trx, inst.id);
    await deleteSubscriptionsOfInstance(trx, inst.id);
    await cancelCalled(rt, trx, inst.id);
    await externalTasks.deleteExternalTasksOfInstance(trx, inst.id);
  }
}
