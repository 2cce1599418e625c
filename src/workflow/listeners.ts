// Task and execution listeners in JavaScript and camunda:inputOutput, as Camunda 7 / Activiti /
// Flowable define them, hooked into bpmn-engine through its documented `extensions` option (one
// extension per run, built by ListenerRuntime).
//
// Deploy (collectHooks): every listener is read from the moddle tree. A JavaScript listener runs: a
// camunda:script (inline, scriptFormat javascript), or Activiti's/Flowable's designer form, a
// ScriptTaskListener / ScriptExecutionListener class with its `script` and `language` fields. Anything
// else (another class, a delegateExpression or expression listener, groovy, a script resource left
// in the XML — scriptResources.ts inlines those of process-folder files at deploy) is refused,
// naming the element: reconflow runs no Java, and a listener that is skipped silently would be a
// false success.
//
// Run: execution `start` listeners (after the input mapping) run on the activity's start event,
// before it executes; `end` listeners (after the output mapping) when its execution completes, before
// its outbound flows are evaluated; `take` listeners when a sequence flow is taken; a process's
// start/end listeners with the process. Task listeners: `create` (and `assignment` first, when the task
// is created with an assignee) when the user task starts waiting, before its row is made, so a
// listener's setAssignee/addCandidateGroup shapes the task; `complete` when it is completed, with the
// submitted values already set. Scripts run in the script process like script tasks (src/scripts),
// with `execution` (and `task`) objects built inside the sandbox over a JSON copy of the variables.
// A script that fails fails the instance at that element.
//
// Input parameters are local to their activity: they are kept in the activity's execution message
// (bpmn-elements' formatting), so they are stored with a waiting activity and survive a restart.

import { DefinitionError, type OpenTask } from './interfaces';
import { resolveValue } from './expressions';
import { groovyHost, groovyMissing } from '../scripts/groovyHost';
import { scriptHost } from '../scripts/host';
import { GROOVY, GROOVY_TIMEOUT_MS, JAVASCRIPT, type LocalScopes } from './scripts';
import { BARE_NAMES_FACTORY, EXECUTION_FACTORY } from './executionBinding';
import type { ModdleElement } from './taskDefinitions';

export const LISTENER_TIMEOUT_MS = 1000;

const SCRIPT_LISTENER_CLASS = /^org\.(activiti|flowable)\.[\w.]*\.Script(Task|Execution)Listener$/;
const TASK_EVENTS = new Set(['create', 'assignment', 'complete']);
const LOCALS_KEY = 'reconflowLocals';
const META_KEY = '@@reconflow.listener';

/** A value of camunda:inputParameter / outputParameter. */
export type IoValue =
  | { kind: 'null' }
  | { kind: 'text'; text: string }
  | { kind: 'list'; items: IoValue[] }
  | { kind: 'map'; entries: [string, IoValue][] }
  | { kind: 'script'; source: string; name: string; language: ScriptLanguage };

/** JavaScript runs in the script process (src/scripts/host.ts), Groovy in the Groovy sidecar. */
export type ScriptLanguage = 'javascript' | 'groovy';

export interface ListenerScript {
  event: string;
  source: string;
  language: ScriptLanguage;
  /** e.g. `executionListener start of userTask "review"`: names the element in errors */
  name: string;
}

export interface ElementHooks {
  execution: ListenerScript[];
  task: ListenerScript[];
  inputs: { name: string; value: IoValue }[];
  outputs: { name: string; value: IoValue }[];
}

type Extensions = ModdleElement[];

const kind = (el: ModdleElement) => el.$type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toLowerCase());
const named = (el: ModdleElement) => `${kind(el)} "${el.id ?? '?'}"`;

function extensionsOf(el: ModdleElement): Extensions {
  return ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as Extensions;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A listener's field (Activiti's `script`, `language`): stringValue, <string> or <expression> text. */
function fieldValue(listener: ModdleElement, name: string): string | undefined {
  for (const f of (listener.fields as ModdleElement[] | undefined) ?? []) {
    if (f.name !== name) continue;
    return str(f.stringValue) ?? str(f.string) ?? str(f.expression) ?? str(f.$attrs?.expression);
  }
  return undefined;
}

