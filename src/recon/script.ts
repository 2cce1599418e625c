// Sandboxed evaluation of the inline JavaScript in sync.json (transforms, conditions, validSource...).
//
// Scripts run in this thread's script worker (src/scripts/host.ts), each in a hardened vm context of its
// own that is created once and reused (see scriptWorkerSource.ts for the isolation rules). A call
// may take at most SCRIPT_TIMEOUT_MS (250 ms) of this thread's time, whatever the script does:
// loops, endless promise jobs, overridden builtins, huge results, allocations (the worker's heap is
// capped at SCRIPT_MEMORY_MB); past it the worker is stopped and replaced. Results come back as
// JSON made in the worker and are parsed here. A call costs one round trip to the worker (~45 µs);
// there is no vm watchdog any more (it cost as much, per call, as the round trip).
import vm from 'node:vm';
import { scriptHost } from '../scripts/host';
import { modulePrelude } from '../scripts/modules';
import { groovyHost } from '../scripts/groovyHost';

export const SCRIPT_TIMEOUT_MS = 250;
/** Loading a script's modules (lodash: ~540 KB) at conf load, once, outside any call's limit. */
const MODULE_LOAD_TIMEOUT_MS = 30_000;

export type CompiledScript = (bindings: Record<string, unknown>) => unknown;

/**
 * Where the `logger` lines of conf scripts go: the sandbox buffers them during the call and the
 * reply carries them, so they are written here after the call (also when it threw). Each server
 * passes its own log (wiring.ts, through compileMapping's options); without one they are dropped.
 */
export type ConfScriptLog = (script: string, level: string, text: string) => void;

/**
 * What a server gives the conf scripts it compiles: per call, not module-wide, so two servers in
 * one process each keep their own log and properties.
 * `scriptDirs`: where require() finds the project's scripts; `log`: the `logger` lines' sink;
 * `properties`: `identityServer.getProperty`'s resolver (the project's `&{}` properties).
 */
export interface ConfScriptOpts {
  scriptDirs?: string[];
  log?: ConfScriptLog;
  properties?: (name: string) => string | undefined;
}

function writeLogs(confLog: ConfScriptLog | undefined, name: string, logs: string): void {
  if (!confLog) return;
  let lines: unknown;
  try {
    lines = JSON.parse(logs);
  } catch {
    return;
  }
  if (!Array.isArray(lines)) return;
  for (const l of lines) if (Array.isArray(l)) confLog(name, String(l[0]), String(l[1]));
}

let nextId = 1;

/**
 * `identityServer.getProperty` in conf scripts: the synchronous sandbox answers no calls, so a
 * script gets, at compile time, a snapshot of the properties it names (literal names only), read
 * from the project's `&{}` properties (the resolver in the compile options; without one, every property is
 * unset and getProperty answers its default, as IdentityServer.getProperty does for an unset one).
 */

