// The `execution` object that JavaScript written for Camunda 7, Activiti and Flowable expects
// (execution.getVariable / setVariable / getProcessInstanceId …), and process variables read by bare
// name, for scripts run in the script process (src/scripts). Both are made INSIDE the sandbox by
// source prepended to the script, over the sandbox's own JSON copy of the variables: no host object
// ever enters it, and the prelude runs within the script's time limit like the script itself.
//
// What a script changes goes back to the host as before: the copy of `variables` (set, removed)
// and nothing else. A bare name reads the variable (live: after setVariable it reads the new
// value); assigning to it makes a script-local value and sets no variable, as Camunda (without
// autoStoreScriptVariables) and Flowable (without autoStoreVariables) do. Names the sandbox
// already defines (JSON, Math, variables, execution …) keep their meaning.
//
// One implementation for every script kind: script tasks (scripts.ts) prepend `withExecution`;
// listeners build `execution` with EXECUTION_FACTORY (and bare names with BARE_NAMES_FACTORY) in
// their own prelude, and add their `task` beside it.

/** The key under which the host passes ExecutionMeta inside the variables' JSON (removed by the prelude). */
export const META_KEY = '@@reconflow.execution';

/** What the script's `execution` knows of where it runs. */
export interface ExecutionMeta {
  e: {
    /** the activity execution's id */
    id: string;
    activityId: string;
    /** a listener's event (start, end, take, create …); null in a script task */
    eventName: string | null;
    processInstanceId: string | null;
    businessKey: string | null;
    processDefinitionKey: string;
  };
  /** the activity's local variables (camunda:inputOutput inputs), shown over the process's */
  l: Record<string, unknown>;
}

/**
 * Sandbox source of a function `(rf, vars) => execution`: `rf` is the ExecutionMeta, `vars` the
 * script's `variables`. ES5, no line comments (it is joined onto the script's first line).
 */
export const EXECUTION_FACTORY = `function (rf, vars) {
  var locals = rf.l || {}, e = rf.e, own = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };
  var get = function (n) { n = String(n); return own(locals, n) ? locals[n] : own(vars, n) ? vars[n] : null; };
  var set = function (n, v) { n = String(n); if (own(locals, n)) locals[n] = v; else vars[n] = v; };
  var has = function (n) { return own(locals, String(n)) || own(vars, String(n)); };
  var all = function () { var o = {}, k; for (k in vars) o[k] = vars[k]; for (k in locals) o[k] = locals[k]; return o; };
  return {
    getVariable: get, setVariable: set, hasVariable: has, getVariables: all,
    getVariableNames: function () { return Object.keys(all()); },
    setVariables: function (o) { for (var k in o) if (own(o, k)) set(k, o[k]); },
    removeVariable: function (n) { n = String(n); if (own(locals, n)) delete locals[n]; else delete vars[n]; },
    getVariableLocal: function (n) { return own(locals, String(n)) ? locals[String(n)] : null; },
    setVariableLocal: function (n, v) { locals[String(n)] = v; },
    getVariablesLocal: function () { var o = {}; for (var k in locals) o[k] = locals[k]; return o; },
    getId: function () { return e.id; }, id: e.id,
    getActivityId: function () { return e.activityId; }, activityId: e.activityId,
    getCurrentActivityId: function () { return e.activityId; }, currentActivityId: e.activityId,
    getEventName: function () { return e.eventName; }, eventName: e.eventName,
    getProcessInstanceId: function () { return e.processInstanceId; }, processInstanceId: e.processInstanceId,
    getProcessBusinessKey: function () { return e.businessKey; }, getBusinessKey: function () { return e.businessKey; }, businessKey: e.businessKey,
    getProcessDefinitionId: function () { return e.processDefinitionKey; }, processDefinitionKey: e.processDefinitionKey
  };
}`;

/**
 * Sandbox source of a function `(execution, names)` that makes each name a global reading
 * execution.getVariable. A name the script declares with `var` exists already (hoisted, undefined)
 * and gets the value; a name the sandbox defines otherwise is left alone.
 */
export const BARE_NAMES_FACTORY = `function (execution, names) {
  var shadow = Object.create(null);
  names.forEach(function (k) {
    var d = Object.getOwnPropertyDescriptor(globalThis, k);
    if (!d && !(k in globalThis)) {
      Object.defineProperty(globalThis, k, { configurable: true, enumerable: false,
        get: function () { return k in shadow ? shadow[k] : execution.getVariable(k); },
        set: function (v) { shadow[k] = v; } });
    } else if (d && 'value' in d && d.value === undefined && d.writable) {
      globalThis[k] = execution.getVariable(k);
    }
  });
}`;

const oneLine = (source: string) => source.replace(/\n\s*/g, ' ');

/** Where a script task's `openidm` calls come back, inside the variables' copy (scripts.ts takes them out). */
export const CALLS_KEY = '@@reconflow.calls';

/**
 * Sandbox source of IDM's \`openidm\` for a script task: action() records the call (scriptCalls.ts
 * decides what it may ask for); every other method fails naming itself.
 */
const OPENIDM_FACTORY = `function (vars) {
  var refuse = function (what) { return function () { throw new Error('openidm.' + what + ' is not available in reconflow\\'s BPMN scripts: a script task may call openidm.action(\\'sync\\', \\'performAction\\', …) to create the approved account'); }; };
  var api = { create: refuse('create'), read: refuse('read'), update: refuse('update'), patch: refuse('patch'), query: refuse('query') };
  api['delete'] = refuse('delete');
  api.action = function (resource, action, content, params) {
    var merged = {}, k;
    for (k in (content || {})) merged[k] = content[k];
    for (k in (params || {})) merged[k] = params[k];
    if (!vars[${JSON.stringify(CALLS_KEY)}]) vars[${JSON.stringify(CALLS_KEY)}] = [];
    vars[${JSON.stringify(CALLS_KEY)}].push({ resource: String(resource), action: String(action), params: JSON.parse(JSON.stringify(merged)) });
    return {};
  };
  return api;
}`;

/** Prepended to a script: binds `execution`, `openidm` and the bare variable names, then runs the script as written. */
const PRELUDE = oneLine(`(function (vars) {
  var rf = vars[${JSON.stringify(META_KEY)}]; delete vars[${JSON.stringify(META_KEY)}];
  var execution = (${EXECUTION_FACTORY})(rf, vars);
  globalThis.execution = execution;
  globalThis.openidm = (${OPENIDM_FACTORY})(vars);
  var names = Object.keys(vars); for (var k in rf.l) if (names.indexOf(k) < 0) names.push(k);
  (${BARE_NAMES_FACTORY})(execution, names);
})(variables);`);

/**
 * The script with its bindings. Its first line is the prelude's (so line numbers stay), and its
 * completion value is the script's (the prelude's is undefined).
 */
export function withExecution(source: string): string {
  return PRELUDE + source;
}

/** The variables' JSON for a script made by withExecution. */
export function variablesWithMeta(variables: Record<string, unknown>, meta: ExecutionMeta): string {
  return JSON.stringify({ ...variables, [META_KEY]: meta });
}

/** bpmn-elements' `content.parent` of an activity message. */
export interface MessageParent {
  id?: string;
  type?: string;
  path?: { id?: string; type?: string }[];
}

/** The process an activity runs in, from bpmn-elements' message content (parent, and its path for nested scopes). */
export function processIdOf(content: { parent?: MessageParent } | undefined): string {
  const parent = content?.parent;
  for (const p of [parent, ...(parent?.path ?? [])]) if (p?.type === 'bpmn:Process' && p.id) return p.id;
  return parent?.id ?? '';
}
