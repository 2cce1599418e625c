// External service tasks for workers (Camunda 7's external task API, served by api/externalTasks.ts):
// fetch and lock by topic, complete with variables, report a failure (retries, retry timeout; no
// retries left is an incident), throw a BPMN error, extend, set or release a lock. A completion runs
// the engine from the instance's stored state to its next wait and stores the outcome in one
// transaction that also checks the worker still holds the lock it completed under.
import { Conflict, InvalidInput, NotFound, ProcessDefect } from '../errors';
import * as rows from '../repo/externalTasks';
import type { ExternalTaskRow, FetchTopic } from '../repo/externalTasks';
import * as instances from '../repo/processInstances';
import { resumeExternalTask } from './engine';
import type { ExternalOutcome } from './externalTasks';
import { compiledOf } from './parse';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';

export type { ExternalTaskRow } from '../repo/externalTasks';

/** Long polling is bounded: a fetch waits at most this long (Camunda allows 30 minutes). */
export const MAX_ASYNC_RESPONSE_MS = 60_000;
/** How often a long poll looks for new tasks. */
const POLL_MS = 200;
/** A completion that loses a race with another writer of the same instance runs again this often. */
const RACE_RETRIES = 3;

export interface FetchTopicRequest extends FetchTopic {
  /** variable names to return (undefined: all) */
  variables?: string[];
  /** only the task's local variables (reconflow keeps none: always empty) */
  localVariables?: boolean;
  includeExtensionProperties?: boolean;
  /** a tenant or version-tag filter reconflow's tasks can never match (they have neither) */
  matchesNothing?: boolean;
}

export interface FetchRequest {
  workerId: string;
  maxTasks: number;
  usePriority: boolean;
  newestFirst: boolean;
  asyncResponseTimeout: number;
  topics: FetchTopicRequest[];
}

export interface LockedExternalTask {
  task: ExternalTaskRow;
  variables: Record<string, unknown>;
  extensionProperties?: Record<string, string>;
}

export interface FailureReport {
  workerId: string;
  errorMessage: string | null;
  errorDetails: string | null;
  retries: number;
  retryTimeout: number;
}

export class ExternalTaskService {
  private readonly waiting = new Set<() => void>();
  private closed = false;

  constructor(private readonly rt: RuntimeContext) {}

