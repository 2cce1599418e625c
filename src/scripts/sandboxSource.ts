// The code of the script process (host.ts), as a string: it is started with `node -e`, so it
// runs the same under ts-jest and from dist/ without a compiled file beside it. It is plain
// JavaScript and only ever runs in that child process. Everything a script can reach lives in a vm
// context created here; the process's own realm (JSON, Object, Reflect...) is never exposed to
// script code, so the copies it makes of results use pristine intrinsics.
//
// Conf scripts (op 'run') keep one hardened context per script, reused call after call (creating one
// costs about a millisecond). Isolation rests on four rules:
//  1. The context's global is backed by an Object.create(null) sandbox, so `this.constructor`
//     resolves to the sandbox realm's Object, never the process's; code generation from strings is
//     disabled there too (`this.constructor.constructor('return process')()` throws).
//  2. Only sandbox-realm values go in: primitives as they are, objects as JSON re-parsed with the
//     sandbox's own JSON.parse. A host-realm object inside would hand out `process`.
//  3. Results are copied out by reading own data properties only (no getters, no toJSON, no
//     proxies) and serialized with this realm's JSON; thrown values are described by a helper run
//     in the sandbox. All of it runs inside the caller's time limit, so it may run script code.
//  4. The sandbox's builtins are frozen, and the globals a call creates are deleted (or, for
//     `var`s, reset to undefined) after it, so a call cannot change what the next call sees.
// BPMN script tasks (op 'task') get a fresh context per execution with a JSON copy of `variables`.
// Both kinds lose the binary-memory builtins (ArrayBuffer, typed arrays, WebAssembly...): their
// memory lies outside the V8 heap, so the process's heap limit would not bound it.

