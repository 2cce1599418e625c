// The engine layer: run a parsed definition until every token waits (user task, timer, …) or the
// process ends, and hand back what the persistence layer stores. No instance stays in memory: every
// call builds a fresh Engine on the definition's parsed context and recovers the stored state. It
// keeps no state of its own: what it learns about a definition (its start template and completion
// plan) is kept on that parsed definition (CompiledDefinition.learned, see learned.ts).

import { CONTINUE_TOPIC } from './asyncBoundaries';
import { CompletionPlan, type Prediction } from './completionPlan';
import { engineExpressions } from './expressions';
import type { OpenTask, ParsedDefinition, RunOptions, RunResult } from './interfaces';
import { ListenerRuntime } from './listeners';
import { compiledOf, type CompiledDefinition } from './parse';
import { SandboxScripts } from './scripts';
import { compactEngineState, decodeState, decodeTemplateRef, encodeState, isTemplateRef, StateFormatError, type EngineState, type StoredState } from './stateCodec';
import { guardStartVariables, presumedStartKeys, resolveOpenTask, submittedVariables } from './taskDefinitions';
import { buildTemplate, type WorkflowTemplate } from './template';
import { CapturingTimers } from './timers';

export { parseDefinition } from './parse';
export { DefinitionError } from './interfaces';
export type {
  EndEventDef, FormPropertyDef, FormPropertyType, OpenTask, ParsedDefinition, ResolvedFormProperty, RunOptions, RunResult, TaskDefinition, TimerInfo,
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
  /** Waiting children of a sub-process or multi-instance execution (undefined for a plain activity). */
  getPostponed?(): ElementApi[] | undefined;
}

interface DefinitionLike {
  getState(): Record<string, unknown>;
  getProcesses(): { id: string; environment: EnvironmentLike }[];
}

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

class Run {
  readonly timers: CapturingTimers;
  private readonly engine: BpmnEngine;
  private execution: ExecutionLike | undefined;
  private readonly openTasks = new Map<string, OpenTask>();
  private readonly jobs: RunResult['jobs'] = [];
  private processEnv: EnvironmentLike | undefined;
  private lastEndEvent: string | undefined;
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
      scripts: new SandboxScripts(this.hooks),
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
          break;
        case 'activity.end': {
          const topic = this.compiled.jobTopics.get(api.id);
          if (topic) this.jobs.push({ topic, activityId: api.id });
          // api.type is the event definition's type for events with one: match on ids instead.
          if (this.compiled.endEventIds.has(api.id)) this.lastEndEvent = api.id;
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

  // Resolved when the task starts waiting; resume() re-emits the wait of every waiting task.
  private onUserTaskWait(api: ElementApi): void {
    const def = this.compiled.tasks.get(api.id)!;
    const task = resolveOpenTask(def, api.executionId, this.hooks.scopeVariables(api), this.timers.clock());
    this.openTasks.set(api.executionId, this.hooks.taskCreated(api, task));
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  private get done(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** Lets asynchronous work finish: everything synchronous has already run when execute() returns. */
  private async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (!this.done && this.execution?.activityStatus === 'executing') {
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

  /**
   * Every waiting activity execution at any depth: top level, inside (nested) sub-processes and
   * multi-instance bodies. The one place that walks bpmn-engine's postponed tree.
   */
  waitingExecutions(): ElementApi[] {
    if (this.done || !this.execution) return [];
    const out: ElementApi[] = [];
    const seen = new Set<string>();
    const visit = (apis: ElementApi[] | undefined) => {
      for (const api of apis ?? []) {
        if (seen.has(api.executionId)) continue;
        seen.add(api.executionId);
        out.push(api);
        visit(api.getPostponed?.());
      }
    };
    visit(this.execution.getPostponed());
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
    await this.step(() => {
      // The task's environment is its process's: gateway conditions read these as variables.
      Object.assign(task.environment.variables, vars);
      this.openTasks.delete(task.executionId);
      task.signal(vars);
    });
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
    const base = { variables: this.variables(), jobs: this.jobs };
    if (this.failure) return { status: 'failed', openTasks: [], timers: [], ...base, error: this.failure };
    if (this.ended) {
      return { status: 'ended', openTasks: [], timers: [], ...base, ...(this.lastEndEvent && { endActivityId: this.lastEndEvent }) };
    }
    const execution = this.execution;
    const postponed = execution?.getPostponed() ?? [];
    if (!execution || !postponed.length) {
      // e.g. a state recovered with a context whose waiting activity no longer exists: bpmn-engine just idles.
      return { status: 'failed', openTasks: [], timers: [], ...base, error: { message: 'instance neither waits nor ended' } };
    }
    const openTasks: OpenTask[] = [];
    for (const api of postponed) {
      const task = this.openTasks.get(api.executionId);
      if (task) openTasks.push(task);
    }
    const timers = this.timers.list();
    this.storedState = {
      engine: compactEngineState({ definitions: execution.definitions.map((d) => d.getState()) as EngineState['definitions'] }),
      timers,
      ...(this.startKeys && { start: this.startKeys }),
    };
    return { status: 'waiting', state: encodeState(this.storedState), openTasks, timers, ...base };
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
  }).catch(() => undefined));
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
  // A template reference is expanded by this definition's own template, never another one's.
  const ref = decodeTemplateRef(state);
  const template = await templateFor(compiled);
  if (!template || template.fingerprint !== ref.fingerprint) {
    throw new StateFormatError(`instance state refers to workflow template ${ref.fingerprint}, which this definition does not produce`);
  }
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
  if (def.initiator) variables = { ...variables, [def.initiator]: opts.startUserId ?? null };
  if (opts.start !== 'engine' && opts.templates !== false) {
    const template = await templateFor(compiled);
    const result = template?.instantiate(variables ?? {}, now(), !opts.externalVariables);
    if (result) return result;
  }
  const run = new Run(compiled, now, undefined, opts.instance);
  await run.start(variables ?? {});
  return run.result();
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
