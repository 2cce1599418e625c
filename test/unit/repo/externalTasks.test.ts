// The external task lock SQL on the backend DATABASE_URL selects: concurrent fetches never lock the
// same row twice (FOR UPDATE SKIP LOCKED on PostgreSQL), an expired lock is taken over, a failure
// with retries left hides the task for its retry timeout and one without retries hides it until an
// operator gives it retries, only the holder of an unexpired lock extends it, and a completion's
// guard (worker and rev) fails once the lock changed hands.
import * as rows from '../../../src/repo/externalTasks';
import { createTestDb, TestDb } from '../../helpers/db';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('external_task lock SQL', () => {
  let db: TestDb;
  let seq = 0;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.destroy());
  beforeEach(() => db.knex('external_task').delete());

  const add = async (n: number, over: Partial<rows.NewExternalTask> = {}) => {
    const batch: rows.NewExternalTask[] = [];
    for (let i = 0; i < n; i++) {
      seq++;
      batch.push({ processInstanceId: seq, definitionId: 'p:1', definitionKey: 'p', businessKey: `bk-${seq}`, activityId: 'a', executionId: `a_${seq}`, topicName: 'topic', priority: 0, createTime: new Date().toISOString(), ...over });
    }
    await rows.insertExternalTasks(db.knex, batch);
  };
  const lock = (worker: string, limit: number, topic: Partial<rows.FetchTopic> = {}, usePriority = false) =>
    rows.lockExternalTasks(db.knex, worker, { topicName: 'topic', lockMs: 60_000, ...topic }, limit, { usePriority });

  it('concurrent fetches lock each task exactly once', async () => {
    await add(60);
    await add(5, { topicName: 'other' });
    const rounds = await Promise.all(Array.from({ length: 12 }, (_, i) => lock(`w${i}`, 7)));
    const ids = rounds.flat().map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const rest = await lock('late', 100);
    expect(ids.length + rest.length).toBe(60);
    expect(new Set([...ids, ...rest.map((t) => t.id)]).size).toBe(60);
    expect(rounds.flat().every((t) => t.topicName === 'topic' && t.workerId !== null && t.lockExpiration! > Date.now() - 5_000)).toBe(true);
    expect(await lock('again', 100)).toEqual([]);
  });

  it('filters by business key and orders by priority when asked', async () => {
    await add(1, { priority: 1 });
    await add(1, { priority: 9 });
    await add(1, { priority: 5, businessKey: 'special' });
    expect((await lock('w', 1, { businessKey: 'special' })).map((t) => t.businessKey)).toEqual(['special']);
    expect((await lock('w', 5, {}, true)).map((t) => t.priority)).toEqual([9, 1]);
  });

  it('an expired lock is taken over; the first holder\'s completion guard then fails', async () => {
    await add(1);
    const [first] = await lock('slow', 1, { lockMs: 1 });
    await sleep(30);
    const [taken] = await lock('fast', 1);
    expect(taken.id).toBe(first.id);
    expect(taken.rev).toBeGreaterThan(first.rev);
    expect(await rows.extendExternalTaskLock(db.knex, first.id, 'slow', 60_000)).toBe(false);
    expect(await rows.deleteHeldExternalTask(db.knex, first.id, 'slow', first.rev)).toBe(false);
    expect(await rows.deleteHeldExternalTask(db.knex, taken.id, 'fast', taken.rev)).toBe(true);
    expect(await rows.readExternalTask(db.knex, taken.id)).toBeNull();
  });

  it('only the holder of an unexpired lock extends it', async () => {
    await add(1);
    const [t] = await lock('holder', 1, { lockMs: 60_000 });
    expect(await rows.extendExternalTaskLock(db.knex, t.id, 'someone', 600_000)).toBe(false);
    expect(await rows.extendExternalTaskLock(db.knex, t.id, 'holder', 600_000)).toBe(true);
    expect((await rows.readExternalTask(db.knex, t.id))!.lockExpiration!).toBeGreaterThan(t.lockExpiration! + 500_000);
    await rows.unlockExternalTask(db.knex, t.id);
    expect(await rows.extendExternalTaskLock(db.knex, t.id, 'holder', 600_000)).toBe(false);
  });

  it('a failure hides the task for its retry timeout; no retries left hides it until retries are set', async () => {
    await add(1);
    const [t] = await lock('w', 1);
    expect(await rows.recordExternalTaskFailure(db.knex, t.id, 'other', { retries: 2, errorMessage: 'x', errorDetails: null, retryTimeoutMs: 0, failedAt: 'now' })).toBe(false);
    expect(await rows.recordExternalTaskFailure(db.knex, t.id, 'w', { retries: 2, errorMessage: 'down', errorDetails: 'trace', retryTimeoutMs: 200, failedAt: new Date().toISOString() })).toBe(true);
    expect(await lock('w2', 1)).toEqual([]);
    await sleep(250);
    const [again] = await lock('w2', 1);
    expect(again).toMatchObject({ id: t.id, retries: 2, errorMessage: 'down', errorDetails: 'trace', workerId: 'w2' });
    await rows.recordExternalTaskFailure(db.knex, t.id, 'w2', { retries: 0, errorMessage: 'gave up', errorDetails: null, retryTimeoutMs: 0, failedAt: new Date().toISOString() });
    expect(await lock('w3', 1)).toEqual([]);
    expect(await rows.lockExternalTask(db.knex, t.id, 'w3', 1000)).toBe(false);
    expect((await rows.externalTasksWithoutRetries(db.knex, 10)).map((x) => x.id)).toEqual([t.id]);
    expect(await rows.setExternalTaskRetries(db.knex, t.id, 1)).toBe(true);
    expect((await lock('w3', 1)).map((x) => x.id)).toEqual([t.id]);
  });
});