/**
 * A script resource still there after reading the process file: its file was not beside the process
 * (scriptResources.ts leaves a missing one for this check, so that the refusal names the element),
 * or the XML was uploaded, which carries no script files.
 */
function resourceNotInlined(what: string, resource: string): string {
  return `${what} has a script resource ("${resource}"), which is read only when a file of the process folder is deployed (an upload carries no script files) and only from a file beside it: no such file was there; put the script inline or beside the process file`;
}

function listenerScript(el: ModdleElement, listener: ModdleElement, type: 'task' | 'execution', event: string): ListenerScript | string {
  const prefix = listener.$type.split(':')[0];
  const what = `${prefix}:${type}Listener${event ? ` (event "${event}")` : ''} on ${named(el)}`;
  const name = `${type}Listener ${event} of ${named(el)}`;
  const cls = str(listener.class) ?? str(listener.$attrs?.class);
  const script = listener.script as ModdleElement | undefined;
  let language: string | undefined;
  let source: string | undefined;
  let resultVariable: string | undefined;
  if (script) {
    if (cls || listener.expression || listener.delegateExpression) return `${what} names both a script and a delegate`;
    language = str(script.scriptFormat) ?? str(script.language);
    resultVariable = str(script.resultVariable);
    // The language first: one reconflow cannot run is refused as such, whether or not its file was there.
    if (str(script.resource) && knownLanguage((language ?? '').trim())) return resourceNotInlined(what, String(script.resource));
    source = str(script.value);
  } else if ((cls && SCRIPT_LISTENER_CLASS.test(cls)) || str(listener.type) === 'script') {
    language = fieldValue(listener, 'language');
    source = fieldValue(listener, 'script');
    if (fieldValue(listener, 'resultVariable')) return `${what} has a resultVariable field, which reconflow does not support; set the variable from the script (execution.setVariable)`;
  } else {
    const delegate = cls ? `class="${cls}"` : listener.delegateExpression ? `delegateExpression="${listener.delegateExpression}"` : listener.expression ? `expression="${listener.expression}"` : 'no script';
    return `${what} is a ${delegate} listener: reconflow runs no Java and evaluates no listener expressions; write it as a JavaScript script listener (camunda:script scriptFormat="javascript")`;
  }
  const lang = (language ?? '').trim();
  const known = knownLanguage(lang);
  if (!known) {
    return `${what} is written in "${lang || '(no language)'}": ${lang ? `${lang} is not supported; ` : ''}reconflow runs JavaScript and Groovy listeners (scriptFormat/language "javascript" or "groovy")`;
  }
  if (known === 'groovy' && groovyMissing(what)) return groovyMissing(what)!;
  if (resultVariable) return `${what} has a resultVariable, which reconflow does not support; set the variable from the script (execution.setVariable)`;
  if (!source || !source.trim()) return `${what} has an empty script`;
  return { event, source, name, language: known };
}

/** The language a listener or mapping script is in, when reconflow runs it. */
function knownLanguage(lang: string): ScriptLanguage | undefined {
  return JAVASCRIPT.test(lang) ? 'javascript' : GROOVY.test(lang) ? 'groovy' : undefined;
}

