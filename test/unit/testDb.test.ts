// test/helpers/db.ts leaves nothing behind: a destroyed test database is gone, on MariaDB even
// while another pool still has a transaction open in it (DROP DATABASE would wait for its metadata
// locks, past the test's timeout, and the database leaked).
import { openDb } from '../../src/repo/db';
import { createTestDb } from '../helpers/db';

describe('test databases', () => {
  it('destroy() drops the database, even with another pool in a transaction there (MariaDB)', async () => {
    const db = await createTestDb();
    const name = db.env.DATABASE_URL.startsWith('mysql') ? new URL(db.env.DATABASE_URL).pathname.slice(1) : null;
    const other = name ? openDb({ url: db.env.DATABASE_URL, projectDir: process.cwd() }) : null;
    let open: Promise<unknown> | undefined;
    let release = () => undefined as void;
    if (other) {
      // A transaction that read a table and never ends: it holds that table's metadata lock.
      open = other.knex.transaction(async (trx) => {
        await trx('job').select('id');
        await new Promise<void>((r) => (release = r));
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    await db.destroy();
    if (name) {
      const admin = openDb({ url: db.env.DATABASE_URL.replace(`/${name}`, '/information_schema'), projectDir: process.cwd(), poolMax: 1 });
      const [rows] = (await admin.knex.raw('SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?', [name])) as unknown as [unknown[]];
      await admin.knex.destroy();
      expect(rows).toEqual([]);
      release();
      await open;
      await other!.knex.destroy();
    }
  });
});
