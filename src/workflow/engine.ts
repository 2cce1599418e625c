// The engine layer: run a parsed definition until every token waits (user task, timer, …) or the
// process ends, and hand back what the persistence layer stores. No instance stays in memory: every
// call builds a fresh Engine on the definition's parsed context and recovers the stored state. It
// keeps no state of its own: what it learns about a definition (its start template and completion
// plan) is kept on that parsed definition (CompiledDefinition.learned, see learned.ts).

import { CONTINUE_TOPIC } from './asyncBoundaries';
import { callReturn, callWait, CallActivityError, type CallOutcome } from './callActivities';
import { CompletionPlan, type Prediction } from './completionPlan';
import { collectWaits } from './eventWaits';
import { engineExpressions, scopeVariables } from './expressions';
import { deliverOutcome, resolvePriority, uncaughtBpmnError, type ExternalOutcome } from './externalTasks';
import type { OpenTask, ParsedDefinition, RunOptions, RunResult, WaitingExecution } from './interfaces';
import { ListenerRuntime } from './listeners';
import { compiledOf, type CompiledDefinition } from './parse';
import { SandboxScripts } from './scripts';
import { compactEngineState, decodeState, decodeTemplateRef, encodeState, isTemplateRef, StateFormatError, type EngineState, type StoredState } from './stateCodec';
import { guardStartVariables, presumedStartKeys, resolveOpenTask, submittedVariables } from './taskDefinitions';
import type { TemplateStore } from './learned';
import { refuseReservedVariables } from './reservedVariables';
import { buildTemplate, type TemplateRecord, type WorkflowTemplate } from './template';
import { CapturingTimers } from './timers';

export { parseDefinition } from './parse';
export { DefinitionError } from './interfaces';
export type { TemplateStore } from './learned';
export type { TemplateRecord } from './template';
export type {
  EndEventDef, FormPropertyDef, FormPropertyType, OpenTask, ParsedDefinition, ResolvedFormProperty, RunOptions, RunResult, TaskDefinition, TimerInfo, WaitingExecution,
} from './interfaces';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Engine } = require('bpmn-engine') as { Engine: new (options: Record<string, unknown>) => BpmnEngine };
/* eslint-enable @typescript-eslint/no-require-imports */

// ---- the slice of bpmn-engine's API used here -------------------------------------------------------

interface EnvironmentLike {
  variables: Record<string, unknown>;
}

interface ElementApi {
  id: string;
  type: string;
  executionId: string;
  content: Record<string, unknown>;
  environment: EnvironmentLike;
  signal(message?: unknown): void;
  discard(): void;
  sendApiMessage(action: string, content?: unknown): void;
  /** A sub-process's waiting executions: its own and its postponed children's (absent for a plain activity). */
  getPostponed?(): ElementApi[] | undefined;
  /** The other executions of the same activity: a multi-instance body's iterations. */
  getExecuting?(): ElementApi[] | undefined;
}

interface DefinitionLike {
  getState(): Record<string, unknown>;
  getProcesses(): { id: string; environment: EnvironmentLike; execution?: Record<symbol, unknown> }[];
}

/** bpmn-elements' ActivityTracker of a process execution (a global symbol): the ids it counts as executing. */
const TRACKER = Symbol.for('activity tracker');
type Tracker = { status?: { execute?: Set<string> } } | undefined;

interface ExecutionLike {
  readonly definitions: DefinitionLike[];
  readonly activityStatus: string;
  getPostponed(): ElementApi[];
}

interface BpmnEngine {
  execute(options: Record<string, unknown>): Promise<ExecutionLike>;
  recover(state: EngineState): BpmnEngine;
  resume(options: Record<string, unknown>): Promise<ExecutionLike>;
  on(event: string, fn: (arg: unknown) => void): void;
}

// -------------------------------------------------------------------------------------------------

// bpmn-engine's default Logger builds `debug` instances for every element of every Engine: ~1 ms per
// run. Stay silent unless DEBUG is set (errors reach the caller through RunResult anyway).
const silentLogger = () => ({ debug() {}, error() {}, warn() {} });

/** Waiting for asynchronous work (none in the shipped processes) is bounded. */
const SETTLE_TIMEOUT_MS = 10_000;
const STALE_CHECK_MS = 20;

