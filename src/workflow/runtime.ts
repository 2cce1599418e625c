// Durable process instances: every start, completion and timer runs a short-lived bpmn-engine over
// the instance's stored state, then stores the outcome (state, tasks, end, jobs) in one transaction
// guarded by the instance's version. Nothing stays in memory between requests.
//
// WorkflowRuntime is the room's service: its methods are what routers, recon and the job worker
// call. Each job lives in its own file: instanceStarts.ts (start, startMany), instances.ts (read,
// query, cancel), tasks.ts (read, list, claim, update), taskCompletion.ts (complete), timerRuns.ts
// (the timer scheduler), continuation.ts (the workflow.continue job), calledInstances.ts (call
// activities: the called instance, the workflow.callReturn job), runOutcome.ts (storing a run),
// executionTrigger.ts (waiting executions, trigger), messageCorrelation.ts, signalBroadcast.ts.
import type { Principal } from '../auth/interfaces';
import { mayWorkOn, type TaskAudience } from '../auth/taskAccess';
import type { Logger } from '../context';
import type { Knex } from 'knex';
import type { Filter } from '../crest/queryFilter';
import type { JobHandler } from '../jobs';
import type { Db } from '../repo/db';
import type { Q } from '../repo/dialect';
import { callReturnJob } from './calledInstances';
import { continueJob } from './continuation';
import { bulkCompleteJob, cancelBulkCompletion, DEFAULT_BULK_BATCH, readBulkCompletion, startBulkCompletion, type BulkDetail, type BulkView } from './bulkCompletion';
import { listWaiting, trigger, type WaitingSubscription } from './executionTrigger';
import { correlateMessage, type Correlated, type MessageCorrelation } from './messageCorrelation';
import { broadcastSignal, type Broadcasted, type SignalBroadcast } from './signalBroadcast';
import type { Definitions } from './definitions';
import { ExternalTaskService } from './externalTaskService';
import { startMany, type StartManyOptions, type StartRequest, type StartResult } from './instanceStarts';
import * as instances from './instances';
import type { RunOptions, TimerInfo } from './interfaces';
import { defaultPoolSize, EnginePool } from './pool';
import type { RuntimeContext, RuntimeHooks } from './runtimeContext';
import { complete } from './taskCompletion';
import * as tasks from './tasks';
import { fireDue, fireTimers, waitingTimers } from './timerRuns';

export type { StartManyOptions, StartRequest, StartResult } from './instanceStarts';
export type { BulkDetail, BulkView } from './bulkCompletion';
export { BULK_COMPLETE_TOPIC, recordDeadBulk } from './bulkCompletion';
export type { InstanceRow, InstanceStatus } from './instances';
export type { EndedEvent, FinishedEvent, RuntimeHooks } from './runtimeContext';
export type { TaskRow, TaskWithForm } from './tasks';
export type { WaitingSubscription } from './executionTrigger';
export type { Correlated, MessageCorrelation } from './messageCorrelation';
export type { Broadcasted, SignalBroadcast } from './signalBroadcast';
export { timerRetryDelay } from './timerRuns';

export class WorkflowRuntime {
  private readonly rt: RuntimeContext;

  constructor(db: Db, readonly definitions: Definitions, log: Logger, hooks: RuntimeHooks = {}, runOptions: RunOptions = {}) {
    const now = () => (runOptions.now ?? Date.now)();
    this.rt = { db, definitions, log, hooks, runOptions, pool: new EnginePool(runOptions.engineThreads ?? defaultPoolSize()), now, iso: () => new Date(now()).toISOString() };
    this.continueJob = continueJob(this.rt);
    this.bulkCompleteJob = bulkCompleteJob(this.rt, () => this.bulkBatchSize);
    this.callReturnJob = callReturnJob(this.rt);
    this.externalTasks = new ExternalTaskService(this.rt);
  }

  /** External service tasks for workers: fetch and lock, complete, failure, BPMN error (externalTaskService.ts). */
  readonly externalTasks: ExternalTaskService;

  // --- instances ---

  /** Starts an instance, or returns the active one holding the same open key. */
  async start(req: StartRequest): Promise<StartResult> {
    return (await startMany(this.rt, [req]))[0];
  }

  /** Starts many instances in request order, with multi-row inserts (instanceStarts.ts). */
  startMany(reqs: StartRequest[], opts: StartManyOptions = {}): Promise<StartResult[]> {
    return startMany(this.rt, reqs, opts);
  }