// Run once per conf context, before any configured script. Freezes every builtin reachable from the
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
  // A script run by asyncHost.ts has its logger (bridged to the server's log) already. A conf
  // script's logger buffers its lines ("{}" filled as SLF4J does); the call's reply carries them
  // (drained by the function this returns) and script.ts writes them to the server log.
  var drain;
  if (!getDesc(globalThis, 'logger')) {
    var lines = [], dropped = 0, stringify = JSON.stringify;
    var line = function (level) {
      return function (format) {
        if (lines.length >= 100) { dropped++; return; }
        var args = arguments, i = 1;
        var text = String(format === undefined || format === null ? '' : format).replace(/\\{\\}/g, function (m) {
          if (i >= args.length) return m;
          var v = args[i++];
          return typeof v === 'string' ? v : String(stringify(v));
        });
        lines.push([level, text.length > 2000 ? text.slice(0, 2000) + '…' : text]);
      };
    };
    defineProperty(globalThis, 'logger', {
      value: { trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
      writable: false, enumerable: false, configurable: false
    });
    drain = function () {
      if (!lines.length && !dropped) return undefined;
      if (dropped) lines.push(['warn', dropped + ' more logger line(s) of this call were dropped (at most 100 per call)']);
      var out = stringify(lines);
      lines = []; dropped = 0;
      return out;
    };
  }
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
    try { freeze(o); } catch (e) { /* nothing freezable */ }
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
  return drain;
})();`;

// Removes the builtins that allocate memory outside the V8 heap (see above).
const OFF_HEAP_SOURCE = `['ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics', 'WebAssembly', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array'].forEach(function (k) { delete globalThis[k]; });`;

const ERROR_SLOT = '__reconflowThrown';

// Describes a thrown value inside the sandbox (its getters/toString are script code).
const DESCRIBE_SOURCE = `(function (e) {
  try {
    if (e !== null && typeof e === 'object' && typeof e.message === 'string') return String(e.name || 'Error') + ': ' + e.message;
    return 'threw ' + String(e);
  } catch (x) { return 'threw a value that cannot be described'; }
})(globalThis.${ERROR_SLOT})`;

// Op 'async' (asyncHost.ts): IDM's script API (openidm.*, identityServer.getProperty, logger.*) made
// in the sandbox realm before hardening. Each function sends [name, args] as JSON through `call`, a
// host function that writes the call to a pipe and blocks reading the reply from another, so the
// script sees a synchronous API as in IDM. `call` takes and returns strings only and never throws;
// it is captured in this closure, unreachable from script code; a reply's error becomes an Error of
// the sandbox realm.
const BRIDGE_SOURCE = `(function (call) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, E = Error, slice = Array.prototype.slice;
  function invoke(name, args) {
    var text, reply;
    try { text = call(stringify([name, args])); } catch (x) { throw new E(name + ': the call could not be made'); }
    reply = parse(text);
    if (reply.e !== undefined) {
      var err = new E(reply.e);
      if (reply.code !== undefined) err.code = reply.code;
      throw err;
    }
    return reply.v;
  }
  function api(prefix, names) {
    var o = {};
    names.forEach(function (n) {
      o[n] = function () { return invoke(prefix + n, slice.call(arguments)); };
    });
    return o;
  }
  [['openidm', api('openidm.', ['create', 'read', 'update', 'patch', 'delete', 'query', 'action'])],
   ['identityServer', api('identityServer.', ['getProperty'])],
   ['logger', api('logger.', ['trace', 'debug', 'info', 'warn', 'error'])]].forEach(function (g) {
    Object.defineProperty(globalThis, g[0], { value: g[1], writable: false, enumerable: false, configurable: false });
  });
})`;

const WORKER_BODY = String.raw`
const vm = require('node:vm');
const util = require('node:util');
const { maxNodes, maxDepth, maxChars, maxScripts } = JSON.parse(process.argv[1]);
const HARDEN = new vm.Script(HARDEN_SOURCE, { filename: 'reconflow:harden' });
const OFF_HEAP = new vm.Script(OFF_HEAP_SOURCE, { filename: 'reconflow:offheap' });
const DESCRIBE = new vm.Script(DESCRIBE_SOURCE, { filename: 'reconflow:describe' });
const BRIDGE = new vm.Script(BRIDGE_SOURCE, { filename: 'reconflow:openidm' });
const fs = require('node:fs');
const RUN = { displayErrors: false };
const CONTEXT = { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' };
const confScripts = new Map(); // id -> { script, sb }, least recently used first
const taskScripts = new Map(); // name + source -> vm.Script
const moduleScripts = new Map(); // a require() prelude -> vm.Script

function hostMessage(err) {
  return err instanceof Error ? err.message : 'threw an exception';
}

// True for errors made by this realm (vm itself, copyOut); never runs sandbox code.
function isHostError(err) {
  let p = err;
  for (let i = 0; i < 16 && p !== null && typeof p === 'object'; i++) {
    if (util.types.isProxy(p)) return false;
    p = Object.getPrototypeOf(p);
    if (p === Error.prototype) return true;
  }
  return false;
}

function describeThrown(err, sandbox, context) {
  if (isHostError(err)) return err.message;
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) return ('threw ' + String(err)).slice(0, 500);
  Reflect.defineProperty(sandbox, ERROR_SLOT, { value: err, writable: true, configurable: true });
  try {
    const text = DESCRIBE.runInContext(context, RUN);
    return typeof text === 'string' ? text.slice(0, 500) : 'threw an exception';
  } catch {
    return 'threw a value that cannot be described';
  } finally {
    Reflect.deleteProperty(sandbox, ERROR_SLOT);
  }
}

// A host-realm copy of a sandbox value with JSON's semantics (undefined/functions dropped,
// NaN -> null, Dates -> ISO strings), reading own data properties only.
function copyOut(value) {
  let nodes = 0;
  const path = new Set();
  const tooLarge = () => new Error('the result is too large or too deeply nested');
  const copy = (v, depth) => {
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
    if (util.types.isProxy(v)) throw new Error('the result contains a Proxy');
    if (util.types.isPromise(v)) throw new Error('the result is a Promise; asynchronous scripts are not supported');
    if (++nodes > maxNodes || depth > maxDepth) throw tooLarge();
    if (path.has(v)) throw new Error('the result contains a circular reference');
    if (util.types.isDate(v)) return Number.isFinite(Date.prototype.getTime.call(v)) ? Date.prototype.toISOString.call(v) : null;
    if (util.types.isStringObject(v)) return String.prototype.valueOf.call(v);
    if (util.types.isNumberObject(v)) return copy(Number.prototype.valueOf.call(v), depth);
    if (util.types.isBooleanObject(v)) return Boolean.prototype.valueOf.call(v);
    path.add(v);
    try {
      if (Array.isArray(v)) {
        const len = v.length;
        if (len > maxNodes) throw tooLarge();
        const out = new Array(len);
        for (let i = 0; i < len; i++) {
          const d = Object.getOwnPropertyDescriptor(v, i);
          const x = d && 'value' in d ? copy(d.value, depth + 1) : undefined;
          out[i] = x === undefined ? null : x;
        }
        return out;
      }
      const keys = Object.keys(v);
      if (keys.length > maxNodes) throw tooLarge();
      const out = {};
      for (const k of keys) {
        const d = Object.getOwnPropertyDescriptor(v, k);
        if (!d || !('value' in d)) continue; // accessors are dropped
        const x = copy(d.value, depth + 1);
        if (x === undefined) continue;
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    } finally {
      path.delete(v);
    }
  };
  return copy(value, 0);
}

// The reply for a completion value: its JSON, made here with this realm's JSON.
function result(value) {
  let copy;
  try {
    copy = copyOut(value);
  } catch (err) {
    return { ok: false, message: hostMessage(err) };
  }
  if (copy === undefined) return { ok: true };
  const json = JSON.stringify(copy);
  if (json.length > maxChars) return { ok: false, message: 'the result is larger than ' + maxChars + ' characters of JSON' };
  return { ok: true, json };
}

function createSandbox(name, modules, bridge) {
  const sandbox = Object.create(null);
  const context = vm.createContext(sandbox, { name: 'reconflow script ' + name, ...CONTEXT });
  OFF_HEAP.runInContext(context);
  if (bridge) BRIDGE.runInContext(context)(bridge);
  const drain = HARDEN.runInContext(context);
  // require() and its modules (modules.ts) belong to the sandbox: part of its baseline, kept across
  // calls. Compiled once per process (lodash is ~540 KB), run once per sandbox.
  if (typeof modules === 'string') {
    let compiled = moduleScripts.get(modules);
    if (!compiled) moduleScripts.set(modules, (compiled = new vm.Script(modules, { filename: name + ' (require)' })));
    compiled.runInContext(context, RUN);
  }
  return {
    sandbox,
    context,
    global: vm.runInContext('globalThis', context),
    parse: vm.runInContext('JSON.parse', context),
    baseline: new Set(Reflect.ownKeys(sandbox)),
    drain: typeof drain === 'function' ? drain : undefined,
  };
}

// Removes the bindings and every global the call created; var/function declarations cannot be
// deleted, so they are reset to undefined. False when something could not be reset.
function resetSandbox(sb) {
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

// Compiles a conf script and makes its sandbox (running its modules) without running it: conf load
// does this once, with a wider limit than a call's, so that no row pays for loading lodash.
function loadConf(m) {
  const done = runConf({ ...m, bindings: [], dryRun: true });
  return done.ok === false ? done : { ok: true };
}

function runConf(m) {
  let entry = confScripts.get(m.id);
  if (entry) confScripts.delete(m.id);
  else {
    if (typeof m.source !== 'string') return { unknown: true };
    entry = { script: new vm.Script(m.source, { filename: m.name }), sb: undefined, modules: m.modules };
  }
  confScripts.set(m.id, entry);
  if (confScripts.size > maxScripts) confScripts.delete(confScripts.keys().next().value);
  const sb = entry.sb || (entry.sb = createSandbox(m.name, entry.modules));
  try {
    const reply = runConfIn(entry, sb, m);
    // The logger's lines of this call (HARDEN_SOURCE), written by the caller after the call.
    const logs = sb.drain ? sb.drain() : undefined;
    if (typeof logs === 'string') reply.logs = logs;
    return reply;
  } finally {
    // Start afresh when the script pinned a global that cannot be reset.
    if (!resetSandbox(sb)) entry.sb = undefined;
  }
}

// Sets a call's bindings as the sandbox's globals; a failure reply when the script made one read-only.
function bindAll(sb, bindings) {
  for (const [k, isJson, v] of bindings) {
    const value = isJson ? sb.parse(v) : v;
    // A name the script once declared with var stays non-configurable: keep it that way.
    const current = Reflect.getOwnPropertyDescriptor(sb.sandbox, k);
    const configurable = current ? current.configurable === true : true;
    if (!Reflect.defineProperty(sb.sandbox, k, { value, writable: true, enumerable: true, configurable })) {
      return { ok: false, message: 'cannot bind "' + k + '" (the script made it read-only)' };
    }
  }
  return null;
}

function runConfIn(entry, sb, m) {
  const refused = bindAll(sb, m.bindings);
  if (refused) return refused;
  if (m.dryRun) return { ok: true };
  let value;
  try {
    value = entry.script.runInContext(sb.context, RUN);
  } catch (err) {
    return { ok: false, message: describeThrown(err, sb.sandbox, sb.context) };
  }
  return result(value);
}

function runTask(m) {
  const key = m.name + '\n' + m.source;
  let script = taskScripts.get(key);
  if (!script) {
    script = new vm.Script(m.source, { filename: m.name });
    if (taskScripts.size >= maxScripts) taskScripts.delete(taskScripts.keys().next().value);
    taskScripts.set(key, script);
  }
  const sandbox = Object.create(null);
  const context = vm.createContext(sandbox, CONTEXT);
  OFF_HEAP.runInContext(context);
  // Made by the context's own JSON.parse: a host-realm object would hand out this realm's Function.
  sandbox.variables = vm.runInContext('JSON.parse', context)(m.variables);
  let value, variables;
  try {
    value = script.runInContext(context, RUN);
    variables = vm.runInContext('globalThis.variables', context, RUN);
  } catch (err) {
    return { ok: false, message: describeThrown(err, sandbox, context) };
  }
  return result({ v: variables, r: value });
}

// The blocking half of an 'async' run's calls: one JSON line out on callFd, one line back on replyFd.
function bridgeTo(m) {
  let pending = Buffer.alloc(0);
  const chunk = Buffer.alloc(64 * 1024);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const readLine = () => {
    for (;;) {
      const nl = pending.indexOf(10);
      if (nl >= 0) {
        const line = pending.subarray(0, nl).toString('utf8');
        pending = pending.subarray(nl + 1);
        return line;
      }
      if (pending.length > 2 * maxChars) throw new Error('the reply is too large');
      let n;
      try {
        n = fs.readSync(m.replyFd, chunk, 0, chunk.length, null);
      } catch (err) {
        // A non-blocking descriptor: wait a little and read again.
        if (err && err.code === 'EAGAIN') { Atomics.wait(nap, 0, 0, 1); continue; }
        throw err;
      }
      if (n === 0) throw new Error('the server closed the call channel');
      pending = Buffer.concat([pending, chunk.subarray(0, n)]);
    }
  };
  return function call(text) {
    try {
      if (typeof text !== 'string') return '{"e":"a call must be made of JSON values"}';
      if (text.length > maxChars) return JSON.stringify({ e: 'the call is larger than ' + maxChars + ' characters of JSON' });
      const out = Buffer.from(text + '\n', 'utf8');
      for (let off = 0; off < out.length; ) off += fs.writeSync(m.callFd, out, off);
      return readLine();
    } catch (err) {
      return JSON.stringify({ e: 'the call failed: ' + hostMessage(err) });
    }
  };
}

// A script that may call IDM's API (asyncHost.ts): compiled once, with a sandbox of its own (the
// bridge in it) reused run after run and reset after each, as conf scripts' are (rule 4).
const asyncScripts = new Map(); // name + source -> { script, sb }, least recently used first
function runAsync(m) {
  const key = m.name + '\n' + m.source;
  let entry = asyncScripts.get(key);
  if (entry) asyncScripts.delete(key);
  else {
    try {
      entry = { script: new vm.Script(m.source, { filename: m.name }), sb: undefined };
    } catch (err) {
      return { ok: false, message: hostMessage(err) };
    }
  }
  asyncScripts.set(key, entry);
  if (asyncScripts.size > maxScripts) asyncScripts.delete(asyncScripts.keys().next().value);
  const sb = entry.sb || (entry.sb = createSandbox(m.name, m.modules, bridgeTo(m)));
  try {
    const refused = bindAll(sb, m.bindings);
    if (refused) return refused;
    let value;
    try {
      value = entry.script.runInContext(sb.context, RUN);
    } catch (err) {
      return { ok: false, message: describeThrown(err, sb.sandbox, sb.context) };
    }
    return result(value);
  } finally {
    if (!resetSandbox(sb)) entry.sb = undefined;
  }
}

process.on('message', (m) => {
  let reply;
  try {
    reply = m.op === 'task' ? runTask(m) : m.op === 'load' ? loadConf(m) : m.op === 'async' ? runAsync(m) : runConf(m);
  } catch (err) {
    reply = { ok: false, message: hostMessage(err) };
  }
  reply.seq = m.seq;
  process.send(reply);
});
// Ends with the server (or its relay thread): an orphan would only hold memory.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

export const SCRIPT_SANDBOX_SOURCE = [
  "'use strict';",
  `const HARDEN_SOURCE = ${JSON.stringify(HARDEN_SOURCE)};`,
  `const OFF_HEAP_SOURCE = ${JSON.stringify(OFF_HEAP_SOURCE)};`,
  `const DESCRIBE_SOURCE = ${JSON.stringify(DESCRIBE_SOURCE)};`,
  `const ERROR_SLOT = ${JSON.stringify(ERROR_SLOT)};`,
  `const BRIDGE_SOURCE = ${JSON.stringify(BRIDGE_SOURCE)};`,
  WORKER_BODY,
].join('\n');