function ioValueOf(param: ModdleElement, where: string): IoValue | string {
  const def = param.definition as ModdleElement | undefined;
  if (!def) {
    const text = str(param.value);
    return text === undefined || text.trim() === '' ? { kind: 'null' } : { kind: 'text', text: text.trim() };
  }
  switch (def.$type) {
    case 'camunda:List': {
      const items: IoValue[] = [];
      for (const item of (def.items as ModdleElement[] | undefined) ?? []) {
        const v = item.$type === 'camunda:Value' ? ioValueOf({ $type: 'x', value: item.value }, where) : ioValueOf({ $type: 'x', definition: item }, where);
        if (typeof v === 'string') return v;
        items.push(v);
      }
      return { kind: 'list', items };
    }
    case 'camunda:Map': {
      const entries: [string, IoValue][] = [];
      for (const e of (def.entries as ModdleElement[] | undefined) ?? []) {
        const v = ioValueOf(e, where);
        if (typeof v === 'string') return v;
        entries.push([str(e.key) ?? '', v]);
      }
      return { kind: 'map', entries };
    }
    case 'camunda:Script': {
      const lang = (str(def.scriptFormat) ?? '').trim();
      const language = knownLanguage(lang);
      if (!language) return `${where} has a script in "${lang || '(no language)'}": ${lang ? `${lang} is not supported; ` : ''}reconflow runs JavaScript and Groovy`;
      if (language === 'groovy' && groovyMissing(where)) return groovyMissing(where)!;
      if (str(def.resource)) return resourceNotInlined(where, String(def.resource));
      const source = str(def.value);
      if (!source?.trim()) return `${where} has an empty script`;
      return { kind: 'script', source, name: where, language };
    }
    case 'camunda:Value':
      return ioValueOf({ $type: 'x', value: def.value }, where);
    default:
      return `${where} has a ${def.$type} value, which reconflow does not support`;
  }
}

function hooksOf(el: ModdleElement, isProcess: boolean): ElementHooks | string | undefined {
  const hooks: ElementHooks = { execution: [], task: [], inputs: [], outputs: [] };
  const isFlow = el.$type === 'bpmn:SequenceFlow';
  for (const ext of extensionsOf(el)) {
    const [prefix, type] = ext.$type.split(':');
    if (type === 'ExecutionListener') {
      const event = (str(ext.event) ?? (isFlow ? 'take' : '')).trim();
      const allowed = isFlow ? ['take'] : ['start', 'end'];
      if (!allowed.includes(event)) {
        return `${prefix}:executionListener on ${named(el)} has event "${event}": ${isFlow ? 'a sequence flow takes "take"' : `${isProcess ? 'a process' : 'an activity'} takes "start" or "end"`}`;
      }
      const s = listenerScript(el, ext, 'execution', event);
      if (typeof s === 'string') return s;
      hooks.execution.push(s);
    } else if (type === 'TaskListener') {
      const event = (str(ext.event) ?? '').trim();
      if (el.$type !== 'bpmn:UserTask') return `${prefix}:taskListener on ${named(el)}: task listeners belong on user tasks`;
      const events = event === 'all' ? [...TASK_EVENTS] : [event];
      if (!TASK_EVENTS.has(events[0])) {
        return `${prefix}:taskListener on ${named(el)} has event "${event}", which reconflow does not run; it runs "create", "assignment" and "complete"`;
      }
      if ((ext.eventDefinitions as unknown[] | undefined)?.length) return `${prefix}:taskListener on ${named(el)} has a timeout timer, which reconflow does not run`;
      for (const e of events) {
        const s = listenerScript(el, ext, 'task', e);
        if (typeof s === 'string') return s;
        hooks.task.push(s);
      }
    } else if (ext.$type === 'camunda:InputOutput') {
      if (isProcess || isFlow) return `camunda:inputOutput on ${named(el)}: input/output mappings belong on activities and events`;
      if (el.$type === 'bpmn:SubProcess' || el.$type === 'bpmn:CallActivity') return `camunda:inputOutput on ${named(el)} is not supported on a ${kind(el)} yet`;
      for (const [list, out] of [
        [ext.inputParameters, hooks.inputs],
        [ext.outputParameters, hooks.outputs],
      ] as [ModdleElement[] | undefined, ElementHooks['inputs']][]) {
        for (const p of list ?? []) {
          const name = str(p.name);
          const where = `camunda:${p.$type === 'camunda:InputParameter' ? 'inputParameter' : 'outputParameter'} "${name ?? ''}" of ${named(el)}`;
          if (!name) return `${where} has no name`;
          const value = ioValueOf(p, where);
          if (typeof value === 'string') return value;
          out.push({ name, value });
        }
      }
    }
  }
  const any = hooks.execution.length || hooks.task.length || hooks.inputs.length || hooks.outputs.length;
  return any ? hooks : undefined;
}

