// Template start: when the path from the start event to the first wait is deterministic (a plain
// start event, one unconditional sequence flow, a user task, optionally with boundary timers of a
// relative duration), every instance of a definition version waits in the same engine state except
// for its execution ids, its variables and its timers' due times. The real engine runs that path a
// few times per definition version (in this process); each new instance is then the template filled
// in with its own values, and its stored state is a short reference to the template (stateCodec
// format 2). Recovering expands the reference into a full engine state that a real bpmn-engine
// Engine recovers, resumes, signals and finishes exactly like one it had started itself (proved by
// test/unit/workflow/template.test.ts: approve, reject, timer escalation).
//
// A reference must not depend on the installed engine's exact serialization: the template it names
// is stored once per definition version (TemplateRecord, kept in the repository by the runtime,
// keyed by its content fingerprint) before any instance refers to it, and a reference expands by
// that record — the exact state the engine of that day produced — never by whatever the engine
// installed now would produce. bpmn-engine's own recover compatibility then applies, as for a full
// stored state.
//
// Anything the template cannot reproduce exactly falls back to running the engine: another shape of
// process, an expression that reads engine internals (content, fields, properties, environment), an
// expression that fails, a duration the engine would not take as it is (surrounding whitespace) or
// the timer clock cannot add, variables that are not plain JSON.

import crypto from 'node:crypto';
import { engineExpressions } from './expressions';
import type { OpenTask, RunResult, TaskDefinition, TimerInfo } from './interfaces';
import type { CompiledDefinition } from './parse';
import { RESERVED_VARIABLES } from './reservedVariables';
import { encodeTemplateRef, StateFormatError, type EngineState, type StoredState, type TemplateRef } from './stateCodec';
import { resolveOpenTask } from './taskDefinitions';
import { addIsoDuration } from './timers';

/** What the engine layer hands the builder: a real engine run from start to its first wait. */
export type EngineRunner = (variables: Record<string, unknown>, now: number) => Promise<{ result: RunResult; stored?: StoredState }>;

interface TemplateTimer {
  activityId: string;
  /** execution id with token placeholders */
  executionId: string;
  /** raw timeDuration, `${…}` unresolved */
  expression: string;
}

export interface WorkflowTemplate {
  readonly fingerprint: string;
  /** The user task every instance of the template waits in. */
  readonly taskId: string;
  /** That task's execution id in the instance this reference stands for. */
  taskExecutionId(ref: TemplateRef): string;
  /** The waiting state as one RunResult, or undefined when this instance needs the engine. */
  instantiate(variables: Record<string, unknown>, now: number, embedVariables: boolean): RunResult | undefined;
  expand(ref: TemplateRef, variables: Record<string, unknown>): StoredState;
  /** What the runtime stores once per definition version, and expands references by after any upgrade. */
  record(): TemplateRecord;
}

/**
 * A template as stored (and sent to engine worker threads): its content, keyed by its fingerprint.
 * Never rewritten: a reference names one record for the lifetime of its instance.
 */
export interface TemplateRecord {
  fingerprint: string;
  /** JSON: { v: 1, taskId, json, taskExecution, timers, passed? } */
  body: string;
}

const RECORD_VERSION = 1;

function fingerprintOf(json: string, taskExecution: string, timers: TemplateTimer[]): string {
  return crypto.createHash('sha256').update(JSON.stringify([json, taskExecution, timers])).digest('hex').slice(0, 16);
}

// Engine internals an expression could read: the template cannot promise the same values.
const ENGINE_NAMES = /\b(content|fields|properties|environment)\b/;
// bpmn-elements' generateId(): 10 hex digits after an underscore, not followed by more id characters.
const TOKEN = /_([0-9a-f]{10})(?![0-9A-Za-z])/g;
const PLACEHOLDER = /@@(\d+)@@/g;
// Every placeholder of a template's text, matched in one pass (see Template.expand).
const ANY_PLACEHOLDER = /"@@V@@"|"@@D:([^"@]+)@@"|@@(\d+)@@/g;
const MAX_TOKENS = 200;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface SerializedActivity {
  id: string;
  type: string;
  parent?: { id?: string };
  behaviour?: Obj;
}

interface ContextApi {
  getActivities(): SerializedActivity[];
  getInboundSequenceFlows(id: string): { behaviour?: Obj }[];
  getOutboundSequenceFlows(id: string): { targetId: string; behaviour?: Obj }[];
}

const TASK_ALLOWED = new Set(['$type', 'id', 'name', 'documentation', 'extensionElements', 'assignee', 'candidateUsers', 'candidateGroups', 'formKey', 'dueDate', 'priority', '$attrs', 'incoming', 'outgoing', 'implementation']);

