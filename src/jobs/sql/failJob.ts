// Records a failed attempt: back to the queue after a backoff, or dead once attempts run out.
import { Q } from '../../repo/dialect';

export async function failJob(q: Q, id: number, workerId: string, error: string, retryAt: number | null, now = Date.now()): Promise<'queued' | 'dead' | 'lost'> {
  const row = await q('job').where({ id, locked_by: workerId, state: 'running' }).first('attempts', 'max_attempts');
  if (!row) return 'lost';
  const dead = retryAt === null || Number(row.attempts) >= Number(row.max_attempts);
  await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({
      state: dead ? 'dead' : 'queued',
      run_at: dead ? now : retryAt!,
      locked_by: null,
      locked_until: null,
      last_error: error.slice(0, 4000),
      updated_at: new Date(now).toISOString(),
    });
  return dead ? 'dead' : 'queued';
}