/**
 * The listeners and I/O mappings of a process (by element id: the process itself, its activities and
 * events, its sequence flows), or a DefinitionError naming the first element that cannot run.
 */
export function collectHooks(proc: ModdleElement, elements: ModdleElement[], where: string): { hooks: Map<string, ElementHooks>; error?: DefinitionError } {
  const hooks = new Map<string, ElementHooks>();
  for (const el of [proc, ...elements]) {
    const h = hooksOf(el, el === proc);
    if (typeof h === 'string') return { hooks, error: new DefinitionError(`Cannot deploy${where}: ${h}`, el.id) };
    if (h && el.id) hooks.set(el.id, h);
  }
  return { hooks };
}

// ---- run time ------------------------------------------------------------------------------------

/**
 * Builds `execution` and `task` inside the sandbox (host objects must never enter it) over the JSON
 * copy of the variables; the script's completion value is replaced by what it changed.
 */
const PRELUDE = `var __rf = variables[${JSON.stringify(META_KEY)}]; delete variables[${JSON.stringify(META_KEY)}];
(function (rf, vars) {
  var execution = (${EXECUTION_FACTORY})(rf, vars);
  globalThis.execution = execution;
  (${BARE_NAMES_FACTORY})(execution, Object.keys(vars).concat(Object.keys(rf.l || {})));
  var t = rf.t;
  if (t) {
    var task = {
      getId: function () { return t.id; }, id: t.id,
      getTaskDefinitionKey: function () { return t.taskDefinitionKey; }, taskDefinitionKey: t.taskDefinitionKey,
      getEventName: function () { return t.eventName; }, eventName: t.eventName,
      getName: function () { return t.name; }, setName: function (n) { t.name = String(n); },
      getDescription: function () { return t.description; }, setDescription: function (d) { t.description = d == null ? null : String(d); },
      getAssignee: function () { return t.assignee; }, setAssignee: function (a) { t.assignee = a == null ? null : String(a); },
      getOwner: function () { return t.owner; }, setOwner: function (o) { t.owner = o == null ? null : String(o); },
      getPriority: function () { return t.priority; }, setPriority: function (p) { t.priority = Number(p); },
      getDueDate: function () { return t.dueDate; }, setDueDate: function (d) { t.dueDate = d == null ? null : (d instanceof Date ? d.toISOString() : String(d)); },
      addCandidateUser: function (u) { if (t.candidateUsers.indexOf(String(u)) < 0) t.candidateUsers.push(String(u)); },
      addCandidateUsers: function (us) { for (var i = 0; i < us.length; i++) task.addCandidateUser(us[i]); },
      addCandidateGroup: function (g) { if (t.candidateGroups.indexOf(String(g)) < 0) t.candidateGroups.push(String(g)); },
      addCandidateGroups: function (gs) { for (var i = 0; i < gs.length; i++) task.addCandidateGroup(gs[i]); },
      deleteCandidateUser: function (u) { t.candidateUsers = t.candidateUsers.filter(function (x) { return x !== String(u); }); },
      deleteCandidateGroup: function (g) { t.candidateGroups = t.candidateGroups.filter(function (x) { return x !== String(g); }); },
      getCandidateUsers: function () { return t.candidateUsers.slice(); }, getCandidateGroups: function () { return t.candidateGroups.slice(); },
      getVariable: execution.getVariable, setVariable: execution.setVariable, getVariables: execution.getVariables, setVariables: execution.setVariables, hasVariable: execution.hasVariable,
      getVariableLocal: execution.getVariableLocal, setVariableLocal: execution.setVariableLocal,
      getProcessInstanceId: execution.getProcessInstanceId, getExecution: function () { return execution; }, execution: execution
    };
    ['name', 'assignee', 'owner', 'priority', 'dueDate', 'description'].forEach(function (k) {
      Object.defineProperty(task, k, { enumerable: true, get: function () { return t[k]; }, set: function (v) { task['set' + k[0].toUpperCase() + k.slice(1)](v); } });
    });
    globalThis.task = task;
  }
})(__rf, variables);
`;

