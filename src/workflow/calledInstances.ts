// Call activities made durable. A run that leaves a call activity waiting (RunResult.waits, kind
// 'call') starts the called instance in the same transaction that stores the caller (storeRun →
// afterStore), linked to it by super_instance_id / super_execution_id. When a called instance
// finishes (ended, failed or canceled), the transaction that stores it enqueues a workflow.callReturn
// job (key callReturn:<child id>); its handler returns the outcome to the caller's call activity in
// the job's own transaction, guarded by the caller's version: the out mappings feed the caller's
// variables, an error end event reaches an error boundary, a failure fails the caller naming the
// called instance. A caller that stops waiting (canceled, failed, interrupted by a boundary event)
// cancels the called instances it no longer waits for.
import type { Knex } from 'knex';
import { Conflict, ProcessDefect } from '../errors';
import { enqueue, type JobHandler } from '../jobs';
import { afterCommit, type Q } from '../repo/dialect';
import * as definitionsRepo from '../repo/processDefinitions';
import * as instances from '../repo/processInstances';
import * as tasks from '../repo/tasks';
import { calledBusinessKey, type CallDetail, type CallOutcome } from './callActivities';
import type { LoadedDefinition } from './definitions';
import { parseDefinition, resumeCall, startInstance } from './engine';
import { compiledOf } from './parse';
import { DefinitionError, type ParsedDefinition, type RunResult, type WaitingExecution } from './interfaces';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';

export const CALL_RETURN_TOPIC = 'workflow.callReturn';

/** Called instances started inside one transaction, nested: a process that calls itself for ever stops here. */
const MAX_CALL_DEPTH = 32;
const depthOf = new WeakMap<Knex.Transaction, number>();

/**
 * After storeRun wrote an instance: start the called instances its call activities wait for, cancel
 * the ones it no longer waits for, and (a called instance that finished) tell its caller.
 */
export async function afterStore(rt: RuntimeContext, trx: Knex.Transaction, inst: instances.InstanceRow, def: LoadedDefinition, result: RunResult): Promise<void> {
  if (def.parsed.calledElements?.length) await syncCalled(rt, trx, inst, def, result);
  if (result.status !== 'waiting' && inst.superInstanceId != null) await enqueueReturn(trx, inst.id);
}

function enqueueReturn(trx: Knex.Transaction, childId: number): Promise<unknown> {
  return enqueue(trx, { key: `callReturn:${childId}`, type: CALL_RETURN_TOPIC, payload: { processInstanceId: childId } });
}

async function syncCalled(rt: RuntimeContext, trx: Knex.Transaction, inst: instances.InstanceRow, def: LoadedDefinition, result: RunResult): Promise<void> {
  const waits = result.status === 'waiting' ? (result.waits ?? []).filter((w) => w.kind === 'call') : [];
  const children = await instances.calledInstancesOf(trx, inst.id);
  const waiting = new Set(waits.map((w) => w.executionId));
  for (const c of children) {
    if (c.status === 'active' && !waiting.has(c.superExecutionId)) await cancelTree(rt, trx, c.id, `its calling process instance ${inst.id} no longer waits for it`);
  }
  // One called instance per waiting execution, ever: a finished one's return is on its way (a job).
  const started = new Set(children.map((c) => c.superExecutionId));
  for (const w of waits) if (!started.has(w.executionId)) await startCalled(rt, trx, inst, def, w);
}

/** The version a call activity starts, by its binding. */
async function calledDefinition(rt: RuntimeContext, trx: Knex.Transaction, caller: LoadedDefinition, w: WaitingExecution, detail: CallDetail): Promise<LoadedDefinition> {
  const key = w.name ?? '';
  const row =
    detail.binding === 'version'
      ? await definitionsRepo.definitionVersion(trx, key, detail.version ?? 0)
      : detail.binding === 'deployment'
        ? await definitionsRepo.latestDefinitionUpTo(trx, key, caller.row.seq)
        : await definitionsRepo.latestDefinition(trx, key);
  if (!row) {
    const which = detail.binding === 'version' ? `version ${detail.version} of process "${key}"` : detail.binding === 'deployment' ? `process "${key}" as deployed with ${caller.row.id}` : `process "${key}"`;
    throw new ProcessDefect(`Call activity "${w.activityId}" of ${caller.row.id} calls ${which}, which is not deployed`, { activityId: w.activityId, calledElement: key });
  }
  return rt.definitions.get(row.id, trx);
}

