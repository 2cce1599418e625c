// The relay thread between a ScriptHost (host.ts) and its script process, as a string for
// `new Worker(..., { eval: true })`. The calling thread cannot wait for a child process
// synchronously, but it can sleep in Atomics.wait until this thread flags a reply; this thread
// does the asynchronous part: it keeps one child process (and a spare, see replace()), forwards each request (with the
// script's source the first time that child sees it), flags the reply, and replaces the child when
// told to (the caller's limit passed) or when it dies (a script that exhausted its heap aborts
// only the child). Replies of a replaced child are dropped.
//
// Shared flag slots: [0] the seq of the last reply, [1] 1 while a child is ready for requests.
export const SCRIPT_RELAY_SOURCE = String.raw`'use strict';
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, source, args, memoryMb } = workerData;
const sources = new Map(); // conf script id -> { source, modules }
let child;
let spare;
let pending; // the request the caller waits for

function reply(m) {
  pending = undefined;
  port.postMessage(m);
  Atomics.store(flag, 0, m.seq);
  Atomics.notify(flag, 0);
}

function forward(c, m) {
  if (m.op === 'run' || m.op === 'load') {
    if (typeof m.source === 'string') sources.set(m.id, { name: m.name, source: m.source, modules: m.modules });
    if (!c.loaded.has(m.id)) {
      const known = sources.get(m.id);
      m.source = known && known.source;
      m.modules = known && known.modules;
      c.loaded.add(m.id);
    } else {
      delete m.source;
      delete m.modules;
    }
  }
  try {
    c.proc.send(m);
  } catch {
    // The child is gone: its exit handler answers the pending request.
  }
}

function spawnChild() {
  const proc = spawn(process.execPath, ['--max-old-space-size=' + memoryMb, '-e', source, args], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'advanced',
    // Nothing of the server's environment (DATABASE_URL...) is in reach of an escaped script.
    env: {},
  });
  const c = { proc, loaded: new Set(), ready: false };
  // Scripts with modules (lodash) get their sandbox before this child takes calls: as the spare it
  // has the time; a call would have to load them inside its limit. Answers (seq 0) are dropped.
  for (const [id, known] of sources) {
    if (!known.modules) continue;
    c.loaded.add(id);
    try {
      proc.send({ op: 'load', seq: 0, id, name: known.name, source: known.source, modules: known.modules, bindings: [] });
    } catch {
      // gone already
    }
  }
  proc.on('message', (m) => {
    if (m.ready) {
      c.ready = true;
      if (child === c) setReady(1);
    } else if (child === c && pending && m.seq === pending.seq) {
      if (m.unknown) {
        // The child dropped the compiled script (least recently used): send the source again.
        c.loaded.delete(pending.id);
        forward(c, pending);
      } else reply(m);
    }
  });
  proc.on('error', () => proc.kill('SIGKILL'));
  proc.on('exit', (code, signal) => {
    if (spare === c) spare = undefined;
    if (child !== c) return;
    // Not ready before the caller hears of it: its next request waits for the new child.
    setReady(0);
    if (pending) {
      const oom = signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134;
      reply({
        seq: pending.seq,
        ok: false,
        message: oom ? 'used more than ' + memoryMb + ' MB of memory; the script was stopped' : 'the script process ended (' + (signal || 'code ' + code) + ')',
      });
    }
    replace();
  });
  return c;
}

function setReady(v) {
  Atomics.store(flag, 1, v);
  Atomics.notify(flag, 1);
}

// A host whose script was stopped once keeps a spare child booted, so that the next call does not
// wait ~100 ms for a process to start.
function replace() {
  const old = child;
  child = spare || spawnChild();
  spare = spawnChild();
  setReady(child.ready ? 1 : 0);
  if (old) old.proc.kill('SIGKILL');
}

port.on('message', (m) => {
  if (m.op === 'replace') {
    pending = undefined;
    replace();
    return;
  }
  pending = m;
  forward(child, m);
});
child = spawnChild();
`;