const EPILOGUE = `
;({ l: __rf.l, t: __rf.t, r: undefined })`;

interface ScriptMeta {
  e: { id: string; activityId: string; eventName: string; processInstanceId: string | null; businessKey: string | null; processDefinitionKey: string };
  l: Record<string, unknown>;
  t?: TaskData;
}

interface TaskData {
  id: string;
  taskDefinitionKey: string;
  eventName: string;
  name: string;
  description: string | null;
  assignee: string | null;
  owner: string | null;
  priority: number;
  dueDate: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
}

class ListenerFailure extends Error {
  readonly source: { content: { id: string } };
  constructor(message: string, activityId: string) {
    super(message);
    this.source = { content: { id: activityId } };
  }
}

/** The slice of a bpmn-elements element (activity or process) an extension sees. */
interface ElementLike {
  id: string;
  type: string;
  environment: { variables: Record<string, unknown> };
  broker: {
    subscribeTmp(exchange: string, pattern: string, fn: (routingKey: string, message: BrokerMessage) => void, opts: Record<string, unknown>): void;
    publish(exchange: string, routingKey: string, content: Record<string, unknown>, opts?: Record<string, unknown>): void;
    cancel(tag: string): void;
  };
}

interface BrokerMessage {
  content: { id?: string; executionId?: string; [key: string]: unknown };
}

export interface RunIdentity {
  processInstanceId?: string;
  businessKey?: string | null;
}

/** One run's listeners: the `extensions` option for its Engine, and the user-task hooks engine.ts calls. */
export class ListenerRuntime implements LocalScopes {
  private readonly started = new Set<string>();
  /** The user tasks waiting in this run, as resolved (what a `complete` listener's `task` shows). */
  private readonly tasks = new Map<string, OpenTask>();
  /** Set by the engine layer while bpmn-engine resumes a stored state (it re-emits every wait). */
  resuming = false;
  private readonly locals = new Map<string, Record<string, unknown>>();
  private tag = 0;

  constructor(
    private readonly hooks: ReadonlyMap<string, ElementHooks>,
    private readonly processId: string,
    private readonly onFailure: (err: Error, activityId: string) => void,
    private readonly identity: RunIdentity = {},
  ) {}

  get active(): boolean {
    return this.hooks.size > 0;
  }

  /** bpmn-engine's `extensions` option. */
  get extensions(): Record<string, (element: ElementLike) => unknown> {
    return { reconflowListeners: (element) => this.extend(element) };
  }

  private extend(element: ElementLike): unknown {
    if (element.type === 'bpmn:Process') {
      this.extendProcess(element);
      return undefined;
    }
    const hooks = this.hooks.get(element.id);
    if (!hooks) return undefined;
    const tag = `_reconflow-listeners-${element.id}-${this.tag++}`;
    return {
      activate: () => {
        element.broker.subscribeTmp('event', 'activity.*', (routingKey, message) => this.onActivityEvent(element, hooks, routingKey, message), { noAck: true, consumerTag: tag, priority: 10000 });
        element.broker.subscribeTmp('event', 'activity.execution.completed', (_rk, message) => this.onCompleted(element, hooks, message), { noAck: true, consumerTag: `${tag}-c`, priority: 10000 });
      },
      deactivate: () => {
        element.broker.cancel(tag);
        element.broker.cancel(`${tag}-c`);
      },
    };
  }

