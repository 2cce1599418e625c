// Named statements on PostgreSQL (src/repo/pgClient.ts): prepared once per connection, answers
// unchanged, and never more than STATEMENTS_PER_CONNECTION of them kept on the server.
import { STATEMENTS_PER_CONNECTION } from '../../../src/repo/pgClient';
import { createTestDb, type TestDb } from '../../helpers/db';

const onPg = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');

(onPg ? describe : describe.skip)('PostgreSQL named statements', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.destroy());

  const prepared = async (trx: { raw: (sql: string) => Promise<{ rows: { n: string }[] }> }) =>
    Number((await trx.raw("select count(*) as n from pg_prepared_statements where name like 'rf%'")).rows[0].n);

  it('reuses a statement with fresh bindings, and keeps the server-side count bounded', async () => {
    await db.knex.transaction(async (trx) => {
      for (let i = 0; i < 5; i++) expect((await trx.raw('select ?::int * 2 as v', [i])).rows).toEqual([{ v: i * 2 }]);
      const before = await prepared(trx);
      for (let i = 0; i < STATEMENTS_PER_CONNECTION + 60; i++) {
        // A different text each time: a new name, and the oldest ones deallocated.
        expect((await trx.raw(`select ?::int + ${i} as v`, [1])).rows).toEqual([{ v: i + 1 }]);
      }
      expect(await prepared(trx)).toBeLessThanOrEqual(STATEMENTS_PER_CONNECTION);
      expect(await prepared(trx)).toBeGreaterThan(before);
      // The first statement was evicted long ago: prepared again, same answer.
      expect((await trx.raw('select ?::int * 2 as v', [21])).rows).toEqual([{ v: 42 }]);
    });
  });

  it('survives a failing statement inside a transaction', async () => {
    await expect(db.knex.transaction((trx) => trx.raw('select 1 / ?::int as v', [0]))).rejects.toThrow(/division by zero/);
    expect((await db.knex.raw('select 1 / ?::int as v', [1])).rows).toEqual([{ v: 1 }]);
  });
  it('re-prepares a statement whose table changed shape under it (another node migrated)', async () => {
    await db.knex.schema.createTable('shape', (t) => t.string('a'));
    await db.knex('shape').insert({ a: 'x' });
    await db.knex.transaction(async (trx) => {
      expect(await trx('shape').select('*')).toEqual([{ a: 'x' }]);
      await trx.schema.alterTable('shape', (t) => t.string('b').defaultTo('y'));
    });
    // The pool may hand out the connection that prepared the old shape: at most one failure, then the new shape.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 12; i++) outcomes.push(await db.knex('shape').select('*').catch((e: { code?: string }) => e.code));
    expect(outcomes.filter((o) => o === '0A000').length).toBeLessThanOrEqual(10);
    expect(outcomes[outcomes.length - 1]).toEqual([{ a: 'x', b: 'y' }]);
  });
});
