// Approvals tampered with, counted (RELIABILITY.md, "What an approval binds to"): every way a
// completion body, a second task or a changed row could make an approval create something other
// than the snapshot its approver saw. Each attempt must be refused (4xx, nothing stored) or have no
// effect; at the end exactly the approved snapshots exist. Real recon, real HTTP, real worker.
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { runJobs as runAllJobs, tasksWhere } from '../helpers/calls';
import { runRecon } from '../helpers/recon';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const AUTHORIZED = 'internal/role/openidm-authorized';
const ADMIN_ROLE = 'internal/role/openidm-admin';
const APPROVER = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };

describe('tampered approvals', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    const approver = { userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', mail: 'async.admin@example.com', authzRoles: [{ _ref: AUTHORIZED }], _id: 'asyncadmin' };
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: approver })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const recon = () => runRecon(t, MAPPING);
  const tasksOf = (sourceId: string) => tasksWhere(t, (v) => v.sourceId === sourceId);
  const runJobs = () => runAllJobs(t);
  const roles = async (id: string) => {
    const r = await t.call('GET', `/managed/user/${id}?_fields=authzRoles`, { headers: ADMIN });
    return r.status === 200 ? (r.body.authzRoles as { _ref: string }[]).map((x) => x._ref) : null;
  };

  it('refuses every tampered completion, creates exactly the approved snapshots, and reports the tally', async () => {
    project.writeCsv([csvRow('bjensen', { roles: AUTHORIZED }), csvRow('scarter', { roles: `${ADMIN_ROLE},${AUTHORIZED}` })]);
    await recon();
    const [bjensen] = await tasksOf('bjensen');
    const [scarter] = await tasksOf('scarter');
    let tried = 0;
    let refused = 0;
    const attempt = async (headers: Record<string, string>, body: Record<string, unknown>) => {
      tried++;
      const r = await t.call('POST', `/workflow/taskinstance/${bjensen._id}?_action=complete`, { headers, body: { requestApproved: 'true', ...body } });
      if (r.status >= 400 && r.status < 500) refused++;
      return r;
    };
    // Every start variable of the approval, and keys a reader of the createUser step might trust.
    const keys = ['sourceId', 'mapping', 'reconId', 'situation', 'action', 'linkQualifier', 'sourceHash', 'targetId', 'escalationDuration', 'approval', 'target', 'object', 'variables', 'processInstanceId'];
    for (const headers of [ADMIN, APPROVER]) {
      for (const k of keys) {
        const r = await attempt(headers, { [k]: k === 'sourceId' || k === 'targetId' ? 'scarter' : { _id: 'scarter', authzRoles: [{ _ref: ADMIN_ROLE }] } });
        expect([r.status, r.body.message]).toEqual([400, expect.stringContaining(k)]);
      }
      // A wrong type for the form's own field.
      expect((await attempt(headers, { requestApproved: { sourceId: 'scarter' } })).status).toBe(400);
    }
    // Nothing was stored by any refusal: the task is still open, the instance unchanged.
    expect((await tasksOf('bjensen')).map((x) => x._id)).toEqual([bjensen._id]);
    expect(Number((await db.knex('job').count({ n: '*' }).first())!.n)).toBe(0);

    // The row gains openidm-admin after the request was shown; the approver says yes to what was shown.
    project.writeCsv([csvRow('bjensen', { roles: `${ADMIN_ROLE},${AUTHORIZED}` }), csvRow('scarter', { roles: `${ADMIN_ROLE},${AUTHORIZED}` })]);
    tried++;
    expect((await t.call('POST', `/workflow/taskinstance/${bjensen._id}?_action=complete`, { headers: APPROVER, body: { requestApproved: 'true' } })).status).toBe(200);
    await runJobs();
    if ((await roles('bjensen')) === null) refused++; // superseded: nothing created
    expect(await roles('bjensen')).toBeNull();
    // scarter, rejected, is never created; the next recon asks again about bjensen with the new roles.
    expect((await t.call('POST', `/workflow/taskinstance/${scarter._id}?_action=complete`, { headers: APPROVER, body: { requestApproved: 'false' } })).status).toBe(200);
    await recon();
    const [again] = await tasksOf('bjensen');
    const shown = (await t.call('GET', `/workflow/taskinstance/${again._id}`, { headers: APPROVER })).body.approval;
    expect(shown.roles).toEqual([ADMIN_ROLE, AUTHORIZED]);
    expect(await tasksOf('scarter')).toEqual([]);
    expect((await t.call('POST', `/workflow/taskinstance/${again._id}?_action=complete`, { headers: APPROVER, body: { requestApproved: 'true' } })).status).toBe(200);
    await runJobs();
    expect(await roles('bjensen')).toEqual([ADMIN_ROLE, AUTHORIZED]);
    expect(await roles('scarter')).toBeNull();
    expect(refused).toBe(tried);
    console.log(`tampered approvals: tried ${tried}, refused or without effect ${refused}`);
  });
});
