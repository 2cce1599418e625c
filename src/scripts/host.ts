// Runs configured scripts (conf transforms, BPMN script tasks) outside the calling thread, so that
// no script can hold it past its limit. node:vm's own `timeout` only covered the script's run:
// whatever the host did with the result afterwards (copying, parsing, storing it) ran unbounded,
// and a script that allocated fast could exhaust the server's heap. Here everything that touches
// script values (run, copy-out, JSON) happens in a child process with its own heap limit
// (sandboxSource.ts); the caller only parses a bounded JSON string made there with
// intrinsics no script can reach.
//
// Why a process and not a worker thread with resourceLimits: a worker whose heap limit is hit by
// a large allocation (one `new Array(1e7).fill(0.5)` more) aborts the whole process, not just the
// worker (nodejs/node#47224); a child process that runs out of heap dies alone.
//
// Calls are synchronous (recon's mapping and bpmn-engine's script callback are): the caller posts
// the request to a relay thread (relaySource.ts) and sleeps in Atomics.wait until the relay
// flags the reply or the limit passes. On the limit the relay kills the child (that also stops
// endless promise jobs, and needs no vm watchdog, so nodejs/node#38503 cannot strike) and starts
// a new one. One host per thread: the main thread and each engine pool worker (pool.ts) own one.
import { MessageChannel, MessagePort, Worker } from 'node:worker_threads';
import { SCRIPT_RELAY_SOURCE } from './relaySource';
import { awaitReply, READY } from './relayWait';

export { ScriptLimitError } from './relayWait';
import { SCRIPT_SANDBOX_SOURCE } from './sandboxSource';

/** Heap of the script process (V8 old generation); a script that needs more is stopped. */
export const SCRIPT_MEMORY_MB = 128;
/** The largest completion value (and, for script tasks, variables) a script hands back, as JSON. */
export const MAX_RESULT_CHARS = 4 * 1024 * 1024;
const MAX_RESULT_NODES = 100_000;
const MAX_RESULT_DEPTH = 64;
/** Compiled conf scripts the process keeps; the least recently used is recompiled on demand. */
const MAX_SCRIPTS = 500;
/**
 * Starting the script process takes ~100 ms: a call waits for it when it is not up yet (the first
 * call, or a call right after a script was stopped while no spare was booted). This only bounds a
 * process that cannot start at all.
 */
const BOOT_TIMEOUT_MS = 10_000;


export type ScriptRequest =
  | { op: 'run' | 'load'; id: number; name: string; source?: string; modules?: string; bindings: [string, boolean, unknown][] }
  | { op: 'task'; name: string; source: string; variables: string };



interface Relay {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  seq: number;
  /** Conf script ids whose source this relay has been sent (it keeps them for its children). */
  sent: Set<number>;
  dead: boolean;
}

// A host nobody can call any more (jest drops a test file's modules; the server never does) stops
// its relay thread, and with it the relay's child processes (their IPC channel closes).
const reaper = new FinalizationRegistry<{ relay?: Relay }>((box) => {
  box.relay?.worker.terminate().catch(() => undefined);
});

export class ScriptHost {
  private readonly box: { relay?: Relay } = {};

  private get relay(): Relay {
    return this.box.relay!;
  }

  private set relay(relay: Relay) {
    this.box.relay = relay;
  }

  constructor() {
    this.relay = this.spawn();
    reaper.register(this, this.box);
  }

  private spawn(): Relay {
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const args = JSON.stringify({ maxNodes: MAX_RESULT_NODES, maxDepth: MAX_RESULT_DEPTH, maxChars: MAX_RESULT_CHARS, maxScripts: MAX_SCRIPTS });
    const worker = new Worker(SCRIPT_RELAY_SOURCE, {
      eval: true,
      name: 'reconflow-script-relay',
      workerData: { flag, port: port2, source: SCRIPT_SANDBOX_SOURCE, args, memoryMb: SCRIPT_MEMORY_MB },
      transferList: [port2],
      env: {},
    });
    worker.unref();
    port1.unref();
    const relay: Relay = { worker, port: port1, flag, seq: 0, sent: new Set(), dead: false };
    worker.on('error', () => (relay.dead = true));
    worker.on('exit', () => (relay.dead = true));
    return relay;
  }

  private ready(): Relay {
    if (this.relay.dead) this.relay = this.spawn();
    const relay = this.relay;
    const deadline = performance.now() + BOOT_TIMEOUT_MS;
    while (Atomics.load(relay.flag, READY) !== 1) {
      const left = deadline - performance.now();
      if (left <= 0) {
        relay.dead = true;
        relay.worker.terminate().catch(() => undefined);
        throw new Error(`the script process did not start within ${BOOT_TIMEOUT_MS} ms`);
      }
      Atomics.wait(relay.flag, READY, 0, left);
    }
    return relay;
  }

  /** Sends one request and waits for its reply at most `limitMs` (throws ScriptLimitError). */
  private send(req: ScriptRequest, limitMs: number, onLogs?: (logs: string) => void): string | undefined {
    const relay = this.ready();
    const seq = ++relay.seq;
    if (req.op === 'run' || req.op === 'load') {
      if (relay.sent.has(req.id)) {
        delete req.source;
        delete req.modules;
      }
      else relay.sent.add(req.id);
    }
    relay.port.postMessage({ ...req, seq });
    return awaitReply(relay, seq, limitMs, onLogs);
  }

  /**
   * Runs conf script `id` with `bindings` ([name, isJson, value]); returns the result's JSON.
   * `modules` (modules.ts) defines its `require`, once per sandbox. `onLogs` gets the lines its
   * `logger` buffered during the call (JSON [[level, text]...]), also when it threw.
   */
  run(id: number, name: string, source: string, bindings: [string, boolean, unknown][], limitMs: number, modules?: string, onLogs?: (logs: string) => void): string | undefined {
    return this.send({ op: 'run', id, name, source, bindings, ...(modules && { modules }) }, limitMs, onLogs);
  }

  /** Compiles conf script `id` and makes its sandbox (running its `modules`) ahead of its first call. */
  load(id: number, name: string, source: string, limitMs: number, modules?: string): void {
    this.send({ op: 'load', id, name, source, bindings: [], ...(modules && { modules }) }, limitMs);
  }

  /** Runs a BPMN script task body with a JSON copy of the variables; returns `{v, r}` as JSON. */
  task(name: string, source: string, variablesJson: string, limitMs: number): string | undefined {
    return this.send({ op: 'task', name, source, variables: variablesJson }, limitMs);
  }
}

let host: ScriptHost | undefined;

/** This thread's script host, started on first use. */
export function scriptHost(): ScriptHost {
  return (host ??= new ScriptHost());
}
