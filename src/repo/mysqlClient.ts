// MariaDB (≥ 10.6) / MySQL (≥ 8) through knex's mysql2 client, set up so that the SQL and the
// meaning shared with SQLite and PostgreSQL hold (db.ts opens it for mysql:// and mariadb://):
// - each session runs with ANSI_QUOTES ("identifiers" as the other two quote them), PIPES_AS_CONCAT
//   (|| concatenates), NO_BACKSLASH_ESCAPES ('\' is a plain character, as in standard SQL; the
//   driver is told too, so that it escapes values by doubling quotes only) and strict tables (a too
//   long value is refused, not cut); UTC (UNIX_TIMESTAMP of NOW(3) is the epoch); READ COMMITTED
//   (as PostgreSQL: a statement sees what committed before it, and no gap locks);
// - strings compare and sort by code point and case-sensitively, trailing spaces included, as
//   SQLite's BINARY and PostgreSQL's equality and COLLATE "C" do: utf8mb4 with a binary NO PAD
//   collation, for the session and for every table the migrations create;
// - knex's `text` and `binary` (64 KB TEXT and BLOB on MySQL) become LONGTEXT and LONGBLOB: on the
//   other two they are unbounded (a BPMN file, an engine state, a job's payload).
import type { Knex } from 'knex';

/* eslint-disable @typescript-eslint/no-require-imports */
// knex's own mysql2 dialect classes (knex ships no types for them; it has no "exports" map).
type Ctor = new (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
const ClientMySQL2: Ctor = require('knex/lib/dialects/mysql2');
const ColumnCompilerMySQL: Ctor = require('knex/lib/dialects/mysql/schema/mysql-columncompiler');
const TableCompilerMySQL: Ctor = require('knex/lib/dialects/mysql/schema/mysql-tablecompiler');
const QueryCompilerMySQL: Ctor = require('knex/lib/dialects/mysql/query/mysql-querycompiler');
const { wrapAsIdentifier } = require('knex/lib/formatter/formatterUtils') as { wrapAsIdentifier(c: string, builder: unknown, client: unknown): string };

export const SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES';

/**
 * Stops the start on a server reconflow cannot run on, saying why: MariaDB before 10.6 has no
 * SKIP LOCKED (job claims), and MySQL lacks MariaDB's INSERT … RETURNING and long unique keys.
 */
export function assertSupportedServer(version: string): void {
  if (!/mariadb/i.test(version)) throw new Error(`DATABASE_URL names a MySQL server (${version}): reconflow runs on MariaDB 10.6 or later, not yet on MySQL`);
  const [major, minor] = version.split('.').map(Number);
  if (major < 10 || (major === 10 && minor < 6)) throw new Error(`DATABASE_URL names MariaDB ${version}: reconflow needs MariaDB 10.6 or later (FOR UPDATE SKIP LOCKED)`);
}

/** The binary, NO PAD utf8mb4 collation of the server: MariaDB's and MySQL 8's names differ. */
export function binaryCollation(serverVersion: string): string {
  return /mariadb/i.test(serverVersion) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}

class LongColumns extends ColumnCompilerMySQL {
  text(): string {
    return 'longtext';
  }
  binary(length?: number): string {
    return length ? `varbinary(${Number(length)})` : 'longblob';
  }
  // JSON as text, as SQLite keeps it: MariaDB's JSON is LONGTEXT in utf8mb4_bin (which ignores
  // trailing spaces), MySQL's answers parsed objects; the table's binary collation applies instead.
  json(): string {
    return 'longtext';
  }
  jsonb(): string {
    return 'longtext';
  }
}

/**
 * `.onConflict(cols).ignore()` as INSERT … ON DUPLICATE KEY UPDATE c = c (a row whose key is
 * taken changes nothing), not knex's INSERT IGNORE: IGNORE turns every error of the statement into
 * a warning, not only the taken key's (a value too long is cut, a NOT NULL column gets '', a
 * deadlock leaves a transaction that can only roll back), where SQLite and PostgreSQL's ON
 * CONFLICT DO NOTHING refuse them. The affected rows stay 1 for a row inserted, 0 for one skipped.
 */
class NoIgnoreInserts extends QueryCompilerMySQL {
  insert(): string {
    const single = this.single as { ignore?: boolean; onConflict?: unknown };
    if (!single.ignore || !Array.isArray(single.onConflict) || !single.onConflict.length) return super.insert();
    single.ignore = false;
    try {
      const sql: string = super.insert();
      if (sql === '') return sql;
      const col = wrapAsIdentifier(String(single.onConflict[0]), this.formatter.builder, this.client);
      return `${sql} on duplicate key update ${col} = ${col}`;
    } finally {
      single.ignore = true;
    }
  }
}

class Utf8Tables extends TableCompilerMySQL {
  createQuery(columns: unknown, ifNot: boolean, like: boolean): unknown {
    this.single.charset ??= 'utf8mb4';
    this.single.collate ??= (this.client as ReconflowMySQL).session.collation;
    return super.createQuery(columns, ifNot, like);
  }
}

/** What this client keeps besides knex's: in knex's config, which a transaction's copy of the client shares. */
export interface SessionSettings {
  /** Set from each new connection's server (prepareSession). */
  collation: string;
  /** As PostgreSQL's query_timeout (db.ts): a silent server yields an error, and the connection is dropped. */
  queryTimeoutMs: number;
}

export class ReconflowMySQL extends ClientMySQL2 {
  get session(): SessionSettings {
    return (this.config as { reconflowSession: SessionSettings }).reconflowSession;
  }
  _query(connection: Conn & { destroy(): void }, obj: unknown): Promise<unknown> {
    const o = (typeof obj === 'string' ? { sql: obj } : obj) as { options?: Record<string, unknown> };
    if (o) o.options = { timeout: this.session.queryTimeoutMs, ...o.options };
    return super._query(connection, o).catch((e: { code?: string }) => {
      // mysql2 gives up waiting but keeps the connection, whose late answer would meet the next query.
      if (e?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
      throw e;
    });
  }
  async acquireRawConnection(): Promise<unknown> {
    const conn = (await super.acquireRawConnection()) as Conn;
    conn.on('error', () => undefined);
    try {
      await prepareSession(conn, this.session);
    } catch (e) {
      await this.destroyRawConnection(conn).catch(() => undefined);
      throw e;
    }
    return conn;
  }
  queryCompiler(...args: unknown[]): unknown {
    return new NoIgnoreInserts(this, ...args);
  }
  columnCompiler(...args: unknown[]): unknown {
    return new LongColumns(this, ...args);
  }
  tableCompiler(...args: unknown[]): unknown {
    return new Utf8Tables(this, ...args);
  }
}

export interface MySQLTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

export function parseMySQLUrl(url: string, database?: string): MySQLTarget {
  const u = new URL(url);
  const db = database ?? decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!db) throw new Error('DATABASE_URL names no database: mysql://user:password@host:port/database');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: db,
  };
}

