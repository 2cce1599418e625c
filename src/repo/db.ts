// Opens the repository: embedded SQLite by default, PostgreSQL or MariaDB/MySQL when DATABASE_URL says so.
// This file and dialect.ts are the only places in src/repo that know one backend from the other
// (the job queue's own SQL, src/jobs/sql, is the other room that does: see README).
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { migrationSource } from '../../migrations';
import { nameStatements, shouldRetire } from './pgStatements';
import { cacheStatements } from './sqliteStatements';
import { assertSupportedServer, binaryCollation, MySQLDriver, mysqlConfig, parseMySQLUrl, ReconflowMySQL } from './mysqlClient';

export type Dialect = 'sqlite' | 'pg' | 'mysql';

export interface Db {
  knex: Knex;
  dialect: Dialect;
  /** Human-readable location, for start-up logs (no password). */
  describe: string;
}

export interface DbOptions {
  /** `postgres://…` selects PostgreSQL, `mysql://…` or `mariadb://…` MariaDB/MySQL; a file path or `:memory:` selects SQLite. */
  url?: string;
  /** PostgreSQL schema to use (tests and side-by-side deployments); created if missing. MariaDB/MySQL: the database (a schema there), instead of the URL's. */
  schema?: string;
  /** Folder for the default SQLite file (var/ under it). */
  projectDir: string;
  poolMax?: number;
  /**
   * PostgreSQL: a query without an answer after this long fails (and its connection is dropped),
   * so that a silent database (network partition, hung server) yields 503s, not requests that
   * hang forever. Default: DATABASE_QUERY_TIMEOUT_MS, else 30 s. Connecting has 10 s.
   */
  queryTimeoutMs?: number;
  /** SQLite's PRAGMA synchronous (conf/repo.json sqlite.synchronous, src/config/repo.ts); default NORMAL. */
  sqliteSynchronous?: 'NORMAL' | 'FULL' | 'EXTRA';
}

const CONNECT_TIMEOUT_MS = 10_000;

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export function isMySQLUrl(url: string | undefined): boolean {
  return !!url && /^(mysql|mariadb):\/\//.test(url);
}

