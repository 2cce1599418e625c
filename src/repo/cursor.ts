// Reads a query's rows from a database cursor in batches, so that an unpaged CREST query
// (src/api/queryStream.ts) costs one batch of memory however many rows match. With db.ts and
// dialect.ts, the third place in src/repo that knows one backend from the other:
// - SQLite: better-sqlite3's `iterate()` on a read-only connection of its own (WAL lets it read
//   beside the writer; an iterator keeps its connection busy, so it cannot be the pool's one). The
//   statement reads one snapshot. `:memory:` has no second connection: its rows are read at once.
// - PostgreSQL: `DECLARE … NO SCROLL CURSOR` in a READ ONLY transaction on a pool connection and
//   `FETCH n` (no new package: knex's `.stream()` needs pg-query-stream). One snapshot too.
// - any other client (mysql2): knex's `.stream()`, which mysql2 answers from its own row stream.
// The connection is held until the last batch is read or the consumer stops (`return()`), which a
// slow client prolongs: a PostgreSQL stream holds one pool connection for its length.
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { Q } from './dialect';

export const STREAM_BATCH = 250;

/** The cursor's name on PostgreSQL (one per transaction, so one name serves every stream). */
const CURSOR = 'reconflow_unpaged';

type Row = Record<string, unknown>;

/** knex's better-sqlite3 client binds booleans as 0/1 and dates as epoch ms: the same here. */
function sqliteBinding(v: unknown): unknown {
  if (typeof v === 'boolean') return Number(v);
  if (v instanceof Date) return v.valueOf();
  return v;
}

/** The rows of `qb` (built on `q`, not run), `batch` at a time, in the query's order. */
export async function* streamRows(q: Q, qb: Knex.QueryBuilder, batch = STREAM_BATCH): AsyncGenerator<Row[]> {
  const client = (q as Knex).client as Knex.Client & {
    connectionSettings: { filename?: string };
    acquireConnection(): Promise<unknown>;
    releaseConnection(c: unknown): Promise<void>;
  };
  const kind = (client as unknown as { dialect: string }).dialect;
  if (kind !== 'postgresql' && kind !== 'sqlite3') {
    // Another backend (MySQL/MariaDB's mysql2 streams natively): knex's own stream.
    let out: Row[] = [];
    for await (const r of qb.stream() as AsyncIterable<Row>) {
      out.push(r);
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
    return;
  }
  if (kind === 'postgresql') {
    const { sql, bindings } = qb.toSQL().toNative();
    const conn = (await client.acquireConnection()) as import('pg').Client;
    let open = false;
    try {
      await conn.query('BEGIN READ ONLY');
      open = true;
      await conn.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${sql}`, bindings as unknown[]);
      for (;;) {
        const { rows } = await conn.query(`FETCH ${batch} FROM ${CURSOR}`);
        if (rows.length) yield rows as Row[];
        if (rows.length < batch) break;
      }
      await conn.query('COMMIT');
      open = false;
    } finally {
      // Stopped early or failed: the transaction (and its cursor) is ended before the connection goes back.
      if (open) await conn.query('ROLLBACK').catch(() => undefined);
      await client.releaseConnection(conn);
    }
    return;
  }
  const { sql, bindings } = qb.toSQL().toNative();
  const file = client.connectionSettings.filename;
  if (!file || file === ':memory:') {
    // The database is this process's memory already; its one connection is not held across
    // yields (the consumer's own queries need it), so the rows are read at once.
    const conn = (await client.acquireConnection()) as Database.Database;
    let all: Row[];
    try {
      all = conn.prepare(sql).all(...bindings.map(sqliteBinding)) as Row[];
    } finally {
      await client.releaseConnection(conn);
    }
    for (let i = 0; i < all.length; i += batch) yield all.slice(i, i + batch);
    return;
  }
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  let rows: IterableIterator<unknown> | undefined;
  try {
    conn.pragma('busy_timeout = 10000');
    rows = conn.prepare(sql).iterate(...bindings.map(sqliteBinding));
    for (;;) {
      const out: Row[] = [];
      let done = false;
      while (out.length < batch) {
        const next = rows.next();
        if (next.done) {
          done = true;
          break;
        }
        out.push(next.value as Row);
      }
      if (out.length) yield out;
      if (done) break;
    }
  } finally {
    rows?.return?.();
    conn.close();
  }
}

/** `streamRows` with each row mapped (the repository's row → object functions). */
export async function* mapRows<T>(rows: AsyncIterable<Row[]>, fn: (r: Row) => T): AsyncGenerator<T[]> {
  for await (const b of rows) yield b.map(fn);
}
