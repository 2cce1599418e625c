// SQL for the sign-in attempt counters (table login_attempt, one row per 'u:<name>' or 'a:<address>').
// The count goes up in the same statement that reads it back, so however many sign-ins arrive at
// once, on however many nodes, each gets its own number: no check-then-count race.
import { dialectOf, inTransaction, Q, rawRows } from './dialect';

export interface AttemptCount {
  key: string;
  attempts: number;
  windowStart: number;
}

/**
 * Counts one attempt against each key and returns the counts after it. A counter whose window
 * started at or before `windowFloor` starts again at 1 with the window beginning `now`.
 */
export async function countAttempt(q: Q, keys: string[], now: number, windowFloor: number): Promise<AttemptCount[]> {
  const values = keys.map(() => '(?, 1, ?)').join(', ');
  if (dialectOf(q) === 'mysql') {
    // No ON CONFLICT … RETURNING: the upsert locks the rows until the transaction ends, so the
    // count read back in it is this attempt's own. SET assigns left to right: window_start last.
    const rows = await inTransaction(q, async (trx) => {
      await trx.raw(
        `INSERT INTO login_attempt ("key", attempts, window_start) VALUES ${values}
         ON DUPLICATE KEY UPDATE
           attempts = CASE WHEN window_start <= ? THEN 1 ELSE attempts + 1 END,
           window_start = CASE WHEN window_start <= ? THEN VALUES(window_start) ELSE window_start END`,
        [...keys.flatMap((k) => [k, now]), windowFloor, windowFloor],
      );
      return trx('login_attempt').whereIn('key', keys).select('key', 'attempts', 'window_start');
    });
    const byKey = new Map(rows.map((r: Record<string, unknown>) => [String(r.key), r]));
    return keys.flatMap((k) => {
      const r = byKey.get(k);
      return r ? [{ key: k, attempts: Number(r.attempts), windowStart: Number(r.window_start) }] : [];
    });
  }
  const res = await q.raw(
    `INSERT INTO login_attempt (key, attempts, window_start) VALUES ${values}
     ON CONFLICT (key) DO UPDATE SET
       attempts = CASE WHEN login_attempt.window_start <= ? THEN 1 ELSE login_attempt.attempts + 1 END,
       window_start = CASE WHEN login_attempt.window_start <= ? THEN excluded.window_start ELSE login_attempt.window_start END
     RETURNING key, attempts, window_start`,
    [...keys.flatMap((k) => [k, now]), windowFloor, windowFloor],
  );
  return rawRows(q, res).map((r) => ({ key: String(r.key), attempts: Number(r.attempts), windowStart: Number(r.window_start) }));
}

/**
 * After a right password: the user's count starts over, and the address (when given) gives back
 * the attempt it was charged for this check.
 */
export async function forgiveAttempt(q: Q, userKey: string, addressKey: string | null): Promise<void> {
  await q.raw(
    `UPDATE login_attempt SET attempts = CASE WHEN "key" = ? THEN 0 ELSE attempts - 1 END
     WHERE "key" IN (?, ?) AND attempts > 0`,
    [userKey, userKey, addressKey ?? userKey],
  );
}

/** Counters whose window ended before `windowFloor`: they would start again at 1 anyway. */
export async function deleteStaleAttempts(q: Q, windowFloor: number): Promise<number> {
  return q('login_attempt').where('window_start', '<=', windowFloor).delete();
}
