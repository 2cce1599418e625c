// A process-testing kit for jest (or any test runner): deploy BPMN files, start instances, complete
// tasks, move a fake clock and run the timer scheduler, all on the real WorkflowRuntime, Definitions
// and SQL (an in-memory SQLite database migrated like production). Nothing is mocked: what passes
// here behaves the same on the server.
//
//   const kit = await processTestKit();
//   await kit.deploy('processes/managedUserApproval.bpmn');
//   const p = await kit.start('managedUserApproval', { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' });
//   await p.expectWaitingAt('evaluateRequest', { assignee: 'async.admin' });
//   await p.complete('evaluateRequest', { requestApproved: 'true' });
//   await p.expectEndedAt('approved');
//   await p.expectJob('createUser');
//   await kit.close();
//
// Call activities run as on the server: the kit deploys them, and every step of the kit (start,
// complete, trigger, message, signal, external task, timers) then runs the workflow.callReturn jobs
// that step left, as the server's job worker would (runCallReturns), so that a caller continues
// once its called instance finished. Other jobs are not run.
// Expectations throw plain Errors whose message says what was expected and what was found.
import fs from 'node:fs';
import path from 'node:path';
import { crestErrorOf } from '../api/errors';
import { Principal } from '../auth/interfaces';
import { Logger } from '../context';
import type { Filter } from '../crest/queryFilter';
import { DomainError } from '../errors';
import { defaultWorkerOptions, query as queryJobs, Worker, type Job } from '../jobs';
import { Db, migrate, openDb } from '../repo/db';
import { CALL_RETURN_TOPIC } from '../workflow/calledInstances';
import { Definitions, LoadedDefinition } from '../workflow/definitions';
import { EndEventDef, TaskDefinition, TimerInfo } from '../workflow/interfaces';
import { Broadcasted, Correlated, FinishedEvent, InstanceRow, MessageCorrelation, RuntimeHooks, TaskRow, WaitingSubscription, WorkflowRuntime } from '../workflow/runtime';
import type { ExternalTaskRow } from '../workflow/externalTaskService';
import { readProcessFile } from '../workflow/scriptResources';
import { addIsoDuration } from '../workflow/timers';

export type { Broadcasted, Correlated, InstanceRow, MessageCorrelation, TaskRow, WaitingSubscription } from '../workflow/runtime';
export type { ExternalTaskRow } from '../workflow/externalTaskService';
export type { Job } from '../jobs/interfaces';
export type { TimerInfo } from '../workflow/interfaces';

/** A point in time: epoch milliseconds, a Date or an ISO 8601 date-time. */
export type Instant = number | Date | string;

function toEpoch(t: Instant, what: string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`${what}: "${String(t)}" is not a date`);
  return ms;
}

/** The clock of the kit's runtime: new timers, due dates and the scheduler all read it. */
export class FakeClock {
  private t: number;

  constructor(start: Instant) {
    this.t = toEpoch(start, 'FakeClock');
    this.now = this.now.bind(this);
  }

  /** Epoch milliseconds (pass `clock.now` wherever a `() => number` clock is wanted). */
  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(this.t);
  }

  iso(): string {
    return this.date().toISOString();
  }

  set(t: Instant): number {
    this.t = toEpoch(t, 'clock.set');
    return this.t;
  }

  /** Moves forward by an ISO 8601 duration (`P3D`, `PT2H30M`, `P1M`) or by milliseconds. */
  advance(by: string | number): number {
    if (typeof by === 'number') {
      if (!Number.isFinite(by) || by < 0) throw new Error(`clock.advance: ${by} is not a non-negative number of milliseconds`);
      this.t += by;
      return this.t;
    }
    const next = addIsoDuration(this.t, by);
    if (next === undefined) throw new Error(`clock.advance: "${by}" is not an ISO 8601 duration such as P3D or PT2S`);
    this.t = next;
    return this.t;
  }
}