async function startCalled(rt: RuntimeContext, trx: Knex.Transaction, caller: instances.InstanceRow, callerDef: LoadedDefinition, w: WaitingExecution): Promise<void> {
  const depth = (depthOf.get(trx) ?? 0) + 1;
  if (depth > MAX_CALL_DEPTH) {
    throw new ProcessDefect(`Call activity "${w.activityId}" of ${callerDef.row.id}: called processes nest deeper than ${MAX_CALL_DEPTH} in one step`, { activityId: w.activityId });
  }
  const detail = w.detail as unknown as CallDetail;
  const def = await calledDefinition(rt, trx, callerDef, w, detail);
  // Inside the caller's transaction: the engine runs the start (a template would be saved outside it).
  const result = await startInstance(def.parsed, detail.variables, { ...rt.runOptions, externalVariables: true, start: 'engine' });
  // As Camunda runs a called process in the caller's transaction: a called start that fails fails the step.
  if (result.status === 'failed') {
    const cause = result.error?.message ?? 'failed';
    throw new ProcessDefect(`Call activity "${w.activityId}" of ${callerDef.row.id}: the called process ${def.row.id} failed at ${result.error?.activityId ?? 'its start'}: ${cause}`, {
      activityId: w.activityId, calledElement: def.row.key, cause,
    });
  }
  let businessKey: string | null;
  try {
    businessKey = calledBusinessKey(detail, caller.variables, caller.businessKey);
  } catch (err) {
    throw new ProcessDefect(`Call activity "${w.activityId}" of ${callerDef.row.id}: its businessKey ${detail.businessKey} failed: ${(err as Error).message}`, { activityId: w.activityId });
  }
  const row: instances.NewInstance = {
    definitionId: def.row.id, definitionKey: def.row.key, businessKey, status: 'active', state: null, variables: detail.variables, wakeAt: null,
    startTime: rt.iso(), startUserId: caller.startUserId, startActivityId: null, endTime: null, endActivityId: null, error: null, openKey: null,
    superInstanceId: caller.id, superExecutionId: w.executionId,
  };
  const id = await instances.insertInstance(trx, row);
  const metrics = rt.hooks.metrics;
  if (metrics) afterCommit(trx, () => metrics.instancesStarted(def.row.key, def.row.version, 1));
  depthOf.set(trx, depth);
  try {
    await storeRun(rt, trx, { ...row, id, version: 1 }, def, result, {});
  } finally {
    depthOf.set(trx, depth - 1);
  }
}

/** Ends an active instance as canceled with `reason`, and the instances it called, in the caller's transaction. */
async function cancelTree(rt: RuntimeContext, trx: Knex.Transaction, id: number, reason: string): Promise<void> {
  const inst = await instances.readInstance(trx, id);
  if (!inst || inst.status !== 'active') return;
  const changes: Partial<instances.InstanceRow> = { status: 'canceled', state: null, endTime: rt.iso(), openKey: null, wakeAt: null, error: reason };
  if (!(await instances.updateInstance(trx, id, inst.version, changes))) throw new Conflict(`Called process instance ${id} was changed concurrently; try again`);
  await tasks.deleteTasksOfInstance(trx, id);
  await cancelCalled(rt, trx, id);
}

/** Cancels the active instances `id` called (a canceled caller takes its called instances with it). */
export async function cancelCalled(rt: RuntimeContext, trx: Knex.Transaction, id: number): Promise<void> {
  for (const c of await instances.calledInstancesOf(trx, id)) {
    if (c.status === 'active') await cancelTree(rt, trx, c.id, `its calling process instance ${id} was canceled`);
  }
}

/** An instance canceled on its own (not with its caller): its caller must not wait for it. */
export async function canceledCalled(trx: Knex.Transaction, inst: instances.InstanceRow): Promise<void> {
  if (inst.superInstanceId != null) await enqueueReturn(trx, inst.id);
}

/** What the caller's call activity receives from a finished called instance. */
async function outcomeOf(rt: RuntimeContext, trx: Knex.Transaction, child: instances.InstanceRow): Promise<CallOutcome> {
  const what = `called process instance ${child.id} (${child.definitionId})`;
  if (child.status === 'canceled') return { failure: `${what} was canceled${child.error ? `: ${child.error}` : ''}` };
  const def = await rt.definitions.get(child.definitionId, trx);
  const errorEnd = child.endActivityId ? compiledOf(def.parsed).errorEnds.get(child.endActivityId) : undefined;
  if (errorEnd) {
    const code = errorEnd.code ?? errorEnd.name;
    return { error: { message: `${what} ended at error end event "${child.endActivityId}"${code ? ` (error ${code})` : ''}`, ...(errorEnd.code !== undefined && { code: errorEnd.code }) } };
  }
  if (child.status === 'failed') return { failure: `${what} failed${child.endActivityId ? ` at ${child.endActivityId}` : ''}: ${child.error ?? 'failed'}` };
  return { variables: child.variables };
}

