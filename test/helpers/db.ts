// A fresh, migrated repository per test file: an SQLite temp file, a PostgreSQL schema (when
// DATABASE_URL is postgres://…) or a MariaDB/MySQL database (mysql://…, mariadb://…) that is
// dropped afterwards.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Db, isMySQLUrl, isPostgresUrl, migrate, openDb } from '../../src/repo/db';

export interface TestDb extends Db {
  /** What a child server process needs to reach the same data. */
  env: { DATABASE_URL: string; DATABASE_SCHEMA?: string };
  destroy(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  if (url && isPostgresUrl(url)) {
    const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
    const db = openDb({ url, schema, projectDir: process.cwd() });
    await migrate(db, schema);
    return {
      ...db,
      env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
      async destroy() {
        await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
        await db.knex.destroy();
      },
    };
  }
  if (url && isMySQLUrl(url)) {
    // A database of its own, named in the URL the child processes get (migrate creates it).
    const name = `reconflow_t_${crypto.randomBytes(6).toString('hex')}`;
    const u = new URL(url);
    u.pathname = `/${name}`;
    const own = u.toString();
    const db = openDb({ url: own, projectDir: process.cwd() });
    // Dropped through a connection of its own: the database's pool may be the one that failed (a
    // migration, a test that broke its connections), and it is closed whatever the drop answers.
    const drop = async () => {
      const admin = openDb({ url, schema: 'information_schema', projectDir: process.cwd(), poolMax: 1 });
      try {
        // Sessions still in it (a second pool, a child server, a transaction left open) would hold
        // the metadata locks DROP DATABASE waits for (lock_wait_timeout: a year by default). The
        // database is this test file's alone, so are they.
        const [sessions] = (await admin.knex.raw('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [name])) as unknown as [{ id: number }[]];
        for (const { id } of sessions) await admin.knex.raw(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
        await admin.knex.raw('DROP DATABASE IF EXISTS ??', [name]);
      } finally {
        await admin.knex.destroy();
      }
    };
    try {
      await migrate(db); // creates the database
    } catch (e) {
      await db.knex.destroy().catch(() => undefined);
      await drop().catch(() => undefined);
      throw e;
    }
    return {
      ...db,
      env: { DATABASE_URL: own },
      async destroy() {
        try {
          await drop();
        } finally {
          await db.knex.destroy().catch(() => undefined);
        }
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-test-'));
  const file = path.join(dir, 'test.sqlite');
  const db = openDb({ url: file, projectDir: dir });
  await migrate(db);
  return {
    ...db,
    env: { DATABASE_URL: file },
    async destroy() {
      await db.knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
