// Runs scripts that call IDM's script API (openidm.*, identityServer.getProperty, logger.*) without
// blocking the calling thread: the main thread must stay free to serve those calls (the services
// they reach are asynchronous). The script itself sees IDM's synchronous API: inside the script
// process (sandboxSource.ts, op 'async') each call is written as one JSON line to an extra pipe
// (fd 4) and the process blocks in fs.readSync on another (fd 5) until this host has answered.
//
// Same process, heap limit and isolation as the synchronous path (host.ts), which transforms keep:
// a child per running script (taken from a small idle pool, started when none is idle), killed and
// dropped when the script passes its limit or exhausts its heap, so the next run gets a fresh one.
//
// Time limit: `limitMs` counts the script's own running time only; the time this thread spends
// serving its calls is not counted (a call waits for the database or starts a process, and the
// script cannot run meanwhile). Calls have their own bound: at most `maxCalls` per run.
import { ChildProcess, spawn } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { MAX_RESULT_CHARS, SCRIPT_MEMORY_MB } from './host';
import { ScriptLimitError } from './relayWait';
import { SCRIPT_SANDBOX_SOURCE } from './sandboxSource';

const CALL_FD = 4;
const REPLY_FD = 5;
const BOOT_TIMEOUT_MS = 10_000;
const MAX_IDLE = 2;
const DEFAULT_MAX_CALLS = 10_000;

/** One call of the script: `openidm.read`, `logger.info`... and its arguments as the script passed them. */
export interface ScriptCall {
  name: string;
  args: unknown[];
}

/** Answers a script's call; a rejection becomes an exception in the script (message and `code`). */
export type CallHandler = (call: ScriptCall) => Promise<unknown>;

export interface AsyncScriptRequest {
  /** For messages and logs: the script's name (its file or conf location). */
  name: string;
  source: string;
  /** Global variables of the run; JSON values. */
  bindings: Record<string, unknown>;
  limitMs: number;
  onCall: CallHandler;
  /** A require() prelude (modules.ts). */
  modules?: string;
  maxCalls?: number;
}

type Reply = { seq: number; ok: true; json?: string } | { seq: number; ok: false; message: string };

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  dead: boolean;
}

const idle: Child[] = [];

