// Named statements on PostgreSQL (src/repo/pgStatements.ts): prepared once per connection, answers
// unchanged, and never more than STATEMENTS_PER_CONNECTION of them kept on the server.
import { Client } from 'pg';
import { nameStatements, shouldRetire, STATEMENTS_PER_CONNECTION } from '../../../src/repo/pgStatements';
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

  it("names knex's statements (fails if knex stops querying through the connection's query), reuses them with fresh bindings, and keeps the server-side count bounded", async () => {
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

  it('keeps a connection to its size and has the pool retire it once it dropped many names (node-pg remembers each name it parsed)', async () => {
    const c = new Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try {
      nameStatements(c, 3, 5);
      const named = async () => Number((await c.query("select count(*) as n from pg_prepared_statements where name like 'rf%'")).rows[0].n);
      const run = (i: number) => new Promise((resolve, reject) => c.query({ text: `select $1::int + ${i} as v`, values: [1] } as never, (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))));
      await run(0);
      await run(0);
      expect(await named()).toBe(1);
      for (let i = 1; i <= 7; i++) await run(i); // 8 names made, 5 dropped
      expect(await named()).toBe(3);
      expect(shouldRetire(c)).toBe(true);
    } finally {
      await c.end();
    }
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
