// Marks a job done only if this worker still holds it; false means the lock was lost
// (it expired and another worker took the job), and the caller must roll back.
import { Q } from '../../repo/dialect';

export async function completeJob(q: Q, id: number, workerId: string, result: unknown, now = Date.now()): Promise<boolean> {
  const n = await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({ state: 'done', locked_by: null, locked_until: null, result: JSON.stringify(result ?? null), last_error: null, updated_at: new Date(now).toISOString() });
  return n === 1;
}
