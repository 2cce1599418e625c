// knex's better-sqlite3 client prepares every query afresh: on the hot paths (a recon's link and
// target reads, a completion's dozen statements) preparing costs as much as running. This client
// keeps the prepared statements of each connection, keyed by their SQL text, in a small LRU.
// Bindings still travel separately; nothing about the SQL knex builds changes.
import type { Database, Statement } from 'better-sqlite3';

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: { safeIntegers?: boolean };
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

interface BaseClient {
  _formatBindings(bindings: unknown[] | undefined): unknown[];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Base = require('knex/lib/dialects/better-sqlite3') as new (config: unknown) => BaseClient;

/** Statements kept per connection; SQL texts differ mostly by the length of IN lists. */
export const STATEMENT_CACHE_SIZE = 300;

const caches = new WeakMap<Database, Map<string, Statement>>();

function cachedStatement(connection: Database, sql: string): Statement {
  let cache = caches.get(connection);
  if (!cache) caches.set(connection, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement) {
    // Map order is insertion order: re-inserting marks it most recently used.
    cache.delete(sql);
  } else {
    statement = connection.prepare(sql);
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(sql, statement);
  return statement;
}

export class CachedStatementsClient extends Base {
  async _query(connection: Database | undefined, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const safeIntegers = obj.options?.safeIntegers;
    // A statement's integer mode is sticky: only the default mode is shared through the cache.
    const statement = typeof safeIntegers === 'boolean' ? connection.prepare(obj.sql).safeIntegers(safeIntegers) : cachedStatement(connection, obj.sql);
    const bindings = this._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }
}
