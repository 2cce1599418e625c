// Sandboxed evaluation of the inline JavaScript in sync.json (transforms, conditions, validSource...).
//
// Each script gets one vm context, created once and reused: creating a context costs about a
// millisecond, far too much per row. Isolation rests on four rules:
//  1. The context's global is backed by an Object.create(null) sandbox, so `this.constructor`
//     resolves to the sandbox realm's Object, never the host's; code generation from strings is
//     disabled there too (`this.constructor.constructor('return process')()` throws).
//  2. Only sandbox-realm values go in: primitives as they are, objects JSON-copied and re-parsed
//     with the sandbox's own JSON.parse. A host object inside the sandbox would hand out the host's
//     Function constructor, hence `process`.
//  3. Nothing from the sandbox runs outside the timeout: results are copied out by reading own
//     data properties only (no getters, no toJSON, no proxies), and thrown values are described by
//     a helper run in the sandbox under the same timeout.
//  4. The sandbox's builtins are frozen, and the globals a call creates are deleted (or, for
//     `var`s, reset to undefined) after it, so a call cannot change what the next call sees.
// Every run uses `timeout` (250 ms) with microtaskMode 'afterEvaluate', so promise jobs count too.
// The timeout is the main per-call cost (~120 µs): Node starts a watchdog thread for each timed run.
// Known Node bug (nodejs/node#38503, #43135): if async_hooks/AsyncLocalStorage/domains are active,
// a timeout that strikes while the sandbox runs promise jobs corrupts the async-hook stack and
// aborts the process. Nothing in reconflow enables async hooks; keep it that way (jest's
// --detectOpenHandles does enable them).
import util from 'node:util';
import vm from 'node:vm';

export const SCRIPT_TIMEOUT_MS = 250;
const MAX_RESULT_NODES = 100_000;
const MAX_RESULT_DEPTH = 64;

export type CompiledScript = (bindings: Record<string, unknown>) => unknown;

// Run once per context, before any configured script. Freezes every builtin reachable from the
// global object (not the global itself: bindings are set on it). A few inherited properties that
// code commonly assigns on instances (err.name, obj.toString...) become accessors that define an
// own property instead, or frozen prototypes would make such assignments fail.
const HARDEN_SOURCE = `(function () {
  'use strict';
  var getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys, getDesc = Object.getOwnPropertyDescriptor;
  var defineProperty = Object.defineProperty, freeze = Object.freeze;
  function enable(proto, name) {
    var d = getDesc(proto, name);
    if (!d || !('value' in d) || !d.configurable) return;
    var value = d.value;
    defineProperty(proto, name, {
      configurable: false,
      enumerable: d.enumerable,
      get: function () { return value; },
      set: function (v) {
        if (this === proto) throw new TypeError('Cannot assign to read only property ' + String(name));
        defineProperty(this, name, { value: v, writable: true, enumerable: true, configurable: true });
      }
    });
  }
  ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty'].forEach(function (n) { enable(Object.prototype, n); });
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].forEach(function (E) {
    ['constructor', 'name', 'message', 'toString'].forEach(function (n) { enable(E.prototype, n); });
  });
  ['constructor', 'toString'].forEach(function (n) { enable(Array.prototype, n); });
  var noop = function () {};
  defineProperty(globalThis, 'logger', {
    value: { trace: noop, debug: noop, info: noop, warn: noop, error: noop },
    writable: false, enumerable: false, configurable: false
  });
  var todo = [getProto(function* () {}), getProto(async function () {}), getProto(async function* () {}),
    getProto([][Symbol.iterator]()), getProto(new Map()[Symbol.iterator]()), getProto(''[Symbol.iterator]())];
  ownKeys(globalThis).forEach(function (k) {
    var d = getDesc(globalThis, k);
    if (d && 'value' in d && d.value !== null && (typeof d.value === 'object' || typeof d.value === 'function')) todo.push(d.value);
  });
  var seen = new WeakSet();
  while (todo.length) {
    var o = todo.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    try { freeze(o); } catch (e) { /* e.g. typed arrays with elements */ }
    var p = getProto(o);
    if (p) todo.push(p);
    ownKeys(o).forEach(function (k) {
      var d = getDesc(o, k);
      if (!d) return;
      [d.value, d.get, d.set].forEach(function (v) {
        if (v !== null && (typeof v === 'object' || typeof v === 'function')) todo.push(v);
      });
    });
  }
})();`;
const HARDEN = new vm.Script(HARDEN_SOURCE, { filename: 'reconflow:harden' });

