// The calling thread's side of a relay (host.ts for JavaScript, groovyHost.ts for Groovy): sleep in
// Atomics.wait until the relay thread flags reply `seq`, at most `limitMs`; past it, tell the relay
// to replace its child (that stops the script) and throw ScriptLimitError.
import { MessagePort, receiveMessageOnPort } from 'node:worker_threads';

/** Int32 slots of a relay's shared flag: the seq of the last reply, and readiness. */
export const DONE = 0;
export const READY = 1;

/** A script that did not finish within its limit: its process was stopped. */
export class ScriptLimitError extends Error {
  constructor(limitMs: number) {
    super(`timed out after ${limitMs} ms; the script was stopped`);
  }
}

type Reply = { seq: number; logs?: string } & ({ ok: true; json?: string } | { ok: false; message: string });

/** `onLogs` gets a conf script's logger lines (JSON [[level, text]...]), before the reply's value or error. */
export function awaitReply(relay: { flag: Int32Array; port: MessagePort }, seq: number, limitMs: number, onLogs?: (logs: string) => void): string | undefined {
  const deadline = performance.now() + limitMs;
  while (Atomics.load(relay.flag, DONE) !== seq) {
    const left = deadline - performance.now();
    if (left <= 0) {
      // Not ready until the relay has started the replacement.
      Atomics.store(relay.flag, READY, 0);
      relay.port.postMessage({ op: 'replace' });
      throw new ScriptLimitError(limitMs);
    }
    Atomics.wait(relay.flag, DONE, Atomics.load(relay.flag, DONE), left);
  }
  // Replies to calls that timed out may still be queued: skip them.
  for (;;) {
    const reply = receiveMessageOnPort(relay.port)?.message as Reply | undefined;
    if (!reply) throw new Error('the relay flagged a reply that did not arrive');
    if (reply.seq !== seq) continue;
    if (reply.logs !== undefined) onLogs?.(reply.logs);
    if (!reply.ok) throw new Error(reply.message);
    return reply.json;
  }
}
