// Replaces bpmn-engine's JavaScripts, which runs script tasks with the whole execution scope
// (environment, services, timers) in reach and without a time limit. Here a script sees a JSON copy
// of the process variables as `variables` and nothing else, runs at most 1000 ms (microtasks
// included), and may change variables by assigning to `variables.x`. node:vm is not a security
// boundary; this keeps honest mistakes and trivial escapes (host-realm objects) out.

import vm from 'node:vm';

const TIMEOUT_MS = 1000;

type Callback = (err: Error | null, output?: unknown) => void;

interface ScriptOwner {
  id: string;
  type: string;
  behaviour?: {
    scriptFormat?: string;
    script?: string;
    conditionExpression?: { language?: string; body?: string };
  };
}

/** What bpmn-elements passes to execute(): ExecutionScope(activity, message). */
interface ExecutionScope {
  environment?: { variables?: Record<string, unknown> };
}

const compiled = new Map<string, vm.Script>();

function compile(body: string, filename: string): vm.Script {
  const key = `${filename}\n${body}`;
  let script = compiled.get(key);
  if (!script) {
    script = new vm.Script(body, { filename });
    compiled.set(key, script);
  }
  return script;
}

function messageOf(err: unknown): string {
  // Errors thrown inside the context are not instances of this realm's Error.
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

class SandboxedScript {
  constructor(
    readonly id: string,
    readonly language: string,
    private readonly body: string,
  ) {}

  execute(scope: ExecutionScope, callback: Callback): void {
    let output: unknown;
    try {
      const variables = scope.environment?.variables ?? {};
      const context = vm.createContext(Object.create(null), {
        codeGeneration: { strings: false, wasm: false },
        microtaskMode: 'afterEvaluate',
      });
      // Build `variables` inside the context: a host object would hand out the host's Function.
      vm.runInContext(`globalThis.variables = JSON.parse(${JSON.stringify(JSON.stringify(variables))});`, context);
      context.__result = compile(this.body, this.id).runInContext(context, { timeout: TIMEOUT_MS });
      const json = vm.runInContext('JSON.stringify({ v: variables, r: __result })', context, { timeout: TIMEOUT_MS }) as string;
      const { v, r } = JSON.parse(json) as { v?: Record<string, unknown>; r?: unknown };
      if (v && typeof v === 'object') {
        for (const [key, value] of Object.entries(v)) if (key !== '__proto__') variables[key] = value;
      }
      output = r;
    } catch (err) {
      return callback(new Error(`script ${this.id} failed: ${messageOf(err)}`));
    }
    callback(null, output);
  }
}

/** The `scripts` option for bpmn-engine; one instance per Engine (ids are per definition). */
export class SandboxScripts {
  private readonly scripts = new Map<string, SandboxedScript>();

  register({ id, type, behaviour }: ScriptOwner): SandboxedScript | undefined {
    const isFlow = type === 'bpmn:SequenceFlow';
    const language = isFlow ? behaviour?.conditionExpression?.language : behaviour?.scriptFormat;
    const body = isFlow ? behaviour?.conditionExpression?.body : behaviour?.script;
    // No dummy scripts: a script task without a JavaScript body fails instead of passing silently.
    if (!language || !body || !/^(javascript|js|ecmascript)$/i.test(language)) return undefined;
    const script = new SandboxedScript(`${type}/${id}`, language, body);
    this.scripts.set(id, script);
    return script;
  }

  getScript(_language: string, { id }: { id: string }): SandboxedScript | undefined {
    return this.scripts.get(id);
  }
}
