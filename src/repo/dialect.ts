// The few places where SQLite, PostgreSQL and MariaDB/MySQL differ, gathered so the rest of src/repo is shared.
import { Knex } from 'knex';
import { Dialect } from './db';

/** A database handle or an open transaction: every query function accepts either. */
export type Q = Knex | Knex.Transaction;

/** jsonb comes back parsed from PostgreSQL, as text from SQLite and MariaDB (MySQL 8's JSON: parsed). */
export function parseJson<T = unknown>(value: unknown): T {
  if (value === null || value === undefined) return value as T;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'ER_DUP_ENTRY';
}

/**
 * The rows of a `raw()` statement: better-sqlite3 answers with the rows, node-pg with { rows },
 * mysql2 with [rows, fields].
 */
export function rawRows(q: Q, res: unknown): Record<string, unknown>[] {
  const dialect = dialectOf(q);
  if (dialect === 'pg') return (res as { rows: Record<string, unknown>[] }).rows;
  if (dialect === 'mysql') return (res as [Record<string, unknown>[]])[0];
  return res as Record<string, unknown>[];
}

/**
 * Runs fn in a transaction: q's own when it is one, else a new one. For a step of several
 * statements that must be one (MariaDB/MySQL's lock-then-update where the others use one
 * UPDATE … RETURNING). A new transaction that InnoDB chose as a deadlock's victim (it is rolled
 * back whole) runs again, a few times after a short random pause: what PostgreSQL's single
 * statement would have waited out. MariaDB's long unique keys (USING HASH, as process_instance's
 * open key) make two transactions inserting the same key a deadlock, not a wait.
 */
export async function inTransaction<T>(q: Q, fn: (trx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  if ((q as Knex.Transaction).isTransaction) return fn(q as Knex.Transaction);
  for (let attempt = 1; ; attempt++) {
    try {
      return await (q as Knex).transaction(fn);
    } catch (e) {
      if (!isDeadlockVictim(e) || attempt >= attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * InnoDB rolled the transaction back whole to end a deadlock: ER_LOCK_DEADLOCK, or MariaDB's 4060
 * ("This transaction was rolled back and cannot be committed") when the statement that met the
 * deadlock had IGNORE (mysql2 names 4060 after an unrelated MySQL error).
 */
export function isDeadlockVictim(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_LOCK_DEADLOCK' || (e?.errno === 4060 && e?.code !== undefined && String(e.code).startsWith('ER_'));
}

// What a driver's error means (unreachable, storage failure, refused value) is classified in
// src/storageErrors.ts, outside src/repo, so that the API's edge may use it too.
export { invalidInput, isUnavailable, storageFailure } from '../storageErrors';

/** Inserts a row and returns its generated numeric id, on every backend (MariaDB/MySQL: the insert id). */
export async function insertReturningId(q: Q, table: string, row: Record<string, unknown>): Promise<number> {
  if (dialectOf(q) === 'mysql') return Number((await q(table).insert(row))[0]);
  const [r] = await q(table).insert(row).returning('id');
  return Number(typeof r === 'object' ? (r as { id: number }).id : r);
}

/**
 * The database's clock in epoch milliseconds, as SQL. Heartbeats, lock expiry and stale-run
 * sweeps compare this, never a node's own clock: a node whose clock runs ahead must not find a
 * live node's lock expired or its heartbeat stale. PostgreSQL: clock_timestamp() (the wall clock
 * at the statement, not the transaction's start); SQLite: julianday('now'), the clock of the
 * machine that holds the file (fixed for the length of one statement); MariaDB/MySQL: NOW(3), the
 * server's clock at the statement's start (sessions run in UTC: mysqlClient.ts).
 */
export function nowMsSql(dialect: Dialect): string {
  if (dialect === 'mysql') return 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)';
  return dialect === 'pg' ? '(extract(epoch from clock_timestamp()) * 1000)::bigint' : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

/** nowMsSql as a knex value, for insert/update columns. */
export function dbNow(q: Q): Knex.Raw {
  return q.raw(nowMsSql(dialectOf(q)));
}

/** The database's clock now (epoch ms). */
export async function readDbNow(q: Q): Promise<number> {
  const res = await q.raw(`SELECT ${nowMsSql(dialectOf(q))} AS now`);
  return Number(rawRows(q, res)[0].now);
}

export function dialectOf(q: Q): Dialect {
  // knex's own name for the client's dialect (the client itself may be one of ours: see db.ts).
  const name = (q as unknown as { client: { dialect: string } }).client.dialect;
  return name === 'postgresql' ? 'pg' : name === 'mysql' ? 'mysql' : 'sqlite';
}

/**
 * `column IN (values)` for a batch lookup. PostgreSQL gets one text[] parameter (`= ANY(?)`, node-pg
 * serializes the array): an IN list of 500 is 500 parameters to parse and plan on every call.
 */
export function whereAnyOf<T extends Knex.QueryBuilder>(qb: T, column: string, values: readonly string[], dialect: Dialect): T {
  if (dialect !== 'pg') return qb.whereIn(column, [...values]) as T;
  return qb.whereRaw('?? = ANY(?::text[])', [column, [...values]]) as T;
}

/**
 * Runs fn once the outermost transaction around `trx` has committed (never if it rolls back): for
 * effects outside the database, such as counting what the transaction stored.
 */
export function afterCommit(trx: Knex.Transaction, fn: () => void): void {
  let t = trx as Knex.Transaction & { parentTransaction?: Knex.Transaction };
  while (t.parentTransaction) t = t.parentTransaction as typeof t;
  t.executionPromise.then(fn, () => undefined);
}