  /**
   * startMany with its storage inside the caller's transaction (savepoints for its own): a
   * clustered recon page commits its approvals together with the rest of the page, or none of them.
   */
  startsIn(trx: Knex.Transaction): Pick<WorkflowRuntime, 'startMany'> {
    const rt: RuntimeContext = { ...this.rt, db: { ...this.rt.db, knex: trx }, definitions: this.rt.definitions.within(trx) };
    return { startMany: (reqs, opts = {}) => startMany(rt, reqs, opts) };
  }

  /** The stored instance, whatever its status; null when there is none. */
  readInstance(id: number): Promise<instances.InstanceRow | null> {
    return instances.readInstance(this.rt, id);
  }

  queryInstances(filter: Filter, opts: instances.InstanceQueryOptions): Promise<instances.InstanceRow[] & { total?: number }> {
    return instances.queryInstances(this.rt, filter, opts);
  }

  /** Every matching instance from opts.offset on, batch by batch from a cursor (an unpaged query). */
  streamInstances(filter: Filter, opts: Omit<instances.InstanceQueryOptions, 'limit' | 'countTotal'>): AsyncGenerator<instances.InstanceRow[]> {
    return instances.streamInstances(this.rt, filter, opts);
  }

  countInstances(filter: Filter, statuses: instances.InstanceStatus[]): Promise<number> {
    return instances.countInstances(this.rt, filter, statuses);
  }

  /** The task rows of an instance as stored (form values only), oldest first. */
  tasksOfInstance(id: number): Promise<tasks.TaskRow[]> {
    return instances.tasksOfInstance(this.rt, id);
  }

  /** The activities and events the instance completed, in order, across restarts (activity_history). */
  passedActivities(id: number): Promise<string[]> {
    return instances.passedActivities(this.rt, id);
  }

  cancel(id: number): Promise<instances.InstanceRow> {
    return instances.cancel(this.rt, id);
  }

  // --- tasks ---

  /** Whether this principal may see and act on the task (decided in src/auth). */
  mayWorkOn(p: Principal, t: TaskAudience): boolean {
    return mayWorkOn(p, t);
  }

  /** The open task with this id, with its full form; NotFound when there is none. */
  readTask(id: number, q?: Q): Promise<tasks.TaskWithForm> {
    return tasks.readTask(this.rt, id, q);
  }

  /** When the task escalates (its activity's earliest pending boundary timer), or null. */
  escalationDeadline(task: tasks.TaskRow): Promise<string | null> {
    return tasks.escalationDeadline(this.rt, task);
  }

  /** The definition's form fields with this task's values. */
  withForm(t: tasks.TaskRow): Promise<tasks.TaskWithForm> {
    return tasks.withForm(this.rt, t);
  }

  /** The open tasks this principal may see that match the filter, by id. */
  queryTasks(filter: Filter, p: Principal, opts: tasks.TaskQueryOptions): Promise<tasks.TaskRow[] & { total?: number }> {
    return tasks.queryTasks(this.rt, filter, p, opts);
  }

  /** Every open task the principal may see that matches, from opts.offset on, batch by batch from a cursor. */
  streamTasks(filter: Filter, p: Principal, opts: Omit<tasks.TaskQueryOptions, 'limit' | 'countTotal'>): AsyncGenerator<tasks.TaskRow[]> {
    return tasks.streamTasks(this.rt, filter, p, opts);
  }

  countTasks(filter: Filter, p: Principal, opts: Pick<tasks.TaskQueryOptions, 'candidate' | 'sort'>): Promise<number> {
    return tasks.countTasks(this.rt, filter, p, opts);
  }

  streamTaskHistory(filter: Filter, p: Principal, opts: { offset: number; sort?: { field: string[]; descending: boolean }[] }): AsyncGenerator<tasks.TaskHistoryRow[]> {
    return tasks.streamTaskHistory(this.rt, filter, p, opts);
  }

  countTaskHistory(filter: Filter, p: Principal): Promise<number> {
    return tasks.countTaskHistory(this.rt, filter, p);
  }

  /** Finished and open tasks, as workflow/taskinstance/history lists them. */
  queryTaskHistory(filter: Filter, p: Principal, opts: Parameters<typeof tasks.queryTaskHistory>[3]): Promise<tasks.TaskHistoryRow[] & { total?: number }> {
    return tasks.queryTaskHistory(this.rt, filter, p, opts);
  }

