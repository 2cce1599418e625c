// An admin's retry of a dead job: a fresh set of attempts, due now.
import { Q } from '../../repo/dialect';

export async function retryJob(q: Q, id: number, now = Date.now()): Promise<boolean> {
  const n = await q('job')
    .where({ id, state: 'dead' })
    .update({ state: 'queued', attempts: 0, run_at: now, updated_at: new Date(now).toISOString() });
  return n === 1;
}
