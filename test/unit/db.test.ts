import { createTestDb, TestDb } from '../helpers/db';

describe('repository migrations', () => {
  let db: TestDb;
  beforeAll(async () => { db = await createTestDb(); });
  afterAll(async () => { await db.destroy(); });

  it('creates every table', async () => {
    for (const table of ['managed_user', 'internal_user', 'internal_role', 'link', 'recon_run', 'recon_audit',
      'process_definition', 'process_instance', 'task', 'decision', 'job']) {
      expect(await db.knex.schema.hasTable(table)).toBe(true);
    }
  });

  it('allows one ACTIVE recon run per mapping', async () => {
    const row = (id: string, state: string) => ({ id, mapping: 'm', state, stage: 'X', started: new Date().toISOString() });
    await db.knex('recon_run').insert(row('a', 'ACTIVE'));
    await db.knex('recon_run').insert(row('b', 'SUCCESS'));
    let inserted = false;
    try {
      await db.knex('recon_run').insert(row('c', 'ACTIVE'));
      inserted = true;
    } catch {
      /* expected */
    }
    if (inserted) console.error('DIAG', JSON.stringify(await db.knex('recon_run').select('*')), JSON.stringify(await db.knex.raw("select name, sql from sqlite_master where type='index' and tbl_name='recon_run'")), db.describe);
    expect(inserted).toBe(false);
  });
});