export interface ProcessTestKitOptions {
  /** Start of the fake clock (default 2030-01-01T00:00:00Z). */
  now?: Instant;
  /** Folder that relative paths given to deploy() are resolved against (default process.cwd()). */
  baseDir?: string;
  /** Receives the runtime's log lines (default: kept in `kit.logs` only). */
  log?: Logger;
  /** Extra runtime hooks, e.g. to observe finished (ended or failed) instances. */
  hooks?: RuntimeHooks;
  /** conf/workflow.json's `templates` (default true): false runs bpmn-engine for every start and completion. */
  templates?: boolean;
}

export interface DeployedDefinition {
  /** `key:version:seq`, as the REST API shows it */
  id: string;
  key: string;
  version: number;
  name: string;
  /** false when the same content was already the latest version of its key */
  created: boolean;
  tasks: TaskDefinition[];
  endEvents: EndEventDef[];
}

/** Who completes or claims a task: a user name, or a user name with roles. */
export type Actor = string | { userName: string; roles?: string[] };

/** Expected properties of a waiting task; only the given ones are compared. */
export interface TaskExpectation {
  name?: string;
  assignee?: string | null;
  candidateUsers?: string[];
  candidateGroups?: string[];
  formKey?: string | null;
  /** compared as instants: an ISO string, a Date or epoch ms */
  dueDate?: Instant | null;
  priority?: number;
  description?: string | null;
  /** form field id → expected resolved value (`undefined` = no value) */
  formValues?: Record<string, unknown>;
  /** the ids of the form fields, in order */
  formFields?: string[];
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  error?: unknown;
}

const DEFAULT_START = Date.UTC(2030, 0, 1);

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function showPath(ids: string[]): string {
  return ids.length ? ids.join(' → ') : '(nothing passed)';
}

function describeTask(t: TaskRow): string {
  const who = [
    t.assignee ? `assignee ${t.assignee}` : 'unassigned',
    t.candidateUsers.length ? `candidateUsers ${t.candidateUsers.join(',')}` : '',
    t.candidateGroups.length ? `candidateGroups ${t.candidateGroups.join(',')}` : '',
  ].filter(Boolean);
  return `${t.taskDefinitionKey} (task ${t.id}, ${who.join(', ')})`;
}

function describeInstance(inst: InstanceRow, open: TaskRow[]): string {
  switch (inst.status) {
    case 'active':
      return open.length ? `it waits at ${open.map(describeTask).join('; ')}` : `it is active with no open user task${inst.wakeAt !== null ? ` (next timer ${new Date(inst.wakeAt).toISOString()})` : ''}`;
    case 'ended':
      return `it ended at ${inst.endActivityId ?? '(no end event id)'}`;
    case 'failed':
      return `it failed${inst.endActivityId ? ` at ${inst.endActivityId}` : ''}: ${inst.error ?? 'unknown error'}`;
    default:
      return `it was ${inst.status}`;
  }
}

function formValueOf(t: TaskRow, id: string): { found: boolean; value: unknown } {
  const field = (t.form as { id?: string; value?: unknown }[]).find((f) => f.id === id);
  return field ? { found: true, value: field.value } : { found: false, value: undefined };
}

/** Compares a task with an expectation; returns one line per mismatch. */
function mismatches(t: TaskRow, e: TaskExpectation): string[] {
  const out: string[] = [];
  const check = (field: string, expected: unknown, found: unknown) => {
    if (!same(expected, found)) out.push(`${field}: expected ${show(expected)}, found ${show(found)}`);
  };
  if (e.name !== undefined) check('name', e.name, t.name);
  if (e.assignee !== undefined) check('assignee', e.assignee, t.assignee);
  if (e.candidateUsers !== undefined) check('candidateUsers', e.candidateUsers, t.candidateUsers);
  if (e.candidateGroups !== undefined) check('candidateGroups', e.candidateGroups, t.candidateGroups);
  if (e.formKey !== undefined) check('formKey', e.formKey, t.formKey);
  if (e.priority !== undefined) check('priority', e.priority, t.priority);
  if (e.description !== undefined) check('description', e.description, t.description);
  if (e.dueDate !== undefined) {
    const expected = e.dueDate === null ? null : new Date(toEpoch(e.dueDate, 'dueDate')).toISOString();
    const found = t.dueDate === null ? null : new Date(t.dueDate).toISOString();
    check('dueDate', expected, found);
  }
  if (e.formFields !== undefined) check('formFields', e.formFields, (t.form as { id?: string }[]).map((f) => f.id));
  for (const [id, expected] of Object.entries(e.formValues ?? {})) {
    const { found, value } = formValueOf(t, id);
    if (!found) out.push(`form field ${id}: expected ${show(expected)}, but the form has no such field`);
    else check(`form field ${id}`, expected, value);
  }
  return out;
}

