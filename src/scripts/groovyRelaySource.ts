// The relay thread between a GroovyHost (groovyHost.ts) and the Groovy sidecar JVM
// (groovy/Sidecar.groovy), as a string for `new Worker(..., { eval: true })`. Like the JavaScript
// relay (relaySource.ts): the calling thread sleeps in Atomics.wait while this thread writes the
// request to the JVM's stdin, reads its answer line from stdout, flags it, and replaces the JVM when
// told to (the caller's limit passed) or when it dies. Replies of a replaced JVM are dropped.
//
// Shared flag slots: [0] the seq of the last reply, [1] 1 while a JVM is ready, 2 when it could
// not start (its reason is then the next message on the port).
//
// Compilations (deploy's check) come on a second port and are answered there, asynchronously; their
// sources are kept and compiled again in every JVM that replaces one, so that a script's first run
// after a replacement is not its compilation either.
export const GROOVY_RELAY_SOURCE = String.raw`'use strict';
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, compilePort, java, args } = workerData;
const known = new Map(); // source -> name, compiled in every JVM
const compiling = new Map(); // the host's 'c<n>' -> the JVM it was sent to
let child;
let spare;
let pending;

function reply(m) {
  pending = undefined;
  port.postMessage(m);
  Atomics.store(flag, 0, m.seq);
  Atomics.notify(flag, 0);
}

function setReady(v) {
  Atomics.store(flag, 1, v);
  Atomics.notify(flag, 1);
}

function spawnJvm() {
  // Nothing of the server's environment (DATABASE_URL...) is in reach of a script.
  const proc = spawn(java, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
  const c = { proc, ready: false, err: '' };
  let buf = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m;
      try { m = JSON.parse(line); } catch { continue; }
      if (m.ready) {
        c.ready = true;
        if (child === c) setReady(1);
      } else if (typeof m.seq === 'string') {
        if (compiling.get(m.seq) === c) {
          compiling.delete(m.seq);
          compilePort.postMessage(m);
        }
      } else if (child === c && pending && m.seq === pending.seq) reply(m);
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => { c.err = (c.err + chunk).slice(-2000); });
  proc.stdin.on('error', () => undefined);
  for (const [src, name] of known) proc.stdin.write(JSON.stringify({ seq: 'w', op: 'compile', src, name }) + '\n');
  proc.on('error', (e) => { c.err += String(e && e.message); proc.kill('SIGKILL'); });
  proc.on('exit', (code, signal) => {
    if (spare === c) spare = undefined;
    for (const [seq, sent] of compiling) if (sent === c) { compiling.delete(seq); compilePort.postMessage({ seq, ok: false, message: 'the Groovy sidecar ended before it compiled the script' }); }
    if (child !== c) return;
    const why = 'the Groovy sidecar ended (' + (signal || 'code ' + code) + ')' + (c.err.trim() ? ': ' + c.err.trim().split('\n').filter((l) => !/^WARNING:/.test(l)).slice(-3).join(' | ') : '');
    if (!c.ready) {
      // It never started: say why, once, and start no other (the next call asks again).
      child = undefined;
      port.postMessage({ bootFailed: why });
      setReady(2);
      return;
    }
    setReady(0);
    if (pending) reply({ seq: pending.seq, ok: false, message: why });
    replace();
  });
  return c;
}

// After a stop the next JVM is a spare already booted: a JVM takes a second or more to start.
function replace() {
  const old = child;
  child = spare || spawnJvm();
  spare = spawnJvm();
  setReady(child.ready ? 1 : 0);
  if (old) old.proc.kill('SIGKILL');
}

compilePort.on('message', (m) => {
  known.set(m.src, m.name);
  if (!child) { child = spawnJvm(); setReady(0); }
  compiling.set(m.seq, child);
  try {
    child.proc.stdin.write(JSON.stringify({ seq: m.seq, op: 'compile', src: m.src, name: m.name }) + '\n');
  } catch {
    // Gone: its exit handler answers.
  }
});

port.on('message', (m) => {
  if (m.op === 'replace') {
    pending = undefined;
    replace();
    return;
  }
  if (m.op === 'restart') {
    if (!child) { child = spawnJvm(); setReady(0); }
    return;
  }
  pending = m;
  try {
    child.proc.stdin.write(JSON.stringify(m) + '\n');
  } catch {
    // Gone: its exit handler answers.
  }
});
child = spawnJvm();
`;