function onlyFormExtensions(behaviour: Obj | undefined): boolean {
  const values = (isObj(behaviour?.extensionElements) ? (behaviour!.extensionElements as Obj).values : undefined) ?? [];
  return Array.isArray(values) && values.every((v) => isObj(v) && typeof v.$type === 'string' && /:(FormData|FormProperty|Properties)$/.test(v.$type));
}

/** An expression that could read engine internals: templates and completion plans leave it to the engine. */
export function mentionsEngine(text: string | undefined): boolean {
  return typeof text === 'string' && ENGINE_NAMES.test(text);
}

/** The start → user task (+ boundary timers) shape, or a reason why not. */
function shapeOf(compiled: CompiledDefinition): { task: TaskDefinition; timers: { activityId: string; expression: string }[] } | string {
  const ctx = compiled.sourceContext as unknown as ContextApi;
  const activities = ctx.getActivities();
  const top = activities.filter((a) => a.parent?.id === compiled.processId);
  const starts = top.filter((a) => a.type === 'bpmn:StartEvent');
  if (starts.length !== 1) return 'not exactly one start event';
  for (const a of activities) {
    if (a.behaviour?.triggeredByEvent) return 'event sub-process';
    if (a.parent?.id !== compiled.processId || a.type === 'bpmn:StartEvent' || a.type === 'bpmn:BoundaryEvent') continue;
    // bpmn-elements starts every activity without inbound flows at process start.
    if (!ctx.getInboundSequenceFlows(a.id).length) return `${a.id} has no inbound flow`;
  }
  const [start] = starts;
  const sb = start.behaviour ?? {};
  if (Array.isArray(sb.eventDefinitions) && sb.eventDefinitions.length) return 'start event with an event definition';
  if (!onlyFormExtensions(sb)) return 'start event extensions';
  const out = ctx.getOutboundSequenceFlows(start.id);
  if (out.length !== 1 || out[0].behaviour?.conditionExpression) return 'start event needs one unconditional flow';
  const target = activities.find((a) => a.id === out[0].targetId);
  if (!target || target.type !== 'bpmn:UserTask') return 'the start event does not lead to a user task';
  const tb = target.behaviour ?? {};
  if (Object.keys(tb).some((k) => !TASK_ALLOWED.has(k)) || !onlyFormExtensions(tb)) return `user task ${target.id} has behaviour the template cannot reproduce`;
  const task = compiled.tasks.get(target.id);
  if (!task) return 'user task not compiled';
  const expressions = [task.name, task.assignee, task.candidateUsers, task.candidateGroups, task.formKey, task.dueDate, task.priority, task.documentation, ...task.formProperties.map((p) => p.defaultExpression)];
  if (expressions.some(mentionsEngine)) return 'a task expression reads engine internals';
  const timers: { activityId: string; expression: string }[] = [];
  for (const b of activities.filter((a) => a.type === 'bpmn:BoundaryEvent')) {
    const attachedTo = (b.behaviour?.attachedTo as { id?: string } | undefined)?.id;
    if (attachedTo !== target.id) continue;
    const defs = (b.behaviour?.eventDefinitions as { type?: string; behaviour?: Obj }[] | undefined) ?? [];
    if (defs.length !== 1 || defs[0].type !== 'bpmn:TimerEventDefinition') return `boundary event ${b.id} is not a single timer`;
    const tdb = defs[0].behaviour ?? {};
    if (tdb.timeDate !== undefined || tdb.timeCycle !== undefined || typeof tdb.timeDuration !== 'string') return `boundary timer ${b.id} is not a timeDuration`;
    if (mentionsEngine(tdb.timeDuration)) return `boundary timer ${b.id} reads engine internals`;
    timers.push({ activityId: b.id, expression: tdb.timeDuration });
  }
  return { task, timers };
}

/** Plain JSON values only (what survives the stored state unchanged). */
function isPlainJson(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isPlainJson(x, depth + 1));
  if (typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const x of Object.values(v as Obj)) if (!isPlainJson(x, depth + 1)) return false;
  return true;
}

/** The environment.variables objects of a compact state (definition and processes) become a placeholder. */
function withPlaceholders(state: EngineState, timerIds: Set<string>): string {
  const clone = JSON.parse(JSON.stringify(state)) as EngineState;
  const markVariables = (holder: unknown) => {
    if (isObj(holder) && isObj(holder.environment) && 'variables' in holder.environment) holder.environment.variables = '@@V@@';
  };
  for (const def of clone.definitions) {
    markVariables(def);
    const procs = isObj(def.execution) && Array.isArray(def.execution.processes) ? def.execution.processes : [];
    for (const p of procs) markVariables(p);
  }
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObj(node)) {
      if (node.timerType === 'timeDuration' && typeof node.timeDuration === 'string' && typeof node.id === 'string' && timerIds.has(node.id)) {
        node.timeDuration = `@@D:${node.id}@@`;
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(clone);
  return JSON.stringify(clone);
}

function tokensOf(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(TOKEN)) seen.add(m[1]);
  return [...seen];
}