export function openDb(opts: DbOptions): Db {
  if (opts.url && isMySQLUrl(opts.url)) {
    const target = parseMySQLUrl(opts.url, opts.schema);
    const queryTimeoutMs = opts.queryTimeoutMs ?? (Number(process.env.DATABASE_QUERY_TIMEOUT_MS) || 30_000);
    const knex = knexFactory(mysqlConfig(target, { poolMax: opts.poolMax, connectTimeoutMs: CONNECT_TIMEOUT_MS, queryTimeoutMs }));
    return { knex, dialect: 'mysql', describe: `MariaDB/MySQL ${target.user}@${target.host}:${target.port}/${target.database}` };
  }
  if (opts.url && isPostgresUrl(opts.url)) {
    const schema = opts.schema;
    const queryTimeout = opts.queryTimeoutMs ?? (Number(process.env.DATABASE_QUERY_TIMEOUT_MS) || 30_000);
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: opts.url, query_timeout: queryTimeout, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true },
      searchPath: schema ? [schema] : undefined,
      pool: {
        min: 0,
        max: opts.poolMax ?? 10,
        // A dropped connection must not take the process down; the pool discards it.
        afterCreate: (conn: import('pg').Client, done: (err: Error | null, c: unknown) => void) => {
          conn.on('error', () => undefined);
          nameStatements(conn);
          done(null, conn);
        },
        // A connection whose query timed out still waits for that answer: never hand it out again.
        validate: (conn: import('pg').Client & { readyForQuery?: boolean }) => conn.readyForQuery !== false && !shouldRetire(conn),
      },
      acquireConnectionTimeout: CONNECT_TIMEOUT_MS,
      // A failed statement's message carries its SQL with `?` placeholders, not the values
      // (e-mail addresses, password hashes), so that logs and error texts never hold row data.
      compileSqlOnError: false,
    });
    const safeUrl = opts.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    return { knex, dialect: 'pg', describe: `PostgreSQL ${safeUrl}${schema ? ` schema ${schema}` : ''}` };
  }
  let file = opts.url && opts.url.length > 0 ? opts.url.replace(/^sqlite:(\/\/)?/, '') : path.join(opts.projectDir, 'var', 'reconflow.sqlite');
  if (file !== ':memory:') {
    file = path.resolve(opts.projectDir, file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  const synchronous = opts.sqliteSynchronous ?? 'NORMAL';
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    compileSqlOnError: false,
    pool: {
      // One writer connection: SQLite serialises writes anyway, and :memory: must not be split.
      min: 1,
      max: 1,
      afterCreate: (conn: import('better-sqlite3').Database, done: (err: Error | null, c: unknown) => void) => {
        cacheStatements(conn);
        conn.pragma('journal_mode = WAL');
        conn.pragma(`synchronous = ${synchronous}`);
        conn.pragma('busy_timeout = 10000');
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
  return { knex, dialect: 'sqlite', describe: `SQLite ${file}` };
}

/** Any number, the same in every process: the PostgreSQL advisory lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 7_361_902_118;
const MIGRATION_LOCK_WAIT_MS = 60_000;

/**
 * Creates the schema when needed and brings the tables up to date. Several nodes may start at
 * once on one database: on PostgreSQL they take turns on an advisory lock (knex's own lock table
 * does not cover creating itself, nor CREATE SCHEMA); knex's "already locked" is waited out.
 */
export async function migrate(db: Db, schema?: string): Promise<void> {
  const run = async () => {
    if (db.dialect === 'pg' && schema) {
      await db.knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
    }
    // MariaDB/MySQL: the database is created by withMySQLLock, before the pool's first connection.
    await db.knex.migrate.latest({ migrationSource, schemaName: db.dialect === 'pg' ? schema : undefined });
  };
  const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
  for (;;) {
    try {
      if (db.dialect === 'mysql') return await withMySQLLock(db.knex, run);
      return await (db.dialect === 'pg' ? withAdvisoryLock(db.knex, MIGRATION_LOCK_KEY, run) : run());
    } catch (e) {
      if ((e as Error)?.name !== 'MigrationLocked' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Runs fn while holding a session advisory lock, on a connection of its own (so fn keeps the pool). */
async function withAdvisoryLock<T>(knex: Knex, key: number, fn: () => Promise<T>): Promise<T> {
  const { Client } = knex.client.driver as typeof import('pg');
  const { query_timeout: _none, ...settings } = knex.client.config.connection as import('pg').ClientConfig;
  const client = new Client(settings);
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    return await fn();
  } finally {
    // Closing the session releases the lock too.
    await client.end().catch(() => undefined);
  }
}

/**
 * MariaDB/MySQL: creates the database when missing (as PostgreSQL's schema above: a database is a
 * schema there), with utf8mb4 and the binary collation, then runs fn while holding a named lock
 * (GET_LOCK, the advisory lock's counterpart) on a connection of its own.
 */
async function withMySQLLock<T>(knex: Knex, fn: () => Promise<T>): Promise<T> {
  const mysql = knex.client.driver as MySQLDriver;
  const { database, ...settings } = knex.client.config.connection as Record<string, unknown>;
  const conn = mysql.createConnection(settings);
  conn.on('error', () => undefined);
  const query = (sql: string, values: unknown[] = []) =>
    new Promise<unknown>((resolve, reject) => conn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows))));
  try {
    const version = ((await query('SELECT VERSION() AS v')) as { v: string }[])[0].v;
    assertSupportedServer(version);
    const collation = binaryCollation(version);
    (knex.client as ReconflowMySQL).session.collation = collation;
    await query(`CREATE DATABASE IF NOT EXISTS \`${String(database).replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE ${collation}`);
    const lock = `reconflow_migrate:${database}`;
    const [{ got }] = (await query('SELECT GET_LOCK(?, ?) AS got', [lock, MIGRATION_LOCK_WAIT_MS / 1000])) as { got: number | null }[];
    if (got !== 1) throw new Error(`another node held the migration lock of ${database} for ${MIGRATION_LOCK_WAIT_MS / 1000} s`);
    return await fn();
  } finally {
    // Closing the session releases the lock too.
    await new Promise<void>((resolve) => conn.end(() => resolve()));
  }
}

/**
 * Refreshes PostgreSQL's planner statistics of the tables a recon reads and fills in batches. A
 * first load starts from empty tables; with statistics from then, the planner answered a batch
 * lookup (500 ids) by scanning the whole table, every batch: 20 ms a batch at 100,000 links,
 * 54 ms for open keys at 100,000 instances, growing with the table. ANALYZE samples a fixed number
 * of rows (tens of milliseconds); the reconciler calls this at the start of a run and each time
 * the rows it wrote have doubled. SQLite plans these lookups by index without statistics.
 */
export async function refreshReconStatistics(db: Db): Promise<void> {
  if (db.dialect !== 'pg') return;
  await db.knex.raw('ANALYZE link, managed_user, process_instance, task, decision');
}
