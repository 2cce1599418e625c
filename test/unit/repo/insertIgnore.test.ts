// Insert-unless-present (knex's .onConflict().ignore()) skips a row whose key is taken and nothing
// else, on every backend: on MariaDB it is not INSERT IGNORE, which cuts a too long value (and
// turns every other error into a warning) where SQLite and PostgreSQL store it whole or refuse it.
import { enqueueJob } from '../../../src/jobs/sql/enqueueJob';
import { insertInternalUserIfMissing } from '../../../src/repo/internalUsers';
import { createTestDb, TestDb } from '../../helpers/db';

describe('insert unless the key is taken', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.destroy());

  it('a taken key is skipped, the row already there left as it was', async () => {
    await enqueueJob(db.knex, { key: 'k1', type: 'first', payload: {} });
    await enqueueJob(db.knex, { key: 'k1', type: 'second', payload: {} });
    expect((await db.knex('job').where({ key: 'k1' })).map((r: { type: string }) => r.type)).toEqual(['first']);
  });

  it('a value longer than its column is refused or stored whole, never cut', async () => {
    const long = 'x'.repeat(300); // job.type is 255 characters
    const stored = await enqueueJob(db.knex, { key: 'k2', type: long, payload: {} }).then(() => true, () => false);
    const rows: { type: string }[] = await db.knex('job').where({ key: 'k2' });
    expect(rows.map((r) => r.type)).toEqual(stored ? [long] : []);
    if (db.dialect !== 'sqlite') expect(stored).toBe(false); // SQLite does not bound text lengths
  });

  it('insertInternalUserIfMissing leaves a user already there as it was', async () => {
    const row = { id: 'u1', rev: '0', passwordHash: 'h1', authzRoles: [] };
    expect(await insertInternalUserIfMissing(db.knex, row)).toBe(true);
    await insertInternalUserIfMissing(db.knex, { ...row, passwordHash: 'h2' });
    expect((await db.knex('internal_user').where({ id: 'u1' }).first()).password_hash).toBe('h1');
  });
});
