// Completing a user task exactly once: the form is checked, the engine (in a worker thread, or the
// definition's completion plan) runs from the stored state to the next wait, and the outcome is
// stored guarded by the instance's version. Nothing stays in memory between requests.
import type { Knex } from 'knex';
import type { Principal } from '../auth/interfaces';
import { mayWorkOn } from '../auth/taskAccess';
import { Conflict, Forbidden, InvalidInput, NotFound, ProcessDefect } from '../errors';
import { afterCommit } from '../repo/dialect';
import * as instances from '../repo/processInstances';
import { completeTask } from './engine';
import { validateFormValues } from './forms';
import type { RunResult } from './interfaces';
import { storeRun } from './runOutcome';
import type { RuntimeContext } from './runtimeContext';
import { withForm } from './tasks';

/** A completion whose run fails: a process defect (500) naming the activity and the cause. */
function completionFailed(taskId: number, taskKey: string, error: RunResult['error']): ProcessDefect {
  const activityId = error?.activityId ?? taskKey;
  const cause = error?.message ?? 'the process failed';
  return new ProcessDefect(`Completing task ${taskId} failed at ${activityId}: ${cause}. Nothing was stored; the task is still open`, { taskId: String(taskId), activityId, cause });
}

export const MAX_COMMENT = 2000;

/**
 * The completion's _comment: not a form field nor a process variable, but the decider's note kept
 * with an approval's decision (src/approval/decision.ts). Absent, null or empty: none.
 */
export function commentOf(submitted: Record<string, unknown>): string | null {
  const c = submitted._comment;
  if (c === undefined || c === null || c === '') return null;
  if (typeof c !== 'string' || c.length > MAX_COMMENT) throw new InvalidInput(`_comment must be a string of at most ${MAX_COMMENT} characters`, { field: '_comment' });
  return c;
}

/**
 * Completes a task exactly once: the loser of a race gets a Conflict (or NotFound once the task is
 * gone). With `trx` (a bulk operation's job), every read and the store run inside it, the store in
 * a savepoint, so a refused task leaves the caller's transaction usable.
 */
export async function complete(rt: RuntimeContext, taskId: number, submitted: Record<string, unknown>, p: Principal, trx?: Knex.Transaction): Promise<instances.InstanceRow> {
  const { _comment: _c, ...formValues } = submitted;
  const comment = commentOf(submitted);
  const q = trx ?? rt.db.knex;
  const both = Number.isSafeInteger(taskId) && taskId > 0 ? await instances.readTaskAndInstance(q, taskId) : null;
  if (!both) throw new NotFound(`Task instance ${taskId} not found`);
  // The definition first through q: withForm reads it from the cache then (one SQLite connection).
  const inst = both.instance;
  const def = await rt.definitions.get(inst.definitionId, q);
  if (both.task.definitionId !== inst.definitionId) await rt.definitions.get(both.task.definitionId, q);
  const task = await withForm(rt, both.task);
  if (!mayWorkOn(p, task)) throw new Forbidden(`Task ${taskId} is assigned to someone else`);
  const freeVariables = def.parsed.tasks.find((d) => d.id === task.taskDefinitionKey)?.freeVariables;
  const values = validateFormValues({ form: task.form, freeVariables, current: inst.variables }, formValues);
  if (inst.status !== 'active' || !inst.state) throw new NotFound(`Task instance ${taskId} not found`);
  let result: RunResult;
  try {
    const state = inst.state;
    const instance = { id: String(inst.id), businessKey: inst.businessKey };
    const inWorker = rt.pool.enabled && !def.parsed.usesGroovy
      ? () => rt.pool.run({ op: 'complete', definitionId: def.row.id, state, executionId: task.executionId, values, variables: inst.variables, now: rt.now(), instance }, def.row.xml, def.parsed)
      : undefined;
    result = await completeTask(def.parsed, state, task.executionId, values, { ...rt.runOptions, variables: inst.variables, instance }, inWorker);
  } catch (e) {
    const err = e as { code?: string; message?: string; field?: string };
    if (err.code === 'TASK_NOT_WAITING') throw new Conflict(`Task ${taskId} is no longer waiting`);
    // A start variable the submission would change (the engine layer knows which they are).
    if (err.code === 'FORM_VALIDATION') throw new InvalidInput(String(err.message), { field: err.field ?? null });
    throw e;
  }
  // All or nothing: a run that fails before its next wait state stores nothing; the task stays open.
  if (result.status === 'failed') {
    const err = completionFailed(taskId, task.taskDefinitionKey, result.error);
    rt.log.warn(`process instance ${inst.id}: ${err.message.slice(0, 300)}`, { instanceId: String(inst.id), taskId: String(taskId) });
    throw err;
  }
  // storeRun updates the instance first, guarded by the version read above: of two completions
  // (or a completion and a timer) exactly one writes; the other gets a Conflict. Instance before
  // tasks is the order every writer takes its locks in, so PostgreSQL never sees a deadlock.
  const stored = await q
    .transaction((t) => storeRun(rt, t, inst, def, result, { taskId, completedBy: p.userName, comment }))
    .catch((e: unknown) => {
      if (e instanceof Conflict) throw new Conflict(`Task ${taskId} was completed by someone else`);
      throw e;
    });
  if (result.jobs.length) {
    if (trx) afterCommit(trx, () => rt.hooks.onJobsEnqueued?.());
    else rt.hooks.onJobsEnqueued?.();
  }
  return stored;
}