  /** A process's own start/end listeners and its sequence flows' take listeners. */
  private extendProcess(proc: ElementLike): void {
    const own = this.hooks.get(proc.id)?.execution ?? [];
    const flows = [...this.hooks.entries()].some(([id, h]) => id !== proc.id && h.execution.some((l) => l.event === 'take'));
    if (!own.length && !flows) return;
    proc.broker.subscribeTmp(
      'event',
      '#',
      (routingKey, message) => {
        const content = message.content;
        if ((routingKey === 'process.start' || routingKey === 'process.end') && content.id === proc.id) {
          const event = routingKey.slice('process.'.length);
          // process.start is published once per instance, never again on resume.
          this.runAll(own.filter((l) => l.event === event), proc.id, proc.environment.variables, {}, { id: String(content.executionId ?? proc.id), eventName: event });
        } else if (routingKey === 'flow.take' && content.id) {
          const take = this.hooks.get(content.id)?.execution.filter((l) => l.event === 'take') ?? [];
          if (take.length) this.runAll(take, content.id, proc.environment.variables, {}, { id: String(content.sequenceId ?? content.id), eventName: 'take' });
        }
      },
      { noAck: true, consumerTag: `_reconflow-process-listeners-${this.tag++}`, priority: 10000 },
    );
  }

  private onActivityEvent(element: ElementLike, hooks: ElementHooks, routingKey: string, message: BrokerMessage): void {
    if (routingKey !== 'activity.start') return;
    const executionId = String(message.content.executionId ?? element.id);
    this.started.add(executionId);
    const vars = element.environment.variables;
    const locals: Record<string, unknown> = {};
    try {
      for (const p of hooks.inputs) locals[p.name] = this.ioValue(p.value, element.id, vars, locals, { id: executionId, eventName: 'start' });
    } catch (err) {
      return this.failed(err, element.id);
    }
    this.locals.set(executionId, locals);
    // Kept in the execution message (stored with a waiting activity): bpmn-elements' formatting.
    if (hooks.inputs.length) element.broker.publish('format', 'run.reconflow.locals', { [LOCALS_KEY]: locals });
    this.runAll(hooks.execution.filter((l) => l.event === 'start'), element.id, vars, locals, { id: executionId, eventName: 'start' });
  }

  private onCompleted(element: ElementLike, hooks: ElementHooks, message: BrokerMessage): void {
    const executionId = String(message.content.executionId ?? element.id);
    const locals = this.localsOf(executionId, message.content);
    const vars = element.environment.variables;
    const task = element.type === 'bpmn:UserTask' ? this.taskData(element.id, executionId, 'complete', message.content) : undefined;
    this.runAll(hooks.task.filter((l) => l.event === 'complete'), element.id, vars, locals, { id: executionId, eventName: 'complete' }, task);
    try {
      for (const p of hooks.outputs) vars[p.name] = this.ioValue(p.value, element.id, vars, locals, { id: executionId, eventName: 'end' });
    } catch (err) {
      return this.failed(err, element.id);
    }
    this.runAll(hooks.execution.filter((l) => l.event === 'end'), element.id, vars, locals, { id: executionId, eventName: 'end' });
    this.locals.delete(executionId);
  }

  /** The local variables (inputs) of an activity execution: kept in memory during a run, else from its stored message. */
  localsOf(executionId: string, content: Record<string, unknown> | undefined): Record<string, unknown> {
    let locals = this.locals.get(executionId);
    if (!locals) {
      const stored = content?.[LOCALS_KEY];
      locals = stored && typeof stored === 'object' ? { ...(stored as Record<string, unknown>) } : {};
      this.locals.set(executionId, locals);
    }
    return locals;
  }

  /** Variables a user task's expressions see: the process's with its activity's inputs over them. */
  scopeVariables(api: { executionId: string; content?: Record<string, unknown>; environment: { variables: Record<string, unknown> } }): Record<string, unknown> {
    const locals = this.localsOf(api.executionId, api.content);
    return Object.keys(locals).length ? { ...api.environment.variables, ...locals } : api.environment.variables;
  }