/**
 * The job handler of topic workflow.callReturn: returns a finished called instance's outcome to its
 * caller, exactly once (a caller no longer waiting at that execution skips it). A caller whose run
 * after an ended call fails throws (the job queue retries it, then records an incident); a failed or
 * canceled called instance, or an uncaught error end, fails the caller naming it.
 */
export function callReturnJob(rt: RuntimeContext): JobHandler {
  return async (trx, payload) => {
    const id = Number(payload.processInstanceId);
    const child = Number.isSafeInteger(id) ? await instances.readInstance(trx, id) : null;
    if (!child || child.superInstanceId == null || !child.superExecutionId) return { skipped: `process instance ${String(payload.processInstanceId)} was not called by another` };
    if (child.status === 'active') return { skipped: `called process instance ${id} is still active` };
    const caller = await instances.readInstance(trx, child.superInstanceId);
    if (!caller || caller.status !== 'active' || !caller.state) return { skipped: `calling process instance ${child.superInstanceId} is not active` };
    const def = await rt.definitions.get(caller.definitionId, trx);
    const outcome = await outcomeOf(rt, trx, child);
    let result: RunResult;
    try {
      result = await resumeCall(def.parsed, caller.state, child.superExecutionId, outcome, { ...rt.runOptions, variables: caller.variables });
    } catch (e) {
      if ((e as { code?: string }).code === 'CALL_NOT_WAITING') return { skipped: `process instance ${caller.id} no longer waits for called instance ${id}` };
      throw e;
    }
    if (result.status === 'failed' && 'variables' in outcome) {
      throw new Error(`returning from called process instance ${id} to process instance ${caller.id} failed at ${result.error?.activityId ?? '?'}: ${result.error?.message ?? 'failed'}`);
    }
    const next = await storeRun(rt, trx, caller, def, result, {});
    return { returned: id, to: caller.id, status: next.status };
  };
}

/**
 * Refuses a definition whose call activity names a literal key that is neither deployed nor about
 * to be (`pending`: the other files of the folder being deployed). An expression is resolved at run
 * time; a process may call itself.
 */
export async function checkCalledKeys(q: Q, parsed: ParsedDefinition, resourceName: string, pending: ReadonlySet<string> = new Set()): Promise<void> {
  for (const ref of parsed.calledElements ?? []) {
    if (!ref.key || ref.key === parsed.key || pending.has(ref.key)) continue;
    if (await definitionsRepo.latestDefinition(q, ref.key)) continue;
    throw new DefinitionError(
      `Cannot deploy ${resourceName}: callActivity "${ref.activityId}" calls process "${ref.key}", which is not deployed; deploy it first (or in the same process folder)`,
      ref.activityId,
    );
  }
}

/**
 * A process folder in deployment order: a called process before its callers (so a caller's
 * 'deployment' binding finds it), otherwise by file name. Files that do not parse keep their place
 * (their deployment reports why).
 */
export async function deploymentOrder(files: { file: string; xml: string }[]): Promise<{ file: string; xml: string; key?: string }[]> {
  const entries = await Promise.all(
    files.map(async (f) => {
      try {
        const parsed = await parseDefinition(f.xml, f.file);
        return { ...f, key: parsed.key, calls: (parsed.calledElements ?? []).map((c) => c.key).filter((k): k is string => !!k) };
      } catch {
        return { ...f, key: undefined, calls: [] as string[] };
      }
    }),
  );
  const byKey = new Map(entries.filter((e) => e.key).map((e) => [e.key!, e]));
  const out: typeof entries = [];
  const seen = new Set<(typeof entries)[number]>();
  const visit = (e: (typeof entries)[number]) => {
    if (seen.has(e)) return; // done, or a cycle: file order decides
    seen.add(e);
    for (const k of e.calls) {
      const callee = byKey.get(k);
      if (callee && callee !== e) visit(callee);
    }
    out.push(e);
  };
  entries.forEach(visit);
  return out.map(({ file, xml, key }) => ({ file, xml, ...(key && { key }) }));
}
