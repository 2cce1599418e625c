// Records a failed attempt: back to the queue after a backoff, or dead once attempts run out.
// The backoff is kept as a delay and added to the database's clock (another node's claim compares
// run_at with that clock); `now` is for tests that move time on.
import { dbNow, dialectOf, nowMsSql, Q } from '../../repo/dialect';

export async function failJob(q: Q, id: number, workerId: string, error: string, retryAt: number | null, now?: number): Promise<'queued' | 'dead' | 'lost'> {
  const row = await q('job').where({ id, locked_by: workerId, state: 'running' }).first('attempts', 'max_attempts');
  if (!row) return 'lost';
  const dead = retryAt === null || Number(row.attempts) >= Number(row.max_attempts);
  const delay = retryAt === null ? 0 : Math.max(0, retryAt - (now ?? Date.now()));
  const runAt = now !== undefined ? (dead ? now : retryAt!) : dead ? dbNow(q) : q.raw(`${nowMsSql(dialectOf(q))} + ?`, [delay]);
  await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({
      state: dead ? 'dead' : 'queued',
      run_at: runAt,
      locked_by: null,
      locked_until: null,
      last_error: error.slice(0, 4000),
      updated_at: new Date(now ?? Date.now()).toISOString(),
    });
  return dead ? 'dead' : 'queued';
}
