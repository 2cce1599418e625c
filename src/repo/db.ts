// Opens the repository: embedded SQLite by default, PostgreSQL when DATABASE_URL says so.
// This file and dialect.ts are the only places that know one backend from the other.
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { migrationSource } from '../../migrations';

export type Dialect = 'sqlite' | 'pg';

export interface Db {
  knex: Knex;
  dialect: Dialect;
  /** Human-readable location, for start-up logs (no password). */
  describe: string;
}

export interface DbOptions {
  /** `postgres://…` selects PostgreSQL; a file path or `:memory:` selects SQLite. */
  url?: string;
  /** PostgreSQL schema to use (tests and side-by-side deployments); created if missing. */
  schema?: string;
  /** Folder for the default SQLite file (var/ under it). */
  projectDir: string;
  poolMax?: number;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export function openDb(opts: DbOptions): Db {
  if (opts.url && isPostgresUrl(opts.url)) {
    const schema = opts.schema;
    const knex = knexFactory({
      client: 'pg',
      connection: opts.url,
      searchPath: schema ? [schema] : undefined,
      pool: {
        min: 0,
        max: opts.poolMax ?? 10,
        // A dropped connection must not take the process down; the pool discards it.
        afterCreate: (conn: { on: (e: string, f: (err: Error) => void) => void }, done: (err: Error | null, c: unknown) => void) => {
          conn.on('error', () => undefined);
          done(null, conn);
        },
      },
      acquireConnectionTimeout: 10000,
    });
    const safeUrl = opts.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    return { knex, dialect: 'pg', describe: `PostgreSQL ${safeUrl}${schema ? ` schema ${schema}` : ''}` };
  }
  let file = opts.url && opts.url.length > 0 ? opts.url.replace(/^sqlite:(\/\/)?/, '') : path.join(opts.projectDir, 'var', 'reconflow.sqlite');
  if (file !== ':memory:') {
    file = path.resolve(opts.projectDir, file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      // One writer connection: SQLite serialises writes anyway, and :memory: must not be split.
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma: (s: string) => unknown }, done: (err: Error | null, c: unknown) => void) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 10000');
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
  return { knex, dialect: 'sqlite', describe: `SQLite ${file}` };
}

/** Creates the schema when needed and brings the tables up to date. */
export async function migrate(db: Db, schema?: string): Promise<void> {
  if (db.dialect === 'pg' && schema) {
    await db.knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
  }
  await db.knex.migrate.latest({ migrationSource, schemaName: db.dialect === 'pg' ? schema : undefined });
}
