// Insert-or-ignore on the unique key: enqueueing the same work twice has the effect of once.
// Due now means now by the database's clock (claims compare with it), not this node's.
import { dbNow, Q } from '../../repo/dialect';
import { NewJob } from '../interfaces';

export async function enqueueJob(q: Q, job: NewJob, now?: number): Promise<void> {
  const ts = new Date(now ?? Date.now()).toISOString();
  await q('job')
    .insert({
      key: job.key,
      type: job.type,
      payload: JSON.stringify(job.payload),
      state: 'queued',
      attempts: 0,
      max_attempts: job.maxAttempts ?? 8,
      run_at: job.runAt ?? now ?? dbNow(q),
      created_at: ts,
      updated_at: ts,
    })
    .onConflict('key')
    .ignore();
}
