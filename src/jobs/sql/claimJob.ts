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
// PostgreSQL's planner, with or without statistics, still picks a bitmap scan plus a sort there
// (4.6 ms against 0.4 ms per claim after 100,000 finished jobs), so on PostgreSQL the statement is
// the function reconflow_claim_jobs (migration 20261207000028), whose `SET enable_bitmapscan = off`
// holds only while it runs: one parameterized call, one round trip, inside a transaction too.
import type { Dialect } from '../../repo/db';
import { dialectOf, inTransaction, nowMsSql, Q, rawRows } from '../../repo/dialect';
import { Job } from '../interfaces';
import { rowToJob } from './rowToJob';

/**
 * The two probes' SELECTs, each bound by (now?, ...types, limit): the partial indexes' predicates
 * repeated literally (migration 20261207000028). SQLite names its index (without statistics it
 * prefers job_ready (state, run_at) and then sorts every due job); MariaDB/MySQL locks what it reads.
 */
function probes(dialect: Dialect, types: string[], now?: number): { due: string; expired: string } {
  const typeList = types.map(() => '?').join(', ');
  const nowSql = now === undefined ? nowMsSql(dialect) : '?';
  const hint = (index: string) => (dialect === 'sqlite' ? ` INDEXED BY ${index}` : '');
  const lock = dialect === 'mysql' ? ' FOR UPDATE SKIP LOCKED' : '';
  return {
    due: `SELECT id, run_at FROM job${hint('job_queued')} WHERE state = 'queued' AND run_at <= ${nowSql} AND type IN (${typeList}) ORDER BY run_at, id LIMIT ?${lock}`,
    expired: `SELECT id, run_at FROM job${hint('job_expired')} WHERE state = 'running' AND locked_until < ${nowSql} AND type IN (${typeList}) ORDER BY locked_until LIMIT ?${lock}`,
  };
}

/** The claim statement and its bindings: on PostgreSQL the function's call, on SQLite the statement (a test EXPLAINs it). */
export function claimStatement(dialect: Dialect, workerId: string, lockMs: number, types: string[], limit: number, now?: number): { sql: string; bindings: unknown[] } {
  if (dialect === 'pg') {
    // now null: the database's clock (see the function).
    return { sql: 'SELECT * FROM reconflow_claim_jobs(?, ?, ?::text[], ?, ?, ?)', bindings: [workerId, lockMs, types, limit, now ?? null, new Date(now ?? Date.now()).toISOString()] };
  }
  const nowArgs = now === undefined ? [] : [now];
  const lockedUntil = now === undefined ? `${nowMsSql(dialect)} + ?` : '?';
  const lockArgs = now === undefined ? [lockMs] : [now + lockMs];
  const { due, expired } = probes(dialect, types, now);
  const claimable = `SELECT id FROM (SELECT id, run_at FROM (${due}) due UNION ALL SELECT id, run_at FROM (${expired}) expired) claimable ORDER BY run_at, id LIMIT ?`;
  const sql = `
    UPDATE job SET state = 'running', locked_by = ?, locked_until = ${lockedUntil}, attempts = attempts + 1, updated_at = ?
    WHERE id IN (${claimable})
    RETURNING *`;
  const bindings = [workerId, ...lockArgs, new Date(now ?? Date.now()).toISOString(), ...nowArgs, ...types, limit, ...nowArgs, ...types, limit, limit];
  return { sql, bindings };
}

export async function claimJobs(q: Q, workerId: string, lockMs: number, types: string[], limit: number, now?: number): Promise<Job[]> {
  const dialect = dialectOf(q);
  if (dialect === 'mysql') return claimJobsLockingFirst(q, workerId, lockMs, types, limit, now);
  const { sql, bindings } = claimStatement(dialect, workerId, lockMs, types, limit, now);
  const rows: Record<string, unknown>[] = rawRows(q, await q.raw(sql, bindings as never[]));
  // RETURNING gives no order: run them in the order they were due.
  return rows.map(rowToJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

/**
 * MariaDB/MySQL: no UPDATE … RETURNING, and no LIMIT in an IN subquery. The due jobs are locked
 * with SELECT … FOR UPDATE SKIP LOCKED (as PostgreSQL's subquery does), then updated and read back,
 * in one transaction: another worker skips them from the SELECT on, so the claim is as exclusive.
 * The same two probes as elsewhere (job_queued (state, run_at, id), job_expired (state,
 * locked_until)): one SELECT with an OR of the two states ordered by run_at could use neither index
 * in its order, and read and sort every due row.
 */
async function claimJobsLockingFirst(q: Q, workerId: string, lockMs: number, types: string[], limit: number, now?: number): Promise<Job[]> {
  const nowSql = now === undefined ? nowMsSql('mysql') : '?';
  const nowArgs = now === undefined ? [] : [now];
  return inTransaction(q, async (trx) => {
    const { due: queued, expired } = probes('mysql', types, now);
    const due = await trx.raw(
      `(${queued}) UNION ALL (${expired}) ORDER BY run_at, id LIMIT ?`,
      [...nowArgs, ...types, limit, ...nowArgs, ...types, limit, limit],
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
