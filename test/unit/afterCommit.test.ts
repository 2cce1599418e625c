// afterCommit (src/repo/dialect.ts): what metrics count of a transaction is counted once it has
// committed, never for one that rolled back, and a savepoint waits for its outermost transaction.
import { afterCommit } from '../../src/repo/dialect';
import { createTestDb, TestDb } from '../helpers/db';

describe('afterCommit', () => {
  let db: TestDb;
  beforeAll(async () => { db = await createTestDb(); });
  afterAll(async () => { await db.destroy(); });
  const settle = () => new Promise((r) => setImmediate(r));

  it('runs after a commit, not before', async () => {
    const seen: string[] = [];
    await db.knex.transaction(async (trx) => {
      afterCommit(trx, () => seen.push('committed'));
      await trx.raw('SELECT 1');
      await settle();
      expect(seen).toEqual([]);
    });
    await settle();
    expect(seen).toEqual(['committed']);
  });

  it('never runs for a transaction that rolled back', async () => {
    const seen: string[] = [];
    await expect(
      db.knex.transaction(async (trx) => {
        afterCommit(trx, () => seen.push('committed'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await settle();
    expect(seen).toEqual([]);
  });

  it('in a savepoint, waits for the outer transaction and follows its fate', async () => {
    const seen: string[] = [];
    await expect(
      db.knex.transaction(async (trx) => {
        await trx.transaction(async (sp) => afterCommit(sp, () => seen.push('inner')));
        await settle();
        expect(seen).toEqual([]); // the savepoint is released, the transaction is not committed
        throw new Error('outer rolled back');
      }),
    ).rejects.toThrow('outer rolled back');
    await settle();
    expect(seen).toEqual([]);
    await db.knex.transaction(async (trx) => {
      await trx.transaction(async (sp) => afterCommit(sp, () => seen.push('inner')));
    });
    await settle();
    expect(seen).toEqual(['inner']);
  });
});
