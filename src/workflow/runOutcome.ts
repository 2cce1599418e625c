// Stores what a run left behind (its state, the user tasks that wait now, its end and its jobs) in
// the caller's transaction, guarded by the instance's version: of two writers exactly one wins.
import type { Knex } from 'knex';
import { Conflict } from '../errors';
import { enqueue } from '../jobs';
import { insertActivityHistory } from '../repo/activityHistory';
import { afterCommit } from '../repo/dialect';
import * as instances from '../repo/processInstances';
import * as tasks from '../repo/tasks';
import { CONTINUE_TOPIC } from './asyncBoundaries';
import { afterStore } from './calledInstances';
import type { LoadedDefinition } from './definitions';
import { syncExternalTasks, type HeldExternalTask } from './externalTaskRows';
import type { OpenTask, ResolvedFormProperty, RunResult } from './interfaces';
import type { RuntimeContext } from './runtimeContext';
import { mayWaitBeyondTasks, storeWaits } from './subscriptions';

/** What a task row keeps of its form: the resolved values only (labels and types stay in the definition). */
function formValues(form: ResolvedFormProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of form) if (f.value !== undefined && f.value !== null) out[f.id] = f.value;
  return out;
}

/** The row of a user task that waits now. */
export function taskRow(processInstanceId: number, definitionId: string, t: OpenTask, now: string): tasks.NewTask {
  return {
    processInstanceId,
    definitionId,
    taskDefinitionKey: t.taskDefinitionKey,
    executionId: t.executionId,
    name: t.name,
    description: t.documentation ?? null,
    assignee: t.assignee ?? null,
    owner: null,
    candidateUsers: t.candidateUsers,
    candidateGroups: t.candidateGroups,
    form: formValues(t.formProperties),
    formKey: t.formKey ?? null,
    createTime: now,
    dueDate: t.dueDate ?? null,
    priority: t.priority,
  };
}

/** Who finished the instance, for the hooks (the external task's lock is storeRun's own business). */
function who({ externalTask: _held, ...by }: { taskId?: number; completedBy?: string; comment?: string | null; externalTask?: HeldExternalTask }): { taskId?: number; completedBy?: string; comment?: string | null } {
  return by;
}

/**
 * Writes a run's outcome; the caller's transaction must already hold the instance's version (a
 * Conflict when another writer got there first). A finished instance (ended or failed) is reported
 * to hooks.onFinished inside the same transaction.
 */
export async function storeRun(
  rt: RuntimeContext,
  trx: Knex.Transaction,
  inst: instances.InstanceRow,
  def: LoadedDefinition,
  result: RunResult,
  by: { taskId?: number; completedBy?: string; comment?: string | null; externalTask?: HeldExternalTask },
): Promise<instances.InstanceRow> {
  const now = rt.iso();
  let changes: Partial<instances.InstanceRow>;
  if (result.status === 'waiting') {
    changes = { state: result.state ?? null, variables: result.variables, wakeAt: result.timers[0]?.expireAt ?? null, error: null };
  } else if (result.status === 'ended') {
    changes = { status: 'ended', state: null, variables: result.variables, endTime: now, endActivityId: result.endActivityId ?? null, wakeAt: null, openKey: null, error: null };
  } else {
    changes = { status: 'failed', variables: result.variables, endTime: now, error: result.error?.message ?? 'failed', endActivityId: result.error?.activityId ?? null, wakeAt: null, openKey: null };
    rt.log.warn(`process instance ${inst.id} failed: ${changes.error}`, { instanceId: String(inst.id) });
  }
  if (!(await instances.updateInstance(trx, inst.id, inst.version, changes))) throw new Conflict(`Process instance ${inst.id} was changed concurrently; try again`);
  const next = { ...inst, ...changes, version: inst.version + 1 };
  // The path this run took, in the same transaction as its outcome (kit: expectPassed; REST: history).
  if (result.passed?.length) await insertActivityHistory(trx, [{ processInstanceId: inst.id, activityIds: result.passed, recordedAt: now }]);
  // Task rows mirror exactly the user tasks that wait now.
  if (result.status === 'waiting') {
    const open = new Set(result.openTasks.map((t) => t.executionId));
    for (const t of await tasks.tasksOfInstance(trx, inst.id)) if (!open.has(t.executionId)) await tasks.takeTask(trx, t.id);
    await tasks.insertTasks(trx, result.openTasks.map((t) => taskRow(inst.id, def.row.id, t, now)));
  } else {
    // workflow/taskinstance/history: the task this run completed ended "completed", not "deleted".
    await tasks.deleteTasksOfInstance(trx, inst.id, by.taskId !== undefined ? { id: by.taskId, at: now } : undefined);
  }
  if (by.taskId !== undefined && result.status === 'waiting') await tasks.markTaskCompleted(trx, by.taskId, now);
  // Subscriptions mirror exactly the other waits (messages, signals, triggers).
  if (mayWaitBeyondTasks(def.parsed)) await storeWaits(trx, inst.id, def.row, result, now);
  await syncExternalTasks(trx, inst, def, result, now, by.externalTask);
  for (const job of result.jobs) {
    if (job.topic === CONTINUE_TOPIC) {
      // One continuation per stored version: a later boundary of the same instance gets its own job.
      await enqueue(trx, { key: `${CONTINUE_TOPIC}:${inst.id}:${next.version}`, type: CONTINUE_TOPIC, payload: { processInstanceId: inst.id, activityId: job.activityId } });
      continue;
    }
    await enqueue(trx, { key: `${job.topic}:${inst.id}`, type: job.topic, payload: { processInstanceId: inst.id, activityId: job.activityId, variables: result.variables } });
  }
  // Call activities: the called instances this run waits for start here; a finished called instance tells its caller.
  await afterStore(rt, trx, next, def, result);
  if (result.status !== 'waiting' && rt.hooks.onFinished) await rt.hooks.onFinished(trx, { instance: next, result, definition: def, ...who(by) });
  const metrics = rt.hooks.metrics;
  if (metrics && result.status !== 'waiting') {
    const status = result.status;
    afterCommit(trx, () => metrics.instanceFinished(def.row.key, def.row.version, status));
  }
  return next;
}
