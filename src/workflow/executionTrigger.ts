// The waiting executions other than user tasks and timers (a manual or receive task, a message or
// signal catch), and triggering one of them by its id, as Camunda's execution trigger does.
import { NotFound } from '../errors';
import * as subs from '../repo/eventSubscriptions';
import type { InstanceRow } from '../repo/processInstances';
import { resumeInstance, storeRuns } from './eventDelivery';
import type { RuntimeContext } from './runtimeContext';

export type WaitingSubscription = subs.WaitingSubscription;

/** The kinds REST can resume (other waits, an external job or a called process, have their own way). */
export const RESUMABLE_KINDS = ['trigger', 'message', 'signal'];

/** The waiting executions of active instances, by id. */
export function listWaiting(rt: RuntimeContext, opts: { offset: number; limit?: number }): Promise<WaitingSubscription[]> {
  return subs.listWaiting(rt.db.knex, RESUMABLE_KINDS, opts);
}

/**
 * Resumes one waiting execution with these variables: exactly once (the loser of a race gets a
 * Conflict); a run that fails stores nothing (ProcessDefect naming the activity).
 */
export async function trigger(rt: RuntimeContext, id: number, variables: Record<string, unknown>): Promise<InstanceRow> {
  const row = Number.isSafeInteger(id) && id > 0 ? await subs.readWaiting(rt.db.knex, id) : null;
  if (!row || !RESUMABLE_KINDS.includes(row.kind)) throw new NotFound(`Execution ${id} not found`);
  const run = await resumeInstance(rt, row.processInstanceId, { executionId: row.executionId }, variables, `Triggering execution ${id}`, row.activityId);
  const [stored] = await storeRuns(rt, [run]);
  return stored;
}
