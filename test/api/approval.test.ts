// What an approval binds to (issue 13, observations 1, 2, 3(b), 3(c), 4): real recon over a real
// repository, real HTTP, the real worker run by hand (workers off, so the tests decide when jobs run).
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { auditOf, completeTask, historyOf, runJobs as runAllJobs, tasksWhere, userOf } from '../helpers/calls';
import { runRecon } from '../helpers/recon';
import { WorkflowRuntime } from '../../src/workflow/runtime';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const AUTHORIZED = 'internal/role/openidm-authorized';
const ADMIN_ROLE = 'internal/role/openidm-admin';

/** Bytes a column value takes (blobs by length, JSON as its text). */
function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return 8;
  return Buffer.byteLength(JSON.stringify(v));
}

describe('approvals are bound to what was shown', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  async function recon() {
    return runRecon(t, MAPPING);
  }
  const audit = (reconId: string, sourceId: string) => auditOf(t, reconId, `sourceObjectId eq "${sourceId}"`);
  const openTasks = (sourceId: string) => tasksWhere(t, (v) => v.sourceId === sourceId);
  async function taskOf(sourceId: string) {
    const tasks = await openTasks(sourceId);
    expect(tasks).toHaveLength(1);
    return tasks[0];
  }
  const complete = (taskId: string, body: Record<string, unknown>) => completeTask(t, taskId, body);
  const runJobs = () => runAllJobs(t);
  const history = (id: string) => historyOf(t, id);
  const user = (id: string) => userOf(t, id, '?_fields=*,authzRoles');

  it('observation 1: approving bjensen with sourceId=scarter in the body (or tampered job data) creates bjensen, never scarter', async () => {
    project.writeCsv([csvRow('bjensen', { roles: AUTHORIZED }), csvRow('scarter', { roles: `${ADMIN_ROLE},${AUTHORIZED}` })]);
    await recon();
    const scarter = await taskOf('scarter');
    expect((await complete(scarter._id, { requestApproved: 'false' })).status).toBe(200);
    const bjensen = await taskOf('bjensen');
    const r = await complete(bjensen._id, { requestApproved: 'true', sourceId: 'scarter' });
    // The form has no sourceId field: refused, naming it; then the plain approval goes through.
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/sourceId/);
    expect((await complete(bjensen._id, { requestApproved: 'true' })).status).toBe(200);
    // Tamper with everything mutable: the job's payload and the instance's variables.
    const job = await db.knex('job').where({ key: `createUser:${bjensen.processInstanceId}` }).first();
    expect(job).toBeDefined();
    const payload = typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload;
    payload.variables = { ...payload.variables, sourceId: 'scarter', mapping: MAPPING, sourceHash: 'x' };
    await db.knex('job').where({ id: job.id }).update({ payload: JSON.stringify(payload) });
    await db.knex('process_instance').where({ id: bjensen.processInstanceId }).update({ variables: JSON.stringify(payload.variables) });
    await runJobs();
    expect((await user('scarter')).status).toBe(404);
    const created = await user('bjensen');
    expect(created.status).toBe(200);
    expect(created.body.authzRoles).toEqual([{ _ref: AUTHORIZED }]);
    const done = await db.knex('job').where({ id: job.id }).first();
    expect(done.state).toBe('done');
    const h = await history(bjensen.processInstanceId);
    expect(h.approval).toMatchObject({ sourceId: 'bjensen', decision: 'approved', decidedBy: 'openidm-admin', outcome: 'created', outcomeMessage: null });
  });

  it('observation 2: the task shows the snapshot; a row changed before the job runs creates nothing (superseded) and is asked again', async () => {
    project.writeCsv([csvRow('carol', { roles: AUTHORIZED })]);
    await recon();
    const task = await taskOf('carol');
    const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(read.status).toBe(200);
    expect(read.body.approval).toEqual({
      mapping: MAPPING, sourceId: 'carol', sourceHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      target: { _id: 'carol', userName: 'carol', givenName: 'carol', sn: 'Test', mail: 'carol@example.com', telephoneNumber: '1234567', description: 'Created By CSV', authzRoles: [{ _ref: AUTHORIZED }] },
      roles: [AUTHORIZED],
      earlierDecisions: [],
      earlier: [],
      comment: null,
    });
    const firstHash = read.body.approval.sourceHash;
    // What one waiting approval stores (instance, task, snapshot) stays within 2 KB.
    const stored = [
      await db.knex('process_instance').where({ id: task.processInstanceId }).first(),
      await db.knex('task').where({ process_instance_id: task.processInstanceId }).first(),
      await db.knex('approval_request').where({ process_instance_id: task.processInstanceId }).first(),
    ].reduce((n, row) => n + Object.values(row as Record<string, unknown>).reduce((m: number, v) => m + valueBytes(v), 0), 0);
    expect(stored).toBeLessThanOrEqual(2048);
    // The row gains openidm-admin after the request was shown.
    project.writeCsv([csvRow('carol', { roles: `${ADMIN_ROLE},${AUTHORIZED}` })]);
    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    expect((await user('carol')).status).toBe(404);
    const job = await db.knex('job').where({ key: `createUser:${task.processInstanceId}` }).first();
    expect(job.state).toBe('done');
    const h = await history(task.processInstanceId);
    expect(h.approval).toMatchObject({ decision: 'approved', outcome: 'superseded' });
    expect(h.approval.outcomeMessage).toContain(firstHash);
    // The next recon asks again, showing the new roles.
    await recon();
    const again = await taskOf('carol');
    const read2 = await t.call('GET', `/workflow/taskinstance/${again._id}`, { headers: ADMIN });
    expect(read2.body.approval.roles).toEqual([ADMIN_ROLE, AUTHORIZED]);
    expect(read2.body.approval.sourceHash).not.toBe(firstHash);
    expect(read2.body.approval.earlierDecisions).toEqual([{ decision: 'approved', decidedBy: 'openidm-admin', decidedAt: expect.any(String), outcome: 'superseded' }]);
    expect(h.approval.outcomeMessage).toContain(read2.body.approval.sourceHash);
  });

  it('observation 2: a recon that sees an open request whose row changed ends it (deleteReason) and asks again', async () => {
    project.writeCsv([csvRow('dora', { roles: AUTHORIZED })]);
    await recon();
    const first = await taskOf('dora');
    project.writeCsv([csvRow('dora', { roles: `${ADMIN_ROLE},${AUTHORIZED}` })]);
    const run = await recon();
    const second = await taskOf('dora');
    expect(second.processInstanceId).not.toBe(first.processInstanceId);
    const old = await history(first.processInstanceId);
    expect(old.status).toBe('canceled');
    expect(old.deleteReason).toMatch(/^superseded: the source row changed/);
    expect(old.approval).toMatchObject({ decision: null, outcome: null });
    const entries = await audit(run._id, 'dora');
    expect(entries.map((e) => e.message).join()).toMatch(new RegExp(`instance ${first.processInstanceId}`));
    const read = await t.call('GET', `/workflow/taskinstance/${second._id}`, { headers: ADMIN });
    expect(read.body.approval.roles).toEqual([ADMIN_ROLE, AUTHORIZED]);
  });

  it('observation 3(b): an approval whose user cannot be created is dead at once, never done; an incident with retry', async () => {
    // A managed user holds the id but does not correlate (another userName).
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'erin', userName: 'erin.other', sn: 'Other' } })).status).toBe(201);
    project.writeCsv([csvRow('erin')]);
    await recon();
    const task = await taskOf('erin');
    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    const job = await db.knex('job').where({ key: `createUser:${task.processInstanceId}` }).first();
    expect(job).toMatchObject({ state: 'dead', attempts: 1 });
    expect(job.last_error).toMatch(/erin already exists/);
    const h = await history(task.processInstanceId);
    expect(h.approval).toMatchObject({ decision: 'approved', outcome: 'failed', outcomeMessage: expect.stringMatching(/erin already exists/) });
    // Incidents: listed, read, retried; admin only.
    const list = await t.call('GET', '/workflow/incident?_queryFilter=true&_totalPagedResultsPolicy=EXACT', { headers: ADMIN });
    expect(list.status).toBe(200);
    const incident = list.body.result.find((i: any) => i._id === `job-${job.id}`);
    expect(incident).toEqual({
      _id: `job-${job.id}`, type: 'failedJob', processInstanceId: String(task.processInstanceId), processDefinitionId: expect.stringMatching(/^managedUserApproval:/),
      activityId: 'approved', jobId: String(job.id), jobType: 'createUser', cause: expect.stringMatching(/erin already exists/), time: expect.any(String), attempts: 1,
    });
    expect(list.body.totalPagedResults).toBe(list.body.result.length);
    expect((await t.call('GET', `/workflow/incident/job-${job.id}`, { headers: ADMIN })).body._id).toBe(`job-${job.id}`);
    expect((await t.call('GET', '/workflow/incident/job-999999', { headers: ADMIN })).status).toBe(404);
    const retried = await t.call('POST', `/workflow/incident/job-${job.id}?_action=retry`, { headers: ADMIN });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ _id: `job-${job.id}`, status: 'retried' });
    expect((await db.knex('job').where({ id: job.id }).first()).state).toBe('queued');
    // The cause is gone now: the retry creates the user.
    expect((await t.call('DELETE', '/managed/user/erin', { headers: ADMIN })).status).toBe(200);
    await runJobs();
    expect((await db.knex('job').where({ id: job.id }).first()).state).toBe('done');
    expect((await user('erin')).status).toBe(200);
    expect((await history(task.processInstanceId)).approval.outcome).toBe('created');
    expect((await t.call('GET', `/workflow/incident/job-${job.id}`, { headers: ADMIN })).status).toBe(404);
  });

  it('a failed instance step is an incident naming its activity; its retry says why it cannot be re-run', async () => {
    const xml = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'fixtures', 'bpmn', 'script-error.bpmn'), 'utf8');
    expect((await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml })).status).toBeLessThan(300);
    // All or nothing answers the start with the failure; the failed instance stays in the history.
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'scriptError', sourceId: 'zed' } });
    expect(started.status).toBe(500);
    const failed = await t.call('GET', `/workflow/processinstance/history?_queryFilter=${encodeURIComponent('processDefinitionKey eq "scriptError"')}`, { headers: ADMIN });
    expect(failed.body.result).toHaveLength(1);
    const pid = failed.body.result[0]._id;
    const id = `instance-${pid}`;
    const incident = (await t.call('GET', `/workflow/incident/${id}`, { headers: ADMIN })).body;
    expect(incident).toMatchObject({ _id: id, type: 'failedInstance', processInstanceId: pid, activityId: 'failingScript', jobId: null, cause: expect.stringMatching(/boom from zed/) });
    const listed = await t.call('GET', `/workflow/incident?_queryFilter=${encodeURIComponent('type eq "failedInstance"')}`, { headers: ADMIN });
    expect(listed.body.result.map((i: any) => i._id)).toContain(id);
    const retry = await t.call('POST', `/workflow/incident/${id}?_action=retry`, { headers: ADMIN });
    expect(retry.status).toBe(409);
    expect(retry.body.message).toMatch(/failingScript/);
  });

  it('a failed timer run is an incident of the still-active instance; its retry makes the timers due now', async () => {
    const xml = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'fixtures', 'bpmn', 'timer-fails.bpmn'), 'utf8');
    expect((await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml })).status).toBeLessThan(300);
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'timerFails' } });
    expect(started.status).toBe(201);
    const pid = Number(started.body._id);
    // Two hours later (a runtime over the same repository whose clock says so), the scheduler's pass
    // runs the boundary timer, whose script fails.
    const later = new WorkflowRuntime(db, t.services.definitions, { info() {}, warn() {}, error() {} }, {}, { now: () => Date.now() + 2 * 3600_000 });
    expect(await later.fireDue()).toBe(1);
    const id = `instance-${pid}`;
    const incident = await t.call('GET', `/workflow/incident/${id}`, { headers: ADMIN });
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({ type: 'failedInstance', processInstanceId: String(pid), activityId: 'failingScript', cause: expect.stringMatching(/escalation broke/) });
    const before = await db.knex('process_instance').where({ id: pid }).first();
    expect(Number(before.wake_at)).toBeGreaterThan(Date.now() + 3600_000);
    const retry = await t.call('POST', `/workflow/incident/${id}?_action=retry`, { headers: ADMIN });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ _id: id, status: 'retried' });
    const after = await db.knex('process_instance').where({ id: pid }).first();
    expect(Number(after.wake_at)).toBeLessThanOrEqual(Date.now() + 5_000);
    // Completing the task ends the instance normally, and the incident is gone.
    const task = (await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq "${pid}"`)}`, { headers: ADMIN })).body.result[0];
    expect((await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: {} })).status).toBe(200);
    expect((await t.call('GET', `/workflow/incident/${id}`, { headers: ADMIN })).status).toBe(404);
  });

  it('an approval of an instance no reconciliation asked for is failed from the decision on, never a plain approved', async () => {
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'nosnap', mapping: MAPPING, reconId: 'r-rest' } });
    expect(started.status).toBe(201);
    const [task] = await openTasks('nosnap');
    expect((await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN })).body.approval).toBeNull();
    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    // Before the job has run, the history already says that nothing will be created.
    let h = await history(started.body._id);
    expect(h.approval).toMatchObject({ sourceId: 'nosnap', target: null, decision: 'approved', outcome: 'failed', outcomeMessage: expect.stringMatching(/has no approval request/) });
    await runJobs();
    const job = await db.knex('job').where({ key: `createUser:${started.body._id}` }).first();
    expect(job.state).toBe('dead');
    expect((await user('nosnap')).status).toBe(404);
    h = await history(started.body._id);
    expect(h.approval).toMatchObject({ outcome: 'failed', outcomeMessage: expect.stringMatching(/has no approval request/) });
    expect((await t.call('GET', `/workflow/incident/job-${job.id}`, { headers: ADMIN })).body.cause).toMatch(/has no approval request/);
  });

  it('incidents are for administrators only', async () => {
    await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'plain', userName: 'plain', sn: 'P', password: 'Passw0rd!' } });
    const r = await t.call('GET', '/workflow/incident?_queryFilter=true', { headers: { 'X-OpenIDM-Username': 'plain', 'X-OpenIDM-Password': 'Passw0rd!' } });
    expect(r.status).toBe(403);
  });

  it("observation 3(c): josé, o'brien and \"a b\" are asked about and created; a 300-character id is a FAILURE, never a task", async () => {
    const long = 'l'.repeat(300);
    project.writeCsv([csvRow('josé'), csvRow("o'brien"), csvRow('a b'), csvRow(long), csvRow('mailtoolong', { email: `${'m'.repeat(300)}@example.com` })]);
    const run = await recon();
    // recon_audit.source_object_id is varchar(255): PostgreSQL keeps the first 255 characters.
    const all = (await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${run._id}"`)}`, { headers: ADMIN })).body.result as any[];
    const entries = all.filter((e) => long.startsWith(e.sourceObjectId));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'FAILURE', situation: 'ABSENT' });
    expect(entries[0].message).toMatch(/identifier.*255/i);
    expect(run.statusSummary.FAILURE).toBeGreaterThanOrEqual(1);
    expect(await openTasks(long)).toHaveLength(0);
    // A policy of managed.json (mail is a varchar(255) column) refuses it before anyone is asked.
    expect((await audit(run._id, 'mailtoolong'))[0]).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(/Failed policy validation: mail MAX_LENGTH:255/) });
    expect(await openTasks('mailtoolong')).toHaveLength(0);
    for (const id of ['josé', "o'brien", 'a b']) expect((await complete((await taskOf(id))._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    for (const id of ['josé', "o'brien", 'a b']) expect((await user(id)).body).toMatchObject({ _id: id, userName: id });
  });

  it('observation 4: an approved row whose job has not run (or an open request) gets no second task; the audit says which', async () => {
    project.writeCsv([csvRow('frank'), csvRow('gina')]);
    await recon();
    const frank = await taskOf('frank');
    const gina = await taskOf('gina');
    expect((await complete(frank._id, { requestApproved: 'true' })).status).toBe(200);
    const run = await recon();
    expect(await openTasks('frank')).toHaveLength(0);
    expect((await openTasks('gina')).map((x) => x._id)).toEqual([gina._id]);
    expect((await audit(run._id, 'frank'))[0].message).toMatch(new RegExp(`approved by openidm-admin.*not been created yet.*instance ${frank.processInstanceId}`, 'i'));
    expect((await audit(run._id, 'gina'))[0].message).toMatch(new RegExp(`already open \\(instance ${gina.processInstanceId}\\)`));
    await runJobs();
    expect((await user('frank')).status).toBe(200);
  });
});

