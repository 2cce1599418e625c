// Timers of stored instances: the scheduler's pass over the due instances, one instance's firing,
// and what a failing timer run leaves (the state kept, the error named, a retry after a backoff).
import { Conflict, ProcessDefect } from '../errors';
import * as instances from '../repo/processInstances';
import { fireDueTimers, storedDueTimes } from './engine';
import type { RunResult, TimerInfo } from './interfaces';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';

/** Retry delay of a failing timer: the time it has been failing, between 1 minute and 1 hour. */
export function timerRetryDelay(failingSinceMs: number): number {
  return Math.min(60 * 60_000, Math.max(60_000, failingSinceMs));
}

/** Fires the due timers of one instance; false when another node got there first. */
export async function fireTimers(rt: RuntimeContext, id: number): Promise<boolean> {
  const inst = await instances.readInstance(rt.db.knex, id);
  if (!inst || inst.status !== 'active' || !inst.state || inst.wakeAt === null || inst.wakeAt > rt.now()) return false;
  const def = await rt.definitions.get(inst.definitionId);
  const result = rt.pool.enabled && !def.parsed.usesGroovy
    ? await rt.pool.run({ op: 'fire', definitionId: def.row.id, state: inst.state, variables: inst.variables, now: rt.now(), instance: { id: String(inst.id), businessKey: inst.businessKey } }, def.row.xml, def.parsed)
    : await fireDueTimers(def.parsed, inst.state, rt.now(), { ...rt.runOptions, variables: inst.variables, instance: { id: String(inst.id), businessKey: inst.businessKey } });
  try {
    if (result.status === 'failed') await recordTimerFailure(rt, inst, result);
    else await rt.db.knex.transaction((trx) => storeRun(rt, trx, inst, def, result, {}));
  } catch (e) {
    if (e instanceof Conflict) return false;
    // A step that fails while being stored (a call activity whose process is not deployed) is a
    // failed timer run: state kept, retried after the backoff, not on every scheduler pass.
    if (!(e instanceof ProcessDefect)) throw e;
    const activityId = (e.detail as { activityId?: string } | undefined)?.activityId;
    await recordTimerFailure(rt, inst, { ...result, status: 'failed', error: { message: e.message, ...(activityId && { activityId }) } });
  }
  if (result.jobs.length) rt.hooks.onJobsEnqueued?.();
  return true;
}

/**
 * A timer run that fails stores nothing of the run: the instance stays active in the state it was
 * in (its tasks still open), `error` names the activity and the cause, and its timers are tried
 * again after a backoff that doubles from 1 minute to 1 hour.
 */
async function recordTimerFailure(rt: RuntimeContext, inst: instances.InstanceRow, result: RunResult): Promise<void> {
  const now = rt.now();
  const dues = await storedDueTimes(inst.state!).catch(() => [] as number[]);
  const since = dues.length ? now - Math.min(...dues) : 0;
  const retryAt = now + timerRetryDelay(since);
  const error = `timer run failed at ${result.error?.activityId ?? '?'}: ${result.error?.message ?? 'failed'} (state kept; retried at ${new Date(retryAt).toISOString()})`;
  if (!(await instances.updateInstance(rt.db.knex, inst.id, inst.version, { error, wakeAt: retryAt }))) {
    throw new Conflict(`Process instance ${inst.id} was changed concurrently`);
  }
  rt.log.warn(`process instance ${inst.id}: ${error}`, { instanceId: String(inst.id) });
}

/** One pass of the timer scheduler: every instance whose earliest timer is due. */
export async function fireDue(rt: RuntimeContext, limit = 100): Promise<number> {
  let fired = 0;
  for (const id of await instances.dueInstanceIds(rt.db.knex, rt.now(), limit)) {
    try {
      if (await fireTimers(rt, id)) fired++;
    } catch (e) {
      rt.log.error(`timers of process instance ${id} failed`, e, { instanceId: String(id) });
    }
  }
  return fired;
}

/**
 * The timers an active instance waits for, earliest first, without firing any: its stored state
 * is recovered at a moment before every stored due time (wake_at is not that moment after a failed
 * timer run: it is then the retry time). A state that cannot be recovered throws.
 */
export async function waitingTimers(rt: RuntimeContext, inst: instances.InstanceRow): Promise<TimerInfo[]> {
  if (inst.status !== 'active' || !inst.state || inst.wakeAt === null) return [];
  const dues = await storedDueTimes(inst.state);
  if (!dues.length) return [];
  const def = await rt.definitions.get(inst.definitionId);
  const result = await fireDueTimers(def.parsed, inst.state, Math.min(...dues) - 1, { variables: inst.variables });
  if (result.status === 'failed') throw new Error(`process instance ${inst.id}: its stored state cannot be recovered: ${result.error?.message ?? 'unknown error'}`);
  return result.timers;
}
