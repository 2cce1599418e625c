// The job queue's SQL operations and worker loop on a real repository (SQLite or PostgreSQL).
import { Knex } from 'knex';
import { JobHandler } from '../../src/jobs/interfaces';
import { claimJob, claimJobs } from '../../src/jobs/sql/claimJob';
import { completeJob } from '../../src/jobs/sql/completeJob';
import { enqueueJob } from '../../src/jobs/sql/enqueueJob';
import { failJob } from '../../src/jobs/sql/failJob';
import { readJob } from '../../src/jobs/sql/queryJobs';
import { releaseNodeJobs } from '../../src/jobs/sql/releaseJob';
import { retryJob } from '../../src/jobs/sql/retryJob';
import { backoff, Worker } from '../../src/jobs/worker';
import { quietLogger } from '../../src/log';
import { createTestDb, TestDb } from '../helpers/db';

const opts = (workerId: string) => ({ workerId, concurrency: 1, pollMs: 10, lockMs: 60_000, backoffBaseMs: 1, backoffCapMs: 5 });

describe('job queue', () => {
  let db: TestDb;
  beforeEach(async () => { db = await createTestDb(); });
  afterEach(async () => { await db.destroy(); });

  const jobs = () => db.knex('job').select('*').orderBy('id');

  it('enqueue is idempotent on its key', async () => {
    await enqueueJob(db.knex, { key: 'createUser:1', type: 'createUser', payload: { a: 1 } });
    await enqueueJob(db.knex, { key: 'createUser:1', type: 'createUser', payload: { a: 2 } });
    const rows = await jobs();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].payload)).toEqual({ a: 1 });
  });

  it('claims due jobs only, each once, and reclaims an expired lock', async () => {
    const now = Date.now();
    await enqueueJob(db.knex, { key: 'a', type: 't', payload: {} }, now);
    await enqueueJob(db.knex, { key: 'later', type: 't', payload: {}, runAt: now + 60_000 }, now);
    const first = await claimJob(db.knex, 'w1', 1_000, ['t'], now);
    expect(first?.key).toBe('a');
    expect(first?.attempts).toBe(1);
    expect(await claimJob(db.knex, 'w2', 1_000, ['t'], now)).toBeNull();
    // w1 died: after its lock expires, w2 takes the job over, and w1 can no longer complete it.
    const taken = await claimJob(db.knex, 'w2', 1_000, ['t'], now + 2_000);
    expect(taken).toMatchObject({ key: 'a', lockedBy: 'w2', attempts: 2 });
    expect(await completeJob(db.knex, first!.id, 'w1', null)).toBe(false);
    expect(await completeJob(db.knex, first!.id, 'w2', { ok: true })).toBe(true);
    expect((await readJob(db.knex, first!.id))?.state).toBe('done');
  });

  it('lock expiry and due times are database time: a node whose clock runs 30 s ahead steals no live job', async () => {
    const realNow = Date.now.bind(Date);
    const skewed = (ms: number) => jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
    await enqueueJob(db.knex, { key: 'live', type: 't', payload: {} });
    const held = await claimJob(db.knex, 'w1', 20_000, ['t']); // a live worker holds it for 20 s
    expect(held?.lockedBy).toBe('w1');
    let spy = skewed(30_000);
    try {
      expect(await claimJob(db.knex, 'w2', 20_000, ['t'])).toBeNull();
      // A job the skewed node enqueues, or backs off, is due by the database's clock, not 30 s late.
      await enqueueJob(db.knex, { key: 'fresh', type: 't', payload: {} });
      expect(await failJob(db.knex, held!.id, 'w1', 'boom', Date.now() + 1)).toBe('queued');
    } finally {
      spy.mockRestore();
    }
    await new Promise((r) => setTimeout(r, 20));
    const due = await claimJobs(db.knex, 'w3', 20_000, ['t'], 10);
    expect(due.map((j) => j.key).sort()).toEqual(['fresh', 'live']);
    // A node 30 s behind does not see a lock as longer than it is either: the lock ends when the database says.
    spy = skewed(-30_000);
    try {
      await db.knex('job').where({ key: 'fresh' }).update({ locked_until: db.knex.raw('locked_until - 20001') }); // ended 1 ms before the claim's time, which may fall in the same ms
      expect((await claimJob(db.knex, 'w4', 20_000, ['t']))?.key).toBe('fresh');
    } finally {
      spy.mockRestore();
    }
  });

  it('fails with backoff, dies after max attempts, and an admin retry queues it again', async () => {
    await enqueueJob(db.knex, { key: 'x', type: 't', payload: {}, maxAttempts: 2 });
    let job = await claimJob(db.knex, 'w', 1_000, ['t']);
    expect(await failJob(db.knex, job!.id, 'w', 'boom 1', Date.now() + 50_000)).toBe('queued');
    expect(await claimJob(db.knex, 'w', 1_000, ['t'])).toBeNull(); // backing off
    job = await claimJob(db.knex, 'w', 1_000, ['t'], Date.now() + 60_000);
    expect(await failJob(db.knex, job!.id, 'w', 'boom 2', Date.now())).toBe('dead');
    expect(await readJob(db.knex, job!.id)).toMatchObject({ state: 'dead', lastError: 'boom 2', attempts: 2 });
    expect(await retryJob(db.knex, job!.id)).toBe(true);
    expect(await readJob(db.knex, job!.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await retryJob(db.knex, job!.id)).toBe(false);
  });

  it("re-queues the jobs an earlier process of this node held, by the node's prefix taken literally (_ % \\ match only themselves)", async () => {
    const node = 'n_1%\\';
    for (const [key, by] of [['mine-before', `${node}/old`], ['other-node', 'nx1%\\/old'], ['like-node', 'n_1x\\/old'], ['me-now', `${node}/me`]]) {
      await enqueueJob(db.knex, { key, type: 't', payload: {} }, 1000);
      await db.knex('job').where({ key }).update({ state: 'running', locked_by: by, locked_until: 1_000_000 });
    }
    expect(await releaseNodeJobs(db.knex, node, `${node}/me`, 2000)).toBe(1);
    const queued = await db.knex('job').where({ state: 'queued' }).pluck('key');
    expect(queued).toEqual(['mine-before']);
  });

  it('a worker that cannot re-queue its node\'s earlier jobs, or claim, says so and works once it can', async () => {
    const lines: { level: string; msg: string }[] = [];
    const log = { info: (msg: string) => void lines.push({ level: 'info', msg }), warn: (msg: string) => void lines.push({ level: 'warn', msg }), error: (msg: string) => void lines.push({ level: 'error', msg }) };
    await enqueueJob(db.knex, { key: 'held', type: 'effect', payload: {} }, 1000);
    await db.knex('job').update({ state: 'running', locked_by: 'n1/old', locked_until: Date.now() + 60_000 });
    await db.knex.schema.renameTable('job', 'job_away'); // every statement on job fails
    const done: string[] = [];
    const w = new Worker(db.knex, { effect: async () => void done.push('ran') }, { ...opts('n1/new'), nodeId: 'n1', pollMs: 20 }, log);
    w.start();
    const until = Date.now() + 20_000;
    // The release (retried) and the claim loops fail side by side: wait for both to have said so.
    const claimFailed = () => lines.some((l) => /claiming or running jobs failed|job worker error/.test(l.msg));
    while (Date.now() < until && !(lines.some((l) => l.level === 'error' && /re-queue/.test(l.msg)) && claimFailed())) await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.msg.includes('re-queueing')).length).toBeGreaterThan(0);
    expect(lines.find((l) => l.level === 'error' && /re-queue/.test(l.msg))?.msg).toMatch(/cannot re-queue the jobs an earlier process of node n1 left running: they run again when their locks expire/);
    expect(claimFailed()).toBe(true);
    await db.knex.schema.renameTable('job_away', 'job');
    await db.knex('job').update({ state: 'queued', locked_by: null, locked_until: null, run_at: 0 });
    while (Date.now() < until && !done.length) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(done).toEqual(['ran']);
    expect(lines.some((l) => l.msg === 'job worker: claiming jobs works again')).toBe(true);
  });

  it('backoff grows exponentially up to the cap', () => {
    const o = { backoffBaseMs: 1000, backoffCapMs: 8000 };
    expect(backoff(1, o)).toBeLessThanOrEqual(1250);
    expect(backoff(3, o)).toBeGreaterThanOrEqual(3000);
    expect(backoff(20, o)).toBeLessThanOrEqual(10000);
  });

  it('the worker commits the handler effects and the completion together, or neither', async () => {
    await db.knex.schema.createTable('effect', (t) => t.string('key').primary());
    let failNext = true;
    const handler: JobHandler = async (trx: Knex.Transaction, payload) => {
      await trx('effect').insert({ key: String(payload.k) });
      if (failNext) {
        failNext = false;
        throw new Error('transient');
      }
      return { inserted: payload.k };
    };
    await enqueueJob(db.knex, { key: 'e1', type: 'effect', payload: { k: 'one' } });
    const w = new Worker(db.knex, { effect: handler }, opts('w'), quietLogger);
    expect(await w.runOne()).toBe(true); // fails: its insert is rolled back
    expect(await db.knex('effect').count({ n: '*' }).then((r) => Number(r[0].n))).toBe(0);
    await db.knex('job').update({ run_at: 0 });
    expect(await w.runOne()).toBe(true);
    expect(await db.knex('effect').pluck('key')).toEqual(['one']);
    expect((await jobs())[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(await w.runOne()).toBe(false);
  });

  it('several workers share the work and no job completes twice', async () => {
    await db.knex.schema.createTable('effect', (t) => t.string('key').primary());
    for (let i = 0; i < 60; i++) await enqueueJob(db.knex, { key: `k${i}`, type: 'effect', payload: { k: i } });
    const runs: string[] = [];
    const handler = (who: string): JobHandler => async (trx, payload) => {
      runs.push(who);
      await trx('effect').insert({ key: String(payload.k) });
    };
    const workers = ['a', 'b', 'c'].map((w) => new Worker(db.knex, { effect: handler(w) }, { ...opts(w), concurrency: 2 }, quietLogger));
    workers.forEach((w) => w.start());
    const until = Date.now() + 20_000;
    while (Date.now() < until && Number((await db.knex('job').where({ state: 'done' }).count({ n: '*' }))[0].n) < 60) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(workers.map((w) => w.stop()));
    expect(await db.knex('effect').count({ n: '*' }).then((r) => Number(r[0].n))).toBe(60);
    expect(runs).toHaveLength(60);
    if (db.dialect === 'pg') expect(new Set(runs).size).toBeGreaterThan(1);
  });
  it('nudges wake sleeping loops without waiting for their poll, and idle polls leave nothing behind', async () => {
    const done: number[] = [];
    const w = new Worker(db.knex, { effect: async (_trx, payload) => void done.push(Number(payload.k)) }, { ...opts('n'), concurrency: 3, pollMs: 60_000 }, quietLogger);
    w.start();
    await new Promise((r) => setTimeout(r, 200)); // every loop found nothing and sleeps for a minute
    for (let i = 0; i < 3; i++) await enqueueJob(db.knex, { key: `n${i}`, type: 'effect', payload: { k: i } });
    const nudgedAt = Date.now();
    for (let i = 0; i < 3; i++) w.nudge();
    while (done.length < 3 && Date.now() - nudgedAt < 10_000) await new Promise((r) => setTimeout(r, 10));
    expect(done.sort()).toEqual([0, 1, 2]);
    await w.stop();
    // Each sleep used to wrap the previous wake-up: a chain that every nudge walked, growing forever.
    const idle = new Worker(db.knex, { effect: async () => undefined }, { ...opts('i'), concurrency: 2, pollMs: 1 }, quietLogger);
    idle.start();
    await new Promise((r) => setTimeout(r, 300));
    expect((idle as unknown as { sleepers: Set<unknown> }).sleepers.size).toBeLessThanOrEqual(2);
    await idle.stop();
    expect((idle as unknown as { sleepers: Set<unknown> }).sleepers.size).toBe(0);
  });
  it('after a partial batch a loop sleeps instead of claiming an empty queue again, and a nudge while every loop is busy is not lost', async () => {
    let claims = 0;
    // The claim: PostgreSQL's function, SQLite's UPDATE, MariaDB's locking SELECT.
    const count = (q: { sql: string }) => void (/reconflow_claim_jobs|UPDATE job SET state = 'running'|FOR UPDATE SKIP LOCKED/i.test(q.sql) && claims++);
    db.knex.on('query', count);
    const done: string[] = [];
    let sleepsSinceP2 = -1;
    let sleepsBeforeP3 = -1;
    const w: Worker = new Worker(db.knex, {
      effect: async (trx, payload) => {
        done.push(String(payload.k));
        if (payload.k === 'p2') {
          // A job that enqueues another: its nudge comes while the only loop is busy (with this job).
          await enqueueJob(trx, { key: 'p3', type: 'effect', payload: { k: 'p3' } });
          w.nudge();
          sleepsSinceP2 = 0;
        }
        if (payload.k === 'p3') sleepsBeforeP3 = sleepsSinceP2;
      },
    }, { ...opts('p'), concurrency: 1, claimBatch: 8, pollMs: 60_000 }, quietLogger);
    const sleep = (w as unknown as { sleep: (ms: number) => Promise<void> }).sleep.bind(w);
    (w as unknown as { sleep: (ms: number) => Promise<void> }).sleep = (ms) => {
      if (sleepsSinceP2 >= 0) sleepsSinceP2++;
      return sleep(ms);
    };
    const until = async (pred: () => boolean) => {
      const t0 = Date.now();
      while (!pred() && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      w.start();
      await until(() => claims === 1); // found nothing, sleeps
      await new Promise((r) => setTimeout(r, 50));
      claims = 0;
      await enqueueJob(db.knex, { key: 'p1', type: 'effect', payload: { k: 'p1' } });
      w.nudge();
      await until(() => done.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      // One claim took the job; the loop did not claim again right after (it used to: a second, empty claim per job).
      expect(claims).toBe(1);
      await enqueueJob(db.knex, { key: 'p2', type: 'effect', payload: { k: 'p2' } });
      w.nudge();
      await until(() => done.length === 3);
      // p3 ran right after p2: the loop claimed again instead of sleeping.
      expect(done).toEqual(['p1', 'p2', 'p3']);
      expect(sleepsBeforeP3).toBe(0);
    } finally {
      db.knex.off('query', count);
      await w.stop();
    }
  });

  it('claims a batch in due order, each job once, and a batching worker runs every job once', async () => {
    const now = Date.now();
    for (let i = 0; i < 7; i++) await enqueueJob(db.knex, { key: `b${i}`, type: 't', payload: { i }, runAt: now - 1_000 + (6 - i) * 10 });
    const first = await claimJobs(db.knex, 'w1', 60_000, ['t'], 3, now);
    expect(first.map((j) => j.payload.i)).toEqual([6, 5, 4]);
    const second = await claimJobs(db.knex, 'w2', 60_000, ['t'], 10, now);
    expect(second.map((j) => j.payload.i)).toEqual([3, 2, 1, 0]);
    expect(await claimJobs(db.knex, 'w3', 60_000, ['t'], 10, now)).toEqual([]);

    await db.knex.schema.createTable('batch_effect', (t) => t.integer('k').primary());
    for (let i = 0; i < 25; i++) await enqueueJob(db.knex, { key: `e${i}`, type: 'effect', payload: { k: i } });
    const w = new Worker(db.knex, { effect: async (trx, payload) => void (await trx('batch_effect').insert({ k: payload.k })) }, { ...opts('batcher'), concurrency: 2, claimBatch: 4 }, quietLogger);
    w.start();
    const until = Date.now() + 10_000;
    while (Date.now() < until && Number((await db.knex('job').where({ type: 'effect', state: 'done' }).count({ n: '*' }))[0].n) < 25) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(Number((await db.knex('batch_effect').count({ n: '*' }))[0].n)).toBe(25);
    expect(await db.knex('job').where({ type: 'effect' }).whereNot({ state: 'done' })).toEqual([]);
  });
});
