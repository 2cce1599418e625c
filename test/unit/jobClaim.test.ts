// The job claim after 100,000 finished jobs and no VACUUM (autovacuum may be off, as on the bench
// machine): it reads through the partial indexes in due order (migration 20261207000028), and still
// takes exactly the due jobs and the expired locks, in due order, each once.
import { claimJobs, claimStatement } from '../../src/jobs/sql/claimJob';
import { completeJob } from '../../src/jobs/sql/completeJob';
import { dialectOf } from '../../src/repo/dialect';
import { createTestDb, TestDb } from '../helpers/db';

describe('job claim over many finished jobs', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    // 100,000 jobs that went queued → running → done, by set-based SQL: every step leaves a dead row
    // version behind on PostgreSQL (no vacuum runs here), named by the partial indexes until skipped.
    // MariaDB: `key` is a reserved word, || is OR, and a recursive CTE stops at 1,000 rows (so digits).
    const mysql = db.dialect === 'mysql';
    await db.knex.raw(`
      INSERT INTO job (${mysql ? '`key`' : 'key'}, type, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
      WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 9),
        s(g) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n FROM d a, d b, d c, d e, d f)
      SELECT ${mysql ? "CONCAT('old:', g)" : "'old:' || g"}, 't', '{}', 'queued', 0, 8, g, 'x', 'x' FROM s`);
    await db.knex.raw(`UPDATE job SET state = 'running', locked_by = 'gone', locked_until = run_at + 1000, attempts = 1`);
    await db.knex.raw(`UPDATE job SET state = 'done', locked_by = NULL, locked_until = NULL, result = 'null'`);
  }, 120_000);
  afterAll(async () => { await db.destroy(); });

  it('plans both probes on the partial indexes (EXPLAIN names them)', async () => {
    let plan: string;
    if (db.dialect === 'pg') {
      // What runs is the body of reconflow_claim_jobs, with its own enable_bitmapscan = off. EXPLAIN
      // that stored body, its parameters as $n, planned as the function plans it: generic (without
      // the values), under the same setting; the function is checked to carry the setting.
      const fn = (await db.knex.raw(`SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'reconflow_claim_jobs' AND pronamespace = current_schema()::regnamespace`)).rows;
      expect(fn).toHaveLength(1);
      expect(fn[0].proconfig).toEqual(['enable_bitmapscan=off']);
      const names = ['worker', 'lock_ms', 'types', 'lim', 'now_ms', 'updated'];
      const body = names.reduce((b: string, n, i) => b.replace(new RegExp(`\\b${n}\\b`, 'g'), () => `$${i + 1}`), fn[0].prosrc);
      plan = await db.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_bitmapscan = off');
        await trx.raw('SET LOCAL plan_cache_mode = force_generic_plan');
        await trx.raw(`PREPARE claim_plan(text, bigint, text[], int, bigint, text) AS ${body}`);
        const res = await trx.raw(`EXPLAIN EXECUTE claim_plan('w', 60000, '{t}', 8, NULL, 'x')`);
        await trx.raw('DEALLOCATE claim_plan');
        return (res.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      });
    } else if (db.dialect === 'sqlite') {
      const { sql, bindings } = claimStatement(db.dialect, 'w', 60_000, ['t'], 8);
      plan = ((await db.knex.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as never[])) as { detail: string }[]).map((r) => r.detail).join('\n');
    } else {
      return; // MariaDB/MySQL: no partial indexes, and its own plan format; the claim is checked below.
    }
    expect(plan).toMatch(/job_queued/);
    expect(plan).toMatch(/job_expired/);
    // No bitmap scan (PostgreSQL) and no scan of the whole table (SQLite) on the way.
    expect(plan).not.toMatch(/Bitmap|Seq Scan on job|SCAN job\b(?! USING)/);
  });

  it('takes the due jobs and the expired locks in due order, leaves the rest, and takes each once', async () => {
    const now = 10_000_000;
    await db.knex('job').insert([
      { key: 'due-late', type: 't', payload: '{}', state: 'queued', attempts: 0, max_attempts: 8, run_at: now - 10, created_at: 'x', updated_at: 'x' },
      { key: 'due-early', type: 't', payload: '{}', state: 'queued', attempts: 0, max_attempts: 8, run_at: now - 500, created_at: 'x', updated_at: 'x' },
      { key: 'future', type: 't', payload: '{}', state: 'queued', attempts: 0, max_attempts: 8, run_at: now + 60_000, created_at: 'x', updated_at: 'x' },
      { key: 'other-type', type: 'u', payload: '{}', state: 'queued', attempts: 0, max_attempts: 8, run_at: now - 1000, created_at: 'x', updated_at: 'x' },
      { key: 'expired', type: 't', payload: '{}', state: 'running', attempts: 1, max_attempts: 8, run_at: now - 200, locked_by: 'dead', locked_until: now - 1, created_at: 'x', updated_at: 'x' },
      { key: 'held', type: 't', payload: '{}', state: 'running', attempts: 1, max_attempts: 8, run_at: now - 300, locked_by: 'alive', locked_until: now + 30_000, created_at: 'x', updated_at: 'x' },
    ]);
    // A limit of 2 takes the two first in due order, across both probes.
    const first = await claimJobs(db.knex, 'w1', 1_000, ['t'], 2, now);
    expect(first.map((j) => j.key)).toEqual(['due-early', 'expired']);
    expect(first.every((j) => j.state === 'running' && j.lockedBy === 'w1' && j.lockedUntil === now + 1_000)).toBe(true);
    expect(first[1].attempts).toBe(2);
    const second = await claimJobs(db.knex, 'w2', 1_000, ['t'], 8, now);
    expect(second.map((j) => j.key)).toEqual(['due-late']);
    expect(await claimJobs(db.knex, 'w3', 1_000, ['t'], 8, now)).toEqual([]);
    // The dead worker's lock passed to w1: it can no longer complete the job.
    expect(await completeJob(db.knex, first[1].id, 'dead', null)).toBe(false);
    // Time moves on: the future job is due, and w1's and w2's locks (1 s) and alive's (30 s) have expired.
    const later = await claimJobs(db.knex, 'w4', 1_000, ['t', 'u'], 8, now + 60_000);
    expect(later.map((j) => j.key).sort()).toEqual(['due-early', 'due-late', 'expired', 'future', 'held', 'other-type']);
  });

  it('with the database clock: a job due now is taken, one locked by a live worker is not', async () => {
    await db.knex('job').whereNot('state', 'done').del();
    await db.knex('job').insert([
      { key: 'now', type: 't', payload: '{}', state: 'queued', attempts: 0, max_attempts: 8, run_at: Date.now() - 60_000, created_at: 'x', updated_at: 'x' },
      { key: 'live', type: 't', payload: '{}', state: 'running', attempts: 1, max_attempts: 8, run_at: 1, locked_by: 'alive', locked_until: Date.now() + 600_000, created_at: 'x', updated_at: 'x' },
    ]);
    const got = await claimJobs(db.knex, 'w', 60_000, ['t'], 8);
    expect(got.map((j) => j.key)).toEqual(['now']);
  });
});
