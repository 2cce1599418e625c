// The few places where SQLite and PostgreSQL differ, gathered so the rest of src/repo is shared.
import { Knex } from 'knex';
import { Dialect } from './db';

/** A database handle or an open transaction: every query function accepts either. */
export type Q = Knex | Knex.Transaction;

/** jsonb comes back parsed from PostgreSQL, as text from SQLite. */
export function parseJson<T = unknown>(value: unknown): T {
  if (value === null || value === undefined) return value as T;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Errors that mean "the database is not reachable right now" rather than a bad query. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  const code = e?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '53300', 'SQLITE_BUSY'].includes(code) ||
    e?.name === 'KnexTimeoutError' ||
    // pg's own timeouts (db.ts): connecting ("timeout expired") and a silent query ("Query read timeout").
    /Connection terminated|connection is closed|Timeout acquiring a connection|Client was closed|not queryable|Query read timeout|^timeout expired$/i.test(e?.message ?? '')
  );
}

/**
 * The database cannot store (or read) data for a reason of its storage, not of the request: a full
 * disk or size limit, an I/O error, a read-only file or standby. Returns the reason for a 503 (no
 * SQL, no values), or null for any other error.
 */
export function storageFailure(err: unknown): { code: string; reason: string } | null {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'SQLITE_FULL' || code === '53100') return { code, reason: 'The repository is full (its disk, or the database size limit): nothing was stored. Free space, then try again' };
  if (code === '53200' || code === 'SQLITE_NOMEM') return { code, reason: 'The repository is out of memory: nothing was stored. Try again shortly' };
  if (code.startsWith('SQLITE_IOERR') || code === '58030' || code === 'SQLITE_CANTOPEN') return { code, reason: 'The repository cannot read or write its storage (an I/O error): nothing was stored. Check the disk, then try again' };
  if (code.startsWith('SQLITE_READONLY') || code === '25006') return { code, reason: 'The repository is read-only: nothing was stored. Make it writable, then try again' };
  return null;
}

/**
 * PostgreSQL refusing a value (SQLSTATE class 22, data exception: a NUL byte, a string longer
 * than its column, text that is not a number…): the client sent it, so it is a 400, not a 500.
 * Returns the database's own short description, or null for any other error.
 */
export function invalidInput(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code !== 'string' || !/^22[0-9A-Z]{3}$/.test(e.code)) return null;
  const text = typeof e.message === 'string' ? e.message : '';
  // knex prefixes the SQL ("insert into … - value too long …"): keep only the database's part.
  return text.slice(text.lastIndexOf(' - ') + 1).replace(/^-\s*/, '').trim().slice(0, 200) || 'invalid value';
}

/** Inserts a row and returns its generated numeric id, on both backends. */
export async function insertReturningId(q: Q, table: string, row: Record<string, unknown>): Promise<number> {
  const [r] = await q(table).insert(row).returning('id');
  return Number(typeof r === 'object' ? (r as { id: number }).id : r);
}

/** Row-locking clause for read-modify-write inside a transaction (SQLite's transaction already holds the lock). */
export function forUpdate<T extends Knex.QueryBuilder>(qb: T, dialect: Dialect): T {
  return (dialect === 'pg' ? qb.forUpdate() : qb) as T;
}

/**
 * The database's clock in epoch milliseconds, as SQL. Heartbeats, lock expiry and stale-run
 * sweeps compare this, never a node's own clock: a node whose clock runs ahead must not find a
 * live node's lock expired or its heartbeat stale. PostgreSQL: clock_timestamp() (the wall clock
 * at the statement, not the transaction's start); SQLite: julianday('now'), the clock of the
 * machine that holds the file (fixed for the length of one statement).
 */
export function nowMsSql(dialect: Dialect): string {
  return dialect === 'pg' ? '(extract(epoch from clock_timestamp()) * 1000)::bigint' : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

/** nowMsSql as a knex value, for insert/update columns. */
export function dbNow(q: Q): Knex.Raw {
  return q.raw(nowMsSql(dialectOf(q)));
}

/** The database's clock now (epoch ms). */
export async function readDbNow(q: Q): Promise<number> {
  const res = await q.raw(`SELECT ${nowMsSql(dialectOf(q))} AS now`);
  const rows = (Array.isArray(res) ? res : res.rows) as { now: unknown }[];
  return Number(rows[0].now);
}

export function dialectOf(q: Q): Dialect {
  // knex's own name for the client's dialect (the client itself may be one of ours: see db.ts).
  return (q as unknown as { client: { dialect: string } }).client.dialect === 'postgresql' ? 'pg' : 'sqlite';
}

/**
 * `column IN (values)` for a batch lookup. PostgreSQL gets one text[] parameter (`= ANY(?)`, node-pg
 * serializes the array): an IN list of 500 is 500 parameters to parse and plan on every call.
 */
export function whereAnyOf<T extends Knex.QueryBuilder>(qb: T, column: string, values: readonly string[], dialect: Dialect): T {
  if (dialect !== 'pg') return qb.whereIn(column, [...values]) as T;
  return qb.whereRaw('?? = ANY(?::text[])', [column, [...values]]) as T;
}
