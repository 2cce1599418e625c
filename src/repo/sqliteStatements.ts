// Prepared statements kept per SQLite connection. knex's better-sqlite3 client prepares every
// query afresh (it calls the connection's public `prepare(sql)` once per query): on the hot paths
// (a recon's link and target reads, a completion's dozen statements) preparing costs as much as
// running. installed on each new connection by db.ts's pool hook (knex's public `afterCreate`),
// `prepare` answers from an LRU of the connection's statements keyed by their SQL text. Nothing
// of knex's private classes is used; if knex stopped calling `prepare`, queries would still be
// right, only uncached (test/unit/sqliteClient.test.ts counts the reuses and would fail).
import type { Database, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/** Statements kept per connection; SQL texts differ mostly by the length of IN lists. */
export const STATEMENT_CACHE_SIZE = 300;

/** Prepares and reuses since start, over every connection (for tests). */
export const sqliteStatementStats = { prepared: 0, reused: 0 };

export function cacheStatements(db: Database, size = STATEMENT_CACHE_SIZE): void {
  const cache = new LRUCache<string, Statement>({ max: size });
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const cached = cache.get(sql);
    if (cached) {
      sqliteStatementStats.reused++;
      return cached;
    }
    sqliteStatementStats.prepared++;
    const statement = prepare(sql);
    // A statement's integer mode is sticky: one whose mode a query sets (knex's safeIntegers
    // option) serves that query and leaves the cache, so no later query gets its mode.
    const setMode = statement.safeIntegers.bind(statement);
    statement.safeIntegers = (toggle?: boolean) => {
      if (cache.peek(sql) === statement) cache.delete(sql);
      return setMode(toggle);
    };
    cache.set(sql, statement);
    return statement;
  }) as Database['prepare'];
}
