// What triggering an execution, correlating a message and broadcasting a signal share: the engine
// resumes each instance from its stored state (triggers.ts), a run that fails answers a process
// defect and stores nothing, and the runs of one request are stored together in one transaction,
// each guarded by its instance's version (storeRun): all or nothing, one winner of a race.
import { Conflict, InvalidInput, NotFound, ProcessDefect } from '../errors';
import * as instances from '../repo/processInstances';
import type { SubscriptionRow } from '../repo/eventSubscriptions';
import type { LoadedDefinition } from './definitions';
import { startOne, type StartResult } from './instanceStarts';
import type { RunResult } from './interfaces';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';
import { resumeWaits, startByEvent, type WaitTarget } from './triggers';

/** An instance's run, not stored yet. */
export interface PendingRun {
  inst: instances.InstanceRow;
  def: LoadedDefinition;
  result: RunResult;
}

function failed(what: string, error: RunResult['error'], fallbackActivity: string, detail: Record<string, unknown>): ProcessDefect {
  const activityId = error?.activityId ?? fallbackActivity;
  const cause = error?.message ?? 'the process failed';
  return new ProcessDefect(`${what} failed at ${activityId}: ${cause}. Nothing was stored`, { ...detail, activityId, cause });
}

/**
 * Resumes the targeted waits of one active instance (not stored yet). The instance is read again
 * here: its version guards the store. `what` names the request in errors.
 */
export async function resumeInstance(rt: RuntimeContext, instanceId: number, target: WaitTarget, variables: Record<string, unknown>, what: string, activityId: string): Promise<PendingRun> {
  const inst = await instances.readInstance(rt.db.knex, instanceId);
  if (!inst || inst.status !== 'active' || !inst.state) throw new Conflict(`Process instance ${instanceId} is no longer waiting; ${what} reached nothing there`);
  const def = await rt.definitions.get(inst.definitionId);
  let result: RunResult;
  try {
    result = await resumeWaits(def.parsed, inst.state, target, variables, { ...rt.runOptions, variables: inst.variables });
  } catch (e) {
    const err = e as { code?: string; message?: string; field?: string };
    if (err.code === 'NOT_WAITING') throw new Conflict(`Process instance ${instanceId}: ${err.message}; it was resumed meanwhile`);
    if (err.code === 'FORM_VALIDATION') throw new InvalidInput(String(err.message), { field: err.field ?? null });
    throw e;
  }
  // All or nothing: a run that fails before its next wait state stores nothing; the wait stays.
  if (result.status === 'failed') {
    const defect = failed(`${what} in process instance ${instanceId}`, result.error, activityId, { processInstanceId: String(instanceId) });
    rt.log.warn(defect.message.slice(0, 300));
    throw defect;
  }
  return { inst, def, result };
}

/** Stores the runs in one transaction, instances in id order (the order every writer locks in). */
export async function storeRuns(rt: RuntimeContext, runs: PendingRun[]): Promise<instances.InstanceRow[]> {
  if (!runs.length) return [];
  const sorted = [...runs].sort((a, b) => a.inst.id - b.inst.id);
  const stored = await rt.db.knex.transaction(async (trx) => {
    const out: instances.InstanceRow[] = [];
    for (const r of sorted) out.push(await storeRun(rt, trx, r.inst, r.def, r.result, {}));
    return out;
  });
  if (runs.some((r) => r.result.jobs.length)) rt.hooks.onJobsEnqueued?.();
  return stored;
}

/** A start at a message or signal start event of the latest version, run but not stored yet. */
export interface PendingStart {
  def: LoadedDefinition;
  result: RunResult;
}

export async function runStart(rt: RuntimeContext, start: SubscriptionRow, kind: 'message' | 'signal', name: string, variables: Record<string, unknown>): Promise<PendingStart> {
  const def = await rt.definitions.get(start.definitionId).catch((e: unknown) => {
    if (e instanceof NotFound) throw new Conflict(`Process definition ${start.definitionId} was removed meanwhile`);
    throw e;
  });
  const result = await startByEvent(def.parsed, kind, name, variables, rt.runOptions).catch((e: { code?: string; message?: string }) => {
    if (e?.code === 'NOT_WAITING') throw new Conflict(`Process definition ${def.row.id}: ${e.message}`);
    throw e;
  });
  if (result.status === 'failed') {
    const defect = failed(`Starting ${def.row.id} by ${kind} "${name}"`, result.error, start.activityId, { processDefinitionId: def.row.id });
    rt.log.warn(defect.message.slice(0, 300));
    throw defect;
  }
  return { def, result };
}

/** Stores a start run as a new instance (its own transaction, as every start). */
export function storeStart(rt: RuntimeContext, start: PendingStart, req: { businessKey?: string | null; variables: Record<string, unknown>; startUserId?: string | null }): Promise<StartResult> {
  return startOne(rt, { definitionId: start.def.row.id, businessKey: req.businessKey ?? null, variables: req.variables, startUserId: req.startUserId ?? null }, start.def, start.result);
}
