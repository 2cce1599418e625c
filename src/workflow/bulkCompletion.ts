// Completing every task a query matches (issue 17: "select all matching" acts on the query, not the
// page), durably: the request fixes the ids of the tasks the caller may work on that match now
// (a task opened later is never swept in), and the job queue works through them a batch at a time.
// Each batch runs in its job's transaction: the completions (each in a savepoint, so a refused task
// is undone alone), their marks, the counts and the next batch's job commit together or not at all,
// so a node that dies mid-batch leaves the whole batch to the next claim and no task is done twice.
import type { Knex } from 'knex';
import { isAdmin } from '../auth/authorize';
import type { Principal } from '../auth/interfaces';
import { mayWorkOn, taskScope } from '../auth/taskAccess';
import type { Filter } from '../crest/queryFilter';
import { Conflict, DomainError, InvalidInput, NotFound, Unavailable } from '../errors';
import { enqueue, type DeadJobHook, type JobHandler } from '../jobs';
import { afterCommit } from '../repo/dialect';
import * as bulk from '../repo/bulkOperations';
import * as instances from '../repo/processInstances';
import { validateFormValues } from './forms';
import { withForm } from './tasks';
import type { RuntimeContext } from './runtimeContext';
import { commentOf, complete } from './taskCompletion';

export const BULK_COMPLETE_TOPIC = 'workflow.bulkComplete';
/** Tasks a job completes in one transaction (kept short: on SQLite it holds the only connection). */
export const DEFAULT_BULK_BATCH = 50;
/** Failures listed by a read (the counts are exact whatever their number). */
export const MAX_LISTED_FAILURES = 100;

export interface BulkView {
  _id: string;
  state: bulk.BulkState;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
}

export interface BulkDetail extends BulkView {
  failures: { taskId: string; message: string }[];
  /** Why the operation itself broke (state FAILED); null otherwise. */
  error: string | null;
}

export const bulkView = (b: bulk.BulkRow): BulkView => ({ _id: String(b.id), state: b.state, total: b.total, processed: b.processed, succeeded: b.succeeded, failed: b.failed });

/** Starts completing every task the caller may work on that matches the filter, with these values. */
export async function startBulkCompletion(rt: RuntimeContext, filter: Filter, p: Principal, values: Record<string, unknown>): Promise<BulkView> {
  commentOf(values); // a bad _comment is refused now, not once per task
  const at = rt.iso();
  const row = await rt.db.knex.transaction(async (trx) => {
    // Those it lists that the caller may work on (not a task offered to its group but taken by another).
    const taskIds = (await bulk.matchingTasks(trx, filter, taskScope(p))).filter((t) => mayWorkOn(p, t)).map((t) => t.id);
    if (!taskIds.length) throw new InvalidInput('No task matches the query filter among the tasks you may work on: nothing was done');
    await checkValues(rt, trx, taskIds[0], values);
    const principal: Principal = { component: p.component, id: p.id, userName: p.userName, roles: [...p.roles] };
    const id = await bulk.insertBulk(trx, { kind: 'complete', startedBy: p.userName, principal, body: values, taskIds, at });
    await enqueue(trx, { key: `${BULK_COMPLETE_TOPIC}:${id}:1`, type: BULK_COMPLETE_TOPIC, payload: { bulkId: id, batch: 1 } });
    afterCommit(trx, () => rt.hooks.onJobsEnqueued?.());
    return (await bulk.readBulk(trx, id))!;
  });
  return bulkView(row);
}

/**
 * Values the first task's form refuses are refused now (400, naming the task and the field), not
 * once per task; each task is still checked at its turn, as a single completion is.
 */
async function checkValues(rt: RuntimeContext, trx: Knex.Transaction, taskId: number, values: Record<string, unknown>): Promise<void> {
  const both = await instances.readTaskAndInstance(trx, taskId);
  if (!both) return;
  const def = await rt.definitions.get(both.instance.definitionId, trx);
  if (both.task.definitionId !== both.instance.definitionId) await rt.definitions.get(both.task.definitionId, trx);
  const task = await withForm(rt, both.task);
  const { _comment: _c, ...formValues } = values;
  const freeVariables = def.parsed.tasks.find((d) => d.id === task.taskDefinitionKey)?.freeVariables;
  try {
    validateFormValues({ form: task.form, freeVariables, current: both.instance.variables }, formValues);
  } catch (e) {
    if (e instanceof InvalidInput) throw new InvalidInput(`Task ${taskId} (the first that matches): ${e.message}; nothing was done`, e.detail);
    throw e;
  }
}