  /**
   * Locks up to maxTasks tasks of the topics (in the order given) for the worker; when none is
   * fetchable, waits up to asyncResponseTimeout (bounded) for one, looking every 200 ms.
   */
  async fetchAndLock(req: FetchRequest, signal?: AbortSignal): Promise<LockedExternalTask[]> {
    // Nothing could ever be fetched: answer at once rather than hold the request.
    if (req.maxTasks === 0 || !req.topics.some((t) => !t.matchesNothing)) return [];
    const deadline = Date.now() + Math.min(req.asyncResponseTimeout, MAX_ASYNC_RESPONSE_MS);
    for (;;) {
      // A worker that went away (its request closed) or a stopping server locks nothing more: a
      // task locked for nobody would wait out its lock duration.
      if (this.closed || signal?.aborted) return [];
      const locked = await this.lockOnce(req);
      const left = deadline - Date.now();
      if (locked.length || left <= 0) return locked;
      await this.sleep(Math.min(POLL_MS, left), signal);
    }
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  private async lockOnce(req: FetchRequest): Promise<LockedExternalTask[]> {
    const out: LockedExternalTask[] = [];
    for (const topic of req.topics) {
      const left = req.maxTasks - out.length;
      if (left <= 0) break;
      if (topic.matchesNothing) continue;
      const locked = await rows.lockExternalTasks(this.rt.db.knex, req.workerId, topic, left, { usePriority: req.usePriority, newestFirst: req.newestFirst });
      for (const task of locked) out.push(await this.withVariables(task, topic));
    }
    return out;
  }

  private async withVariables(task: ExternalTaskRow, topic: FetchTopicRequest): Promise<LockedExternalTask> {
    const inst = await instances.readInstance(this.rt.db.knex, task.processInstanceId);
    const all = topic.localVariables ? {} : (inst?.variables ?? {});
    const variables = topic.variables ? Object.fromEntries(topic.variables.filter((n) => Object.prototype.hasOwnProperty.call(all, n)).map((n) => [n, all[n]])) : all;
    const out: LockedExternalTask = { task, variables };
    if (topic.includeExtensionProperties) {
      const def = await this.rt.definitions.get(task.definitionId);
      out.extensionProperties = compiledOf(def.parsed).externalTasks.get(task.activityId)?.properties ?? {};
    }
    return out;
  }

  /** The task; NotFound when there is none (it was completed, or its execution moved on). */
  async read(id: number): Promise<ExternalTaskRow> {
    const task = Number.isSafeInteger(id) && id > 0 ? await rows.readExternalTask(this.rt.db.knex, id) : null;
    if (!task) throw new NotFound(`External task with id ${id} does not exist`);
    return task;
  }

  query(q: rows.ExternalTaskQuery): Promise<ExternalTaskRow[]> {
    return rows.queryExternalTasks(this.rt.db.knex, q);
  }

  count(q: Omit<rows.ExternalTaskQuery, 'offset' | 'limit'>): Promise<number> {
    return rows.countExternalTasks(this.rt.db.knex, q);
  }

  /** Camunda refuses every report but unlock from a worker that does not hold the task's lock (400). */
  private async held(id: number, workerId: string, what: string): Promise<ExternalTaskRow> {
    const task = await this.read(id);
    if (task.workerId !== workerId) {
      throw new InvalidInput(
        task.workerId === null
          ? `External Task ${id} cannot be ${what} by worker '${workerId}'. It is not locked.`
          : `External Task ${id} cannot be ${what} by worker '${workerId}'. It is locked by worker '${task.workerId}'.`,
      );
    }
    return task;
  }

  /** Completes the task: its variables become process variables; the instance runs to its next wait. */
  complete(id: number, workerId: string, variables: Record<string, unknown>, localVariables: Record<string, unknown>): Promise<void> {
    return this.resume(id, workerId, 'completed', { kind: 'complete', variables, localVariables });
  }

  /**
   * Throws a BPMN error at the task: an error boundary event with that code (or without an
   * errorRef) catches it; when none does, the instance fails with the code in its error (an incident).
   */
  bpmnError(id: number, workerId: string, errorCode: string, errorMessage: string | undefined, variables: Record<string, unknown>): Promise<void> {
    return this.resume(id, workerId, 'reported a BPMN error', { kind: 'bpmnError', errorCode, ...(errorMessage !== undefined && { errorMessage }), variables });
  }

  private async resume(id: number, workerId: string, what: string, outcome: ExternalOutcome): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const task = await this.held(id, workerId, what);
      const inst = await instances.readInstance(this.rt.db.knex, task.processInstanceId);
      if (!inst || inst.status !== 'active' || !inst.state) throw new NotFound(`External task with id ${id} does not exist`);
      const def = await this.rt.definitions.get(inst.definitionId);
      let result;
      try {
        result = await resumeExternalTask(def.parsed, inst.state, task.executionId, outcome, { ...this.rt.runOptions, variables: inst.variables });
      } catch (e) {
        if ((e as { code?: string }).code === 'TASK_NOT_WAITING') throw new NotFound(`External task with id ${id} does not exist`);
        throw e;
      }
      // All or nothing, as for a user task: a run that fails after the task stores nothing and the
      // task stays locked. Only an uncaught BPMN error of this task fails the instance itself.
      const uncaught = outcome.kind === 'bpmnError' && result.status === 'failed' && result.error?.activityId === task.activityId;
      if (result.status === 'failed' && !uncaught) {
        const activityId = result.error?.activityId ?? task.activityId;
        const cause = result.error?.message ?? 'the process failed';
        throw new ProcessDefect(`Completing external task ${id} failed at ${activityId}: ${cause}. Nothing was stored; the task is still locked by ${workerId}`, { externalTaskId: String(id), activityId, cause });
      }
      try {
        await this.rt.db.knex.transaction((trx) => storeRun(this.rt, trx, inst, def, result, { completedBy: workerId, externalTask: { id, workerId, rev: task.rev } }));
      } catch (e) {
        // Another writer of the instance (a user task, a timer) got there first: run again on its state.
        if (e instanceof Conflict && attempt < RACE_RETRIES) continue;
        throw e;
      }
      if (result.jobs.length) this.rt.hooks.onJobsEnqueued?.();
      return;
    }
  }

  /**
   * A worker's failure: retries left (0 makes an incident and the task is fetched no more until an
   * operator gives it retries), the error, and retryTimeout ms before it can be fetched again.
   */
  async handleFailure(id: number, f: FailureReport): Promise<void> {
    await this.held(id, f.workerId, 'failed');
    const ok = await rows.recordExternalTaskFailure(this.rt.db.knex, id, f.workerId, {
      retries: f.retries,
      errorMessage: f.errorMessage,
      errorDetails: f.errorDetails,
      retryTimeoutMs: f.retries > 0 ? f.retryTimeout : 0,
      failedAt: this.rt.iso(),
    });
    if (!ok) throw new InvalidInput(`External Task ${id} cannot be failed by worker '${f.workerId}': it is no longer locked by it`);
    if (f.retries === 0) this.rt.log.warn(`external task ${id} has no retries left: ${f.errorMessage ?? 'no error message'}`);
  }

  /** A new lock duration from now, for the worker holding an unexpired lock. */
  async extendLock(id: number, workerId: string, newDuration: number): Promise<void> {
    await this.held(id, workerId, 'extended');
    if (!(await rows.extendExternalTaskLock(this.rt.db.knex, id, workerId, newDuration))) {
      throw new InvalidInput(`Cannot extend a lock that expired: the lock of external task ${id} has expired`);
    }
  }

  /** Locks one task (Camunda's /lock): refused while another worker holds it. */
  async lock(id: number, workerId: string, lockDuration: number): Promise<void> {
    const task = await this.read(id);
    if (!(await rows.lockExternalTask(this.rt.db.knex, id, workerId, lockDuration))) {
      throw new InvalidInput(task.retries === 0 ? `External task ${id} has no retries left` : `External task ${id} is locked by worker '${task.workerId}'`);
    }
  }

  async unlock(id: number): Promise<void> {
    await this.read(id);
    if (!(await rows.unlockExternalTask(this.rt.db.knex, id))) throw new NotFound(`External task with id ${id} does not exist`);
  }

  /** Sets the retries (resolves its incident when > 0). */
  async setRetries(id: number, retries: number): Promise<void> {
    await this.read(id);
    if (!(await rows.setExternalTaskRetries(this.rt.db.knex, id, retries))) throw new NotFound(`External task with id ${id} does not exist`);
  }

  /** Ends every long poll now (server stop). */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiting]) wake();
  }
}
