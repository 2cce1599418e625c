// Hands a claimed job back untouched (shutdown before it started), so another worker takes it now.
import { Q } from '../../repo/dialect';

export async function releaseJob(q: Q, id: number, workerId: string): Promise<void> {
  await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({ state: 'queued', locked_by: null, locked_until: null, attempts: q.raw('attempts - 1') });
}
