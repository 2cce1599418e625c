// Steps 3–7 of the sample (../shared/seeds/sync-asynchronous.md) with the seed's requests,
// against a real server: recon → two approvals → async.admin approves → the job creates both.
import { ADMIN, ASYNC_ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';

describe('the sync-asynchronous sample, end to end', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(); });
  afterAll(async () => { await t.close(); });

  let reconId: string;
  let tasks: { _id: string; processDefinitionId: string }[];

  it('step 3: creates the approver', async () => {
    const r = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: {
        userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin', mail: 'async.admin@example.com',
        authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }], _id: 'asyncadmin',
      },
    });
    expect(r.status).toBe(201);
    expect(r.body._id).toBe('asyncadmin');
  });

  it('step 4: recon answers {_id, state: ACTIVE} at once and reaches SUCCESS with two ABSENT', async () => {
    const r = await t.call('POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ _id: expect.any(String), state: 'ACTIVE' });
    reconId = r.body._id;
    const run = await eventually(async () => {
      const s = await t.call('GET', `/recon/${reconId}`, { headers: ADMIN });
      return s.body.state === 'SUCCESS' && s.body;
    });
    expect(run.situationSummary.ABSENT).toBe(2);
    expect(run.statusSummary).toEqual({ SUCCESS: 3, FAILURE: 0 }); // 2 ABSENT + asyncadmin UNASSIGNED
    expect(run.progress.source.existing.processed).toBe(2);
    const audit = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${reconId}" and situation eq "ABSENT"`)}`, { headers: ADMIN });
    expect(audit.body.result.map((e: any) => [e.sourceObjectId, e.action]).sort()).toEqual([['bjensen', 'ASYNC'], ['scarter', 'ASYNC']]);
  });

  it('step 5: lists two tasks of managedUserApproval, and no user yet', async () => {
    const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_fields=_id,processDefinitionId', { headers: ADMIN });
    expect(r.status).toBe(200);
    tasks = r.body.result;
    expect(tasks).toHaveLength(2);
    for (const task of tasks) {
      expect(Object.keys(task).sort()).toEqual(['_id', 'processDefinitionId']);
      expect(task.processDefinitionId).toMatch(/^managedUserApproval:\d+:\S+$/);
    }
    const users = await t.call('GET', '/managed/user?_queryFilter=true&_fields=_id', { headers: ADMIN });
    expect(users.body.result.map((u: any) => u._id)).toEqual(['asyncadmin']);
    const detail = await t.call('GET', `/workflow/taskinstance/${tasks[0]._id}`, { headers: ASYNC_ADMIN });
    expect(detail.body).toMatchObject({ name: 'Evaluate request', assignee: 'async.admin', taskDefinitionKey: 'evaluateRequest' });
    expect(detail.body.form.map((f: any) => f._id)).toEqual(['requesterName', 'requestApproved']);
    // The escalation timer's duration comes from conf/workflow.json.
    expect(detail.body.variables).toMatchObject({ escalationDuration: 'P3D', mapping: 'systemCsvfileAccounts_managedUser', reconId });
  });

  it('a second recon before approval leaves the task count unchanged', async () => {
    const r = await t.call('POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser&waitForCompletion=true', { headers: ADMIN });
    expect(r.body.state).toBe('SUCCESS');
    const list = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(list.body.result).toHaveLength(2);
  });

  it('step 6: async.admin approves each task', async () => {
    for (const task of tasks) {
      const r = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: { ...ASYNC_ADMIN, 'Content-Type': 'application/json' }, body: { requestApproved: 'true' } });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ 'Task action performed': 'complete' });
    }
  });

  it('step 7: the asynchronous step creates bjensen and scarter, mapped from the CSV', async () => {
    const ids = await eventually(async () => {
      const r = await t.call('GET', '/managed/user?_queryFilter=true&_fields=_id', { headers: ADMIN });
      const got = r.body.result.map((u: any) => u._id).sort();
      return got.join() === 'asyncadmin,bjensen,scarter' && r.body.result;
    });
    for (const u of ids) expect(typeof u._rev).toBe('string');
    const bj = await t.call('GET', '/managed/user/bjensen?_fields=*,authzRoles', { headers: ADMIN });
    expect(bj.body).toMatchObject({
      _id: 'bjensen', userName: 'bjensen', givenName: 'Barbara', sn: 'Jensen', mail: 'bjensen@example.com', telephoneNumber: '1234567',
      description: 'Created By CSV', accountStatus: 'active',
    });
    const roles = await t.call('GET', '/managed/user/scarter?_fields=authzRoles', { headers: ADMIN });
    expect(roles.body.authzRoles).toEqual([{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }]);
    const open = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(open.body.result).toEqual([]);
    // The creation is audited under the original recon, and linked.
    const audit = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${reconId}" and action eq "CREATE"`)}`, { headers: ADMIN });
    expect(audit.body.result.map((e: any) => e.targetObjectId).sort()).toEqual(['bjensen', 'scarter']);
    expect(await t.db.knex('link').count({ n: '*' }).then((r) => Number(r[0].n))).toBe(2);
    const jobs = await t.call('GET', `/jobs?_queryFilter=${encodeURIComponent('type eq "createUser"')}`, { headers: ADMIN });
    expect(jobs.body.result.map((j: any) => j.state)).toEqual(['done', 'done']);
  });

  it('a recon after approval finds both CONFIRMED and starts nothing', async () => {
    const run = await runRecon(t, 'systemCsvfileAccounts_managedUser');
    expect(run.situationSummary).toMatchObject({ CONFIRMED: 2, ABSENT: 0 });
    const list = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(list.body.result).toEqual([]);
  });
});
