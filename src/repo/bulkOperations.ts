// SQL for bulk operations (issue 17: "select all matching" acts on the query, not the page): the
// operation with its exact counts, and the ids of the tasks it covers, fixed when it was asked.
import { Filter } from '../crest/queryFilter';
import { applyFilter } from './filterToSql';
import { dialectOf, insertReturningId, parseJson, Q } from './dialect';
import { restrictTo, taskResolver, TaskVisibility } from './tasks';

export type BulkState = 'ACTIVE' | 'SUCCESS' | 'CANCELED' | 'FAILED';

export interface BulkRow {
  id: number;
  kind: string;
  startedBy: string;
  principal: unknown;
  body: Record<string, unknown>;
  state: BulkState;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

function fromColumns(r: Record<string, unknown>): BulkRow {
  return {
    id: Number(r.id), kind: String(r.kind), startedBy: String(r.started_by), principal: parseJson(r.principal), body: parseJson(r.body) as Record<string, unknown>,
    state: String(r.state) as BulkState, total: Number(r.total), processed: Number(r.processed), succeeded: Number(r.succeeded), failed: Number(r.failed),
    error: r.error === null || r.error === undefined ? null : String(r.error), createdAt: String(r.created_at), updatedAt: String(r.updated_at),
    endedAt: r.ended_at === null || r.ended_at === undefined ? null : String(r.ended_at),
  };
}

/** Who a matching task is for, so the caller can keep those it may work on (src/auth decides). */
export interface TaskPeople {
  id: number;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
}

const list = (v: unknown): string[] => (v === null || v === undefined ? [] : (parseJson(v) as string[] | null) ?? []);

/** The open tasks (ascending id) this visibility sees that match the filter, with their people: the snapshot a bulk operation works through. */
export async function matchingTasks(q: Q, filter: Filter, vis: TaskVisibility): Promise<TaskPeople[]> {
  const dialect = dialectOf(q);
  const qb = q('task')
    .join('process_instance', 'process_instance.id', 'task.process_instance_id')
    .select('task.id', 'task.assignee', 'task.candidate_users', 'task.candidate_groups');
  applyFilter(qb, filter, taskResolver, dialect);
  if (vis.userId !== null) restrictTo(qb, vis.userId, vis.groups, dialect);
  return (await qb.orderBy('task.id')).map((r: Record<string, unknown>) => ({
    id: Number(r.id), assignee: r.assignee === null || r.assignee === undefined ? null : String(r.assignee),
    candidateUsers: list(r.candidate_users), candidateGroups: list(r.candidate_groups),
  }));
}

const ID_CHUNK = 400;

export async function insertBulk(
  q: Q,
  b: { kind: string; startedBy: string; principal: unknown; body: Record<string, unknown>; taskIds: number[]; at: string },
): Promise<number> {
  const id = await insertReturningId(q, 'bulk_operation', {
    kind: b.kind, started_by: b.startedBy, principal: JSON.stringify(b.principal), body: JSON.stringify(b.body), state: 'ACTIVE',
    total: b.taskIds.length, processed: 0, succeeded: 0, failed: 0, error: null, created_at: b.at, updated_at: b.at, ended_at: null,
  });
  for (let i = 0; i < b.taskIds.length; i += ID_CHUNK) {
    await q('bulk_operation_task').insert(b.taskIds.slice(i, i + ID_CHUNK).map((t) => ({ bulk_id: id, task_id: t, status: null, message: null })));
  }
  return id;
}

export async function readBulk(q: Q, id: number): Promise<BulkRow | null> {
  const r = await q('bulk_operation').where({ id }).first();
  return r ? fromColumns(r) : null;
}

/** Only the state: read before each task, so that a cancel stops the batch under way. */
export async function readBulkState(q: Q, id: number): Promise<BulkState | null> {
  const r = await q('bulk_operation').where({ id }).first('state');
  return r ? (String(r.state) as BulkState) : null;
}

/** The next task ids not yet done, in order. */
export async function nextBulkTasks(q: Q, id: number, limit: number): Promise<number[]> {
  const rows = await q('bulk_operation_task').where({ bulk_id: id }).whereNull('status').orderBy('task_id').limit(limit).select('task_id');
  return rows.map((r: { task_id: unknown }) => Number(r.task_id));
}

export async function markBulkTask(q: Q, id: number, taskId: number, status: 'succeeded' | 'failed', message: string | null): Promise<void> {
  await q('bulk_operation_task').where({ bulk_id: id, task_id: taskId }).update({ status, message: message?.slice(0, 1000) ?? null });
}

/** Adds a batch's counts (never overwrites: a cancel committed meanwhile keeps its state). */
export async function addBulkCounts(q: Q, id: number, n: { succeeded: number; failed: number }, at: string): Promise<void> {
  await q('bulk_operation')
    .where({ id })
    .update({
      processed: q.raw('processed + ?', [n.succeeded + n.failed]),
      succeeded: q.raw('succeeded + ?', [n.succeeded]),
      failed: q.raw('failed + ?', [n.failed]),
      updated_at: at,
    });
}

/** Ends an ACTIVE operation (SUCCESS, CANCELED or FAILED); an ended one is left as it is. Returns whether it changed. */
export async function endBulk(q: Q, id: number, state: Exclude<BulkState, 'ACTIVE'>, error: string | null, at: string): Promise<boolean> {
  const n = await q('bulk_operation').where({ id, state: 'ACTIVE' }).update({ state, error: error?.slice(0, 2000) ?? null, updated_at: at, ended_at: at });
  return Number(n) > 0;
}

/** The first `limit` failures, in task order. */
export async function bulkFailures(q: Q, id: number, limit: number): Promise<{ taskId: number; message: string | null }[]> {
  const rows = await q('bulk_operation_task').where({ bulk_id: id, status: 'failed' }).orderBy('task_id').limit(limit).select('task_id', 'message');
  return rows.map((r: { task_id: unknown; message: unknown }) => ({ taskId: Number(r.task_id), message: r.message === null ? null : String(r.message) }));
}
