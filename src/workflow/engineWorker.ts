// Runs engine.ts calls in a worker thread for EnginePool (pool.ts): one parsed definition per id,
// parsed from the XML the pool sends with the first call for that id.
import { parentPort } from 'node:worker_threads';
import { completeTask, fireDueTimers, parseDefinition, useTemplateStore } from './engine';
import type { ParsedDefinition, RunResult } from './interfaces';
import type { PoolRequest, PoolResponse } from './pool';

const definitions = new Map<string, Promise<ParsedDefinition>>();

function definition(req: PoolRequest): Promise<ParsedDefinition> {
  let def = definitions.get(req.definitionId);
  if (!def) {
    if (req.xml === undefined) throw new Error(`definition ${req.definitionId} is not loaded in this worker`);
    def = parseDefinition(req.xml);
    definitions.set(req.definitionId, def);
    def.catch(() => definitions.delete(req.definitionId));
  }
  return def;
}

async function handle(req: PoolRequest): Promise<RunResult> {
  const def = await definition(req);
  // The stored template a reference names: the calling thread sends it the first time.
  if (req.template) useTemplateStore(def, undefined, [req.template]);
  const state = Buffer.from(req.state.buffer, req.state.byteOffset, req.state.byteLength);
  const opts = { now: () => req.now, variables: req.variables, instance: req.instance };
  // The calling thread keeps the completion plan: here the engine always runs.
  if (req.op === 'complete') return completeTask(def, state, req.executionId!, req.values ?? {}, { ...opts, templates: false });
  return fireDueTimers(def, state, req.now, opts);
}

parentPort?.on('message', (req: PoolRequest) => {
  handle(req).then(
    (result) => parentPort!.postMessage({ id: req.id, result } satisfies PoolResponse),
    (e: unknown) => {
      const err = e as { message?: string; code?: unknown; field?: unknown };
      const error = { message: String(err?.message ?? e), code: typeof err?.code === 'string' ? err.code : undefined, field: typeof err?.field === 'string' ? err.field : undefined };
      parentPort!.postMessage({ id: req.id, error } satisfies PoolResponse);
    },
  );
});