function spawnChild(): Child {
  const args = JSON.stringify({ maxNodes: 100_000, maxDepth: 64, maxChars: MAX_RESULT_CHARS, maxScripts: 100 });
  const proc = spawn(process.execPath, [`--max-old-space-size=${SCRIPT_MEMORY_MB}`, '-e', SCRIPT_SANDBOX_SOURCE, args], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc', 'pipe', 'pipe'],
    serialization: 'advanced',
    // Nothing of the server's environment (DATABASE_URL...) is in reach of an escaped script.
    env: {},
  });
  const child: Child = { proc, dead: false, ready: Promise.resolve() };
  child.ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the script process did not start within ${BOOT_TIMEOUT_MS} ms`)), BOOT_TIMEOUT_MS);
    proc.once('message', (m: { ready?: boolean }) => {
      clearTimeout(timer);
      if (m.ready) resolve();
      else reject(new Error('the script process answered before it was ready'));
    });
    proc.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('the script process ended while starting'));
    });
  });
  child.ready.catch(() => undefined);
  proc.on('exit', () => {
    child.dead = true;
    const i = idle.indexOf(child);
    if (i >= 0) idle.splice(i, 1);
  });
  proc.on('error', () => proc.kill('SIGKILL'));
  // A pipe of a child that died (EPIPE) must not become an unhandled 'error' that ends the server.
  for (const fd of [CALL_FD, REPLY_FD]) (proc.stdio as unknown as (NodeJS.EventEmitter | null)[])[fd]?.on('error', () => proc.kill('SIGKILL'));
  // An idle child must not keep the server (or a test) alive.
  unrefChild(child);
  return child;
}

function unrefChild(c: Child): void {
  c.proc.unref();
  (c.proc as unknown as { channel?: { unref(): void } }).channel?.unref();
  for (const fd of [CALL_FD, REPLY_FD]) (c.proc.stdio[fd] as unknown as { unref?: () => void } | null)?.unref?.();
}

function refChild(c: Child): void {
  c.proc.ref();
  (c.proc as unknown as { channel?: { ref(): void } }).channel?.ref();
  for (const fd of [CALL_FD, REPLY_FD]) (c.proc.stdio[fd] as unknown as { ref?: () => void } | null)?.ref?.();
}

function takeChild(): Child {
  for (;;) {
    const c = idle.pop();
    if (!c) return spawnChild();
    if (!c.dead) return c;
  }
}

function release(c: Child): void {
  if (c.dead) return;
  unrefChild(c);
  if (idle.length < MAX_IDLE) idle.push(c);
  else c.proc.kill('SIGKILL');
}

/** Errors an `onCall` handler rejects with may carry a numeric CREST `code` (404...): the script's exception gets it. */
function callError(call: ScriptCall, e: unknown): { e: string; code?: number } {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown })?.code;
  return { e: `${call.name}: ${message}`, ...(typeof code === 'number' && { code }) };
}

/** Binding list as the script process takes it: [name, isJson, value]. */
function bindingList(name: string, bindings: Record<string, unknown>): [string, boolean, unknown][] {
  const list: [string, boolean, unknown][] = [];
  for (const [k, v] of Object.entries(bindings)) {
    if (v === undefined || typeof v === 'function') continue;
    if (typeof v === 'bigint') throw new Error(`script ${name} failed: binding "${k}" is a BigInt`);
    if (v === null || typeof v !== 'object') list.push([k, false, v]);
    else list.push([k, true, JSON.stringify(v)]);
  }
  return list;
}

/**
 * Runs `source` with IDM's script API served by `onCall`; resolves to its completion value (a JSON
 * copy), rejects with Error(`script <name> failed: ...`) for exceptions, the limit (ScriptLimitError's
 * message), a heap exhausted, or too many calls.
 */
export async function runScriptAsync(req: AsyncScriptRequest): Promise<unknown> {
  const bindings = bindingList(req.name, req.bindings);
  const child = takeChild();
  refChild(child);
  const fail = (message: string) => new Error(`script ${req.name} failed: ${message}`);
  try {
    await child.ready;
  } catch (e) {
    child.proc.kill('SIGKILL');
    throw fail((e as Error).message);
  }
  const maxCalls = req.maxCalls ?? DEFAULT_MAX_CALLS;
  const calls = child.proc.stdio[CALL_FD] as Readable;
  const replies = (child.proc.stdio as unknown as Writable[])[REPLY_FD];

  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    let budget = req.limitMs;
    let runningSince = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let callCount = 0;
    let buffered = '';
    let serving = Promise.resolve();

    const arm = () => {
      runningSince = performance.now();
      timer = setTimeout(() => finish(new ScriptLimitError(req.limitMs), true), Math.max(0, budget));
    };
    const pause = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      budget -= performance.now() - runningSince;
    };
    const finish = (outcome: Error | { value: unknown }, kill: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      calls.off('data', onData);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
      if (kill) child.proc.kill('SIGKILL');
      else release(child);
      if (outcome instanceof Error) reject(outcome instanceof ScriptLimitError ? fail(outcome.message) : outcome);
      else resolve(outcome.value);
    };
    const answer = async (line: string) => {
      let call: ScriptCall;
      try {
        const [name, args] = JSON.parse(line) as [unknown, unknown];
        if (typeof name !== 'string' || !Array.isArray(args)) throw new Error('malformed call');
        call = { name, args };
      } catch {
        return finish(fail('the script process sent a malformed call'), true);
      }
      if (++callCount > maxCalls) return finish(fail(`made more than ${maxCalls} calls`), true);
      pause();
      let reply: string;
      try {
        const value = await req.onCall(call);
        reply = JSON.stringify({ v: value === undefined ? null : value });
      } catch (e) {
        reply = JSON.stringify(callError(call, e));
      }
      if (settled) return;
      if (reply.length > MAX_RESULT_CHARS) reply = JSON.stringify({ e: `${call.name}: the answer is larger than ${MAX_RESULT_CHARS} characters of JSON` });
      replies.write(reply + '\n');
      arm();
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (buffered.length > 2 * MAX_RESULT_CHARS) return finish(fail('the script sent a call that is too large'), true);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        // One call at a time (the script waits for each answer), served in order.
        serving = serving.then(() => answer(line)).catch((e) => finish(fail(String(e)), true));
      }
    };
    const onMessage = (m: Reply) => {
      if (m.seq !== 1) return;
      if (m.ok) finish({ value: m.json === undefined ? undefined : JSON.parse(m.json) }, false);
      else finish(fail(m.message), false);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const oom = signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134;
      finish(fail(oom ? `used more than ${SCRIPT_MEMORY_MB} MB of memory; the script was stopped` : `the script process ended (${signal ?? `code ${code}`})`), true);
    };
    calls.on('data', onData);
    child.proc.on('message', onMessage);
    child.proc.once('exit', onExit);
    arm();
    child.proc.send({ op: 'async', seq: 1, name: req.name, source: req.source, modules: req.modules, bindings, callFd: CALL_FD, replyFd: REPLY_FD });
  });
}