function principalOf(actor: Actor): Principal {
  const { userName, roles = [] } = typeof actor === 'string' ? { userName: actor } : actor;
  return { component: 'managed/user', id: userName, userName, roles: roles.map((r) => r.replace(/^internal\/role\//, '')) };
}

/** The natural actor of a task: its assignee, else its first candidate user, else a member of its first candidate group, else an administrator. */
function defaultActor(t: TaskRow): Principal {
  if (t.assignee) return principalOf(t.assignee);
  if (t.candidateUsers.length) return principalOf(t.candidateUsers[0]);
  if (t.candidateGroups.length) return principalOf({ userName: 'process-test-kit', roles: [t.candidateGroups[0]] });
  return principalOf({ userName: 'openidm-admin', roles: ['openidm-admin'] });
}

/** The kit answers as the REST API would: a refused step is a CrestError with its HTTP code. */
function asCrestError(e: unknown): never {
  throw e instanceof DomainError ? crestErrorOf(e) : e;
}

const EVERYTHING: Filter = { type: 'literal', value: true };
const ADMIN = principalOf({ userName: 'openidm-admin', roles: ['openidm-admin'] });

/** One process instance under test; every method reads the database afresh. */
export class ProcessHandle {
  constructor(
    private readonly kit: ProcessTestKit,
    readonly id: number,
  ) {}

  /** The stored instance row (status, variables, wakeAt, endActivityId, …). */
  async instance(): Promise<InstanceRow> {
    const inst = await this.kit.runtime.readInstance(this.id);
    if (!inst) throw new Error(`process instance ${this.id} does not exist`);
    return inst;
  }

  async status(): Promise<InstanceRow['status']> {
    return (await this.instance()).status;
  }

  /** The process variables as stored after the last step. */
  async variables(): Promise<Record<string, unknown>> {
    return (await this.instance()).variables;
  }

  /** The user tasks of this instance that wait now, oldest first. */
  async tasks(): Promise<TaskRow[]> {
    const rows = await this.kit.runtime.tasksOfInstance(this.id);
    const full: TaskRow[] = [];
    for (const r of rows) {
      const t = await this.kit.runtime.readTask(r.id);
      if (t) full.push(t);
    }
    return full;
  }

  /** The timers this instance waits for (boundary, intermediate, cycles), earliest first. */
  async timers(): Promise<TimerInfo[]> {
    return this.kit.runtime.waitingTimers(await this.instance());
  }

  /**
   * The one open task with this id in the BPMN file (of a multi-instance activity: the one assigned to
   * `which.assignee`); throws (saying where the instance is) otherwise.
   */
  async task(taskDefinitionKey: string, which: { assignee?: string } = {}): Promise<TaskRow> {
    const open = await this.tasks();
    const matching = open.filter((t) => t.taskDefinitionKey === taskDefinitionKey && (which.assignee === undefined || t.assignee === which.assignee));
    if (matching.length === 1) return matching[0];
    const inst = await this.instance();
    if (!matching.length) throw new Error(`process instance ${this.id} has no open task "${taskDefinitionKey}": ${describeInstance(inst, open)}`);
    throw new Error(`process instance ${this.id} has ${matching.length} open "${taskDefinitionKey}" tasks: ${matching.map(describeTask).join('; ')}`);
  }

  /**
   * Completes the open task `taskDefinitionKey` as the REST API would: the form is validated
   * (required fields, enum values, types; a 400 CrestError otherwise) and the actor must be
   * allowed to work on it (403). The actor defaults to the task's assignee (or first candidate).
   * Several open tasks of one activity (multi-instance) are told apart by `assignee`.
   */
  async complete(taskDefinitionKey: string, values: Record<string, unknown> = {}, opts: { as?: Actor; assignee?: string } = {}): Promise<void> {
    const task = await this.task(taskDefinitionKey, { assignee: opts.assignee });
    await this.kit.runtime.complete(task.id, values, opts.as !== undefined ? principalOf(opts.as) : defaultActor(task)).catch(asCrestError);
    await this.kit.runCallReturns();
  }

  /** The executions of this instance waiting for a trigger, a message or a signal (GET …/workflow/execution). */
  async waits(): Promise<WaitingSubscription[]> {
    return (await this.kit.runtime.waitingExecutions({ offset: 0 })).filter((w) => w.processInstanceId === this.id);
  }

  /**
   * Triggers the one waiting execution at `activityId` (a manual or receive task, a message or signal
   * catch) as `POST …/workflow/execution/{id}?_action=trigger` does; the variables become process variables.
   */
  async trigger(activityId: string, variables: Record<string, unknown> = {}): Promise<void> {
    const waits = await this.waits();
    const at = waits.filter((w) => w.activityId === activityId);
    if (at.length !== 1) {
      const where = waits.map((w) => `${w.activityId} (${w.kind}${w.name ? ` ${w.name}` : ''})`).join(', ') || 'nothing';
      throw new Error(`process instance ${this.id} has ${at.length} waiting executions at "${activityId}"; it waits at ${where}`);
    }
    await this.kit.runtime.trigger(at[0].id, variables).catch(asCrestError);
    await this.kit.runCallReturns();
  }

  /** Claims the open task for `userId` (the actor defaults to that user). */
  async claim(taskDefinitionKey: string, userId: string, opts: { as?: Actor } = {}): Promise<void> {
    const task = await this.task(taskDefinitionKey);
    await this.kit.runtime.claim(task.id, userId, principalOf(opts.as ?? userId)).catch(asCrestError);
  }

  /** Asserts the instance waits at this user task (and that the task looks as expected); returns the task. */
  async expectWaitingAt(taskDefinitionKey: string, expected: TaskExpectation = {}): Promise<TaskRow> {
    const inst = await this.instance();
    const open = await this.tasks();
    const task = open.find((t) => t.taskDefinitionKey === taskDefinitionKey);
    if (inst.status !== 'active' || !task) {
      throw new Error(`expected process instance ${this.id} to wait at "${taskDefinitionKey}", but ${describeInstance(inst, open)}`);
    }
    const wrong = mismatches(task, expected);
    if (wrong.length) throw new Error(`task "${taskDefinitionKey}" of process instance ${this.id} (task ${task.id}) is not as expected:\n  ${wrong.join('\n  ')}`);
    return task;
  }

  /** Asserts the instance does not wait at this user task (any more). */
  async expectNotWaitingAt(taskDefinitionKey: string): Promise<void> {
    const open = await this.tasks();
    const task = open.find((t) => t.taskDefinitionKey === taskDefinitionKey);
    if (task) throw new Error(`expected process instance ${this.id} not to wait at "${taskDefinitionKey}", but it does: ${describeTask(task)}`);
  }

  /** Asserts the instance ended at this end event. */
  async expectEndedAt(endEventId: string): Promise<InstanceRow> {
    const inst = await this.instance();
    if (inst.status !== 'ended' || inst.endActivityId !== endEventId) {
      throw new Error(`expected process instance ${this.id} to have ended at "${endEventId}", but ${describeInstance(inst, await this.tasks())}`);
    }
    return inst;
  }

  /** Asserts the instance failed (a script error, a bad expression, …), optionally with a matching message. */
  async expectFailed(message?: string | RegExp): Promise<InstanceRow> {
    const inst = await this.instance();
    const matches = message === undefined || (typeof message === 'string' ? (inst.error ?? '').includes(message) : message.test(inst.error ?? ''));
    if (inst.status !== 'failed' || !matches) {
      throw new Error(`expected process instance ${this.id} to have failed${message !== undefined ? ` with ${String(message)}` : ''}, but ${describeInstance(inst, await this.tasks())}`);
    }
    return inst;
  }

  /** Asserts the instance enqueued a job of this topic (an external end or throw event); returns it. */
  async expectJob(topic: string): Promise<Job> {
    const job = (await this.jobs()).find((j) => j.type === topic);
    if (!job) {
      const found = await this.jobs();
      throw new Error(`expected process instance ${this.id} to have enqueued a "${topic}" job, but found ${found.length ? found.map((j) => `"${j.type}"`).join(', ') : 'no job'}; ${describeInstance(await this.instance(), await this.tasks())}`);
    }
    return job;
  }

  /** Asserts the instance enqueued no job (of this topic, when given). */
  async expectNoJob(topic?: string): Promise<void> {
    const found = (await this.jobs()).filter((j) => topic === undefined || j.type === topic);
    if (found.length) throw new Error(`expected process instance ${this.id} to have enqueued no ${topic ? `"${topic}" ` : ''}job, but found ${found.map((j) => `"${j.type}" (${j.key})`).join(', ')}`);
  }

  /** Asserts the instance waits for a timer of this boundary/catch event; returns it. */
  async expectTimer(activityId: string, expected: { at?: Instant } = {}): Promise<TimerInfo> {
    const timers = await this.timers();
    const timer = timers.find((t) => t.activityId === activityId);
    if (!timer) {
      const found = timers.map((t) => `${t.activityId} at ${new Date(t.expireAt).toISOString()}`);
      throw new Error(`expected process instance ${this.id} to wait for timer "${activityId}", but found ${found.length ? found.join(', ') : 'no timer'}`);
    }
    if (expected.at !== undefined && timer.expireAt !== toEpoch(expected.at, 'expectTimer at')) {
      throw new Error(`timer "${activityId}" of process instance ${this.id}: expected due ${new Date(toEpoch(expected.at, 'at')).toISOString()}, found ${new Date(timer.expireAt).toISOString()}`);
    }
    return timer;
  }

  /**
   * The activities and events this instance completed so far, in order, across every step (start,
   * completions, timers), as stored in activity_history: what `passed` of the REST history shows.
   */
  async passed(): Promise<string[]> {
    return this.kit.runtime.passedActivities(this.id);
  }

  /** Asserts the instance has passed every one of these activities or events (any order; camunda-bpm-assert's hasPassed). */
  async expectPassed(...activityIds: string[]): Promise<string[]> {
    const passed = await this.passed();
    const missing = activityIds.filter((id) => !passed.includes(id));
    if (missing.length) throw new Error(`expected process instance ${this.id} to have passed ${missing.map((m) => `"${m}"`).join(', ')}, but its path is ${showPath(passed)}; ${describeInstance(await this.instance(), await this.tasks())}`);
    return passed;
  }

  /** Asserts the instance has passed none of these activities or events (hasNotPassed). */
  async expectNotPassed(...activityIds: string[]): Promise<void> {
    const passed = await this.passed();
    const found = activityIds.filter((id) => passed.includes(id));
    if (found.length) throw new Error(`expected process instance ${this.id} not to have passed ${found.map((m) => `"${m}"`).join(', ')}, but its path is ${showPath(passed)}`);
  }

  /** Asserts these were passed in this order (others may come between them; hasPassedInOrder). */
  async expectPassedInOrder(...activityIds: string[]): Promise<void> {
    const passed = await this.passed();
    let at = 0;
    for (const id of activityIds) {
      const next = passed.indexOf(id, at);
      if (next < 0) throw new Error(`expected process instance ${this.id} to have passed ${activityIds.map((m) => `"${m}"`).join(' → ')} in that order, but "${id}" does not follow; its path is ${showPath(passed)}`);
      at = next + 1;
    }
  }

  /** Asserts the whole path: exactly these activities and events, in this order. */
  async expectPath(activityIds: string[]): Promise<void> {
    const passed = await this.passed();
    if (!same(activityIds, passed)) throw new Error(`expected process instance ${this.id} to have taken the path ${showPath(activityIds)}, but it took ${showPath(passed)}`);
  }

  /** Asserts these process variables have these values (deep equality; `undefined` means absent); others are not compared. */
  async expectVariables(expected: Record<string, unknown>): Promise<Record<string, unknown>> {
    const vars = await this.variables();
    const wrong = Object.entries(expected)
      .filter(([k, v]) => (v === undefined ? k in vars : !(k in vars) || !same(v, vars[k])))
      .map(([k, v]) => `${k}: expected ${v === undefined ? 'absent' : show(v)}, found ${k in vars ? show(vars[k]) : 'absent'}`);
    if (wrong.length) throw new Error(`variables of process instance ${this.id} are not as expected:\n  ${wrong.join('\n  ')}`);
    return vars;
  }

  /** The external service tasks this instance waits at (camunda:type="external"). */
  async externalTasks(): Promise<ExternalTaskRow[]> {
    return this.kit.runtime.externalTasks.query({ processInstanceId: this.id, offset: 0, limit: 1000 });
  }

  /** Asserts the instance waits at an external service task of this topic; returns it. */
  async expectExternalTask(topic: string): Promise<ExternalTaskRow> {
    const all = await this.externalTasks();
    const found = all.find((t) => t.topicName === topic);
    if (!found) throw new Error(`expected process instance ${this.id} to wait at an external task of topic "${topic}", but found ${all.length ? all.map((t) => `"${t.topicName}" (${t.activityId})`).join(', ') : 'none'}`);
    return found;
  }

  private async lockExternal(activityId: string, workerId: string): Promise<ExternalTaskRow> {
    const task = (await this.externalTasks()).find((t) => t.activityId === activityId);
    if (!task) throw new Error(`process instance ${this.id} does not wait at external task "${activityId}"`);
    await this.kit.runtime.externalTasks.lock(task.id, workerId, 60_000).catch(asCrestError);
    return task;
  }

  /** Does the external task at `activityId` as a worker would: locks it, completes it with these process variables. */
  async completeExternal(activityId: string, variables: Record<string, unknown> = {}, opts: { workerId?: string } = {}): Promise<void> {
    const workerId = opts.workerId ?? 'test-worker';
    const task = await this.lockExternal(activityId, workerId);
    await this.kit.runtime.externalTasks.complete(task.id, workerId, variables, {}).catch(asCrestError);
    await this.kit.runCallReturns();
  }

  /** Reports a BPMN error for the external task at `activityId` as a worker would (an error boundary with that code catches it). */
  async throwExternalBpmnError(activityId: string, errorCode: string, opts: { errorMessage?: string; variables?: Record<string, unknown>; workerId?: string } = {}): Promise<void> {
    const workerId = opts.workerId ?? 'test-worker';
    const task = await this.lockExternal(activityId, workerId);
    await this.kit.runtime.externalTasks.bpmnError(task.id, workerId, errorCode, opts.errorMessage, opts.variables ?? {}).catch(asCrestError);
    await this.kit.runCallReturns();
  }

  /** The jobs this instance enqueued. */
  async jobs(): Promise<Job[]> {
    return (await this.kit.jobs()).filter((j) => (j.payload as { processInstanceId?: unknown }).processInstanceId === this.id);
  }
}

export class ProcessTestKit {
  /** Everything the runtime logged (deployments, failed instances, timer errors). */
  readonly logs: LogLine[] = [];
  readonly definitions: Definitions;
  readonly runtime: WorkflowRuntime;
  /** Instances that finished (ended or failed) since the kit started, as the runtime reported them. */
  readonly finished: FinishedEvent[] = [];
  private readonly baseDir: string;
  /** Runs workflow.callReturn jobs only (runCallReturns); its failures land in callReturnFailures. */
  private readonly callReturns: Worker;
  private callReturnFailures: string[] = [];

  constructor(
    readonly db: Db,
    readonly clock: FakeClock,
    opts: ProcessTestKitOptions = {},
  ) {
    this.baseDir = opts.baseDir ?? process.cwd();
    const record = (level: LogLine['level']) => (message: string, error?: unknown) => {
      this.logs.push({ level, message, ...(error !== undefined && { error }) });
      if (level === 'error') opts.log?.error(message, error);
      else opts.log?.[level](message);
    };
    const log: Logger = { info: record('info'), warn: record('warn'), error: record('error') };
    this.definitions = new Definitions(db, log);
    const hooks: RuntimeHooks = {
      onFinished: async (trx, e) => {
        this.finished.push(e);
        await opts.hooks?.onFinished?.(trx, e);
      },
      onJobsEnqueued: () => opts.hooks?.onJobsEnqueued?.(),
    };
    // The engine runs in the test's own thread, from src/ under ts-jest as from the installed dist/:
    // a kit test runs the same way wherever it is imported from, with nothing left running after it.
    this.runtime = new WorkflowRuntime(db, this.definitions, log, hooks, { now: clock.now, engineThreads: 0, ...(opts.templates === false && { templates: false }) });
    // The kit runs the callReturn jobs itself (runCallReturns), so call activities may be deployed.
    this.definitions.callActivities = true;
    const workerLog: Logger = { ...log, warn: (message: string) => this.callReturnFailures.push(message) };
    this.callReturns = new Worker(db.knex, { [CALL_RETURN_TOPIC]: this.runtime.callReturnJob }, defaultWorkerOptions('process-test-kit'), workerLog);
  }

  /**
   * Runs the queued workflow.callReturn jobs as the server's worker would, each in its own
   * transaction, until none is left (a returning caller may itself be a called instance): a caller
   * continues after its called instance finished. Every step of the kit calls it; call it yourself
   * after driving kit.runtime directly. Throws when returning failed (the job would be retried).
   */
  async runCallReturns(): Promise<number> {
    let ran = 0;
    this.callReturnFailures = [];
    while (await this.callReturns.runOne()) ran++;
    if (this.callReturnFailures.length) throw new Error(`returning from a called instance failed:\n  ${this.callReturnFailures.join('\n  ')}`);
    return ran;
  }

  /** Deploys a .bpmn / .bpmn20.xml file (relative to baseDir) as a new version of its process. */
  async deploy(file: string): Promise<DeployedDefinition> {
    const full = path.resolve(this.baseDir, file);
    return this.deployXml(readProcessFile(full), path.basename(full));
  }

  /** Deploys BPMN text; a DefinitionError (message and elementId) when it cannot be deployed. */
  async deployXml(xml: string, resourceName = 'test.bpmn'): Promise<DeployedDefinition> {
    const { row, created } = await this.definitions.deployXml(xml, resourceName);
    const def: LoadedDefinition = await this.definitions.get(row.id);
    return { id: row.id, key: row.key, version: row.version, name: def.parsed.name, created, tasks: def.parsed.tasks, endEvents: def.parsed.endEvents };
  }

  /**
   * Starts the latest version of `key` (or the given definition) with these variables. Variables
   * are stored as given, like the REST API's `_action=create` body minus its `_` fields.
   */
  async start(
    key: string | DeployedDefinition,
    variables: Record<string, unknown> = {},
    opts: { businessKey?: string; startUserId?: string; openKey?: string } = {},
  ): Promise<ProcessHandle> {
    const target = typeof key === 'string' ? { key } : { definitionId: key.id };
    const { instance } = await this.runtime.start({
      ...target,
      variables,
      businessKey: opts.businessKey ?? null,
      startUserId: opts.startUserId ?? null,
      openKey: opts.openKey ?? null,
    }).catch(asCrestError);
    await this.runCallReturns();
    return new ProcessHandle(this, instance.id);
  }

  /** A handle on an existing instance. */
  instance(id: number): ProcessHandle {
    return new ProcessHandle(this, id);
  }

  /** Every open user task (optionally only those matching `where`), oldest first. */
  async tasks(where: { taskDefinitionKey?: string; assignee?: string | null; processInstanceId?: number } = {}): Promise<TaskRow[]> {
    const out: TaskRow[] = [];
    for (const row of await this.runtime.queryTasks(EVERYTHING, ADMIN, { offset: 0 })) {
      const t = await this.runtime.withForm(row);
      if (where.taskDefinitionKey !== undefined && t.taskDefinitionKey !== where.taskDefinitionKey) continue;
      if (where.assignee !== undefined && t.assignee !== where.assignee) continue;
      if (where.processInstanceId !== undefined && t.processInstanceId !== where.processInstanceId) continue;
      out.push(t);
    }
    return out;
  }

  /** Correlates a message as `POST …/workflow/message` does (a 400 CrestError when nothing matches). */
  async message(messageName: string, opts: Omit<MessageCorrelation, 'messageName'> = {}): Promise<Correlated[]> {
    const correlated = await this.runtime.correlateMessage({ messageName, ...opts }).catch(asCrestError);
    await this.runCallReturns();
    return correlated;
  }

  /** Broadcasts a signal as `POST …/workflow/signal` does; the instances it reached. */
  async signal(name: string, variables: Record<string, unknown> = {}): Promise<Broadcasted> {
    const reached = await this.runtime.broadcastSignal({ name, variables }).catch(asCrestError);
    await this.runCallReturns();
    return reached;
  }

  /** Every job enqueued so far (optionally of one topic), oldest first. Jobs are not run. */
  async jobs(topic?: string): Promise<Job[]> {
    const filter: Filter = topic === undefined ? EVERYTHING : { type: 'compare', op: 'eq', field: ['type'], value: topic };
    return queryJobs(this.db.knex, filter, 0, undefined);
  }

  /**
   * One pass of the server's timer scheduler at the fake clock's time: fires every due timer of
   * every instance. Returns how many instances fired; throws if firing failed for any of them.
   */
  async fireTimers(): Promise<number> {
    const before = this.logs.length;
    const fired = await this.runtime.fireDue(1000);
    await this.runCallReturns();
    const errors = this.logs.slice(before).filter((l) => l.level === 'error');
    if (errors.length) {
      throw new Error(`the timer scheduler failed:\n  ${errors.map((e) => `${e.message}: ${e.error instanceof Error ? e.error.message : String(e.error)}`).join('\n  ')}`);
    }
    return fired;
  }

  /** Moves the clock forward and runs one scheduler pass. */
  async advance(by: string | number): Promise<number> {
    this.clock.advance(by);
    return this.fireTimers();
  }

  /**
   * Releases what the kit holds: the runtime's engine worker threads (a kit built from dist/ runs
   * engine calls on them) and the database. Call it once, in afterAll/afterEach; the kit is not
   * usable afterwards.
   */
  async close(): Promise<void> {
    await this.runtime.close();
    await this.db.knex.destroy();
  }
}

/** A kit over a fresh in-memory SQLite database, migrated, with a fake clock. */
export async function processTestKit(opts: ProcessTestKitOptions = {}): Promise<ProcessTestKit> {
  const db = openDb({ url: ':memory:', projectDir: opts.baseDir ?? process.cwd() });
  try {
    await migrate(db);
  } catch (e) {
    await db.knex.destroy();
    throw e;
  }
  return new ProcessTestKit(db, new FakeClock(opts.now ?? DEFAULT_START), opts);
}
