// SQL for external service tasks: a row exists exactly while its execution waits (written and
// removed with the instance's run, workflow/externalTaskRows.ts). Locks are judged by the
// database's clock (nowMsSql): a worker node whose clock runs ahead cannot take a task another
// worker holds. PostgreSQL claims with FOR UPDATE SKIP LOCKED (two workers never get the same
// row); SQLite has one writer at a time, so UPDATE … WHERE id IN (SELECT …) is already atomic.
import { dialectOf, inTransaction, nowMsSql, Q, rawRows } from './dialect';

export interface ExternalTaskRow {
  id: number;
  processInstanceId: number;
  definitionId: string;
  definitionKey: string;
  businessKey: string | null;
  activityId: string;
  executionId: string;
  topicName: string;
  priority: number;
  workerId: string | null;
  /** epoch ms (database clock); the lock, or the end of a failure's retry timeout */
  lockExpiration: number | null;
  retries: number | null;
  errorMessage: string | null;
  errorDetails: string | null;
  createTime: string;
  failedAt: string | null;
  rev: number;
}

export type NewExternalTask = Pick<ExternalTaskRow, 'processInstanceId' | 'definitionId' | 'definitionKey' | 'businessKey' | 'activityId' | 'executionId' | 'topicName' | 'priority' | 'createTime'>;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function fromColumns(r: Record<string, unknown>): ExternalTaskRow {
  return {
    id: Number(r.id),
    processInstanceId: Number(r.process_instance_id),
    definitionId: String(r.definition_id),
    definitionKey: String(r.definition_key),
    businessKey: (r.business_key as string) ?? null,
    activityId: String(r.activity_id),
    executionId: String(r.execution_id),
    topicName: String(r.topic_name),
    priority: Number(r.priority),
    workerId: (r.worker_id as string) ?? null,
    lockExpiration: num(r.lock_expiration),
    retries: num(r.retries),
    errorMessage: (r.error_message as string) ?? null,
    errorDetails: (r.error_details as string) ?? null,
    createTime: String(r.create_time),
    failedAt: (r.failed_at as string) ?? null,
    rev: Number(r.rev),
  };
}


export async function insertExternalTasks(q: Q, rows: NewExternalTask[]): Promise<void> {
  if (!rows.length) return;
  await q('external_task').insert(
    rows.map((t) => ({
      process_instance_id: t.processInstanceId,
      definition_id: t.definitionId,
      definition_key: t.definitionKey,
      business_key: t.businessKey,
      activity_id: t.activityId,
      execution_id: t.executionId,
      topic_name: t.topicName,
      priority: t.priority,
      create_time: t.createTime,
    })),
  );
}

/** The execution ids of an instance's external tasks (what its next run keeps or removes). */
export async function externalTasksOfInstance(q: Q, processInstanceId: number): Promise<{ id: number; executionId: string }[]> {
  const rows = await q('external_task').select('id', 'execution_id').where({ process_instance_id: processInstanceId }).orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), executionId: String(r.execution_id) }));
}

export async function deleteExternalTasks(q: Q, ids: number[]): Promise<void> {
  if (ids.length) await q('external_task').whereIn('id', ids).delete();
}

export async function deleteExternalTasksOfInstance(q: Q, processInstanceId: number): Promise<void> {
  await q('external_task').where({ process_instance_id: processInstanceId }).delete();
}

/**
 * Removes the task a worker completes, only if it is still as the worker read it (same rev, same
 * worker): false when it was unlocked, failed or locked by another worker meanwhile.
 */
export async function deleteHeldExternalTask(q: Q, id: number, workerId: string, rev: number): Promise<boolean> {
  return (await q('external_task').where({ id, worker_id: workerId, rev }).delete()) === 1;
}