// Keys bpmn-elements copies from the process run message into the process variables.
const RUN_MESSAGE_KEYS = ['fields', 'content', 'properties'];

function errorCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function errorMessage(err: unknown): string {
  const e = err as { message?: unknown; description?: unknown } | null;
  if (typeof e?.message === 'string' && e.message) return e.message;
  return typeof e?.description === 'string' ? e.description : String(err);
}

/** The activity an engine error came from: ActivityError carries its source message. */
function errorActivityId(err: unknown): string | undefined {
  const source = (err as { source?: { content?: { id?: unknown } } } | null)?.source;
  return typeof source?.content?.id === 'string' ? source.content.id : undefined;
}

export class Run {
  readonly timers: CapturingTimers;
  private readonly engine: BpmnEngine;
  private execution: ExecutionLike | undefined;
  private readonly openTasks = new Map<string, OpenTask>();
  /** external service tasks waiting, by execution id (externalTasks.ts) */
  private readonly externalWaits = new Map<string, WaitingExecution>();
  private readonly jobs: RunResult['jobs'] = [];
  /** Activities and events completed during this run, in order (RunResult.passed). */
  private readonly passed: string[] = [];
  private processEnv: EnvironmentLike | undefined;
  private lastEndEvent: string | undefined;
  private lastInnerEndEvent: string | undefined;
  private lastErrorActivity: string | undefined;
  private ended = false;
  private failure: RunResult['error'];
  /** Names of the variables the instance was started with (stored with its state). */
  private startKeys: string[] | undefined;

  private readonly listener = { emit: (key: string, api: ElementApi | undefined) => this.onEvent(key, api) };
  /** Task/execution listeners and I/O mappings of the definition (listeners.ts). */
  private readonly hooks: ListenerRuntime;

  constructor(
    private readonly compiled: CompiledDefinition,
    now: () => number,
    knownTimers: ReadonlyMap<string, number> = new Map(),
    instance: RunOptions['instance'] = {},
  ) {
    this.timers = new CapturingTimers(now, knownTimers);
    this.hooks = new ListenerRuntime(compiled.hooks, compiled.processId, (err, id) => this.fail(err, id), { processInstanceId: instance.id, businessKey: instance.businessKey ?? null });
    this.engine = new Engine({
      name: compiled.processId,
      sourceContext: compiled.sourceContext,
      timers: this.timers,
      expressions: engineExpressions,
      scripts: new SandboxScripts(this.hooks, { processInstanceId: instance.id ?? null, businessKey: instance.businessKey ?? null }, this.jobs),
      ...(this.hooks.active && { extensions: this.hooks.extensions }),
      ...(!process.env.DEBUG && { Logger: silentLogger }),
    });
    // Without an 'error' listener EventEmitter would throw the engine error out of a broker callback.
    this.engine.on('error', (err) => this.fail(err));
    this.engine.on('end', () => {
      this.ended = true;
    });
  }

  private fail(err: unknown, activityId?: string): void {
    if (this.failure) return;
    const id = activityId ?? errorActivityId(err) ?? this.lastErrorActivity;
    this.failure = { message: errorMessage(err), ...(id !== undefined && { activityId: id }) };
  }

  private onEvent(key: string, api: ElementApi | undefined): void {
    if (!api) return;
    try {
      if (key.startsWith('process.') && api.id === this.compiled.processId) this.processEnv = api.environment;
      switch (key) {
        case 'activity.wait':
          if (this.compiled.tasks.has(api.id)) this.onUserTaskWait(api);
          else if (this.compiled.externalTasks.has(api.id)) this.onExternalWait(api);
          break;
        case 'activity.end': {
          this.passed.push(api.id);
          const topic = this.compiled.jobTopics.get(api.id);
          if (topic) this.jobs.push({ topic, activityId: api.id });
          // api.type is the event definition's type for events with one: match on ids instead. The
          // process ends at one of its own end events; at a sub-process's (an event sub-process
          // finishing last) only when it reached none of its own in the run that ended it.
          if (this.compiled.endEventIds.has(api.id)) {
            if ((api.content.parent as { id?: unknown } | undefined)?.id === this.compiled.processId) this.lastEndEvent = api.id;
            else this.lastInnerEndEvent = api.id;
          }
          break;
        }
        case 'activity.error':
          this.lastErrorActivity = api.id;
          break;
      }
    } catch (err) {
      this.fail(err, api.id);
    }
  }

