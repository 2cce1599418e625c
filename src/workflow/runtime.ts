// Durable process instances: every start, completion and timer runs a short-lived bpmn-engine
// over the instance's stored state, then stores the outcome (state, tasks, end, jobs) in one
// transaction guarded by the instance's version. Nothing stays in memory between requests.
import { Knex } from 'knex';
import { Principal } from '../auth/interfaces';
import { isAdmin } from '../auth/authorize';
import { Logger } from '../context';
import { conflict, forbidden, notFound } from '../crest/errors';
import { enqueueJob } from '../jobs/sql/enqueueJob';
import { Db } from '../repo/db';
import { isUniqueViolation, Q } from '../repo/dialect';
import * as instances from '../repo/processInstances';
import * as tasks from '../repo/tasks';
import { Definitions, LoadedDefinition } from './definitions';
import { completeTask, fireDueTimers, startInstance } from './engine';
import { validateFormValues } from './forms';
import { defaultPoolSize, EnginePool } from './pool';
import { OpenTask, ResolvedFormProperty, RunOptions, RunResult } from './interfaces';

export interface StartRequest {
  key?: string;
  definitionId?: string;
  businessKey?: string | null;
  variables: Record<string, unknown>;
  startUserId?: string | null;
  /** At most one active instance per open key (e.g. one approval per mapping and source id). */
  openKey?: string | null;
}

export interface EndedEvent {
  instance: instances.InstanceRow;
  result: RunResult;
  definition: LoadedDefinition;
  /** The task whose completion ended the instance, and who completed it. */
  taskId?: number;
  completedBy?: string;
}

export interface RuntimeHooks {
  /** Runs inside the transaction that stores the end, so its writes commit with it. */
  onEnded?: (trx: Knex.Transaction, e: EndedEvent) => Promise<void>;
  /** Called after a commit that enqueued jobs. */
  onJobsEnqueued?: () => void;
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

/** Rows per multi-row insert (SQLite compiles one into a compound SELECT: at most 500 terms). */
const INSERT_CHUNK = 200;
const TASK_CHUNK = 200;

/** A new instance row's columns, as repo/processInstances writes them (for multi-row inserts). */
/** What a task row keeps of its form: the resolved values only (labels and types stay in the definition). */
function formValues(form: ResolvedFormProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of form) if (f.value !== undefined && f.value !== null) out[f.id] = f.value;
  return out;
}

/** The row of a new, active instance. */
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

export class WorkflowRuntime {
  /** Worker threads for completions and timers (started on first use; off under ts-jest). */
  private readonly pool = new EnginePool(defaultPoolSize());

  constructor(
    private db: Db,
    readonly definitions: Definitions,
    private log: Logger,
    private hooks: RuntimeHooks = {},
    private runOptions: RunOptions = {},
  ) {}

