// Takes due jobs, or ones whose lock has expired (their worker died), in a single statement.
// PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim side by side without waiting.
// SQLite: one writer at a time, so the UPDATE … WHERE id IN (SELECT …) is already atomic.
// Claiming several at once costs one commit (on PostgreSQL, one WAL flush) for all of them.
// "Due" and "expired" are judged by the database's clock (nowMsSql), so a node whose clock runs
// ahead cannot take a job another node holds; `now` is for tests that move time on.
import { dialectOf, inTransaction, nowMsSql, Q, rawRows } from '../../repo/dialect';
import { Job } from '../interfaces';
import { rowToJob } from './rowToJob';

export async function claimJobs(q: Q, workerId: string, lockMs: number, types: string[], limit: number, now?: number): Promise<Job[]> {
  const dialect = dialectOf(q);
  if (dialect === 'mysql') return claimJobsLockingFirst(q, workerId, lockMs, types, limit, now);
  const pg = dialect === 'pg';
  const typeList = types.map(() => '?').join(', ');
  const nowSql = now === undefined ? nowMsSql(dialect) : '?';
  const nowArgs = now === undefined ? [] : [now];
  const lockedUntil = now === undefined ? `${nowSql} + ?` : '?';
  const lockArgs = now === undefined ? [lockMs] : [now + lockMs];
  const sql = `
    UPDATE job SET state = 'running', locked_by = ?, locked_until = ${lockedUntil}, attempts = attempts + 1, updated_at = ?
    WHERE id IN (
      SELECT id FROM job
      WHERE type IN (${typeList})
        AND ((state = 'queued' AND run_at <= ${nowSql}) OR (state = 'running' AND locked_until < ${nowSql}))
      ORDER BY run_at, id
      LIMIT ?
      ${pg ? 'FOR UPDATE SKIP LOCKED' : ''}
    )
    RETURNING *`;
  const res = await q.raw(sql, [workerId, ...lockArgs, new Date(now ?? Date.now()).toISOString(), ...types, ...nowArgs, ...nowArgs, limit]);
  const rows: Record<string, unknown>[] = pg ? res.rows : res;
  // RETURNING gives no order: run them in the order they were due.
  return rows.map(rowToJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

/**
 * MariaDB/MySQL: no UPDATE … RETURNING, and no LIMIT in an IN subquery. The due jobs are locked
 * with SELECT … FOR UPDATE SKIP LOCKED (as PostgreSQL's subquery does), then updated and read back,
 * in one transaction: another worker skips them from the SELECT on, so the claim is as exclusive.
 */
async function claimJobsLockingFirst(q: Q, workerId: string, lockMs: number, types: string[], limit: number, now?: number): Promise<Job[]> {
  const nowSql = now === undefined ? nowMsSql('mysql') : '?';
  const nowArgs = now === undefined ? [] : [now];
  return inTransaction(q, async (trx) => {
    const due = await trx.raw(
      `SELECT id FROM job
       WHERE type IN (${types.map(() => '?').join(', ')})
         AND ((state = 'queued' AND run_at <= ${nowSql}) OR (state = 'running' AND locked_until < ${nowSql}))
       ORDER BY run_at, id
       LIMIT ?
       FOR UPDATE SKIP LOCKED`,
      [...types, ...nowArgs, ...nowArgs, limit],
    );
    const ids = rawRows(trx, due).map((r) => Number(r.id));
    if (!ids.length) return [];
    await trx('job')
      .whereIn('id', ids)
      .update({
        state: 'running', locked_by: workerId, attempts: trx.raw('attempts + 1'), updated_at: new Date(now ?? Date.now()).toISOString(),
        locked_until: now === undefined ? trx.raw(`${nowSql} + ?`, [lockMs]) : now + lockMs,
      });
    const rows: Record<string, unknown>[] = await trx('job').whereIn('id', ids);
    return rows.map(rowToJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
  });
}

export async function claimJob(q: Q, workerId: string, lockMs: number, types: string[], now?: number): Promise<Job | null> {
  return (await claimJobs(q, workerId, lockMs, types, 1, now))[0] ?? null;
}
