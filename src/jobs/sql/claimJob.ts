// Takes one due job, or one whose lock has expired (its worker died), in a single statement.
// PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim side by side without waiting.
// SQLite: one writer at a time, so the UPDATE … WHERE id = (SELECT …) is already atomic.
import { dialectOf, Q } from '../../repo/dialect';
import { Job } from '../interfaces';
import { rowToJob } from './rowToJob';

export async function claimJob(q: Q, workerId: string, lockMs: number, types: string[], now = Date.now()): Promise<Job | null> {
  const pg = dialectOf(q) === 'pg';
  const typeList = types.map(() => '?').join(', ');
  const sql = `
    UPDATE job SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
    WHERE id = (
      SELECT id FROM job
      WHERE type IN (${typeList})
        AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND locked_until < ?))
      ORDER BY run_at, id
      LIMIT 1
      ${pg ? 'FOR UPDATE SKIP LOCKED' : ''}
    )
    RETURNING *`;
  const res = await q.raw(sql, [workerId, now + lockMs, new Date(now).toISOString(), ...types, now, now]);
  const rows: Record<string, unknown>[] = pg ? res.rows : res;
  return rows.length ? rowToJob(rows[0]) : null;
}
