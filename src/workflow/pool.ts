// A small pool of worker threads for the expensive engine calls of a running server: completing a
// task and firing timers (recover + resume + signal/fire + getState, ~5 ms of smqp messaging and GC
// each). The main thread keeps HTTP, SQL and the job worker; the engine work of concurrent requests
// spreads over the other cores. Each worker parses a definition version once, from the XML sent with
// its first call; a state that is a template reference comes with the stored template it names
// (once per worker), so that the worker expands it exactly as the calling thread would.
//
// Used only when the compiled worker script exists (dist/, i.e. `npm start`): under ts-jest the
// engine runs in the calling thread. ENGINE_THREADS sets the number of workers (0 turns the pool
// off); the default is one per core, at most 4.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { referencedTemplate, type TemplateRecord } from './engine';
import type { ParsedDefinition, RunOptions, RunResult } from './interfaces';

export interface PoolRequest {
  id: number;
  op: 'complete' | 'fire';
  definitionId: string;
  xml?: string;
  /** The stored template the state refers to, the first time this worker meets it. */
  template?: TemplateRecord;
  state: Uint8Array;
  executionId?: string;
  values?: Record<string, unknown>;
  variables?: Record<string, unknown>;
  now: number;
  instance?: RunOptions['instance'];
}

export interface PoolResponse {
  id: number;
  result?: RunResult;
  error?: { message: string; code?: string; field?: string };
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>;
  loaded: Set<string>;
}

const WORKER_SCRIPT = path.join(__dirname, 'engineWorker.js');

export function defaultPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  if (env.ENGINE_THREADS !== undefined && env.ENGINE_THREADS !== '') {
    const n = Number(env.ENGINE_THREADS);
    return Number.isInteger(n) && n >= 0 ? Math.min(n, 16) : 0;
  }
  if (!fs.existsSync(WORKER_SCRIPT)) return 0;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cores > 1 ? Math.min(cores, 4) : 0;
}

export class EnginePool {
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  /** Whether threads can run at all: looked up once (it was a stat on every completion). */
  private readonly available: boolean;

  constructor(readonly size: number) {
    this.available = size > 0 && fs.existsSync(WORKER_SCRIPT);
  }

  get enabled(): boolean {
    return this.available && !this.closed;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SCRIPT);
    worker.unref(); // never keeps the process alive on its own
    const slot: Slot = { worker, pending: new Map(), loaded: new Set() };
    worker.on('message', (m: PoolResponse) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.result) {
        const r = m.result;
        // Structured clone turns a Buffer into a plain Uint8Array.
        if (r.state) r.state = Buffer.from(r.state.buffer, r.state.byteOffset, r.state.byteLength);
        p.resolve(r);
      } else {
        const e = m.error;
        p.reject(Object.assign(new Error(e?.message ?? 'engine worker failed'), e?.code ? { code: e.code } : {}, e?.field ? { field: e.field } : {}));
      }
    });
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      this.slots = this.slots.filter((s) => s !== slot);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`engine worker exited with code ${code}`)));
    return slot;
  }

  private pick(): Slot {
    if (this.slots.length < this.size) {
      const idle = this.slots.find((s) => s.pending.size === 0);
      if (idle) return idle;
      const slot = this.spawn();
      this.slots.push(slot);
      return slot;
    }
    return this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  async run(req: Omit<PoolRequest, 'id' | 'xml' | 'template'>, xml: string, parsed: ParsedDefinition): Promise<RunResult> {
    const template = await referencedTemplate(parsed, Buffer.from(req.state));
    const slot = this.pick();
    const id = this.nextId++;
    const msg: PoolRequest = { ...req, id };
    if (!slot.loaded.has(req.definitionId)) {
      msg.xml = xml;
      slot.loaded.add(req.definitionId);
    }
    const templateKey = template && `${req.definitionId}#${template.fingerprint}`;
    if (templateKey && !slot.loaded.has(templateKey)) {
      msg.template = template;
      slot.loaded.add(templateKey);
    }
    return new Promise<RunResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
