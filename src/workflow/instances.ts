// Reading and canceling stored instances (the admin's views of them; starts are instanceStarts.ts).
import type { Filter } from '../crest/queryFilter';
import { Conflict, NotFound } from '../errors';
import { activityHistoryOf } from '../repo/activityHistory';
import * as externalTasks from '../repo/externalTasks';
import * as instances from '../repo/processInstances';
import * as tasks from '../repo/tasks';
import { deleteSubscriptionsOfInstance } from '../repo/eventSubscriptions';
import { cancelCalled, canceledCalled } from './calledInstances';
import type { RuntimeContext } from './runtimeContext';

export type { InstanceRow, InstanceStatus } from '../repo/processInstances';

/** A page of instances in these statuses that match the filter, by id. */
export type InstanceQueryOptions = Parameters<typeof instances.queryInstances>[2];

export function queryInstances(rt: RuntimeContext, filter: Filter, opts: InstanceQueryOptions): Promise<instances.InstanceRow[] & { total?: number }> {
  return instances.queryInstances(rt.db.knex, filter, opts);
}

/** Every matching instance from opts.offset on, batch by batch (an unpaged query). */
export function streamInstances(rt: RuntimeContext, filter: Filter, opts: Omit<InstanceQueryOptions, 'limit' | 'countTotal'>): AsyncGenerator<instances.InstanceRow[]> {
  return instances.streamInstances(rt.db.knex, filter, opts);
}

export function countInstances(rt: RuntimeContext, filter: Filter, statuses: instances.InstanceStatus[]): Promise<number> {
  return instances.countInstances(rt.db.knex, filter, statuses);
}

/** The stored instance, whatever its status; null when there is none. */
export function readInstance(rt: RuntimeContext, id: number): Promise<instances.InstanceRow | null> {
  return instances.readInstance(rt.db.knex, id);
}

/** The task rows of an instance (as stored: form values only), oldest first. */
export function tasksOfInstance(rt: RuntimeContext, id: number): Promise<tasks.TaskRow[]> {
  return tasks.tasksOfInstance(rt.db.knex, id);
}

/** The ids of the activities and events an instance has completed, in order, across all its runs. */
export async function passedActivities(rt: RuntimeContext, id: number): Promise<string[]> {
  return (await activityHistoryOf(rt.db.knex, id)).flatMap((r) => r.activityIds);
}

/** Ends an active instance as canceled: its tasks go, its open key is free again, the instances it called are canceled. */
export function cancel(rt: RuntimeContext, id: number): Promise<instances.InstanceRow> {
  return rt.db.knex.transaction(async (trx) => {
    const inst = await instances.readInstance(trx, id);
    if (!inst || inst.status !== 'active') throw new NotFound(`Process instance ${id} not found`);
    const changes: Partial<instances.InstanceRow> = { status: 'canceled', state: null, endTime: rt.iso(), openKey: null, wakeAt: null };
    if (!(await instances.updateInstance(trx, id, inst.version, changes))) throw new Conflict(`Process instance ${id} was changed concurrently`);
    await tasks.deleteTasksOfInstance(trx, id);
    await deleteSubscriptionsOfInstance(trx, id);
    await externalTasks.deleteExternalTasksOfInstance(trx, id);
    const next = { ...inst, ...changes, version: inst.version + 1 };
    // The instances it called go with it; a called instance's caller learns it was canceled.
    await cancelCalled(rt, trx, id);
    await canceledCalled(trx, next);
    return next;
  });
}