const ERROR_SLOT = '__reconflowThrown';
// Describes a thrown value inside the sandbox (its getters/toString are script code).
const DESCRIBE = new vm.Script(
  `(function (e) {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') return String(e.name || 'Error') + ': ' + e.message;
      return 'threw ' + String(e);
    } catch (x) { return 'threw a value that cannot be described'; }
  })(globalThis.${ERROR_SLOT})`,
  { filename: 'reconflow:describe' },
);

/**
 * Compiles `source` once; the returned function runs it with `bindings` as global variables and
 * returns a JSON-safe copy of its completion value (the value of the last expression statement,
 * as OpenIDM's script engine does). Throws Error(`script <name> failed: ...`) for syntax errors,
 * exceptions and timeouts.
 */
export function compileScript(source: string, name: string): CompiledScript {
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename: name });
  } catch (err) {
    throw new Error(`script ${name} failed: ${hostMessage(err)}`);
  }
  let sb = createSandbox(name);
  const runOptions = { timeout: SCRIPT_TIMEOUT_MS, displayErrors: false };

  return (bindings: Record<string, unknown>): unknown => {
    const { sandbox, context } = sb;
    let rebuild = false;
    try {
      for (const k of Object.keys(bindings)) {
        const v = bindings[k];
        let value: unknown;
        if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
          if (v === undefined) continue;
          if (typeof v === 'bigint') throw new Error(`script ${name} failed: binding "${k}" is a BigInt`);
          value = v;
        } else {
          const json = JSON.stringify(v);
          if (json === undefined) continue; // functions: JSON has no representation
          value = sb.parse(json);
        }
        // A name the script once declared with `var` stays non-configurable: keep it that way.
        const current = Reflect.getOwnPropertyDescriptor(sandbox, k);
        const configurable = current ? current.configurable === true : true;
        if (!Reflect.defineProperty(sandbox, k, { value, writable: true, enumerable: true, configurable })) {
          throw new Error(`script ${name} failed: cannot bind "${k}" (the script made it read-only)`);
        }
      }
      let result: unknown;
      try {
        result = script.runInContext(context, runOptions);
      } catch (err) {
        // A timed-out context may keep queued promise jobs that would run in the next call.
        rebuild = isTimeout(err);
        throw new Error(`script ${name} failed: ${describeThrown(err, sandbox, context)}`);
      }
      try {
        return copyOut(result);
      } catch (err) {
        throw new Error(`script ${name} failed: ${hostMessage(err)}`);
      }
    } finally {
      // Start afresh after a timeout, or when the script pinned a global that cannot be reset.
      if (!resetSandbox(sb) || rebuild) sb = createSandbox(name);
    }
  };
}

interface Sandbox {
  /** The host object behind the context's global (Object.create(null)). */
  sandbox: Record<string | symbol, unknown>;
  context: vm.Context;
  /** The context's own global object. */
  global: object;
  /** The context's JSON.parse, captured before any configured code ran. */
  parse: (text: string) => unknown;
  baseline: Set<string | symbol>;
}