type Conn = { query(sql: string, cb: (err: Error | null) => void): void; on(ev: string, fn: () => void): void; _isMariaDB?: boolean };

function run(conn: Conn, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
}

/** The session settings every connection gets before the pool hands it out. */
export async function prepareSession(conn: Conn, client: { collation: string }): Promise<void> {
  // mysql2 tells MariaDB from its handshake (not a public field: without it, MySQL's name is used).
  client.collation = binaryCollation(conn._isMariaDB ? 'MariaDB' : '');
  await run(conn, `SET SESSION sql_mode = '${SQL_MODE}', time_zone = '+00:00'`);
  await run(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  await run(conn, `SET NAMES utf8mb4 COLLATE ${client.collation}`);
}

export function mysqlConfig(target: MySQLTarget, opts: { poolMax?: number; connectTimeoutMs: number; queryTimeoutMs: number }): Knex.Config {
  const reconflowSession: SessionSettings = { collation: 'utf8mb4_nopad_bin', queryTimeoutMs: opts.queryTimeoutMs };
  const config: Knex.Config & { reconflowSession: SessionSettings } = {
    reconflowSession,
    client: ReconflowMySQL as unknown as typeof Knex.Client,
    connection: {
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      charset: 'utf8mb4',
      timezone: 'Z',
      connectTimeout: opts.connectTimeoutMs,
      enableKeepAlive: true,
      // BIGINT as a number while exact, else as a string (ids and epoch ms stay numbers).
      supportBigNumbers: true,
      // The session runs NO_BACKSLASH_ESCAPES (prepareSession): values are escaped by doubling quotes.
      noBackslashEscapes: true,
    } as Knex.MySql2ConnectionConfig,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: opts.connectTimeoutMs,
    compileSqlOnError: false,
  };
  return config;
}

/** The few calls of mysql2's own connection that db.ts's migration lock makes. */
export interface RawMySQLConnection {
  query(sql: string, values: unknown[], cb: (err: Error | null, rows: unknown) => void): void;
  on(ev: 'error', fn: () => void): void;
  end(cb: () => void): void;
}
export interface MySQLDriver {
  createConnection(settings: Record<string, unknown>): RawMySQLConnection;
}
