// Named (server-side prepared) statements per PostgreSQL connection. knex sends every query
// unnamed, so the server parses and plans it again each time: on a completion's dozen primary-key
// statements that is most of the server's work. Installed on each new connection by db.ts's pool
// hook (knex's public `afterCreate`), the connection's `query` gives the statements it sees a name
// (node-pg's public `{ name, text, values }`: parsed once per connection, then only bound and
// executed), at most STATEMENTS_PER_CONNECTION of them: the least recently used is DEALLOCATEd, so
// queries built from user filters cannot pile up on the server. Names are never reused, so
// nothing can meet an old one; node-pg remembers each name it parsed, so a connection that has
// dropped RETIRE_AFTER_EVICTIONS names is retired by the pool (db.ts's `validate`) rather than
// reaching into node-pg to forget them. Nothing of knex's private classes or node-pg's internals
// is used; if knex stopped calling `query(config, callback)`, queries would only go unnamed
// (test/unit/repo/pgClient.test.ts counts the server's prepared statements and would fail).
import type { Client, QueryConfig, QueryResult } from 'pg';
import { LRUCache } from 'lru-cache';

export const STATEMENTS_PER_CONNECTION = 200;
/** Names dropped before the connection is replaced (node-pg keeps a few bytes per name parsed). */
export const RETIRE_AFTER_EVICTIONS = 10_000;
/** Longer texts are one-offs (bulk statements, big filters): not worth a server-side slot. */
const MAX_NAMED_SQL = 4096;
/**
 * Statements with more parameters are bulk ones (multi-row inserts, IN lists): left unnamed so
 * the server plans each with its values, never with a generic plan made for other ones.
 */
const MAX_NAMED_BINDINGS = 32;
const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i;

type Callback = (err: Error | null, res: QueryResult) => void;

const evictions = new WeakMap<Client, { n: number; limit: number }>();

/** Whether the pool should replace this connection (it has dropped many names). */
export function shouldRetire(connection: Client): boolean {
  const e = evictions.get(connection);
  return !!e && e.n >= e.limit;
}

/** Only knex's plain `{ text, values }` configs: any other option (rowMode, types…) stays unnamed. */
function nameable(config: QueryConfig): boolean {
  for (const k in config) if (k !== 'text' && k !== 'values') return false;
  return config.text.length <= MAX_NAMED_SQL && (config.values?.length ?? 0) <= MAX_NAMED_BINDINGS && NAMEABLE.test(config.text);
}

export function nameStatements(connection: Client, size = STATEMENTS_PER_CONNECTION, retireAfter = RETIRE_AFTER_EVICTIONS): void {
  const dropped = { n: 0, limit: retireAfter };
  evictions.set(connection, dropped);
  const query = connection.query.bind(connection) as (config: unknown, cb?: Callback) => unknown;
  let next = 1;
  const names = new LRUCache<string, string>({
    max: size,
    // Queued behind whatever the connection runs now. A failure (an aborted transaction) leaves
    // one statement behind on the server; the connection's retirement takes it away.
    dispose: (name) => {
      dropped.n++;
      (query(`DEALLOCATE ${name}`) as Promise<unknown>).catch(() => undefined);
    },
  });
  (connection as { query: unknown }).query = (config: unknown, cb?: unknown) => {
    if (typeof cb !== 'function' || typeof config !== 'object' || config === null || typeof (config as QueryConfig).text !== 'string' || !nameable(config as QueryConfig)) {
      return query(config, cb as Callback);
    }
    const text = (config as QueryConfig).text;
    let name = names.get(text);
    if (!name) names.set(text, (name = `rf${next++}`));
    return query({ name, text, values: (config as QueryConfig).values ?? [] }, (err, res) => {
      // Another node migrated the schema under this connection's plan: fail this once, then re-prepare.
      if (err && (err as { code?: string }).code === '0A000') names.delete(text);
      (cb as Callback)(err, res);
    });
  };
}