function createSandbox(name: string): Sandbox {
  const sandbox: Record<string | symbol, unknown> = Object.create(null);
  const context = vm.createContext(sandbox, {
    name: `reconflow script ${name}`,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  HARDEN.runInContext(context, { timeout: 5000 });
  return {
    sandbox,
    context,
    global: vm.runInContext('globalThis', context) as object,
    parse: vm.runInContext('JSON.parse', context) as (text: string) => unknown,
    baseline: new Set(Reflect.ownKeys(sandbox)),
  };
}

/**
 * Removes the bindings and every global the call created. Globals live both on the sandbox and on
 * the context's own global; `var`/function declarations cannot be deleted there, so they are reset
 * to undefined. Uses Reflect.deleteProperty/defineProperty only: neither runs script code (no
 * setters). Returns false when something could not be reset (a non-configurable accessor).
 */
function resetSandbox(sb: Sandbox): boolean {
  let clean = true;
  for (const k of Reflect.ownKeys(sb.sandbox)) {
    if (sb.baseline.has(k)) continue;
    if (Reflect.deleteProperty(sb.global, k)) {
      Reflect.deleteProperty(sb.sandbox, k);
      continue;
    }
    const d = Reflect.getOwnPropertyDescriptor(sb.sandbox, k);
    if (d && 'value' in d && d.value === undefined && d.writable) continue;
    if (!Reflect.defineProperty(sb.global, k, { value: undefined, writable: true, enumerable: true, configurable: false })) clean = false;
  }
  return clean;
}

function hostMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for errors made by the host (vm itself: timeouts); never runs sandbox code. */
function isHostError(err: unknown): err is Error & { code?: string } {
  let p: unknown = err;
  for (let i = 0; i < 16 && p !== null && typeof p === 'object'; i++) {
    if (util.types.isProxy(p)) return false;
    p = Object.getPrototypeOf(p);
    if (p === Error.prototype) return true;
  }
  return false;
}

/** vm's timeout error (made in the sandbox's realm, so it is recognised by its own `code`). */
function isTimeout(err: unknown): boolean {
  if (err === null || typeof err !== 'object' || util.types.isProxy(err)) return false;
  const d = Object.getOwnPropertyDescriptor(err, 'code');
  return !!d && 'value' in d && d.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

function describeThrown(err: unknown, sandbox: Record<string | symbol, unknown>, context: vm.Context): string {
  if (isTimeout(err)) return `timed out after ${SCRIPT_TIMEOUT_MS} ms`;
  if (isHostError(err)) return err.message;
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) return `threw ${String(err)}`.slice(0, 500);
  Reflect.defineProperty(sandbox, ERROR_SLOT, { value: err, writable: true, configurable: true });
  try {
    const text = DESCRIBE.runInContext(context, { timeout: SCRIPT_TIMEOUT_MS, displayErrors: false });
    return typeof text === 'string' ? text.slice(0, 500) : 'threw an exception';
  } catch {
    return 'threw a value that cannot be described';
  } finally {
    Reflect.deleteProperty(sandbox, ERROR_SLOT);
  }
}

/**
 * A host copy of a sandbox value with JSON's semantics (undefined/functions dropped, NaN → null,
 * Dates → ISO strings), reading own data properties only, so no sandbox code can run here.
 */
function copyOut(value: unknown): unknown {
  let nodes = 0;
  const path = new Set<object>();
  const copy = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'bigint':
        throw new Error('the result contains a BigInt, which JSON cannot represent');
    }
    if (v === null) return null;
    const o = v as object;
    if (util.types.isProxy(o)) throw new Error('the result contains a Proxy');
    if (util.types.isPromise(o)) throw new Error('the result is a Promise; asynchronous scripts are not supported');
    if (++nodes > MAX_RESULT_NODES || depth > MAX_RESULT_DEPTH) throw new Error('the result is too large or too deeply nested');
    if (path.has(o)) throw new Error('the result contains a circular reference');
    if (util.types.isDate(o)) return Number.isFinite(Date.prototype.getTime.call(o)) ? Date.prototype.toISOString.call(o) : null;
    if (util.types.isStringObject(o)) return String.prototype.valueOf.call(o);
    if (util.types.isNumberObject(o)) return copy(Number.prototype.valueOf.call(o), depth);
    if (util.types.isBooleanObject(o)) return Boolean.prototype.valueOf.call(o);
    path.add(o);
    try {
      if (Array.isArray(o)) {
        const len = o.length;
        if (len > MAX_RESULT_NODES) throw new Error('the result is too large or too deeply nested');
        const out: unknown[] = new Array(len);
        for (let i = 0; i < len; i++) {
          const d = Object.getOwnPropertyDescriptor(o, i);
          const x = d && 'value' in d ? copy(d.value, depth + 1) : undefined;
          out[i] = x === undefined ? null : x;
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o)) {
        const d = Object.getOwnPropertyDescriptor(o, k);
        if (!d || !('value' in d)) continue; // accessors are dropped: reading them would run script code
        const x = copy(d.value, depth + 1);
        if (x === undefined) continue;
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    } finally {
      path.delete(o);
    }
  };
  return copy(value, 0);
}