describe('the decider reads the history of what they decided', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    project.writeCsv([csvRow('hank')]);
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('async.admin (not an administrator) sees the approval of the task it completed; another user gets 403', async () => {
    const approver = { userName: 'async.admin', sn: 'A', password: 'Passw0rd', authzRoles: [{ _ref: AUTHORIZED }] };
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'asyncadmin', ...approver } })).status).toBe(201);
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'other', userName: 'other', sn: 'O', password: 'Passw0rd', authzRoles: [{ _ref: AUTHORIZED }] } })).status).toBe(201);
    await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}&waitForCompletion=true`, { headers: ADMIN });
    const asAsync = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };
    const [task] = (await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: asAsync })).body.result;
    const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: asAsync });
    expect(read.body.approval).toMatchObject({ sourceId: 'hank', target: { _id: 'hank', userName: 'hank' }, roles: [AUTHORIZED] });
    expect((await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: asAsync, body: { requestApproved: 'false' } })).status).toBe(200);
    const h = await t.call('GET', `/workflow/processinstance/history/${task.processInstanceId}`, { headers: asAsync });
    expect(h.status).toBe(200);
    expect(h.body.approval).toMatchObject({ decision: 'rejected', decidedBy: 'async.admin', outcome: null });
    const other = await t.call('GET', `/workflow/processinstance/history/${task.processInstanceId}`, { headers: { 'X-OpenIDM-Username': 'other', 'X-OpenIDM-Password': 'Passw0rd' } });
    expect(other.status).toBe(403);
  });
});

describe('managed-object ids accept what OpenIDM accepts', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer({ workers: false }); });
  afterAll(async () => { await t.close(); });

  it.each(['josé', "o'brien", 'a b', 'x%y', 'ünïcødé-名前', 'a+b@c'])('%s: create, read, update, patch, query, delete over REST', async (id) => {
    const path = `/managed/user/${encodeURIComponent(id)}`;
    const created = await t.call('PUT', path, { headers: { ...ADMIN, 'If-None-Match': '*' }, body: { userName: `u-${id}`, sn: 'S' } });
    expect(created.status).toBe(201);
    expect(created.body._id).toBe(id);
    expect((await t.call('GET', path, { headers: ADMIN })).body).toMatchObject({ _id: id, sn: 'S' });
    expect((await t.call('PUT', path, { headers: ADMIN, body: { userName: `u-${id}`, sn: 'T' } })).body).toMatchObject({ _id: id, sn: 'T' });
    expect((await t.call('PATCH', path, { headers: ADMIN, body: [{ operation: 'replace', field: 'sn', value: 'U' }] })).body).toMatchObject({ _id: id, sn: 'U' });
    const q = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent(`_id eq "${id}"`)}`, { headers: ADMIN });
    expect(q.body.result.map((u: any) => u._id)).toEqual([id]);
    expect((await t.call('DELETE', path, { headers: ADMIN })).status).toBe(200);
    expect((await t.call('GET', path, { headers: ADMIN })).status).toBe(404);
  });

  it.each([['a slash', 'a/b'], ['a control character', 'a\u0001b'], ['a DEL', 'a\u007fb'], ['256 characters', 'x'.repeat(256)], ['"."', '.'], ['".."', '..']])('refuses %s with 400', async (_what, id) => {
    const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: `n${Math.random()}`, sn: 'S' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/identifier/i);
  });

  it('accepts exactly 255 characters', async () => {
    const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'é'.repeat(255), userName: 'long255', sn: 'S' } });
    expect(r.status).toBe(201);
  });
});