  /** Completes a task exactly once: the loser of a race gets a Conflict (or NotFound once the task is gone). */
  complete(taskId: number, submitted: Record<string, unknown>, p: Principal): Promise<instances.InstanceRow> {
    return complete(this.rt, taskId, submitted, p);
  }

  // --- bulk completion by query (bulkCompletion.ts) ---

  /** Tasks one job of a bulk completion completes in its transaction (tests make it small). */
  bulkBatchSize = DEFAULT_BULK_BATCH;

  /** The job handler of workflow.bulkComplete (registered in src/wiring.ts). */
  readonly bulkCompleteJob: JobHandler;

  /** Starts completing every task the caller may work on that matches the filter; InvalidInput when none does. */
  startBulkCompletion(filter: Filter, p: Principal, values: Record<string, unknown>): Promise<BulkView> {
    return startBulkCompletion(this.rt, filter, p, values);
  }

  /** A bulk operation with its failures (at most 100 listed); NotFound unless the caller started it or is an administrator. */
  readBulkCompletion(id: number, p: Principal): Promise<BulkDetail> {
    return readBulkCompletion(this.rt, id, p);
  }

  /** Stops a bulk operation before its next task; an ended one is answered as it is. */
  cancelBulkCompletion(id: number, p: Principal): Promise<BulkDetail> {
    return cancelBulkCompletion(this.rt, id, p);
  }

  /** Claim: sets the assignee when the task has none (or already has this one). */
  claim(taskId: number, userId: string, p: Principal): Promise<void> {
    return tasks.claim(this.rt, taskId, userId, p);
  }

  updateTask(taskId: number, changes: Partial<Pick<tasks.TaskRow, 'assignee' | 'owner' | 'name' | 'description'>>, expectedRev: number | null): Promise<void> {
    return tasks.updateTask(this.rt, taskId, changes, expectedRev);
  }

  // --- waiting executions, messages, signals ---

  /** The waiting executions other than user tasks and timers (manual/receive tasks, catches), by id. */
  waitingExecutions(opts: { offset: number; limit?: number }): Promise<WaitingSubscription[]> {
    return listWaiting(this.rt, opts);
  }

  /** Resumes one waiting execution exactly once (executionTrigger.ts). */
  trigger(id: number, variables: Record<string, unknown>): Promise<instances.InstanceRow> {
    return trigger(this.rt, id, variables);
  }

  /** Delivers a message to the waiting executions it matches, or starts an instance (messageCorrelation.ts). */
  correlateMessage(req: MessageCorrelation): Promise<Correlated[]> {
    return correlateMessage(this.rt, req);
  }

  /** Delivers a signal to every execution waiting for it and starts at every signal start event (signalBroadcast.ts). */
  broadcastSignal(req: SignalBroadcast): Promise<Broadcasted> {
    return broadcastSignal(this.rt, req);
  }

  // --- timers and continuations ---

  /**
   * The job handler of topic workflow.continue (register it under CONTINUE_TOPIC, and set
   * definitions.asyncContinuations): see continuation.ts.
   */
  readonly continueJob: JobHandler;

  /**
   * The job handler of topic workflow.callReturn (register it under CALL_RETURN_TOPIC, and set
   * definitions.callActivities): returns a finished called instance to its caller (calledInstances.ts).
   */
  readonly callReturnJob: JobHandler;

  /** Fires the due timers of one instance; false when another node got there first. */
  fireTimers(id: number): Promise<boolean> {
    return fireTimers(this.rt, id);
  }

  /** One pass of the timer scheduler: every instance whose earliest timer is due. */
  fireDue(limit = 100): Promise<number> {
    return fireDue(this.rt, limit);
  }

  /** The timers an active instance waits for, earliest first, without firing any. */
  waitingTimers(inst: instances.InstanceRow): Promise<TimerInfo[]> {
    return waitingTimers(this.rt, inst);
  }

  /** Worker threads the engine calls may use (0: they run in the calling thread). */
  get engineThreads(): number {
    return this.rt.pool.enabled ? this.rt.pool.size : 0;
  }

  /**
   * Stops the engine's worker threads (idempotent). Engine calls after it run in the calling thread;
   * the server calls it at stop, the process-testing kit at close().
   */
  close(): Promise<void> {
    this.externalTasks.close();
    return this.rt.pool.close();
  }
}