  private now(): number {
    return (this.runOptions.now ?? Date.now)();
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private async definitionFor(req: { key?: string; definitionId?: string }): Promise<LoadedDefinition> {
    if (req.definitionId) return this.definitions.get(req.definitionId);
    if (req.key) return this.definitions.latest(req.key);
    throw notFound('A process definition key or id is required');
  }

  /** Starts an instance, or returns the active one holding the same open key. */
  async start(req: StartRequest): Promise<{ instance: instances.InstanceRow; created: boolean }> {
    return (await this.startMany([req]))[0];
  }

  /**
   * Starts many instances: the engine (or the definition's template) runs for each, then every
   * instance that simply waits is stored with one multi-row insert of instances and one of tasks,
   * in one transaction. An open key already held (before, or by an earlier request of the same
   * batch, or by a concurrent start) yields the active instance holding it, as start() does.
   * Results come in request order.
   */
  async startMany(reqs: StartRequest[], opts: StartManyOptions = {}): Promise<{ instance: instances.InstanceRow; created: boolean }[]> {
    const out: ({ instance: instances.InstanceRow; created: boolean } | undefined)[] = new Array(reqs.length);
    const keys = [...new Set(reqs.map((r) => r.openKey).filter((k): k is string => !!k))];
    const held = new Map<string, instances.InstanceRow>();
    for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
      for (const key of await instances.heldOpenKeys(this.db.knex, keys.slice(i, i + INSERT_CHUNK))) {
        const existing = await instances.findActiveByOpenKey(this.db.knex, key);
        if (existing && opts.supersede?.get(key)?.instanceId !== existing.id) held.set(key, existing);
      }
    }
    // One definition lookup per key (or id) for the whole batch, not one per instance.
    const definitions = new Map<string, Promise<LoadedDefinition>>();
    const definitionOf = (req: StartRequest) => {
      const k = req.definitionId ? `id:${req.definitionId}` : `key:${req.key ?? ''}`;
      let d = definitions.get(k);
      if (!d) definitions.set(k, (d = this.definitionFor(req)));
      return d;
    };
    type Pending = { index: number; req: StartRequest; def: LoadedDefinition; result: RunResult };
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
      const result = await startInstance(def.parsed, req.variables, { ...this.runOptions, externalVariables: true });
      // Anything but a plain wait (an end, a failure, jobs) takes the one-by-one path with its hooks.
      if (result.status === 'waiting' && !result.jobs.length && result.state) simple.push({ index, req, def, result });
      else out[index] = await this.startOne(req, def, result, opts);
    }
    if (simple.length) await this.insertWaiting(simple, out, opts);
    for (const index of later) {
      const key = reqs[index].openKey!;
      const existing = await instances.findActiveByOpenKey(this.db.knex, key);
      out[index] = existing ? { instance: existing, created: false } : (await this.startMany([reqs[index]], opts))[0];
    }
    return out as { instance: instances.InstanceRow; created: boolean }[];
  }

  /** Multi-row inserts of waiting instances and their tasks; an open key taken meanwhile is skipped. */
  private async insertWaiting(
    pending: { index: number; req: StartRequest; def: LoadedDefinition; result: RunResult }[],
    out: ({ instance: instances.InstanceRow; created: boolean } | undefined)[],
    opts: StartManyOptions,
  ): Promise<void> {
    const lost: number[] = [];
    await this.db.knex.transaction(async (trx) => {
      const stored: { req: StartRequest; instance: instances.InstanceRow }[] = [];
      await this.endSuperseded(trx, pending.map((p) => p.req), opts);
      for (let i = 0; i < pending.length; i += INSERT_CHUNK) {
        const part = pending.slice(i, i + INSERT_CHUNK);
        const startTime = this.iso();
        const rows = part.map(({ req, def, result }) =>
          newInstanceRow(req, def, startTime, { state: result.state!, variables: result.variables, wakeAt: result.timers[0]?.expireAt ?? null }),
        );
        const returned = await instances.insertInstancesSkippingTakenKeys(trx, rows);
        // Rows come back by open key; rows without one in insertion order (ids ascend with it).
        const byKey = new Map<string, number>();
        const unkeyed: number[] = [];
        for (const r of returned) {
          if (r.openKey) byKey.set(r.openKey, r.id);
          else unkeyed.push(r.id);
        }
        unkeyed.sort((a, b) => a - b);
        let next = 0;
        const taskRows: tasks.NewTask[] = [];
        part.forEach((p, j) => {
          const id = rows[j].openKey ? byKey.get(rows[j].openKey!) : unkeyed[next++];
          if (id === undefined) {
            lost.push(p.index);
            return;
          }
          out[p.index] = { instance: { ...rows[j], id, version: 1 }, created: true };
          stored.push({ req: p.req, instance: out[p.index]!.instance });
          for (const t of p.result.openTasks) taskRows.push(this.taskRow(id, p.def.row.id, t, startTime));
        });
        for (let k = 0; k < taskRows.length; k += TASK_CHUNK) await tasks.insertTasks(trx, taskRows.slice(k, k + TASK_CHUNK));
      }
      if (opts.onStored && stored.length) await opts.onStored(trx, stored);
    });
    for (const index of lost) {
      const existing = await instances.findActiveByOpenKey(this.db.knex, pending.find((p) => p.index === index)!.req.openKey!);
      out[index] = existing ? { instance: existing, created: false } : (await this.startMany([pending.find((p) => p.index === index)!.req], opts))[0];
    }
  }

  /** One instance, stored by store() (hooks, jobs, an immediate end). */
  private async startOne(req: StartRequest, def: LoadedDefinition, result: RunResult, opts: StartManyOptions = {}): Promise<{ instance: instances.InstanceRow; created: boolean }> {
    try {
      const instance = await this.db.knex.transaction(async (trx) => {
        await this.endSuperseded(trx, [req], opts);
        // store() writes the run's state, tasks and timers right after the insert.
        const row = newInstanceRow(req, def, this.iso(), { state: null, variables: req.variables, wakeAt: null });
        const id = await instances.insertInstance(trx, row);
        const inserted = { ...row, id, version: 1 };
        if (opts.onStored) await opts.onStored(trx, [{ req, instance: inserted }]);
        return this.store(trx, inserted, def, result, {});
      });
      if (result.jobs.length) this.hooks.onJobsEnqueued?.();
      return { instance, created: true };
    } catch (e) {
      if (req.openKey && isUniqueViolation(e)) {
        const existing = await instances.findActiveByOpenKey(this.db.knex, req.openKey);
        if (existing) return { instance: existing, created: false };
      }
      throw e;
    }
  }

  /** Ends (as canceled, with the reason as its error) the active instances these starts replace. */
  private async endSuperseded(trx: Knex.Transaction, reqs: StartRequest[], opts: StartManyOptions): Promise<void> {
    for (const req of reqs) {
      const old = req.openKey ? opts.supersede?.get(req.openKey) : undefined;
      if (!old) continue;
      const inst = await instances.readInstance(trx, old.instanceId);
      if (!inst || inst.status !== 'active') throw conflict(`Process instance ${old.instanceId} has ended meanwhile`);
      const changes: Partial<instances.InstanceRow> = { status: 'canceled', state: null, endTime: this.iso(), openKey: null, wakeAt: null, error: old.reason };
      if (!(await instances.updateInstance(trx, inst.id, inst.version, changes))) throw conflict(`Process instance ${inst.id} was changed concurrently`);
      await tasks.deleteTasksOfInstance(trx, inst.id);
    }
  }

  /** Writes a run's outcome; the caller's transaction must already hold the instance's version. */
  private async store(trx: Knex.Transaction, inst: instances.InstanceRow, def: LoadedDefinition, result: RunResult, by: { taskId?: number; completedBy?: string }): Promise<instances.InstanceRow> {
    const now = this.iso();
    let changes: Partial<instances.InstanceRow>;
    if (result.status === 'waiting') {
      changes = { state: result.state ?? null, variables: result.variables, wakeAt: result.timers[0]?.expireAt ?? null };
    } else if (result.status === 'ended') {
      changes = { status: 'ended', state: null, variables: result.variables, endTime: now, endActivityId: result.endActivityId ?? null, wakeAt: null, openKey: null };
    } else {
      changes = { status: 'failed', variables: result.variables, endTime: now, error: result.error?.message ?? 'failed', endActivityId: result.error?.activityId ?? null, wakeAt: null, openKey: null };
      this.log.warn(`process instance ${inst.id} failed: ${changes.error}`);
    }
    if (!(await instances.updateInstance(trx, inst.id, inst.version, changes))) throw conflict(`Process instance ${inst.id} was changed concurrently; try again`);
    const next = { ...inst, ...changes, version: inst.version + 1 };
    // Task rows mirror exactly the user tasks that wait now.
    if (result.status === 'waiting') {
      const open = new Set(result.openTasks.map((t) => t.executionId));
      for (const t of await tasks.tasksOfInstance(trx, inst.id)) if (!open.has(t.executionId)) await tasks.takeTask(trx, t.id);
      await tasks.insertTasks(trx, result.openTasks.map((t) => this.taskRow(inst.id, def.row.id, t, now)));
    } else {
      await tasks.deleteTasksOfInstance(trx, inst.id);
    }
    for (const job of result.jobs) {
      await enqueueJob(trx, { key: `${job.topic}:${inst.id}`, type: job.topic, payload: { processInstanceId: inst.id, activityId: job.activityId, variables: result.variables } });
    }
    if (result.status !== 'waiting' && this.hooks.onEnded) await this.hooks.onEnded(trx, { instance: next, result, definition: def, ...by });
    return next;
  }

  private taskRow(processInstanceId: number, definitionId: string, t: OpenTask, now: string): tasks.NewTask {
    return {
      processInstanceId,
      definitionId,
      taskDefinitionKey: t.taskDefinitionKey,
      executionId: t.executionId,
      name: t.name,
      description: t.documentation ?? null,
      assignee: t.assignee ?? null,
      owner: null,
      candidateUsers: t.candidateUsers,
      candidateGroups: t.candidateGroups,
      form: formValues(t.formProperties),
      formKey: t.formKey ?? null,
      createTime: now,
      dueDate: t.dueDate ?? null,
      priority: t.priority,
    };
  }

  /** Only the assignee, a candidate (of an unassigned task), or an admin may act on a task. */
  mayWorkOn(p: Principal, t: tasks.TaskRow): boolean {
    if (isAdmin(p)) return true;
    if (t.assignee) return t.assignee === p.userName;
    return t.candidateUsers.includes(p.userName) || t.candidateGroups.some((g) => p.roles.includes(g) || p.roles.includes(g.replace(/^internal\/role\//, '')));
  }

  /** A task with its full form: the definition's fields with this task's resolved values. */
  async readTask(id: number, q: Q = this.db.knex): Promise<tasks.TaskRow & { form: ResolvedFormProperty[] }> {
    const t = Number.isSafeInteger(id) && id > 0 ? await tasks.readTask(q, id) : null;
    if (!t) throw notFound(`Task instance ${id} not found`);
    return this.withForm(t);
  }

  async withForm(t: tasks.TaskRow): Promise<tasks.TaskRow & { form: ResolvedFormProperty[] }> {
    if (Array.isArray(t.form)) return t as tasks.TaskRow & { form: ResolvedFormProperty[] };
    const def = await this.definitions.get(t.definitionId);
    const fields = def.parsed.tasks.find((d) => d.id === t.taskDefinitionKey)?.formProperties ?? [];
    const values = (t.form ?? {}) as Record<string, unknown>;
    return { ...t, form: fields.map((f) => ({ ...f, value: Object.prototype.hasOwnProperty.call(values, f.id) ? values[f.id] : undefined })) };
  }

  /** Completes a task exactly once: the loser of a race gets 409 (or 404 once the task is gone). */
  async complete(taskId: number, submitted: Record<string, unknown>, p: Principal): Promise<instances.InstanceRow> {
    const both = Number.isSafeInteger(taskId) && taskId > 0 ? await instances.readTaskAndInstance(this.db.knex, taskId) : null;
    if (!both) throw notFound(`Task instance ${taskId} not found`);
    const task = await this.withForm(both.task);
    if (!this.mayWorkOn(p, task)) throw forbidden(`Task ${taskId} is assigned to someone else`);
    const values = validateFormValues(task.form, submitted);
    const inst = both.instance;
    if (inst.status !== 'active' || !inst.state) throw notFound(`Task instance ${taskId} not found`);
    const def = await this.definitions.get(inst.definitionId);
    let result: RunResult;
    try {
      const state = inst.state;
      const inWorker = this.pool.enabled
        ? () => this.pool.run({ op: 'complete', definitionId: def.row.id, state, executionId: task.executionId, values, variables: inst.variables, now: this.now() }, def.row.xml)
        : undefined;
      result = await completeTask(def.parsed, state, task.executionId, values, { ...this.runOptions, variables: inst.variables }, inWorker);
    } catch (e) {
      if ((e as { code?: string }).code === 'TASK_NOT_WAITING') throw conflict(`Task ${taskId} is no longer waiting`);
      throw e;
    }
    // store() updates the instance first, guarded by the version read above: of two completions
    // (or a completion and a timer) exactly one writes; the other gets 409. Instance before tasks is
    // the order every writer takes its locks in, so PostgreSQL never sees a deadlock.
    const stored = await this.db.knex
      .transaction((trx) => this.store(trx, inst, def, result, { taskId, completedBy: p.userName }))
      .catch((e: unknown) => {
        if ((e as { code?: unknown }).code === 409) throw conflict(`Task ${taskId} was completed by someone else`);
        throw e;
      });
    if (result.jobs.length) this.hooks.onJobsEnqueued?.();
    return stored;
  }

  /** Claim: sets the assignee when the task has none (or already has this one). */
  async claim(taskId: number, userId: string, p: Principal): Promise<void> {
    const task = await this.readTask(taskId);
    if (!isAdmin(p) && userId !== p.userName) throw forbidden('Only an administrator may claim a task for someone else');
    if (!this.mayWorkOn(p, task)) throw forbidden(`Task ${taskId} is not available to ${p.userName}`);
    if (task.assignee && task.assignee !== userId) throw conflict(`Task ${taskId} is already claimed by ${task.assignee}`);
    if (task.assignee === userId) return;
    if (!(await tasks.updateTask(this.db.knex, task.id, task.rev, { assignee: userId }))) throw conflict(`Task ${taskId} was claimed by someone else`);
  }

  async updateTask(taskId: number, changes: Partial<Pick<tasks.TaskRow, 'assignee' | 'owner' | 'name' | 'description'>>, expectedRev: number | null): Promise<void> {
    const task = await this.readTask(taskId);
    if (expectedRev !== null && expectedRev !== task.rev) throw conflict(`Task ${taskId} has changed (revision ${task.rev})`);
    if (!(await tasks.updateTask(this.db.knex, task.id, task.rev, changes))) throw conflict(`Task ${taskId} was changed concurrently`);
  }

  async cancel(id: number): Promise<instances.InstanceRow> {
    return this.db.knex.transaction(async (trx) => {
      const inst = await instances.readInstance(trx, id);
      if (!inst || inst.status !== 'active') throw notFound(`Process instance ${id} not found`);
      const changes: Partial<instances.InstanceRow> = { status: 'canceled', state: null, endTime: this.iso(), openKey: null, wakeAt: null };
      if (!(await instances.updateInstance(trx, id, inst.version, changes))) throw conflict(`Process instance ${id} was changed concurrently`);
      await tasks.deleteTasksOfInstance(trx, id);
      return { ...inst, ...changes, version: inst.version + 1 };
    });
  }

  /** Fires the due timers of one instance; false when another node got there first. */
  async fireTimers(id: number): Promise<boolean> {
    const inst = await instances.readInstance(this.db.knex, id);
    if (!inst || inst.status !== 'active' || !inst.state || inst.wakeAt === null || inst.wakeAt > this.now()) return false;
    const def = await this.definitions.get(inst.definitionId);
    const result = this.pool.enabled
      ? await this.pool.run({ op: 'fire', definitionId: def.row.id, state: inst.state, variables: inst.variables, now: this.now() }, def.row.xml)
      : await fireDueTimers(def.parsed, inst.state, this.now(), { ...this.runOptions, variables: inst.variables });
    try {
      await this.db.knex.transaction((trx) => this.store(trx, inst, def, result, {}));
    } catch (e) {
      if ((e as { code?: number }).code === 409) return false;
      throw e;
    }
    if (result.jobs.length) this.hooks.onJobsEnqueued?.();
    return true;
  }

  /** One pass of the timer scheduler: every instance whose earliest timer is due. */
  async fireDue(limit = 100): Promise<number> {
    let fired = 0;
    for (const id of await instances.dueInstanceIds(this.db.knex, this.now(), limit)) {
      try {
        if (await this.fireTimers(id)) fired++;
      } catch (e) {
        this.log.error(`timers of process instance ${id} failed`, e);
      }
    }
    return fired;
  }
}
