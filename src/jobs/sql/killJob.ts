// A failure that trying again cannot help: dead at once, whatever attempts remain, with its reason.
import { Q } from '../../repo/dialect';

export async function killJob(q: Q, id: number, workerId: string, error: string, now = Date.now()): Promise<boolean> {
  const n = await q('job')
    .where({ id, locked_by: workerId, state: 'running' })
    .update({ state: 'dead', run_at: now, locked_by: null, locked_until: null, last_error: error.slice(0, 4000), updated_at: new Date(now).toISOString() });
  return n === 1;
}