export async function readExternalTask(q: Q, id: number): Promise<ExternalTaskRow | null> {
  const r = await q('external_task').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export interface FetchTopic {
  topicName: string;
  lockMs: number;
  businessKey?: string;
  processDefinitionIds?: string[];
  processDefinitionKeys?: string[];
  processInstanceIds?: number[];
}

/**
 * Locks up to `limit` fetchable tasks of one topic for `workerId` (unlocked or lock expired,
 * retries left or never failed), highest priority first when asked, then oldest first.
 */
export async function lockExternalTasks(q: Q, workerId: string, topic: FetchTopic, limit: number, opts: { usePriority: boolean; newestFirst?: boolean }): Promise<ExternalTaskRow[]> {
  const dialect = dialectOf(q);
  const now = nowMsSql(dialect);
  const where: string[] = ['topic_name = ?', `(lock_expiration IS NULL OR lock_expiration <= ${now})`, '(retries IS NULL OR retries > 0)'];
  const args: (string | number)[] = [topic.topicName];
  const anyOf = (column: string, values: readonly (string | number)[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    args.push(...values);
  };
  if (topic.businessKey !== undefined) {
    where.push('business_key = ?');
    args.push(topic.businessKey);
  }
  if (topic.processDefinitionIds) anyOf('definition_id', topic.processDefinitionIds);
  if (topic.processDefinitionKeys) anyOf('definition_key', topic.processDefinitionKeys);
  if (topic.processInstanceIds) anyOf('process_instance_id', topic.processInstanceIds);
  const order = [...(opts.usePriority ? ['priority DESC'] : []), opts.newestFirst ? 'id DESC' : 'id'];
  const sort = (rows: ExternalTaskRow[]) => rows.sort((a, b) => (opts.usePriority ? b.priority - a.priority : 0) || (opts.newestFirst ? b.id - a.id : a.id - b.id));
  if (dialect === 'mysql') {
    // No UPDATE … RETURNING nor LIMIT in an IN subquery: lock the chosen rows (SKIP LOCKED, as
    // PostgreSQL's subquery), update them and read them back, in one transaction.
    return inTransaction(q, async (trx) => {
      const chosen = await trx.raw(`SELECT id FROM external_task WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? FOR UPDATE SKIP LOCKED`, [...args, limit]);
      const ids = rawRows(trx, chosen).map((r) => Number(r.id));
      if (!ids.length) return [];
      await trx('external_task').whereIn('id', ids).update({ worker_id: workerId, lock_expiration: trx.raw(`${now} + ?`, [topic.lockMs]), rev: trx.raw('rev + 1') });
      return sort((await trx('external_task').whereIn('id', ids)).map(fromColumns));
    });
  }
  const sql = `
    UPDATE external_task SET worker_id = ?, lock_expiration = ${now} + ?, rev = rev + 1
    WHERE id IN (
      SELECT id FROM external_task
      WHERE ${where.join(' AND ')}
      ORDER BY ${order.join(', ')}
      LIMIT ?
      ${dialect === 'pg' ? 'FOR UPDATE SKIP LOCKED' : ''}
    )
    RETURNING *`;
  const rows = rawRows(q, await q.raw(sql, [workerId, topic.lockMs, ...args, limit])).map(fromColumns);
  // RETURNING gives no order: the order they were chosen in.
  return sort(rows);
}

/** Locks one task for a worker (Camunda's /lock): only when no other worker holds an unexpired lock. */
export async function lockExternalTask(q: Q, id: number, workerId: string, lockMs: number): Promise<boolean> {
  const now = nowMsSql(dialectOf(q));
  const n = await q('external_task')
    .where({ id })
    .andWhere((w) => w.whereNull('lock_expiration').orWhereRaw(`lock_expiration <= ${now}`).orWhere({ worker_id: workerId }))
    .andWhere((w) => w.whereNull('retries').orWhere('retries', '>', 0))
    .update({ worker_id: workerId, lock_expiration: q.raw(`${now} + ?`, [lockMs]), rev: q.raw('rev + 1') });
  return n === 1;
}

/** A new lock duration from now for the worker holding an unexpired lock; false otherwise. */
export async function extendExternalTaskLock(q: Q, id: number, workerId: string, newDurationMs: number): Promise<boolean> {
  const now = nowMsSql(dialectOf(q));
  const n = await q('external_task')
    .where({ id, worker_id: workerId })
    .whereRaw(`lock_expiration > ${now}`)
    .update({ lock_expiration: q.raw(`${now} + ?`, [newDurationMs]), rev: q.raw('rev + 1') });
  return n === 1;
}

/** Releases the lock (anyone's): the task can be fetched again at once. */
export async function unlockExternalTask(q: Q, id: number): Promise<boolean> {
  return (await q('external_task').where({ id }).update({ worker_id: null, lock_expiration: null, rev: q.raw('rev + 1') })) === 1;
}

/**
 * A worker's failure report: the retries left, the error, and the task kept from every worker for
 * `retryTimeoutMs` (by the database's clock). False when the worker does not hold the lock.
 */
export async function recordExternalTaskFailure(
  q: Q,
  id: number,
  workerId: string,
  f: { retries: number; errorMessage: string | null; errorDetails: string | null; retryTimeoutMs: number; failedAt: string },
): Promise<boolean> {
  const now = nowMsSql(dialectOf(q));
  const n = await q('external_task')
    .where({ id, worker_id: workerId })
    .update({
      retries: f.retries,
      error_message: f.errorMessage,
      error_details: f.errorDetails,
      failed_at: f.failedAt,
      lock_expiration: f.retryTimeoutMs > 0 ? q.raw(`${now} + ?`, [f.retryTimeoutMs]) : null,
      rev: q.raw('rev + 1'),
    });
  return n === 1;
}

/** Sets the retries (an operator's resolution of an incident: > 0 makes it fetchable again). */
export async function setExternalTaskRetries(q: Q, id: number, retries: number): Promise<boolean> {
  const changes: Record<string, unknown> = { retries, rev: q.raw('rev + 1') };
  // A task out of retries is fetchable at once when given new ones (its retry timeout is over).
  if (retries > 0) changes.lock_expiration = q.raw(`CASE WHEN retries = 0 THEN NULL ELSE lock_expiration END`);
  return (await q('external_task').where({ id }).update(changes)) === 1;
}

export interface ExternalTaskQuery {
  id?: number;
  topicName?: string;
  workerId?: string;
  locked?: boolean;
  notLocked?: boolean;
  withRetriesLeft?: boolean;
  noRetriesLeft?: boolean;
  processInstanceId?: number;
  processDefinitionId?: string;
  processDefinitionKey?: string;
  activityId?: string;
  executionId?: string;
  offset: number;
  limit: number;
}

/** Camunda's list filters on a query of external_task. */
function filtered(q: Q, f: Omit<ExternalTaskQuery, 'offset' | 'limit'>) {
  const now = nowMsSql(dialectOf(q));
  const qb = q('external_task');
  const eq: [keyof Omit<ExternalTaskQuery, 'offset' | 'limit'>, string][] = [
    ['id', 'id'], ['topicName', 'topic_name'], ['workerId', 'worker_id'], ['processInstanceId', 'process_instance_id'], ['processDefinitionId', 'definition_id'],
    ['processDefinitionKey', 'definition_key'], ['activityId', 'activity_id'], ['executionId', 'execution_id'],
  ];
  for (const [key, column] of eq) if (f[key] !== undefined) qb.where(column, f[key] as string | number);
  if (f.locked) qb.whereRaw(`lock_expiration > ${now}`).whereNotNull('worker_id');
  if (f.notLocked) qb.where((w) => w.whereNull('lock_expiration').orWhereRaw(`lock_expiration <= ${now}`));
  if (f.withRetriesLeft) qb.where((w) => w.whereNull('retries').orWhere('retries', '>', 0));
  if (f.noRetriesLeft) qb.where('retries', 0);
  return qb;
}

/** External tasks matching Camunda's list filters, by id. */
export async function queryExternalTasks(q: Q, f: ExternalTaskQuery): Promise<ExternalTaskRow[]> {
  return (await filtered(q, f).select('*').orderBy('id').offset(f.offset).limit(f.limit)).map(fromColumns);
}

/** How many external tasks match Camunda's list filters. */
export async function countExternalTasks(q: Q, f: Omit<ExternalTaskQuery, 'offset' | 'limit'>): Promise<number> {
  const [{ n }] = await filtered(q, f).count({ n: '*' });
  return Number(n);
}

/** Tasks out of retries (incidents), oldest first, at most `limit`. */
export async function externalTasksWithoutRetries(q: Q, limit: number): Promise<ExternalTaskRow[]> {
  return (await q('external_task').where({ retries: 0 }).orderBy('id').limit(limit)).map(fromColumns);
}