  /**
   * A user task that starts waiting: its `assignment` (when it has an assignee) and `create`
   * listeners run once, when the task is created (not again when a stored instance is resumed), and
   * may change it.
   */
  taskCreated(api: { id: string; executionId: string; content?: Record<string, unknown>; environment: { variables: Record<string, unknown> } }, task: OpenTask): OpenTask {
    const listeners = this.hooks.get(api.id)?.task ?? [];
    if (!listeners.length) return task;
    if (!this.isNew(api)) {
      this.tasks.set(api.executionId, task);
      return task;
    }
    const locals = this.localsOf(api.executionId, api.content);
    const data: TaskData = {
      id: api.executionId,
      taskDefinitionKey: task.taskDefinitionKey,
      eventName: 'create',
      name: task.name,
      description: task.documentation ?? null,
      assignee: task.assignee ?? null,
      owner: null,
      priority: task.priority,
      dueDate: task.dueDate ?? null,
      candidateUsers: [...task.candidateUsers],
      candidateGroups: [...task.candidateGroups],
    };
    const vars = api.environment.variables;
    const assignment = listeners.filter((l) => l.event === 'assignment');
    if (data.assignee) this.runAll(assignment, api.id, vars, locals, { id: api.executionId, eventName: 'assignment' }, { ...data, eventName: 'assignment' }, data);
    const before = data.assignee;
    this.runAll(listeners.filter((l) => l.event === 'create'), api.id, vars, locals, { id: api.executionId, eventName: 'create' }, data, data);
    // A create listener that assigns the task is an assignment.
    if (data.assignee && data.assignee !== before) this.runAll(assignment, api.id, vars, locals, { id: api.executionId, eventName: 'assignment' }, { ...data, eventName: 'assignment' }, data);
    const out: OpenTask = {
      ...task,
      name: data.name,
      priority: Number.isFinite(data.priority) ? Math.trunc(data.priority) : task.priority,
      candidateUsers: data.candidateUsers,
      candidateGroups: data.candidateGroups,
    };
    if (data.assignee) out.assignee = data.assignee;
    else delete out.assignee;
    if (data.description) out.documentation = data.description;
    else delete out.documentation;
    if (data.dueDate) {
      const due = Date.parse(data.dueDate);
      if (Number.isNaN(due)) {
        this.failed(new Error(`a task listener set dueDate "${data.dueDate}", which is not a date`), api.id);
        return task;
      }
      out.dueDate = new Date(due).toISOString();
    } else delete out.dueDate;
    this.tasks.set(api.executionId, out);
    return out;
  }

  /**
   * Whether a waiting task was created in this run: its execution (or, for a multi-instance
   * iteration, its parent's) started in it, or it started waiting after the stored state was resumed.
   */
  private isNew(api: { executionId: string; content?: Record<string, unknown> }): boolean {
    const parent = (api.content?.parent as { executionId?: unknown } | undefined)?.executionId;
    return this.started.has(api.executionId) || (typeof parent === 'string' && this.started.has(parent)) || !this.resuming;
  }

  private taskData(activityId: string, executionId: string, eventName: string, content: Record<string, unknown>): TaskData {
    const t = this.tasks.get(executionId);
    return {
      id: executionId,
      taskDefinitionKey: activityId,
      eventName,
      name: t?.name ?? (typeof content.name === 'string' ? content.name : activityId),
      description: t?.documentation ?? null,
      assignee: t?.assignee ?? null,
      owner: null,
      priority: t?.priority ?? 50,
      dueDate: t?.dueDate ?? null,
      candidateUsers: [...(t?.candidateUsers ?? [])],
      candidateGroups: [...(t?.candidateGroups ?? [])],
    };
  }