  // Resolved when the task starts waiting; resume() re-emits the wait of every waiting task, at any
  // depth. Its expressions see its scope: a sub-process's variables, a multi-instance iteration's
  // loop variables (${approver}), then the process's.
  private onUserTaskWait(api: ElementApi): void {
    const def = this.compiled.tasks.get(api.id)!;
    // Loop variables (multi-instance) and the activity's own inputs (camunda:inputOutput) are in scope.
    const task = resolveOpenTask(def, api.executionId, scopeVariables(this.hooks.scopeVariables(api), api.content), this.timers.clock());
    this.openTasks.set(api.executionId, this.hooks.taskCreated(api, task));
  }

  private onExternalWait(api: ElementApi): void {
    const def = this.compiled.externalTasks.get(api.id)!;
    const priority = resolvePriority(def, api.environment.variables);
    this.externalWaits.set(api.executionId, { executionId: api.executionId, activityId: api.id, kind: 'external', name: def.topic, detail: { priority } });
  }

  /** The waiting external service task with this execution id, after recover. */
  waitingExternal(executionId: string): ElementApi | undefined {
    const api = this.waitingExecution(executionId);
    return api && this.compiled.externalTasks.has(api.id) ? api : undefined;
  }

  /** A worker's outcome (complete, BPMN error) for a waiting external task; the run goes on. */
  async deliver(api: ElementApi, outcome: ExternalOutcome): Promise<void> {
    await this.step(() => {
      this.externalWaits.delete(api.executionId);
      deliverOutcome(api, outcome);
    });
    // An uncaught BPMN error fails the instance, in words that name it (never a silent end).
    if (outcome.kind === 'bpmnError' && this.failure && this.failure.activityId === api.id) {
      this.failure = { message: uncaughtBpmnError(api.id, outcome.errorCode, outcome.errorMessage), activityId: api.id };
    }
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  private get done(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /**
   * Whether an activity still runs (a script in the script host). bpmn-elements' tracker keeps
   * counting an activity whose scope an error ended before it left (an error end event in a
   * sub-process caught by a boundary): only an execution that still exists can be running.
   */
  private stillExecuting(): boolean {
    if (this.execution?.activityStatus !== 'executing') return false;
    const trackers = this.execution.definitions.flatMap((d) => d.getProcesses()).map((p) => p.execution?.[TRACKER] as Tracker);
    const ids = trackers.flatMap((t) => [...(t?.status?.execute ?? [])]);
    if (!ids.length || trackers.some((t) => !t?.status?.execute)) return true;
    const live = new Set(this.waitingExecutions().map((api) => api.executionId));
    return ids.some((id) => live.has(id));
  }

  /** Lets asynchronous work finish: everything synchronous has already run when execute() returns. */
  private async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    // The tracker's status is cheap; the walk behind a stale one is not: look again every few ms,
    // not on every turn of the loop (a script's time limit is measured on this thread).
    let nextCheck = 0;
    while (!this.done && this.execution?.activityStatus === 'executing') {
      if (Date.now() >= nextCheck) {
        if (!this.stillExecuting()) return;
        nextCheck = Date.now() + STALE_CHECK_MS;
      }
      if (Date.now() > deadline) {
        this.fail(new Error(`no wait state reached within ${SETTLE_TIMEOUT_MS} ms`));
        return;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs a step; a throw anywhere inside bpmn-engine becomes a failed result, never a crash. */
  private async step(fn: () => unknown): Promise<void> {
    if (this.done) return;
    try {
      await fn();
    } catch (err) {
      this.fail(err);
    }
    await this.settle();
  }

  async start(variables: Record<string, unknown>): Promise<void> {
    this.startKeys = Object.keys(variables);
    await this.step(async () => {
      this.execution = await this.engine.execute({ listener: this.listener, variables: { ...variables } });
    });
  }

  async recover(stored: StoredState): Promise<void> {
    this.startKeys = stored.start;
    await this.step(async () => {
      this.engine.recover(stored.engine);
      // A signal sent before resume() is dropped silently: resume first, always.
      this.hooks.resuming = true; // the waits resume() re-emits are not new tasks
      this.execution = await this.engine.resume({ listener: this.listener });
      this.hooks.resuming = false;
    });
  }

  /** Environments of the scopes around each waiting execution (innermost first), from the last walk. */
  private readonly outerScopes = new Map<string, EnvironmentLike[]>();

  /**
   * Every waiting activity execution at any depth: top level, inside (nested, event) sub-processes
   * and multi-instance bodies (the body and each waiting iteration). The one place that walks
   * bpmn-engine's postponed tree: an activity's getExecuting() lists its other executions (a
   * multi-instance body's iterations, in the same scope), a sub-process's getPostponed() its own
   * execution messages (again) and the postponed children of every execution it runs, so each
   * execution id is kept once, where it is first met (the shallowest place).
   */
  waitingExecutions(): ElementApi[] {
    if (this.done || !this.execution) return [];
    const out: ElementApi[] = [];
    this.outerScopes.clear();
    const visit = (apis: ElementApi[] | undefined, outer: EnvironmentLike[]) => {
      for (const api of apis ?? []) {
        if (this.outerScopes.has(api.executionId)) continue;
        this.outerScopes.set(api.executionId, outer);
        out.push(api);
        const inner = [api.environment, ...outer];
        // Only a multi-instance body's iterations: an event's definition executions (a message
        // catch's inner execution) are the same wait, not another one.
        visit(api.getExecuting?.()?.filter((x) => x.content?.isMultiInstance === true), outer);
        visit(api.getPostponed?.(), inner);
      }
    };
    visit(this.execution.getPostponed(), []);
    return out;
  }

  /** The waiting activity execution with this id (any depth), after recover. */
  waitingExecution(executionId: string): ElementApi | undefined {
    return this.waitingExecutions().find((api) => api.executionId === executionId);
  }

  /** The waiting user task with this execution id, after recover. */
  waitingTask(executionId: string): ElementApi | undefined {
    const api = this.waitingExecution(executionId);
    return api && this.compiled.tasks.has(api.id) ? api : undefined;
  }

  async signal(task: ElementApi, values: Record<string, unknown>): Promise<void> {
    const vars = submittedVariables(this.compiled.tasks.get(task.id), values);
    const current = task.environment.variables;
    // Throws out of the run (a form error, nothing ran): the caller stores nothing.
    guardStartVariables(this.startKeys ?? presumedStartKeys(this.compiled.tasks.values(), current), current, vars);
    // A sub-process runs on a copy of its parent's variables: submitted values are set in every
    // scope up to the process (as Camunda's setVariable on a task), so what follows the
    // sub-process, and the stored variables, see them.
    const scopes = new Set([task.environment, ...(this.outerScopes.get(task.executionId) ?? [])]);
    await this.step(() => {
      for (const env of scopes) Object.assign(env.variables, vars);
      this.openTasks.delete(task.executionId);
      task.signal(vars);
    });
  }

  /**
   * Resumes a waiting execution that is not a user task (triggers.ts picks it): the variables become
   * process variables, as a task's submitted values do (start variables stay as they are).
   */
  async resumeAt(api: ElementApi, variables: Record<string, unknown>): Promise<void> {
    const current = api.environment.variables;
    guardStartVariables(this.startKeys ?? presumedStartKeys(this.compiled.tasks.values(), current), current, variables);
    await this.step(() => {
      Object.assign(api.environment.variables, variables);
      api.signal({ ...variables });
    });
  }

  /** The waits other than user tasks and timers, as RunResult.waits reports them (eventWaits.ts). */
  waits(): WaitingExecution[] {
    const waiting = this.waitingExecutions();
    const external = waiting.flatMap((api) => this.externalWaits.get(api.executionId) ?? []);
    return [...collectWaits(this.compiled.eventWaits, waiting), ...this.callWaits(), ...external];
  }

  /** The start events of the process itself. */
  get startEventIds(): ReadonlySet<string> {
    return this.compiled.eventWaits.starts;
  }

  /** Ends a waiting execution without taking its outbound flows (a start event not taken). */
  async discardAt(api: ElementApi): Promise<void> {
    await this.step(() => api.discard());
  }

  async fireDue(now: number): Promise<void> {
    while (!this.done) {
      let fired = false;
      await this.step(() => {
        fired = this.timers.fireNextDue(now);
      });
      if (!fired) return;
    }
  }

  private variables(): Record<string, unknown> {
    // resume() emits no process event for a process that just keeps waiting: ask the definition.
    const env =
      this.processEnv ??
      this.execution?.definitions.flatMap((d) => d.getProcesses()).find((p) => p.id === this.compiled.processId)?.environment;
    const vars = env?.variables ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(vars)) {
      if (RUN_MESSAGE_KEYS.includes(key) && typeof (vars.fields as { routingKey?: unknown } | undefined)?.routingKey === 'string') continue;
      out[key] = value;
    }
    return out;
  }

  /** Returns a called instance's outcome to the waiting call activity `api` (callActivities.ts). */
  async returnFromCall(api: ElementApi, outcome: CallOutcome): Promise<void> {
    if ('failure' in outcome) return this.fail(new Error(outcome.failure), api.id);
    let step: () => void;
    try {
      step = callReturn(this.compiled.calls.get(api.id)!, api, outcome);
    } catch (err) {
      return this.fail(err, api.id);
    }
    await this.step(step);
  }

  /** The call activities waiting now, with what their called instances start with. */
  private callWaits(): WaitingExecution[] {
    if (!this.compiled.calls.size) return [];
    return this.waitingExecutions()
      .filter((api) => this.compiled.calls.has(api.id))
      .map((api) => callWait(this.compiled.calls.get(api.id)!, api.executionId, api.environment.variables));
  }

  /** Asynchronous continuation boundaries waiting now (asyncBoundaries.ts). */
  waitingBoundaries(): ElementApi[] {
    if (this.done || !this.compiled.asyncBoundaries.size) return [];
    return (this.execution?.getPostponed() ?? []).filter((api) => this.compiled.asyncBoundaries.has(api.id));
  }

  /** Passes an asynchronous continuation boundary: the run goes on to its next wait state. */
  async continueAt(api: ElementApi): Promise<void> {
    await this.step(() => api.signal());
  }

  result(): RunResult {
    // A run that stops at a continuation boundary commits there; a durable job continues it.
    for (const api of this.waitingBoundaries()) {
      const activityId = this.compiled.asyncBoundaries.get(api.id)!.activityId;
      if (!this.jobs.some((j) => j.topic === CONTINUE_TOPIC && j.activityId === activityId)) this.jobs.push({ topic: CONTINUE_TOPIC, activityId });
    }
    const base = { variables: this.variables(), jobs: this.jobs, passed: this.passed };
    if (this.failure) return { status: 'failed', openTasks: [], timers: [], ...base, error: this.failure };
    if (this.ended) {
      const end = this.lastEndEvent ?? this.lastInnerEndEvent;
      return { status: 'ended', openTasks: [], timers: [], ...base, ...(end && { endActivityId: end }) };
    }
    const execution = this.execution;
    const postponed = this.waitingExecutions();
    if (!execution || !postponed.length) {
      // e.g. a state recovered with a context whose waiting activity no longer exists: bpmn-engine just idles.
      return { status: 'failed', openTasks: [], timers: [], ...base, error: { message: 'instance neither waits nor ended' } };
    }
    const openTasks: OpenTask[] = [];
    for (const api of postponed) {
      const task = this.openTasks.get(api.executionId);
      if (task) openTasks.push(task);
    }
    let waits: WaitingExecution[];
    try {
      waits = this.waits();
    } catch (err) {
      // A calledElement or in mapping that cannot be resolved fails the step that reached it.
      this.fail(err, err instanceof CallActivityError ? err.activityId : undefined);
      return this.result();
    }
    const timers = this.timers.list();
    // Never an instance that waits for something nothing can send: every legitimate wait is a task,
    // a timer, a wait kind (trigger, message, signal, call, external) or a continuation job.
    if (!openTasks.length && !timers.length && !waits.length && !this.jobs.some((j) => j.topic === CONTINUE_TOPIC)) {
      const at = [...new Set(postponed.map((api) => api.id))].join(', ');
      return { status: 'failed', openTasks: [], timers: [], ...base, error: { message: `instance waits at ${at} for nothing that can resume it (no task, timer, message, signal, call or external task)`, activityId: postponed[0].id } };
    }
    this.storedState = {
      engine: compactEngineState({ definitions: execution.definitions.map((d) => d.getState()) as EngineState['definitions'] }),
      timers,
      ...(this.startKeys && { start: this.startKeys }),
    };
    return { status: 'waiting', state: encodeState(this.storedState), openTasks, timers, ...base, ...(waits.length && { waits }) };
  }

  /** The compact state behind the last waiting result(). */
  storedState: StoredState | undefined;
}

/** Options of startInstance beyond RunOptions. */
export interface StartOptions extends RunOptions {
  /**
   * 'template' (default): instantiate the definition's waiting template when it has one (see
   * template.ts); 'engine': always run bpmn-engine from the start event.
   */
  start?: 'template' | 'engine';
  /**
   * The caller stores the variables itself and passes them back on recover (ResumeOptions.variables):
   * a template-started state then leaves them out.
   */
  externalVariables?: boolean;
  /**
   * The starting user's id: set in the start event's initiator variable (camunda:initiator, …) when
   * the definition names one, null when nobody is signed in (as Activiti and Camunda do).
   */
  startUserId?: string | null;
}

/** Options of completeTask / fireDueTimers beyond RunOptions. */
export interface ResumeOptions extends RunOptions {
  /** The instance's variables, for states stored with StartOptions.externalVariables. */
  variables?: Record<string, unknown>;
}

/** The definition's waiting template (built once per parsed definition), if it has one. */
function templateFor(compiled: CompiledDefinition): Promise<WorkflowTemplate | undefined> {
  return (compiled.learned.template ??= buildTemplate(compiled, async (variables, now) => {
    const run = new Run(compiled, () => now);
    await run.start(variables);
    const result = run.result();
    return { result, stored: run.storedState };
  })
    .then((t) => {
      if (t) compiled.learned.known.set(t.fingerprint, t);
      return t;
    })
    .catch(() => undefined));
}

/**
 * Where this definition's templates are kept (Definitions sets the repository) and the records
 * already stored there: references expand by these, never by what the installed engine would build.
 */
export function useTemplateStore(def: ParsedDefinition, store: TemplateStore | undefined, records: TemplateRecord[] = []): void {
  const learned = compiledOf(def).learned;
  learned.store = store;
  learned.register(compiledOf(def), records);
}

/** The stored template a state refers to (for a worker thread that expands it); undefined for a full state. */
export async function referencedTemplate(def: ParsedDefinition, state: Buffer): Promise<TemplateRecord | undefined> {
  if (!isTemplateRef(state)) return undefined;
  const compiled = compiledOf(def);
  const fingerprint = decodeTemplateRef(state).fingerprint;
  return (await compiled.learned.byFingerprint(compiled, fingerprint, () => templateFor(compiled))).record();
}

/** Builds and stores (TemplateStore) the definition's start template; false when it has none or the store failed. */
export async function saveStartTemplate(def: ParsedDefinition): Promise<boolean> {
  const compiled = compiledOf(def);
  const template = await templateFor(compiled);
  return template !== undefined && (await compiled.learned.ensureSaved(template));
}

/** Whether new instances of this definition start from its template (for diagnostics and benchmarks). */
export async function hasStartTemplate(def: ParsedDefinition): Promise<boolean> {
  return (await templateFor(compiledOf(def))) !== undefined;
}

/**
 * The full engine state of a stored instance: a template reference is expanded by this
 * definition's own template (with the instance's variables unless the state carries them).
 */
export function expandState(def: ParsedDefinition, state: Buffer, variables?: Record<string, unknown>): Promise<StoredState> {
  return decodeFor(compiledOf(def), state, { variables });
}

async function decodeFor(compiled: CompiledDefinition, state: Buffer, opts: ResumeOptions): Promise<StoredState> {
  if (!isTemplateRef(state)) return decodeState(state);
  // A reference expands by the template it names, as stored when the instance started.
  const ref = decodeTemplateRef(state);
  const template = await compiled.learned.byFingerprint(compiled, ref.fingerprint, () => templateFor(compiled));
  const variables = ref.variables ?? opts.variables;
  if (!variables) throw new StateFormatError('instance state keeps its variables outside; they are needed to recover it');
  return template.expand(ref, variables);
}

function knownTimers(timers: { executionId: string; expireAt: number }[]): Map<string, number> {
  return new Map(timers.map((t) => [t.executionId, t.expireAt]));
}

/** Starts an instance and runs it until every token waits or the process ends. */
export async function startInstance(def: ParsedDefinition, variables: Record<string, unknown>, opts: StartOptions = {}): Promise<RunResult> {
  const compiled = compiledOf(def);
  const now = opts.now ?? Date.now;
  refuseReservedVariables(variables, 'start');
  if (def.initiator) variables = { ...variables, [def.initiator]: opts.startUserId ?? null };
  if (opts.start !== 'engine' && opts.templates !== false) {
    const template = await templateFor(compiled);
    // Stored before any instance refers to it; a store that fails means a full state instead.
    const result = template && (await compiled.learned.ensureSaved(template)) ? template.instantiate(variables ?? {}, now(), !opts.externalVariables) : undefined;
    if (result) return result;
  }
  const run = new Run(compiled, now, undefined, opts.instance);
  await run.start(variables ?? {});
  return run.result();
}

/** The variable names a submission would set, whichever task takes it (a form field may rename its variable). */
function submittedNames(compiled: CompiledDefinition, values: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, unknown> = { ...values };
  for (const task of compiled.tasks.values()) for (const p of task.formProperties) if (p.variableName && Object.hasOwn(values, p.id)) names[p.variableName] = true;
  return names;
}

/** The definition's completion plan: one per template. */
function planFor(compiled: CompiledDefinition): Promise<CompletionPlan | undefined> {
  return (compiled.learned.plan ??= templateFor(compiled).then((t) => (t ? new CompletionPlan(compiled, t) : undefined)));
}

/** Whether the definition's completion plan is still trusted (for diagnostics and tests). */
export async function completionPlanState(def: ParsedDefinition): Promise<'none' | 'active' | 'disabled'> {
  const plan = await planFor(compiledOf(def));
  return !plan ? 'none' : plan.disabled ? 'disabled' : 'active';
}

/** The engine's own completion, for callers that run it elsewhere (a worker thread). */
export type EngineCompletion = () => Promise<RunResult>;

/**
 * Completes the waiting user task `executionId` of a stored instance; the submitted values become
 * process variables. Throws (code TASK_NOT_WAITING) when no such task waits, (code FORM_VALIDATION)
 * when a required form value is missing or an enum value unknown.
 *
 * A template-started instance on a path its definition's completion plan has already seen the
 * engine take is answered by the plan; otherwise bpmn-engine runs (`engine`, or in this thread),
 * and its result teaches or corrects the plan.
 */
export async function completeTask(
  def: ParsedDefinition,
  state: Buffer,
  executionId: string,
  values: Record<string, unknown>,
  opts: ResumeOptions = {},
  engine?: EngineCompletion,
): Promise<RunResult> {
  const compiled = compiledOf(def);
  refuseReservedVariables(submittedNames(compiled, values ?? {}), 'completion');
  let plan: CompletionPlan | undefined;
  let predicted: Prediction | undefined;
  if (opts.templates !== false && isTemplateRef(state)) {
    const ref = decodeTemplateRef(state);
    const [template, p] = await Promise.all([templateFor(compiled), planFor(compiled)]);
    const variables = ref.variables ?? opts.variables;
    if (p && variables && template?.fingerprint === ref.fingerprint) {
      plan = p;
      predicted = plan.predict(ref, variables, executionId, values ?? {});
      if (predicted && plan.isVerified(predicted.path)) return predicted.result;
    }
  }
  const actual = engine ? await engine() : await completeWithEngine(compiled, state, executionId, values, opts);
  if (plan && predicted) plan.confirm(predicted, actual);
  return actual;
}

async function completeWithEngine(compiled: CompiledDefinition, state: Buffer, executionId: string, values: Record<string, unknown>, opts: ResumeOptions): Promise<RunResult> {
  const stored = await decodeFor(compiled, state, opts);
  const run = new Run(compiled, opts.now ?? Date.now, knownTimers(stored.timers), opts.instance);
  await run.recover(stored);
  // A state that cannot be recovered is a failed instance, not a missing task.
  if (run.failed) return run.result();
  const task = run.waitingTask(executionId);
  if (!task) throw errorCode(`task execution ${executionId} is not waiting`, 'TASK_NOT_WAITING');
  await run.signal(task, values ?? {});
  return run.result();
}

/**
 * Continues a stored instance from the asynchronous continuation boundaries it waits at (every one,
 * in turn) to its next wait state; undefined when it waits at none (already continued).
 */
export async function continueAsync(def: ParsedDefinition, state: Buffer, opts: ResumeOptions = {}): Promise<RunResult | undefined> {
  const compiled = compiledOf(def);
  const stored = await decodeFor(compiled, state, opts);
  const run = new Run(compiled, opts.now ?? Date.now, knownTimers(stored.timers), opts.instance);
  await run.recover(stored);
  if (run.failed) return run.result();
  const waiting = run.waitingBoundaries();
  if (!waiting.length) return undefined;
  for (const api of waiting) await run.continueAt(api);
  return run.result();
}

/** A Run recovered from a stored state, for triggers.ts (a state that cannot be recovered is a failed run). */
export async function recoverRun(def: ParsedDefinition, state: Buffer, opts: ResumeOptions = {}): Promise<Run> {
  const compiled = compiledOf(def);
  const stored = await decodeFor(compiled, state, opts);
  const run = new Run(compiled, opts.now ?? Date.now, knownTimers(stored.timers));
  await run.recover(stored);
  return run;
}

/** A Run of bpmn-engine from the start events (never a template), for triggers.ts. */
export async function startRun(def: ParsedDefinition, variables: Record<string, unknown>, opts: RunOptions = {}): Promise<Run> {
  const run = new Run(compiledOf(def), opts.now ?? Date.now);
  await run.start(variables);
  return run;
}

/**
 * Returns a called instance's outcome to the waiting call activity execution `executionId` of a
 * stored instance (its out mappings applied) and runs on to the next wait state. Throws (code
 * CALL_NOT_WAITING) when no such call activity waits (it was already returned to).
 */
export async function resumeCall(def: ParsedDefinition, state: Buffer, executionId: string, outcome: CallOutcome, opts: ResumeOptions = {}): Promise<RunResult> {
  const compiled = compiledOf(def);
  const run = await recoverRun(def, state, opts);
  if (run.failed) return run.result();
  const api = run.waitingExecution(executionId);
  if (!api || !compiled.calls.has(api.id)) throw errorCode(`call activity execution ${executionId} is not waiting`, 'CALL_NOT_WAITING');
  await run.returnFromCall(api, outcome);
  return run.result();
}

/**
 * Resumes the external service task waiting at `executionId` of a stored instance with a worker's
 * outcome (externalTasks.ts) and runs to the next wait state. Throws (code TASK_NOT_WAITING) when
 * no such external task waits. A BPMN error that no boundary catches is a failed result whose
 * message names the error code.
 */
export async function resumeExternalTask(def: ParsedDefinition, state: Buffer, executionId: string, outcome: ExternalOutcome, opts: ResumeOptions = {}): Promise<RunResult> {
  const run = await recoverRun(def, state, opts);
  if (run.failed) return run.result();
  const api = run.waitingExternal(executionId);
  if (!api) throw errorCode(`external task execution ${executionId} is not waiting`, 'TASK_NOT_WAITING');
  await run.deliver(api, outcome);
  return run.result();
}

/** The due times of a stored state's timers (for a failing timer's backoff). */
export async function storedDueTimes(state: Buffer): Promise<number[]> {
  if (isTemplateRef(state)) return decodeTemplateRef(state).dues;
  return decodeState(state).timers.map((t) => t.expireAt);
}

/**
 * Recovers a stored instance and fires every captured timer due at `now`, earliest first (repeating
 * cycles fire once per due occurrence); timers not yet due stay captured in the result.
 */
export async function fireDueTimers(def: ParsedDefinition, state: Buffer, now: number, opts: ResumeOptions = {}): Promise<RunResult> {
  // `now` is the clock of this call (opts.now is not used here).
  const compiled = compiledOf(def);
  const stored = await decodeFor(compiled, state, opts);
  const run = new Run(compiled, () => now, knownTimers(stored.timers), opts.instance);
  await run.recover(stored);
  await run.fireDue(now);
  return run.result();
}
