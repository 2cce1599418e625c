// An admin's retry of a dead job: a fresh set of attempts, due now by the database's clock.
import { dbNow, Q } from '../../repo/dialect';

export async function retryJob(q: Q, id: number, now?: number): Promise<boolean> {
  const n = await q('job')
    .where({ id, state: 'dead' })
    .update({ state: 'queued', attempts: 0, run_at: now ?? dbNow(q), updated_at: new Date(now ?? Date.now()).toISOString() });
  return n === 1;
}
