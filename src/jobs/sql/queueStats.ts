// The queue as a metrics scrape sees it: jobs per type and state, and per type the jobs ready to
// run now with the age of the oldest, by the database's clock (the clock claims compare with).
import { dialectOf, nowMsSql, Q } from '../../repo/dialect';

export interface QueueStats {
  byTypeAndState: { type: string; state: string; n: number }[];
  ready: { type: string; n: number; oldestAgeMs: number }[];
}

export async function queueStats(q: Q): Promise<QueueStats> {
  const rows = await q('job').select('type', 'state').count({ n: '*' }).groupBy('type', 'state');
  const now = nowMsSql(dialectOf(q));
  const ready = await q('job')
    .where({ state: 'queued' })
    .andWhere('run_at', '<=', q.raw(now))
    .select('type', q.raw(`${now} - MIN(run_at) AS age`))
    .count({ n: '*' })
    .groupBy('type');
  return {
    byTypeAndState: rows.map((r: Record<string, unknown>) => ({ type: String(r.type), state: String(r.state), n: Number(r.n) })),
    ready: ready.map((r: Record<string, unknown>) => ({ type: String(r.type), n: Number(r.n), oldestAgeMs: Math.max(0, Number(r.age)) })),
  };
}
