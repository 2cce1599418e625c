// Takes due jobs, or ones whose lock has expired (their worker died), in a single statement.
// PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim side by side without waiting.
// SQLite: one writer at a time, so the UPDATE … WHERE id IN (SELECT …) is already atomic.
// Claiming several at once costs one commit (on PostgreSQL, one WAL flush) for all of them.
// "Due" and "expired" are judged by the database's clock (nowMsSql), so a node whose clock runs
// ahead cannot take a job another node holds; `now` is for tests that move time on.
//
// The two kinds are two probes, each an index scan in its own order over a partial index (migration
// 20261207000028: job_queued (run_at, id) WHERE state = 'queued', job_expired (locked_until) WHERE
// state = 'running'), merged by due order. One probe with an OR was a bitmap scan that read every
// row version the index still named: with no vacuum, 13.5 ms per claim after 20,000 finished jobs.
// An index scan stops after LIMIT live rows and marks the dead entries it passes, so later claims
// skip them whether or not a vacuum ran. The state literals must stay literal (not parameters): a
// partial index serves only a query that repeats its predicate.
//
// PostgreSQL's planner, without statistics (autovacuum off: no ANALYZE either) or with them (few
// queued rows), still estimates a handful of candidates and picks a bitmap scan plus a sort: that
// reads every dead version again on each claim (4.6 ms against 0.4 ms after 100,000 finished jobs)
// and never marks them. So the claim is sent with `SET LOCAL enable_bitmapscan = off` in the same
// simple-protocol message (one round trip, one implicit transaction; LOCAL ends with it), its
// values inlined by knex's escaping. Inside a caller's transaction the setting would outlive the
// claim, so there it is left out (the worker never claims inside one).
import type { Dialect } from '../../repo/db';
import { dialectOf, inTransaction, nowMsSql, Q, rawRows } from '../../repo/dialect';
import { Job } from '../interfaces';
import { rowToJob } from './rowToJob';

/** What the claim runs before its statement, in the same message (PostgreSQL). */
export const CLAIM_PLANNER_SETTINGS = 'SET LOCAL enable_bitmapscan = off';

/** The claim statement and its bindings (exported so a test can EXPLAIN exactly what runs). */
export function claimStatement(dialect: Dialect, workerId: string, lockMs: number, types: string[], limit: number, now?: number): { sql: string; bindings: unknown[] } {
  const typeList = types.map(() => '?').join(', ');
  // PostgreSQL: a scalar subquery is computed once and, unlike the volatile clock_timestamp()
  // itself, may bound an index scan.
  const dbNow = dialect === 'pg' ? `(SELECT ${nowMsSql(dialect)})` : nowMsSql(dialect);
  const nowSql = now === undefined ? dbNow : '?';
  const nowArgs = now === undefined ? [] : [now];
  const lockedUntil = now === undefined ? `${nowMsSql(dialect)} + ?` : '?';
  const lockArgs = now === undefined ? [lockMs] : [now + lockMs];
  const lock = dialect === 'pg' ? 'FOR UPDATE SKIP LOCKED' : '';
  // SQLite, without statistics, prefers job_ready (state, run_at) and then sorts every due job.
  const by = (index: string) => (dialect === 'sqlite' ? ` INDEXED BY ${index}` : '');
  const due = `SELECT id, run_at FROM job${by('job_queued')} WHERE state = 'queued' AND run_at <= ${nowSql} AND type IN (${typeList}) ORDER BY run_at, id LIMIT ? ${lock}`;
  const expired = `SELECT id, run_at FROM job${by('job_expired')} WHERE state = 'running' AND locked_until < ${nowSql} AND type IN (${typeList}) ORDER BY locked_until LIMIT ? ${lock}`;
  const claimable = `SELECT id FROM (SELECT id, run_at FROM (${due}) due UNION ALL SELECT id, run_at FROM (${expired}) expired) claimable ORDER BY run_at, id LIMIT ?`;
  // PostgreSQL: = ANY(ARRAY(…)) keeps the update a primary-key lookup per claimed id (an IN could
  // be planned as a join over the whole table).
  const which = dialect === 'pg' ? `id = ANY(ARRAY(${claimable}))` : `id IN (${claimable})`;
  const sql = `
    UPDATE job SET state = 'running', locked_by = ?, locked_until = ${lockedUntil}, attempts = attempts + 1, updated_at = ?
    WHERE ${which}
    RETURNING *`;
  const bindings = [workerId, ...lockArgs, new Date(now ?? Date.now()).toISOString(), ...nowArgs, ...types, limit, ...nowArgs, ...types, limit, limit];
  return { sql, bindings };
}

export async function claimJobs(q: Q, workerId: string, lockMs: number, types: string[], limit: number, now?: number): Promise<Job[]> {
  const dialect = dialectOf(q);
  if (dialect === 'mysql') return claimJobsLockingFirst(q, workerId, lockMs, types, limit, now);
  const { sql, bindings } = claimStatement(dialect, workerId, lockMs, types, limit, now);
  let rows: Record<string, unknown>[];
  if (dialect === 'pg' && !(q as { isTransaction?: boolean }).isTransaction) {
    // No bindings: node-pg sends a simple query, which may hold both statements; one result each.
    const res = await q.raw(`${CLAIM_PLANNER_SETTINGS}; ${q.raw(sql, bindings as never[]).toQuery()}`);
    rows = (res as { rows: Record<string, unknown>[] }[])[1].rows;
  } else {
    const res = await q.raw(sql, bindings as never[]);
    rows = dialect === 'pg' ? res.rows : res;
  }
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
