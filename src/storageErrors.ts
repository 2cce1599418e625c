// What an error from the database driver (better-sqlite3, node-pg, knex's pool) means, by its code
// alone: a pure leaf (no imports) used by the API's edge (503 / 400 answers), the job worker and
// the reconciler (wait and retry), and re-exported by src/repo/dialect.ts. It lives outside
// src/repo because such errors surface wherever a statement is awaited (routers through services,
// transactions, the worker): translating them inside the repository would wrap every statement
// (a try and an await more per statement on the hot paths), for the same classification.
// These are SQLSTATEs and SQLITE_* codes, not SQL: src/repo stays the only place that writes SQL.

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