function canonical(text: string, index: Map<string, number>): string {
  return text.replace(TOKEN, (m, t: string) => (index.has(t) ? `_@@${index.get(t)}@@` : m));
}

function fill(text: string, seed: string): string {
  return text.replace(PLACEHOLDER, (_m, k: string) => seed + (16 + Number(k)).toString(16));
}

interface Sample {
  json: string;
  result: RunResult;
}

async function sample(run: EngineRunner, variables: Record<string, unknown>, timerIds: Set<string>): Promise<Sample | undefined> {
  const { result, stored } = await run(variables, Date.now());
  if (result.status !== 'waiting' || !stored || result.jobs.length || result.openTasks.length !== 1) return undefined;
  // The placeholders below must not meet text of the process itself.
  if (JSON.stringify(stored.engine).includes('@@')) return undefined;
  return { json: withPlaceholders(stored.engine, timerIds), result };
}

/**
 * Builds the template of a definition by running the engine twice (different variables) and
 * checking that both runs canonicalize to the same state; undefined when the definition does not
 * qualify. The caller keeps it (engine.ts, on the parsed definition's LearnedState).
 */
export async function buildTemplate(compiled: CompiledDefinition, run: EngineRunner): Promise<WorkflowTemplate | undefined> {
  const shape = shapeOf(compiled);
  if (typeof shape === 'string') return undefined;
  const timerIds = new Set(shape.timers.map((t) => t.activityId));
  for (let attempt = 0; attempt < 3; attempt++) {
    const a = await sample(run, {}, timerIds);
    const b = await sample(run, { templateProbe: 'b' }, timerIds);
    if (!a || !b) return undefined;
    const tokensA = tokensOf(a.json);
    const tokensB = tokensOf(b.json);
    const realA = tokensA.filter((t) => !tokensB.includes(t));
    const realB = tokensB.filter((t) => !tokensA.includes(t));
    if (realA.length !== realB.length || realA.length > MAX_TOKENS) continue;
    const indexA = new Map(realA.map((t, i) => [t, i]));
    const indexB = new Map(realB.map((t, i) => [t, i]));
    const json = canonical(a.json, indexA);
    if (json !== canonical(b.json, indexB)) continue;
    const [taskA] = a.result.openTasks;
    const [taskB] = b.result.openTasks;
    const taskExecution = canonical(taskA.executionId, indexA);
    if (taskExecution !== canonical(taskB.executionId, indexB) || taskA.taskDefinitionKey !== shape.task.id) continue;
    if (a.result.timers.length !== shape.timers.length) return undefined;
    const timers: TemplateTimer[] = [];
    for (const t of shape.timers) {
      const captured = a.result.timers.find((x) => x.activityId === t.activityId);
      if (!captured) return undefined;
      timers.push({ activityId: t.activityId, executionId: canonical(captured.executionId, indexA), expression: t.expression });
    }
    // The path to the wait is the engine's own (RunResult.passed), the same for every instance.
    if (JSON.stringify(a.result.passed ?? []) !== JSON.stringify(b.result.passed ?? [])) continue;
    return new Template(fingerprintOf(json, taskExecution, timers), json, shape.task, taskExecution, timers, a.result.passed ?? []);
  }
  return undefined;
}

class Template implements WorkflowTemplate {
  constructor(
    readonly fingerprint: string,
    private readonly json: string,
    private readonly task: TaskDefinition,
    private readonly taskExecution: string,
    private readonly timers: TemplateTimer[],
    private readonly passed: readonly string[],
  ) {}

  get taskId(): string {
    return this.task.id;
  }

  taskExecutionId(ref: TemplateRef): string {
    return fill(this.taskExecution, ref.seed);
  }

  /** A timer's duration for these variables, as bpmn-elements resolves it. */
  private duration(t: TemplateTimer, variables: Record<string, unknown>): string {
    const value = engineExpressions.resolveExpression(t.expression, { environment: { variables, output: {}, settings: {} } });
    if (typeof value !== 'string' || !value) throw new Error(`timer ${t.activityId}: duration "${String(value)}" is not an ISO 8601 duration`);
    return value;
  }

