// Issue 17, "select all matching": POST workflow/taskinstance?_action=complete&_queryFilter=… completes
// the tasks the caller may work on that match at the request, a batch per job, with exact progress,
// a cancel that leaves the rest open, access for its starter only, and a restart mid-way that
// continues where it stopped, creating each user exactly once.
import { createTestDb } from '../helpers/db';
import { csvRow, makeProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';
import { runJobs as runAllJobs, useProjectServer } from '../helpers/calls';
import * as bulkRepo from '../../src/repo/bulkOperations';
import { PermanentJobFailure } from '../../src/jobs';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const pad = (i: number) => String(i).padStart(3, '0');
const filterOf = (prefix: string) => encodeURIComponent(`processVariables/sourceId sw "${prefix}"`);

async function createUser(t: TestServer, id: string, password: string, roles: string[] = ['openidm-authorized']) {
  const r = await t.call('POST', '/managed/user?_action=create', {
    headers: ADMIN, body: { _id: id, userName: id, sn: id, password, authzRoles: roles.map((x) => ({ _ref: `internal/role/${x}` })) },
  });
  expect(r.status).toBe(201);
}

describe('bulk completion by query', () => {
  const s = useProjectServer();

  const bulkStart = (filter: string, body: Record<string, unknown>, headers: Record<string, string> = ADMIN) =>
    s.t.call('POST', `/workflow/taskinstance?_action=complete&_queryFilter=${filter}`, { headers, body });
  const bulkRead = (id: string, headers: Record<string, string> = ADMIN) => s.t.call('GET', `/workflow/bulk/${id}`, { headers });
  const bulkCancel = (id: string, headers: Record<string, string> = ADMIN) => s.t.call('POST', `/workflow/bulk/${id}?_action=cancel`, { headers });
  const openTasks = async (prefix: string) =>
    (await s.t.call('GET', `/workflow/taskinstance?_queryFilter=${filterOf(prefix)}&_pageSize=1000&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN })).body;
  const runJobs = () => runAllJobs(s.t);

  it('120 tasks, 100 match: all approved with the comment, progress exact, each user created once; the other 20 and later ones untouched', async () => {
    s.project.writeCsv([...Array.from({ length: 100 }, (_, i) => csvRow(`bulk${pad(i)}`)), ...Array.from({ length: 20 }, (_, i) => csvRow(`keep${pad(i)}`))]);
    await runRecon(s.t, MAPPING);
    expect((await openTasks('bulk')).totalPagedResults).toBe(100);
    s.t.services.runtime.bulkBatchSize = 30;
    // Validation as for one task: a bad _comment, values the form refuses, no match.
    expect((await bulkStart(filterOf('bulk'), { requestApproved: 'true', _comment: 'x'.repeat(2001) })).body.message).toMatch(/_comment/);
    const refused = await bulkStart(filterOf('bulk'), { requestApproved: 'true', sourceId: 'keep000' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/sourceId/);
    const none = await bulkStart(filterOf('nobody'), { requestApproved: 'true' });
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/No task matches/);
    expect((await s.t.call('POST', `/workflow/taskinstance?_action=complete`, { headers: ADMIN, body: {} })).status).toBe(400);
    expect(await s.db.knex('bulk_operation').count({ n: '*' }).first().then((r: any) => Number(r.n))).toBe(0);

    const started = await bulkStart(filterOf('bulk'), { requestApproved: 'true', _comment: 'bulk ok' });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/openidm/workflow/bulk/${started.body._id}`);
    expect(started.body).toEqual({ _id: expect.stringMatching(/^\d+$/), state: 'ACTIVE', total: 100, processed: 0, succeeded: 0, failed: 0 });
    const id = started.body._id;
    // A row that appears now is not swept in.
    s.project.writeCsv([
      ...Array.from({ length: 100 }, (_, i) => csvRow(`bulk${pad(i)}`)), ...Array.from({ length: 20 }, (_, i) => csvRow(`keep${pad(i)}`)), csvRow('bulklate'),
    ]);
    await runRecon(s.t, MAPPING);
    // Someone completes one of the 100 first: it counts as failed, "already completed".
    const taken = (await openTasks('bulk050')).result[0];
    expect((await s.t.call('POST', `/workflow/taskinstance/${taken._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } })).status).toBe(200);

    // One batch: exact progress.
    expect(await s.t.services.worker.runOne()).toBeTruthy();
    expect((await bulkRead(id)).body).toMatchObject({ state: 'ACTIVE', total: 100, processed: 30, succeeded: 30, failed: 0, failures: [] });
    await runJobs();
    const done = await bulkRead(id);
    expect(done.body).toEqual({
      _id: id, state: 'SUCCESS', total: 100, processed: 100, succeeded: 99, failed: 1, error: null,
      failures: [{ taskId: String(taken._id), message: expect.stringMatching(/already completed/) }],
    });
    expect((await openTasks('bulk')).result.map((x: any) => x.processVariables.sourceId)).toEqual(['bulklate']);
    expect((await openTasks('keep')).totalPagedResults).toBe(20);
    // The decisions carry the comment; each user is created exactly once (one CREATE in the audit, one user).
    const decisions = await s.db.knex('decision').where({ decided_by: 'openidm-admin', comment: 'bulk ok' });
    expect(decisions).toHaveLength(99);
    expect(decisions.every((d: any) => d.decision === 'approved')).toBe(true);
    await runJobs();
    const users = await s.db.knex('managed_user').where('id', 'like', 'bulk%').select('id');
    expect(users.map((u: any) => u.id).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `bulk${pad(i)}`).filter((x) => x !== 'bulk050'));
    const creates = await s.db.knex('recon_audit').where({ action: 'CREATE', status: 'SUCCESS' }).where('source_object_id', 'like', 'bulk%').select('source_object_id');
    expect(creates).toHaveLength(99);
    expect(new Set(creates.map((c: any) => c.source_object_id)).size).toBe(99);
    // Ended: a cancel answers the state unchanged; a second run of a finished batch job is a no-op.
    expect((await bulkCancel(id)).body).toMatchObject({ state: 'SUCCESS', processed: 100 });
    // The list reads answer 304 to the UI's poll with the same ETag.
    const tag = done.headers.get('etag')!;
    expect((await s.t.call('GET', `/workflow/bulk/${id}`, { headers: { ...ADMIN, 'If-None-Match': tag } })).status).toBe(304);
  });

  it('cancel mid-way stops before the next batch and leaves the rest open; only the starter or an admin sees it', async () => {
    await createUser(s.t, 'approver1', 'Appr0ver-secret', ['openidm-authorized']);
    await createUser(s.t, 'stranger', 'Str4nger-secret', ['openidm-authorized']);
    const approver = { 'X-OpenIDM-Username': 'approver1', 'X-OpenIDM-Password': 'Appr0ver-secret' };
    const stranger = { 'X-OpenIDM-Username': 'stranger', 'X-OpenIDM-Password': 'Str4nger-secret' };
    // The keep tasks are offered to openidm-admin only: approver1 may work on none of them.
    expect((await bulkStart(filterOf('keep'), { requestApproved: 'false' }, approver)).status).toBe(400);
    // An admin hands 20 keep tasks to approver1, who rejects them all, 5 per batch.
    for (const task of (await openTasks('keep')).result) {
      expect((await s.t.call('PUT', `/workflow/taskinstance/${task._id}`, { headers: ADMIN, body: { assignee: 'approver1' } })).status).toBe(200);
    }
    s.t.services.runtime.bulkBatchSize = 5;
    const started = await bulkStart(filterOf('keep'), { requestApproved: 'false', _comment: 'no' }, approver);
    expect(started.status).toBe(202);
    const id = started.body._id;
    expect(started.body.total).toBe(20);
    // Another user: 404 for reading and for cancelling; an admin may read it.
    expect((await bulkRead(id, stranger)).status).toBe(404);
    expect((await bulkCancel(id, stranger)).status).toBe(404);
    expect((await bulkRead('999999', approver)).status).toBe(404);
    expect((await bulkRead(id, ADMIN)).status).toBe(200);
    expect(await s.t.services.worker.runOne()).toBeTruthy();
    expect(await s.t.services.worker.runOne()).toBeTruthy();
    const canceled = await bulkCancel(id, approver);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ _id: id, state: 'CANCELED', total: 20, processed: 10, succeeded: 10, failed: 0 });
    await runJobs();
    expect((await bulkRead(id, approver)).body).toMatchObject({ state: 'CANCELED', processed: 10, succeeded: 10 });
    expect((await openTasks('keep')).totalPagedResults).toBe(10);
    expect((await bulkCancel(id, approver)).body.state).toBe('CANCELED');
  });
});

describe('bulk completion across a restart', () => {
  it('a server stopped mid-way leaves the rest to the next one; every task is completed and every user created exactly once', async () => {
    const project = makeProject();
    const db = await createTestDb();
    let t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    try {
      project.writeCsv(Array.from({ length: 40 }, (_, i) => csvRow(`rs${pad(i)}`)));
      await runRecon(t, MAPPING);
      t.services.runtime.bulkBatchSize = 10;
      const started = await t.call('POST', `/workflow/taskinstance?_action=complete&_queryFilter=${filterOf('rs')}`, { headers: ADMIN, body: { requestApproved: 'true' } });
      expect(started.status).toBe(202);
      const id = started.body._id;
      expect(await t.services.worker.runOne()).toBeTruthy();
      expect((await t.call('GET', `/workflow/bulk/${id}`, { headers: ADMIN })).body.processed).toBe(10);
      await t.close();
      // Another process (workers on, the default batch size: the 30 left in one batch) finishes it.
      t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: true });
      const end = await eventually(async () => {
        const r = await t.call('GET', `/workflow/bulk/${id}`, { headers: ADMIN });
        return r.body.state !== 'ACTIVE' && r.body;
      }, 60_000, 'the bulk operation ends');
      expect(end).toMatchObject({ state: 'SUCCESS', total: 40, processed: 40, succeeded: 40, failed: 0, failures: [] });
      await eventually(async () => Number((await db.knex('managed_user').where('id', 'like', 'rs%').count({ n: '*' }).first() as any).n) === 40, 60_000, 'all users created');
      const creates = await db.knex('recon_audit').where({ action: 'CREATE', status: 'SUCCESS' }).where('source_object_id', 'like', 'rs%');
      expect(creates).toHaveLength(40);
      expect(await db.knex('decision').where('source_id', 'like', 'rs%').count({ n: '*' }).first().then((r: any) => Number(r.n))).toBe(40);
      const jobs = await db.knex('job').where({ type: 'workflow.bulkComplete' }).select('key', 'state');
      expect(jobs.map((j: any) => j.key).sort()).toEqual([1, 2].map((n) => `workflow.bulkComplete:${id}:${n}`));
      expect(jobs.every((j: any) => j.state === 'done')).toBe(true);
    } finally {
      await t.close();
      await db.destroy();
      project.remove();
    }
  });
});

describe('a batch that breaks mid-way', () => {
  it('commits nothing of it (the tasks it completed stay open), is retried and then done exactly; one that can never be done fails the operation', async () => {
    const project = makeProject();
    const db = await createTestDb();
    const t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    const spy = jest.spyOn(bulkRepo, 'markBulkTask');
    try {
      project.writeCsv([...Array.from({ length: 12 }, (_, i) => csvRow(`br${pad(i)}`)), ...Array.from({ length: 3 }, (_, i) => csvRow(`dead${pad(i)}`))]);
      await runRecon(t, MAPPING);
      t.services.runtime.bulkBatchSize = 20;
      const start = (prefix: string) => t.call('POST', `/workflow/taskinstance?_action=complete&_queryFilter=${filterOf(prefix)}`, { headers: ADMIN, body: { requestApproved: 'true' } });
      const open = async (prefix: string) => (await t.call('GET', `/workflow/taskinstance?_queryFilter=${filterOf(prefix)}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN })).body.totalPagedResults;
      const id = (await start('br')).body._id;
      // The process dies (here: the repository fails) after 7 of the 12 completions.
      let calls = 0;
      spy.mockImplementation(async (...args) => {
        if (++calls === 8) throw new Error('connection lost mid-batch');
        return jest.requireActual('../../src/repo/bulkOperations').markBulkTask(...args);
      });
      expect(await t.services.worker.runOne()).toBe(true);
      expect(await open('br')).toBe(12);
      expect((await t.call('GET', `/workflow/bulk/${id}`, { headers: ADMIN })).body).toMatchObject({ state: 'ACTIVE', processed: 0, succeeded: 0, failed: 0 });
      expect(await db.knex('decision').where('source_id', 'like', 'br%')).toHaveLength(0);
      const job = await db.knex('job').where({ key: `workflow.bulkComplete:${id}:1` }).first();
      expect(job).toMatchObject({ state: 'queued', attempts: 1 });
      expect(job.last_error).toMatch(/connection lost/);
      // The retry (made due now) does the whole batch, once.
      spy.mockRestore();
      await db.knex('job').where({ id: job.id }).update({ run_at: 0 });
      while (await t.services.worker.runOne()) {
        /* the batch and the createUser jobs */
      }
      expect((await t.call('GET', `/workflow/bulk/${id}`, { headers: ADMIN })).body).toMatchObject({ state: 'SUCCESS', total: 12, processed: 12, succeeded: 12, failed: 0 });
      expect(await open('br')).toBe(0);
      expect(await db.knex('decision').where('source_id', 'like', 'br%')).toHaveLength(12);
      expect(await db.knex('managed_user').where('id', 'like', 'br%')).toHaveLength(12);

      // A batch that can never be done: the job is dead, the operation FAILED naming why; its tasks stay open.
      const dead = (await start('dead')).body._id;
      const again = jest.spyOn(bulkRepo, 'markBulkTask').mockRejectedValue(new PermanentJobFailure('the bulk table is gone'));
      try {
        expect(await t.services.worker.runOne()).toBe(true);
      } finally {
        again.mockRestore();
      }
      const failed = await t.call('GET', `/workflow/bulk/${dead}`, { headers: ADMIN });
      expect(failed.body).toMatchObject({ state: 'FAILED', processed: 0, failed: 0, error: expect.stringMatching(/the bulk table is gone/) });
      expect(await open('dead')).toBe(3);
      expect((await t.call('POST', `/workflow/bulk/${dead}?_action=cancel`, { headers: ADMIN })).body.state).toBe('FAILED');
    } finally {
      spy.mockRestore();
      await t.close();
      await db.destroy();
      project.remove();
    }
  });
});
