// A failure that trying again cannot help: dead at once, whatever attempts remain, with its reason.
// run_at is the database's clock (as failJob's), so a node's skewed clock cannot misdate it.
import { dbNow, Q } from '../../repo/dialect';

export async function killJob(q: Q, id: number, workerId: string, error: string, now?: number): Promise<boolean> {
  const n = await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({ state: 'dead', run_at: now ?? dbNow(q), locked_by: null, locked_until: null, last_error: error.slice(0, 4000), updated_at: new Date(now ?? Date.now()).toISOString() });
  return n === 1;
}