const GET_PROPERTY = /\bidentityServer\s*\.\s*getProperty\s*\(/g;
const LITERAL_NAME = /^\s*(['"])([^'"\\\n]+)\1/;

/** The properties a script names (literal names only), or null when it does not use `identityServer`. */
function propertySnapshot(source: string, name: string, confProperties: ConfScriptOpts['properties']): Record<string, string> | null {
  if (!/\bidentityServer\b/.test(source)) return null;
  const snapshot: Record<string, string> = {};
  for (const m of source.matchAll(GET_PROPERTY)) {
    const literal = LITERAL_NAME.exec(source.slice(m.index! + m[0].length));
    if (!literal) {
      throw new Error(`script ${name}: identityServer.getProperty needs a literal property name here ('name' or "name"): this script gets a snapshot of the properties it names, taken at start`);
    }
    const value = confProperties?.(literal[2]);
    if (value !== undefined) snapshot[literal[2]] = value;
  }
  return snapshot;
}

/** The prelude that binds `identityServer` (one line, so the script's line numbers stay), or '' when the script does not use it. */
function identityServerPrelude(source: string, name: string, confProperties: ConfScriptOpts['properties']): string {
  const snapshot = propertySnapshot(source, name, confProperties);
  if (!snapshot) return '';
  return `var identityServer = (function (p) { return { getProperty: function (n, d) { var v = Object.prototype.hasOwnProperty.call(p, n) ? p[n] : undefined; return v === undefined ? (d === undefined ? null : d) : v; } }; })(${JSON.stringify(snapshot)}); `;
}

/**
 * Compiles `source` once; the returned function runs it with `bindings` as global variables and
 * returns a JSON-safe copy of its completion value (the value of the last expression statement,
 * as OpenIDM's script engine does). Throws Error(`script <name> failed: ...`) for syntax errors,
 * exceptions, timeouts and results that are too large.
 */
export function compileScript(source: string, name: string, opts: ConfScriptOpts & { language?: string } = {}): CompiledScript {
  if (opts.language === 'groovy') return compileGroovyScript(source, name, opts);
  let modules: string | undefined;
  try {
    // Syntax errors (and modules that are not there) are reported at conf load; compiling runs none of the script.
    new vm.Script(source, { filename: name });
    modules = modulePrelude(source, name, opts.scriptDirs);
  } catch (err) {
    throw new Error(`script ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  source = identityServerPrelude(source, name, opts.properties) + source;
  const id = nextId++;
  const host = scriptHost();
  const onLogs = (logs: string) => writeLogs(opts.log, name, logs);
  if (modules) {
    try {
      host.load(id, name, source, MODULE_LOAD_TIMEOUT_MS, modules);
    } catch (err) {
      throw new Error(`script ${name} failed: loading what it requires: ${(err as Error).message}`);
    }
  }

  return (bindings: Record<string, unknown>): unknown => {
    // [name, isJson, value]: objects travel as JSON, re-parsed by the sandbox's own JSON.parse.
    const list: [string, boolean, unknown][] = [];
    for (const k of Object.keys(bindings)) {
      const v = bindings[k];
      if (v === undefined || typeof v === 'function') continue;
      if (typeof v === 'bigint') throw new Error(`script ${name} failed: binding "${k}" is a BigInt`);
      if (v === null || typeof v !== 'object') list.push([k, false, v]);
      else {
        const json = JSON.stringify(v);
        if (json !== undefined) list.push([k, true, json]);
      }
    }
    let json: string | undefined;
    try {
      json = host.run(id, name, source, list, SCRIPT_TIMEOUT_MS, modules, onLogs);
    } catch (err) {
      throw new Error(`script ${name} failed: ${(err as Error).message}`);
    }
    return json === undefined ? undefined : JSON.parse(json);
  };
}

/** A conf script's binding names are the script's variables; its own `execution` is a stub. */
const GROOVY_META = { '@@reconflow.execution': { e: { id: 'conf', activityId: null, eventName: null, processInstanceId: null, businessKey: null, processDefinitionKey: null }, l: {} } };

/**
 * A `"type": "groovy"` conf script, run on the Groovy sidecar (src/scripts/groovyHost.ts): compiled
 * now (a syntax error stops the start naming it), bindings by name, the script's value back as JSON.
 * Its limit is the Groovy one: a JVM pauses for its collector now and then. It has `logger` and
 * `identityServer` as the JavaScript sandbox gives them (literal property names, a snapshot at start).
 */
function compileGroovyScript(source: string, name: string, opts: ConfScriptOpts): CompiledScript {
  const host = groovyHost();
  const props = propertySnapshot(source, name, opts.properties) ?? {};
  try {
    host.compileNow(name, source, GROOVY_CONF_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`script ${name} failed: ${(err as Error).message}`);
  }
  // `logger` and `identityServer` as in the JavaScript sandbox: the lines come back with the reply.
  const conf = { props, onLogs: (logs: string) => writeLogs(opts.log, name, logs) };
  return (bindings: Record<string, unknown>): unknown => {
    let json: string | undefined;
    try {
      json = host.run('task', name, source, JSON.stringify({ ...bindings, ...GROOVY_META }), GROOVY_CONF_TIMEOUT_MS, { conf });
    } catch (err) {
      throw new Error(`script ${name} failed: ${(err as Error).message}`);
    }
    return json === undefined ? undefined : (JSON.parse(json) as { r?: unknown }).r;
  };
}

const GROOVY_CONF_TIMEOUT_MS = 5000;
