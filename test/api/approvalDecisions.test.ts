// Issue 17, the approver's view on the server: a completion's _comment stored with the decision,
// the earlier decisions of the same source row, ETags and 304 on every JSON read, observation 4
// (a user that appeared since the request is never reported as created), and sessions that survive
// a restart. Real recon over a real repository; the worker run by hand (workers off).
import { createTestDb } from '../helpers/db';
import { csvRow } from '../helpers/project';
import { ADMIN, startTestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';
import { completeTask, historyOf, runJobs as runAllJobs, useProjectServer } from '../helpers/calls';
import { request } from '../reliability/harness';

const MAPPING = 'systemCsvfileAccounts_managedUser';

describe('decisions as the approver sees them', () => {
  const s = useProjectServer();

  const recon = () => runRecon(s.t, MAPPING);
  async function taskOf(sourceId: string) {
    const r = await s.t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processVariables/sourceId eq "${sourceId}"`)}`, { headers: ADMIN });
    expect(r.body.result).toHaveLength(1);
    return r.body.result[0];
  }
  const complete = (taskId: string, body: Record<string, unknown>) => completeTask(s.t, taskId, body);
  const history = (id: string) => historyOf(s.t, id);
  const runJobs = () => runAllJobs(s.t);

  it('_comment is stored with the decision, shown in history and in the next request\'s earlier decisions; never a variable', async () => {
    s.project.writeCsv([csvRow('cora')]);
    await recon();
    const first = await taskOf('cora');
    // Too long, or not a string: 400 naming _comment, and the task stays open.
    for (const bad of ['x'.repeat(2001), 42, { a: 1 }]) {
      const r = await complete(first._id, { requestApproved: 'false', _comment: bad });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/_comment/);
    }
    expect((await s.t.call('GET', `/workflow/taskinstance/${first._id}`, { headers: ADMIN })).status).toBe(200);
    const comment = 'Not yet: ' + 'é'.repeat(1990);
    expect((await complete(first._id, { requestApproved: 'false', _comment: comment })).status).toBe(200);
    const h1 = await history(first.processInstanceId);
    expect(h1.approval).toMatchObject({ decision: 'rejected', decidedBy: 'openidm-admin', comment });
    expect(h1.processVariables._comment).toBeUndefined();
    expect(JSON.stringify(h1.processVariables)).not.toContain('Not yet');

    // The row changes: asked again; the new task shows the rejection with its comment and snapshot.
    s.project.writeCsv([csvRow('cora', { lastname: 'Changed' })]);
    await recon();
    const second = await taskOf('cora');
    const read = await s.t.call('GET', `/workflow/taskinstance/${second._id}`, { headers: ADMIN });
    expect(read.status).toBe(200);
    expect(read.body.approval.comment).toBeNull();
    expect(read.body.approval.earlier).toEqual([
      {
        processInstanceId: String(first.processInstanceId), decision: 'rejected', decidedBy: 'openidm-admin', decidedAt: expect.any(String),
        outcome: null, outcomeMessage: null, comment, target: expect.objectContaining({ _id: 'cora', sn: 'Test' }),
      },
    ]);
    expect(read.body.approval.earlierDecisions).toEqual([{ decision: 'rejected', decidedBy: 'openidm-admin', decidedAt: expect.any(String), outcome: null }]);
    expect(read.body.approval.target.sn).toBe('Changed');

    // Approved without a comment: null stored; the user is created.
    expect((await complete(second._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    const h2 = await history(second.processInstanceId);
    expect(h2.approval).toMatchObject({ decision: 'approved', outcome: 'created', comment: null });
    const row = await s.db.knex('decision').where({ process_instance_id: second.processInstanceId }).first();
    expect(row.comment).toBeNull();
    expect(h2.approval.earlier.map((e: any) => e.processInstanceId)).toEqual([String(first.processInstanceId)]);
  });

  it('earlier lists at most 10, newest first, of the same row only', async () => {
    s.project.writeCsv([csvRow('eli'), csvRow('fay')]);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      s.project.writeCsv([csvRow('eli', { lastname: `L${i}` }), csvRow('fay')]);
      await recon();
      const task = await taskOf('eli');
      ids.push(String(task.processInstanceId));
      expect((await complete(task._id, { requestApproved: 'false', _comment: `no ${i}` })).status).toBe(200);
    }
    s.project.writeCsv([csvRow('eli', { lastname: 'Final' }), csvRow('fay')]);
    await recon();
    const task = await taskOf('eli');
    const earlier = (await s.t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN })).body.approval.earlier;
    expect(earlier.map((e: any) => e.processInstanceId)).toEqual(ids.slice(2).reverse());
    expect(earlier.map((e: any) => e.comment)).toEqual(Array.from({ length: 10 }, (_, i) => `no ${11 - i}`));
    expect(earlier[0].target.sn).toBe('L11');
    const fay = await taskOf('fay');
    expect((await s.t.call('GET', `/workflow/taskinstance/${fay._id}`, { headers: ADMIN })).body.approval.earlier).toEqual([]);
  });

  it('task lists name the person of each approval (approvalTarget: the snapshot\'s name fields only); other tasks have none', async () => {
    s.project.writeCsv([csvRow('dora', { firstname: 'Dora', lastname: 'Explorer' })]);
    await recon();
    const list = await s.t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent('processVariables/sourceId eq "dora"')}`, { headers: ADMIN });
    expect(list.body.result).toHaveLength(1);
    const task = list.body.result[0];
    const full = (await s.t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN })).body.approval.target;
    expect(task.approvalTarget).toEqual({ userName: full.userName, givenName: 'Dora', sn: 'Explorer' });
    expect(task.approvalTarget.mail).toBeUndefined();
    // A task of a process started over REST (no reconciliation asked for it) has no approval.
    const started = await s.t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'nobody', mapping: MAPPING } });
    expect(started.status).toBe(201);
    const other = (await s.t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq "${started.body._id}"`)}`, { headers: ADMIN })).body.result[0];
    expect(other).toBeDefined();
    expect(other.approvalTarget).toBeUndefined();
    // query-all-ids answers ids only.
    const ids = (await s.t.call('GET', '/workflow/taskinstance?_queryId=query-all-ids', { headers: ADMIN })).body.result;
    expect(ids.every((x: Record<string, unknown>) => Object.keys(x).every((k) => k === '_id' || k === '_rev'))).toBe(true);
  });

  it('every JSON read under /openidm has an ETag, and If-None-Match with it answers 304 without a body', async () => {
    for (const path of ['/workflow/taskinstance?_queryFilter=true&_pageSize=5&_totalPagedResultsPolicy=EXACT', '/workflow/processinstance/history?_queryFilter=true', '/jobs?_queryFilter=true', '/info/ping']) {
      const first = await s.t.call('GET', path, { headers: ADMIN });
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
      const again = await s.t.call('GET', path, { headers: { ...ADMIN, 'If-None-Match': etag! } });
      expect(again.status).toBe(304);
      expect(again.body).toBe('');
      // Another tag (or none) gets the body.
      expect((await s.t.call('GET', path, { headers: { ...ADMIN, 'If-None-Match': 'W/"other"' } })).status).toBe(200);
    }
    // The content changes: the tag changes.
    const list = '/workflow/taskinstance?_queryFilter=true';
    const before = (await s.t.call('GET', list, { headers: ADMIN })).headers.get('etag')!;
    s.project.writeCsv([csvRow('gus')]);
    await recon();
    const after = await s.t.call('GET', list, { headers: { ...ADMIN, 'If-None-Match': before } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
    // A task keeps its own ETag (its revision); errors and writes get none.
    const task = await taskOf('gus');
    const read = await s.t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(read.headers.get('etag')).toBe(`"${task._rev}"`);
    expect((await s.t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: { ...ADMIN, 'If-None-Match': `"${task._rev}"` } })).status).toBe(304);
    const missing = await s.t.call('GET', '/workflow/taskinstance/999999', { headers: ADMIN });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    // managed/user keeps its _rev ETag.
    expect((await s.t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'etag1', userName: 'etag1', sn: 'E' } })).status).toBe(201);
    const u = await s.t.call('GET', '/managed/user/etag1', { headers: ADMIN });
    expect(u.headers.get('etag')).toBe(`"${u.body._rev}"`);
  });

  it('observation 4: a user that appeared since the request is never reported created; the job is dead with the reason, not done', async () => {
    s.project.writeCsv([csvRow('hal'), csvRow('ivy')]);
    await recon();
    const hal = await taskOf('hal');
    const ivy = await taskOf('ivy');
    // Meanwhile, hal is created by hand with the same userName (it correlates), ivy's _id is taken by another user.
    expect((await s.t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'hal-by-hand', userName: 'hal', sn: 'Hand' } })).status).toBe(201);
    expect((await s.t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'ivy', userName: 'ivy.other', sn: 'Other' } })).status).toBe(201);
    expect((await complete(hal._id, { requestApproved: 'true' })).status).toBe(200);
    expect((await complete(ivy._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    for (const [task, reason] of [[hal, /hal.*exists/i], [ivy, /ivy already exists/]] as const) {
      const h = await history(task.processInstanceId);
      expect(h.approval).toMatchObject({ decision: 'approved', outcome: 'failed', outcomeMessage: expect.stringMatching(reason) });
      const job = await s.db.knex('job').where({ key: `createUser:${task.processInstanceId}` }).first();
      expect(job.state).toBe('dead');
      expect(job.last_error).toMatch(reason);
    }
    // Nothing was linked to the hand-made user, and no second user was created.
    expect((await s.db.knex('link').where({ second_id: 'hal-by-hand' })).length).toBe(0);
    expect((await s.t.call('GET', '/managed/user/hal', { headers: ADMIN })).status).toBe(404);
  });
});

describe('sessions survive a restart', () => {
  it('a signed-in admin\'s cookie (and its CSRF token) still work after the server restarts on the same database', async () => {
    const db = await createTestDb();
    let t = await startTestServer({ db, keepDb: true, workers: false });
    try {
      const login = await request(t.base, 'POST', '/authentication?_action=login', { body: { username: 'openidm-admin', password: 'openidm-admin' } });
      expect(login.status).toBe(200);
      const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0];
      const csrf = login.body.csrfToken as string;
      expect(cookie).toMatch(/=/);
      expect((await request(t.base, 'GET', '/authentication', { headers: { Cookie: cookie } })).status).toBe(200);
      await t.close();
      t = await startTestServer({ db, keepDb: true, workers: false });
      const after = await request(t.base, 'GET', '/workflow/taskinstance?_queryFilter=true', { headers: { Cookie: cookie } });
      expect(after.status).toBe(200);
      // An unsafe request with the same CSRF token too.
      const created = await request(t.base, 'POST', '/managed/user?_action=create', { headers: { Cookie: cookie, 'X-CSRF-Token': csrf }, body: { _id: 'after-restart', userName: 'after-restart', sn: 'R' } });
      expect(created.status).toBe(201);
    } finally {
      await t.close();
      await db.destroy();
    }
  });
});
