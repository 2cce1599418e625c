// The SQLite connections keep prepared statements (src/repo/sqliteStatements.ts): knex's queries
// reuse them, and reusing them must never change what a query returns.
import { openDb, type Db } from '../../src/repo/db';
import { sqliteStatementStats, STATEMENT_CACHE_SIZE } from '../../src/repo/sqliteStatements';

describe('SQLite statement cache', () => {
  let db: Db;
  beforeEach(async () => {
    db = openDb({ url: ':memory:', projectDir: '/tmp' });
    await db.knex.schema.createTable('t', (t) => {
      t.increments('id');
      t.string('name');
    });
  });
  afterEach(() => db.knex.destroy());

  it("serves knex's repeated queries from the cache (fails if knex stops preparing through the connection)", async () => {
    await db.knex('t').insert({ name: 'a' });
    const before = { ...sqliteStatementStats };
    for (let i = 0; i < 20; i++) expect(await db.knex('t').where({ id: 1 }).first()).toEqual({ id: 1, name: 'a' });
    expect(sqliteStatementStats.prepared - before.prepared).toBe(1);
    expect(sqliteStatementStats.reused - before.reused).toBe(19);
  });

  it('answers repeated reads and writes with fresh bindings each time', async () => {
    for (let i = 0; i < 5; i++) {
      const [id] = await db.knex('t').insert({ name: `n${i}` });
      expect(id).toBe(i + 1);
      expect(await db.knex('t').where({ id }).first()).toEqual({ id, name: `n${i}` });
    }
    expect(await db.knex('t').where('id', '>', 2).update({ name: 'x' })).toBe(3);
    expect((await db.knex('t').where({ name: 'x' })).map((r) => r.id)).toEqual([3, 4, 5]);
  });

  it('keeps working past the cache size (least recently used statements are dropped)', async () => {
    await db.knex('t').insert({ name: 'a' });
    for (let i = 0; i < STATEMENT_CACHE_SIZE + 50; i++) {
      // A different SQL text each time: the IN list grows.
      const ids = Array.from({ length: i + 1 }, (_, k) => k + 1);
      expect(await db.knex('t').whereIn('id', ids).count({ n: '*' })).toEqual([{ n: 1 }]);
    }
    expect(await db.knex('t').whereIn('id', [1]).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('sees schema changes made after a statement was cached', async () => {
    await db.knex('t').insert({ name: 'a' });
    expect(await db.knex('t').select('*')).toEqual([{ id: 1, name: 'a' }]);
    await db.knex.schema.alterTable('t', (t) => t.string('extra').defaultTo('e'));
    expect(await db.knex('t').select('*')).toEqual([{ id: 1, name: 'a', extra: 'e' }]);
  });

  it('honours safeIntegers on a query without changing the shared statement', async () => {
    await db.knex('t').insert({ name: 'a' });
    const big = await db.knex('t').select('id').options({ safeIntegers: true });
    expect(big).toEqual([{ id: 1n }]);
    expect(await db.knex('t').select('id')).toEqual([{ id: 1 }]);
  });
});
