// Replaces bpmn-engine's JavaScripts, which runs script tasks with the whole execution scope
// (environment, services, timers) in reach and without a time limit. Here a script sees a JSON copy
// of the process variables as `variables` and nothing else, and may change variables by assigning
// to `variables.x`. It runs in this thread's script worker (src/scripts/host.ts), so it holds
// the calling thread at most SCRIPT_TASK_TIMEOUT_MS in all (run, microtasks, copying the variables
// out), whatever it overrides or allocates; past that it is stopped and the task fails naming the
// activity and the limit. Variables come back as a copy of own data properties (getters and
// toJSON are not run), at most MAX_RESULT_CHARS of JSON. node:vm is not a security boundary; this
// keeps honest mistakes and trivial escapes (host-realm objects) out.

import { groovyHost } from '../scripts/groovyHost';
import { AUTO_STORE } from './groovyScripts';
import type { RunResult } from './interfaces';
import { jobsOfScriptCalls } from './scriptCalls';
import { scriptHost } from '../scripts/host';
import { CALLS_KEY, processIdOf, variablesWithMeta, withExecution, type ExecutionMeta, type MessageParent } from './executionBinding';

export const SCRIPT_TASK_TIMEOUT_MS = 1000;
/**
 * A Groovy script task, condition or listener: a JVM pauses for its collector and compiles call
 * sites on first use, so its limit is wider. It stops a runaway script all the same.
 */
export const GROOVY_TIMEOUT_MS = 5000;

export const JAVASCRIPT = /^(javascript|js|ecmascript)$/i;
export const GROOVY = /^groovy$/i;

type Callback = (err: Error | null, output?: unknown) => void;

interface ScriptOwner {
  id: string;
  type: string;
  behaviour?: {
    scriptFormat?: string;
    script?: string;
    [AUTO_STORE]?: unknown;
    conditionExpression?: { language?: string; body?: string };
  };
}

/** What bpmn-elements passes to execute(): ExecutionScope(activity, message). */
interface ExecutionScope {
  id?: string;
  environment?: { variables?: Record<string, unknown> };
  content?: { executionId?: string; parent?: MessageParent; [key: string]: unknown };
}

/** The instance a run belongs to, for `execution.getProcessInstanceId()` / `getBusinessKey()`. */
export interface ScriptIdentity {
  processInstanceId?: string | null;
  businessKey?: string | null;
}

/** An activity's local variables (camunda:inputOutput inputs, listeners.ts), by its execution. */
export interface LocalScopes {
  localsOf(executionId: string, content?: Record<string, unknown>): Record<string, unknown>;
}

class SandboxedScript {
  /** JavaScript: the body with `execution` and bare variable names bound (executionBinding.ts); Groovy binds them itself */
  private readonly source: string;
  private readonly groovy: boolean;

  constructor(
    readonly id: string,
    readonly language: string,
    body: string,
    private readonly scopes?: LocalScopes,
    private readonly identity: ScriptIdentity = {},
    /** Groovy: names the script assigns become process variables (activiti:/flowable:autoStoreVariables) */
    private readonly autoStore = false,
    /** The run's jobs, where a script task's `openidm` calls add theirs (scriptCalls.ts); none for a flow's condition */
    private readonly jobs?: RunResult['jobs'],
  ) {
    this.groovy = GROOVY.test(language);
    this.source = this.groovy ? body : withExecution(body);
  }

  execute(scope: ExecutionScope, callback: Callback): void {
    let output: unknown;
    try {
      const variables = scope.environment?.variables ?? {};
      // An activity's input parameters are its local variables: the script sees them over the
      // process's, and what it assigns to one of them stays local.
      const executionId = scope.content?.executionId;
      const locals = this.scopes && executionId ? this.scopes.localsOf(executionId, scope.content) : undefined;
      const visible = locals && Object.keys(locals).length ? { ...variables, ...locals } : variables;
      const input = variablesWithMeta(visible, this.meta(scope));
      const json = this.groovy
        ? groovyHost().run('task', this.id, this.source, input, GROOVY_TIMEOUT_MS, { autoStore: this.autoStore, calls: !!this.jobs })
        : scriptHost().task(this.id, this.source, input, SCRIPT_TASK_TIMEOUT_MS);
      const { v, r, o: groovyCalls } = (json === undefined ? {} : JSON.parse(json)) as { v?: Record<string, unknown>; r?: unknown; o?: unknown };
      // JavaScript hands its openidm calls back inside the variables' copy.
      const o = groovyCalls ?? v?.[CALLS_KEY];
      if (v) delete v[CALLS_KEY];
      // Checked against the variables the script started with: it cannot name another row by changing them.
      if (o && !this.jobs) throw new Error(`openidm.action is not available in a condition`);
      const jobs = o && this.jobs ? jobsOfScriptCalls(o, scope.id ?? this.id, visible) : [];
      if (v && typeof v === 'object') {
        for (const [key, value] of Object.entries(v)) {
          if (key === '__proto__') continue;
          if (locals && Object.hasOwn(locals, key)) locals[key] = value;
          else variables[key] = value;
        }
        // Removed by the script (execution.removeVariable, delete variables.x); values JSON
        // cannot carry (undefined, functions) never reached it and stay.
        for (const [key, value] of Object.entries(variables)) if (!Object.hasOwn(v, key) && value !== undefined && typeof value !== 'function') delete variables[key];
      }
      for (const job of jobs) if (!this.jobs!.some((j) => j.topic === job.topic)) this.jobs!.push(job);
      output = r;
    } catch (err) {
      return callback(new Error(`script ${this.id} failed: ${(err as Error).message}`));
    }
    callback(null, output);
  }

  private meta(scope: ExecutionScope): ExecutionMeta {
    const activityId = scope.id ?? '';
    return {
      e: {
        id: scope.content?.executionId ?? activityId,
        activityId,
        eventName: null,
        processInstanceId: this.identity.processInstanceId ?? null,
        businessKey: this.identity.businessKey ?? null,
        processDefinitionKey: processIdOf(scope.content),
      },
      l: {},
    };
  }
}

/** The `scripts` option for bpmn-engine; one instance per Engine (ids are per definition). */
export class SandboxScripts {
  private readonly scripts = new Map<string, SandboxedScript>();

  constructor(
    private readonly scopes?: LocalScopes,
    private readonly identity: ScriptIdentity = {},
    private readonly jobs?: RunResult['jobs'],
  ) {}

  register({ id, type, behaviour }: ScriptOwner): SandboxedScript | undefined {
    const isFlow = type === 'bpmn:SequenceFlow';
    const language = isFlow ? behaviour?.conditionExpression?.language : behaviour?.scriptFormat;
    const body = isFlow ? behaviour?.conditionExpression?.body : behaviour?.script;
    // No dummy scripts: a script task without a JavaScript or Groovy body fails instead of passing
    // silently (deploy refuses other languages: runnable.ts).
    if (!language || !body || !(JAVASCRIPT.test(language) || GROOVY.test(language))) return undefined;
    const script = new SandboxedScript(`${type}/${id}`, language, body, this.scopes, this.identity, behaviour?.[AUTO_STORE] === true, isFlow ? undefined : this.jobs);
    this.scripts.set(id, script);
    return script;
  }

  getScript(_language: string, { id }: { id: string }): SandboxedScript | undefined {
    return this.scripts.get(id);
  }
}

