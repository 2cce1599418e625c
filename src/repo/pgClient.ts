// knex sends every PostgreSQL query unnamed, so the server parses and plans it again each time:
// on a completion's dozen primary-key statements that is most of the server's work. This client
// names the statements each connection sees (node-pg then parses them once per connection and
// only binds and executes afterwards), keeping at most STATEMENTS_PER_CONNECTION per connection:
// the least recently used is DEALLOCATEd, so queries built from user filters cannot pile up.
import type { Client as PgClient, QueryResult } from 'pg';

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: Record<string, unknown>;
  response?: unknown;
}

interface BaseClient {
  _query(connection: PgClient, obj: QueryObject): Promise<QueryObject>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Base = require('knex/lib/dialects/postgres') as new (config: unknown) => BaseClient;

export const STATEMENTS_PER_CONNECTION = 200;
/** Longer texts are one-offs (bulk statements, big filters): not worth a server-side slot. */
const MAX_NAMED_SQL = 4096;
/**
 * Statements with more parameters are bulk ones (multi-row inserts, IN lists): left unnamed so
 * the server plans each with its values, never with a generic plan made for other ones.
 */
const MAX_NAMED_BINDINGS = 32;
const NAMEABLE = /^\s*(select|insert|update|delete|with)\b/i;

interface Named {
  names: Map<string, string>;
  next: number;
}

const named = new WeakMap<PgClient, Named>();

/** node-pg's record of what a connection has parsed (not in its typings). */
function parsedStatements(connection: PgClient): Record<string, string> | undefined {
  return (connection as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection?.parsedStatements;
}

/**
 * Queued behind whatever the connection runs now; names are never reused, so nothing can meet the
 * old one meanwhile. A failure (an aborted transaction) leaves one statement behind on the server.
 */
function deallocate(connection: PgClient, name: string): void {
  connection.query(`DEALLOCATE ${name}`).then(
    () => void delete parsedStatements(connection)?.[name],
    () => undefined,
  );
}

/** Drops a name: after a schema change its plan no longer fits (the next use prepares afresh). */
function forget(connection: PgClient, sql: string): void {
  const n = named.get(connection);
  const name = n?.names.get(sql);
  if (!n || !name) return;
  n.names.delete(sql);
  deallocate(connection, name);
}

function nameFor(connection: PgClient, sql: string): string {
  let n = named.get(connection);
  if (!n) named.set(connection, (n = { names: new Map(), next: 1 }));
  let name = n.names.get(sql);
  if (name) {
    n.names.delete(sql); // re-inserted below: most recently used
  } else {
    name = `rf${n.next++}`;
    if (n.names.size >= STATEMENTS_PER_CONNECTION) {
      const [oldSql, oldName] = n.names.entries().next().value as [string, string];
      n.names.delete(oldSql);
      deallocate(connection, oldName);
    }
  }
  n.names.set(sql, name);
  return name;
}

export class PreparedStatementsPgClient extends Base {
  override _query(connection: PgClient, obj: QueryObject): Promise<QueryObject> {
    // knex passes options ({} by default) into node-pg's query config: statements with any stay unnamed.
    const hasOptions = !!obj.options && Object.keys(obj.options).length > 0;
    if (!obj.sql || hasOptions || obj.sql.length > MAX_NAMED_SQL || (obj.bindings?.length ?? 0) > MAX_NAMED_BINDINGS || !NAMEABLE.test(obj.sql)) return super._query(connection, obj);
    const name = nameFor(connection, obj.sql);
    return new Promise((resolve, reject) => {
      connection.query({ name, text: obj.sql, values: obj.bindings ?? [] }, (err: Error | null, response: QueryResult) => {
        if (err) {
          // Another node migrated the schema under this connection's plan: fail this once, then re-prepare.
          if ((err as { code?: string }).code === '0A000') forget(connection, obj.sql);
          return reject(err);
        }
        obj.response = response;
        resolve(obj);
      });
    });
  }
}