  instantiate(variables: Record<string, unknown>, now: number, embedVariables: boolean): RunResult | undefined {
    if (!isPlainJson(variables) || Object.keys(variables).some((k) => RESERVED_VARIABLES.has(k))) return undefined;
    const vars = JSON.parse(JSON.stringify(variables)) as Record<string, unknown>;
    const seed = crypto.randomBytes(4).toString('hex');
    let openTask: OpenTask;
    const timers: TimerInfo[] = [];
    try {
      openTask = resolveOpenTask(this.task, fill(this.taskExecution, seed), vars, now);
      for (const t of this.timers) {
        const duration = this.duration(t, vars);
        // bpmn-elements' parser refuses surrounding whitespace (" PT1H "): so does the template, and
        // the engine run that follows fails the start in its own words, as an engine start does.
        if (duration !== duration.trim()) return undefined;
        const expireAt = addIsoDuration(now, duration);
        if (expireAt === undefined || Number.isNaN(expireAt)) return undefined;
        timers.push({ executionId: fill(t.executionId, seed), activityId: t.activityId, expireAt });
      }
    } catch {
      return undefined; // the engine reports this failure with its own words
    }
    const ref: TemplateRef = { fingerprint: this.fingerprint, seed, dues: timers.map((t) => t.expireAt) };
    if (embedVariables) ref.variables = vars;
    return {
      status: 'waiting',
      state: encodeTemplateRef(ref),
      openTasks: [openTask],
      timers: [...timers].sort((x, y) => x.expireAt - y.expireAt),
      variables: { ...vars },
      jobs: [],
      passed: [...this.passed],
    };
  }

  expand(ref: TemplateRef, variables: Record<string, unknown>): StoredState {
    if (ref.dues.length !== this.timers.length) throw new StateFormatError('instance state does not match its template (timers)');
    const varsJson = JSON.stringify(variables);
    const durations = new Map(this.timers.map((t) => [t.activityId, t]));
    // One pass over the template's own text: what is filled in (variables, durations) is never
    // scanned again, so a variable whose text looks like a placeholder stays as it is.
    const text = this.json.replace(ANY_PLACEHOLDER, (m, timerId: string | undefined, token: string | undefined) => {
      if (m === '"@@V@@"') return varsJson;
      if (timerId !== undefined) {
        const t = durations.get(timerId);
        if (!t) throw new StateFormatError(`template ${this.fingerprint} names an unknown timer ${timerId}`);
        return JSON.stringify(this.duration(t, variables));
      }
      return ref.seed + (16 + Number(token)).toString(16);
    });
    const engine = JSON.parse(text) as EngineState;
    const timers = this.timers.map((t, i) => ({ executionId: fill(t.executionId, ref.seed), activityId: t.activityId, expireAt: ref.dues[i] }));
    // A template reference stands for an instance no step has run on since its start: its
    // variables are still exactly its start variables.
    return { engine, timers: timers.sort((x, y) => x.expireAt - y.expireAt), start: Object.keys(variables) };
  }

  private recorded: TemplateRecord | undefined;

  record(): TemplateRecord {
    const body = { v: RECORD_VERSION, taskId: this.task.id, json: this.json, taskExecution: this.taskExecution, timers: this.timers, passed: this.passed };
    return (this.recorded ??= { fingerprint: this.fingerprint, body: JSON.stringify(body) });
  }
}

/**
 * The template a stored record describes, for expanding references to it (whatever engine built it).
 * Throws STATE_INVALID when the record is not one of this definition's (unknown task, altered content).
 */
export function templateFromRecord(compiled: CompiledDefinition, record: TemplateRecord): WorkflowTemplate {
  let body: { v?: unknown; taskId?: unknown; json?: unknown; taskExecution?: unknown; timers?: unknown; passed?: unknown };
  try {
    body = JSON.parse(record.body);
  } catch (err) {
    throw new StateFormatError(`stored workflow template ${record.fingerprint} cannot be read: ${(err as Error).message}`);
  }
  const timers = body.timers as TemplateTimer[];
  const wellFormed =
    body.v === RECORD_VERSION && typeof body.taskId === 'string' && typeof body.json === 'string' && typeof body.taskExecution === 'string' &&
    Array.isArray(timers) && timers.every((t) => typeof t?.activityId === 'string' && typeof t.executionId === 'string' && typeof t.expression === 'string');
  if (!wellFormed) throw new StateFormatError(`stored workflow template ${record.fingerprint} has an unknown layout`);
  const task = compiled.tasks.get(body.taskId as string);
  if (!task) throw new StateFormatError(`stored workflow template ${record.fingerprint} waits in ${String(body.taskId)}, which this definition does not have`);
  const json = body.json as string;
  const taskExecution = body.taskExecution as string;
  // Content-addressed: a record whose content does not hash to its name was altered.
  const timersCopy = timers.map((t) => ({ activityId: t.activityId, executionId: t.executionId, expression: t.expression }));
  if (fingerprintOf(json, taskExecution, timersCopy) !== record.fingerprint) throw new StateFormatError(`stored workflow template ${record.fingerprint} does not match its fingerprint`);
  // The path to the wait (activity history) came later than the first records: absent is unknown, not wrong.
  const passed = Array.isArray(body.passed) && body.passed.every((p) => typeof p === 'string') ? (body.passed as string[]) : [];
  return new Template(record.fingerprint, json, task, taskExecution, timersCopy, passed);
}