  /** A parameter's value over the process variables `vars` and the activity's `locals` (the inputs mapped so far). */
  private ioValue(value: IoValue, activityId: string, vars: Record<string, unknown>, locals: Record<string, unknown>, exec: { id: string; eventName: string }): unknown {
    switch (value.kind) {
      case 'null':
        return null;
      case 'text':
        return resolveValue(value.text, { ...vars, ...locals });
      case 'list':
        return value.items.map((v) => this.ioValue(v, activityId, vars, locals, exec));
      case 'map':
        return Object.fromEntries(value.entries.map(([k, v]) => [k, this.ioValue(v, activityId, vars, locals, exec)]));
      case 'script': {
        // The script's value is the parameter's. Camunda binds `execution` in mapping scripts too:
        // what it sets goes to the process (camunda-bpm-examples/loan-granting sets defaultScore so).
        const seen = { ...vars, ...locals };
        const meta: ScriptMeta = {
          e: { ...exec, activityId, processDefinitionKey: this.processId, processInstanceId: this.identity.processInstanceId ?? null, businessKey: this.identity.businessKey ?? null },
          l: { ...locals },
        };
        // No epilogue: the completion value stays the script's own (the prelude's is undefined).
        const input = JSON.stringify({ ...seen, [META_KEY]: meta });
        const json =
          value.language === 'groovy' ? groovyHost().run('task', value.name, value.source, input, GROOVY_TIMEOUT_MS) : scriptHost().task(value.name, PRELUDE + value.source, input, LISTENER_TIMEOUT_MS);
        const { r, v } = (json === undefined ? {} : JSON.parse(json)) as { r?: unknown; v?: Record<string, unknown> };
        if (v && typeof v === 'object') {
          // Locals shown as variables are not process variables: only the process's own change.
          for (const key of Object.keys(vars)) if (!Object.hasOwn(locals, key) && !Object.hasOwn(v, key)) delete vars[key];
          for (const [key, after] of Object.entries(v)) {
            if (key === '__proto__' || Object.hasOwn(locals, key)) continue;
            if (!Object.hasOwn(seen, key) || JSON.stringify(seen[key]) !== JSON.stringify(after)) vars[key] = after;
          }
        }
        return r === undefined ? null : r;
      }
    }
  }

  private runAll(
    listeners: ListenerScript[],
    activityId: string,
    vars: Record<string, unknown>,
    locals: Record<string, unknown>,
    exec: { id: string; eventName: string },
    task?: TaskData,
    into?: TaskData,
  ): void {
    for (const l of listeners) {
      const meta: ScriptMeta = {
        e: { ...exec, activityId, processDefinitionKey: this.processId, processInstanceId: this.identity.processInstanceId ?? null, businessKey: this.identity.businessKey ?? null },
        l: locals,
        ...(task && { t: { ...task, candidateUsers: [...task.candidateUsers], candidateGroups: [...task.candidateGroups] } }),
      };
      let out: { v?: Record<string, unknown>; r?: { l?: Record<string, unknown>; t?: TaskData } };
      try {
        const input = JSON.stringify({ ...vars, [META_KEY]: meta });
        const json = l.language === 'groovy' ? groovyHost().run('listener', l.name, l.source, input, GROOVY_TIMEOUT_MS) : scriptHost().task(l.name, PRELUDE + l.source + EPILOGUE, input, LISTENER_TIMEOUT_MS);
        out = json === undefined ? {} : JSON.parse(json);
      } catch (err) {
        return this.failed(new Error(`${l.name} failed: ${(err as Error).message}`), activityId);
      }
      if (out.v && typeof out.v === 'object') {
        for (const key of Object.keys(vars)) if (!Object.hasOwn(out.v, key)) delete vars[key];
        for (const [key, value] of Object.entries(out.v)) if (key !== '__proto__') vars[key] = value;
      }
      if (out.r?.l && typeof out.r.l === 'object') for (const [key, value] of Object.entries(out.r.l)) if (key !== '__proto__') locals[key] = value;
      if (into && out.r?.t) {
        const t = out.r.t;
        into.name = typeof t.name === 'string' ? t.name : into.name;
        into.description = t.description ?? null;
        into.assignee = t.assignee ?? null;
        into.owner = t.owner ?? null;
        into.priority = typeof t.priority === 'number' ? t.priority : into.priority;
        into.dueDate = t.dueDate ?? null;
        into.candidateUsers = Array.isArray(t.candidateUsers) ? t.candidateUsers.map(String) : into.candidateUsers;
        into.candidateGroups = Array.isArray(t.candidateGroups) ? t.candidateGroups.map(String) : into.candidateGroups;
        if (task) Object.assign(task, into, { eventName: task.eventName });
      }
    }
  }

  private failed(err: unknown, activityId: string): void {
    const failure = new ListenerFailure((err as Error)?.message ?? String(err), activityId);
    this.onFailure(failure, activityId);
    // Stops the element's run here: the run is failed already and is never stored as waiting.
    throw failure;
  }
}
