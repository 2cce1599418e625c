// What an error from the database driver (better-sqlite3, node-pg, mysql2, knex's pool) means, by its code
// alone: a pure leaf (no imports) used by the API's edge (503 / 400 answers), the job worker and
// the reconciler (wait and retry), and re-exported by src/repo/dialect.ts. It lives outside
// src/repo because such errors surface wherever a statement is awaited (routers through services,
// transactions, the worker): translating them inside the repository would wrap every statement
// (a try and an await more per statement on the hot paths), for the same classification.
// These are SQLSTATEs, SQLITE_* and mysql2's ER_* codes, not SQL: src/repo stays the only place that writes SQL.

/**
 * MariaDB/MySQL: the server is away or going (connection lost or killed, shutting down, too many
 * connections, mysql2's query timeout), or a statement lost a lock race (deadlock victim, lock
 * wait timeout), which InnoDB has rolled back: waiting and trying again helps, as SQLITE_BUSY.
 */
const MYSQL_UNAVAILABLE = ['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'];

/** Errors that mean "the database is not reachable right now" rather than a bad query. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string };
  const code = e?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '53300', 'SQLITE_BUSY'].includes(code) ||
    MYSQL_UNAVAILABLE.includes(code) ||
    e?.name === 'KnexTimeoutError' ||
    // pg's own timeouts (db.ts): connecting ("timeout expired") and a silent query ("Query read timeout").
    /Connection terminated|connection is closed|Timeout acquiring a connection|Client was closed|not queryable|Query read timeout|^timeout expired$|connection is in closed state/i.test(e?.message ?? '')
  );
}

/**
 * The database cannot store (or read) data for a reason of its storage, not of the request: a full
 * disk or size limit, an I/O error, a read-only file or standby. Returns the reason for a 503 (no
 * SQL, no values), or null for any other error.
 */
export function storageFailure(err: unknown): { code: string; reason: string } | null {
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ER_RECORD_FILE_FULL' || code === 'ER_DISK_FULL') return { code, reason: 'The repository is full (its disk, or the database size limit): nothing was stored. Free space, then try again' };
  if (code === '53200' || code === 'SQLITE_NOMEM' || code === 'ER_OUTOFMEMORY' || code === 'ER_OUT_OF_RESOURCES') return { code, reason: 'The repository is out of memory: nothing was stored. Try again shortly' };
  if (code.startsWith('SQLITE_IOERR') || code === '58030' || code === 'SQLITE_CANTOPEN' || code === 'ER_ERROR_ON_WRITE' || code === 'ER_GET_ERRNO') return { code, reason: 'The repository cannot read or write its storage (an I/O error): nothing was stored. Check the disk, then try again' };
  if (code.startsWith('SQLITE_READONLY') || code === '25006' || code === 'ER_OPTION_PREVENTS_STATEMENT' || code === 'ER_READ_ONLY_MODE') return { code, reason: 'The repository is read-only: nothing was stored. Make it writable, then try again' };
  return null;
}

/**
 * PostgreSQL refusing a value (SQLSTATE class 22, data exception: a NUL byte, a string longer
 * than its column, text that is not a number…): the client sent it, so it is a 400, not a 500.
 * MariaDB/MySQL carry the SQLSTATE in sqlState (its strict mode refuses a too long value, 22001),
 * and refuse text their column cannot hold (ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, SQLSTATE HY000).
 * Returns the database's own short description, or null for any other error.
 */
export function invalidInput(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown; sqlState?: unknown };
  const state = typeof e?.sqlState === 'string' ? e.sqlState : e?.code;
  if (!(typeof state === 'string' && /^22[0-9A-Z]{3}$/.test(state)) && e?.code !== 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD') return null;
  const text = typeof e.message === 'string' ? e.message : '';
  // knex prefixes the SQL ("insert into … - value too long …"): keep only the database's part.
  return text.slice(text.lastIndexOf(' - ') + 1).replace(/^-\s*/, '').trim().slice(0, 200) || 'invalid value';
}
