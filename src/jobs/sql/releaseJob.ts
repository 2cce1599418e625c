// Hands jobs back to the queue that a worker holds only on paper: a lost claim, or a dead process's.
// Due again at once by the database's clock (the clock claims compare with).
import { dbNow, dialectOf, Q } from '../../repo/dialect';

/**
 * Jobs locked by this worker that it does not hold: a claim whose answer was lost (the database
 * committed it, the connection died before the reply). Back to the queue, the attempt not counted.
 */
export async function releaseUnheldJobs(q: Q, workerId: string, held: number[], now?: number): Promise<number> {
  const qb = q('job').where({ state: 'running', locked_by: workerId });
  if (held.length) qb.whereNotIn('id', held);
  return qb.update({ state: 'queued', locked_by: null, locked_until: null, attempts: q.raw('attempts - 1'), run_at: now ?? dbNow(q), updated_at: new Date(now ?? Date.now()).toISOString() });
}

/**
 * Jobs that an earlier process of this node held when it died (SIGKILL, power loss): back to the
 * queue now, instead of after their lock expires. Lock owners are "<nodeId>/<process tag>". The
 * caller must know that no live process runs as this node (see repo/nodes.ts).
 */
export async function releaseNodeJobs(q: Q, nodeId: string, workerId: string, now?: number): Promise<number> {
  const prefix = `${nodeId.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const qb = q('job').where({ state: 'running' });
  // mysql2 refuses SQL text holding '\' (its meaning depends on NO_BACKSLASH_ESCAPES): there, the escape character is a value.
  if (dialectOf(q) === 'mysql') qb.andWhereRaw('locked_by LIKE ? ESCAPE ?', [prefix, '\\']);
  else qb.andWhereRaw("locked_by LIKE ? ESCAPE '\\'", [prefix]);
  return qb
    .andWhereNot({ locked_by: workerId })
    .update({ state: 'queued', locked_by: null, locked_until: null, run_at: now ?? dbNow(q), updated_at: new Date(now ?? Date.now()).toISOString() });
}