/** Only its starter (the same account) or an administrator sees an operation; to anyone else it does not exist. */
async function ownBulk(rt: RuntimeContext, id: number, p: Principal): Promise<bulk.BulkRow> {
  const b = Number.isSafeInteger(id) && id > 0 ? await bulk.readBulk(rt.db.knex, id) : null;
  const starter = b?.principal as Partial<Principal> | undefined;
  if (!b || (!isAdmin(p) && (starter?.component !== p.component || starter?.id !== p.id))) throw new NotFound(`Bulk operation ${id} not found`);
  return b;
}

async function detail(rt: RuntimeContext, b: bulk.BulkRow): Promise<BulkDetail> {
  const failures = await bulk.bulkFailures(rt.db.knex, b.id, MAX_LISTED_FAILURES);
  return { ...bulkView(b), failures: failures.map((f) => ({ taskId: String(f.taskId), message: f.message ?? 'failed' })), error: b.error };
}

export async function readBulkCompletion(rt: RuntimeContext, id: number, p: Principal): Promise<BulkDetail> {
  return detail(rt, await ownBulk(rt, id, p));
}

/** Stops before the next task; an ended operation answers its state unchanged. */
export async function cancelBulkCompletion(rt: RuntimeContext, id: number, p: Principal): Promise<BulkDetail> {
  const b = await ownBulk(rt, id, p);
  if (b.state === 'ACTIVE') await bulk.endBulk(rt.db.knex, id, 'CANCELED', null, rt.iso());
  return detail(rt, (await bulk.readBulk(rt.db.knex, id))!);
}

/** What a task's refusal says in the failures list. */
function failureMessage(taskId: number, e: DomainError): string {
  if (e instanceof NotFound) return `Task ${taskId} is already completed (or its instance ended): nothing was done`;
  if (e instanceof Conflict) return `Task ${taskId} is already completed: ${e.message}`;
  return e.message;
}

/** The job: one batch of the operation's tasks, then the next batch's job, or the end. */
export function bulkCompleteJob(rt: RuntimeContext, batchSize: () => number): JobHandler {
  return async (trx: Knex.Transaction, payload) => {
    const id = Number(payload.bulkId);
    const batch = Number(payload.batch) || 1;
    const b = Number.isSafeInteger(id) ? await bulk.readBulk(trx, id) : null;
    if (!b || b.state !== 'ACTIVE') return { skipped: `bulk operation ${String(payload.bulkId)} is ${b ? b.state : 'gone'}` };
    const principal = b.principal as Principal;
    const ids = await bulk.nextBulkTasks(trx, id, batchSize());
    const n = { succeeded: 0, failed: 0 };
    let canceled = false;
    for (const taskId of ids) {
      // A cancel committed since the batch began stops it here (PostgreSQL; SQLite's one connection
      // lets a cancel in only between batches).
      if ((await bulk.readBulkState(trx, id)) !== 'ACTIVE') {
        canceled = true;
        break;
      }
      try {
        await complete(rt, taskId, b.body, principal, trx);
        await bulk.markBulkTask(trx, id, taskId, 'succeeded', null);
        n.succeeded++;
      } catch (e) {
        // A task's refusal (gone, taken, forbidden, invalid, its process failing) is that task's
        // failure; anything else (the repository) fails the batch, which the queue retries.
        if (!(e instanceof DomainError) || e instanceof Unavailable) throw e;
        await bulk.markBulkTask(trx, id, taskId, 'failed', failureMessage(taskId, e));
        n.failed++;
      }
    }
    const at = rt.iso();
    await bulk.addBulkCounts(trx, id, n, at);
    if (canceled) return { batch, ...n, canceled: true };
    if ((await bulk.nextBulkTasks(trx, id, 1)).length) {
      await enqueue(trx, { key: `${BULK_COMPLETE_TOPIC}:${id}:${batch + 1}`, type: BULK_COMPLETE_TOPIC, payload: { bulkId: id, batch: batch + 1 } });
      afterCommit(trx, () => rt.hooks.onJobsEnqueued?.());
    } else {
      await bulk.endBulk(trx, id, 'SUCCESS', null, at);
    }
    return { batch, ...n };
  };
}

/** The dead-job hook's part: a batch that cannot be done however often it is tried fails its operation, naming why. */
export const recordDeadBulk: DeadJobHook = async (trx, job, reason) => {
  if (job.type !== BULK_COMPLETE_TOPIC) return;
  const id = Number((job.payload as { bulkId?: unknown }).bulkId);
  if (Number.isSafeInteger(id)) await bulk.endBulk(trx, id, 'FAILED', `Batch ${String((job.payload as { batch?: unknown }).batch)} failed: ${reason}`, new Date().toISOString());
};
