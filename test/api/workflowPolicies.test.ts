// Workflow (script) policies on any situation and phase (issue 16), on a real server with a project
// folder: the process gets OpenIDM's recon.actionParam (SyncOperation / TargetSyncOperation
// toJsonValue: the situation's default action, targetId, no sourceId in the target phase) and its
// approval performs that action once, with ObjectMapping.performAction's re-assessment.
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { completeTask, historyOf, runJobs as runAllJobs, tasksWhere, userOf } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const TRIGGER = 'workflow/triggerWorkflowFromSync.js';

describe('workflow policies on any situation and phase (OpenIDM ObjectMapping.performAction)', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    project.addProcess('target-approval.bpmn', 'targetApproval.bpmn');
    project.editSync((sync) => {
      const m = sync.mappings[0];
      const set = (situation: string, action: unknown) => {
        m.policies = m.policies.filter((p: { situation: string }) => p.situation !== situation).concat([{ situation, action }]);
      };
      set('ABSENT', 'CREATE');
      set('FOUND', { workflowName: 'managedUserApproval', type: 'text/javascript', file: TRIGGER });
      set('SOURCE_MISSING', { workflowName: 'targetApproval', type: 'text/javascript', file: TRIGGER, approvedAction: 'DELETE' });
    });
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const recon = () => runRecon(t, MAPPING);
  async function onlyTask(pred: (v: Record<string, unknown>) => boolean) {
    const tasks = await tasksWhere(t, pred);
    expect(tasks).toHaveLength(1);
    return tasks[0];
  }
  const complete = (taskId: string, body: Record<string, unknown>) => completeTask(t, taskId, body);
  const runJobs = () => runAllJobs(t);
  const history = (id: string) => historyOf(t, id);
  const user = (id: string) => userOf(t, id);
  const linkOf = (targetId: string) => db.knex('link').where({ link_type: MAPPING, second_id: targetId }).first();

  it('SOURCE_MISSING (target phase): the process gets targetId and no sourceId; approved, the target is deleted exactly once', async () => {
    project.writeCsv([csvRow('bjensen'), csvRow('scarter')]);
    await recon();
    expect((await user('scarter')).status).toBe(200);
    project.writeCsv([csvRow('bjensen')]);
    const run = await recon();
    const task = await onlyTask((v) => v.targetId === 'scarter');
    expect(task.processVariables).toMatchObject({ reconId: run._id, mapping: MAPPING, situation: 'SOURCE_MISSING', action: 'DELETE', target: 'true', targetId: 'scarter', linkQualifier: 'default' });
    expect(task.processVariables.sourceId).toBeUndefined();
    const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(read.body.approval).toMatchObject({ mapping: MAPPING, sourceId: null, action: 'DELETE', situation: 'SOURCE_MISSING', targetId: 'scarter', target: { _id: 'scarter', userName: 'scarter' } });
    // A second recon while the approval is open asks nothing more.
    await recon();
    expect(await tasksWhere(t, (v) => v.targetId === 'scarter')).toHaveLength(1);

    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    expect((await user('scarter')).status).toBe(404);
    expect(await linkOf('scarter')).toBeUndefined();
    const jobs = await db.knex('job').where({ key: `createUser:${task.processInstanceId}` });
    expect(jobs.map((j: any) => j.state)).toEqual(['done']);
    expect((await history(task.processInstanceId)).approval).toMatchObject({ decision: 'approved', outcome: 'performed', action: 'DELETE', targetId: 'scarter' });
    // Nothing is left to ask for, and running the queue again does nothing.
    await recon();
    await runJobs();
    expect(await tasksWhere(t, (v) => v.targetId === 'scarter')).toHaveLength(0);
    expect((await user('bjensen')).status).toBe(200);
  });

  it('a rejected target-phase approval changes nothing, and is not asked again for the same target', async () => {
    project.writeCsv([csvRow('bjensen'), csvRow('carol')]);
    await recon();
    project.writeCsv([csvRow('bjensen')]);
    await recon();
    const task = await onlyTask((v) => v.targetId === 'carol');
    expect((await complete(task._id, { requestApproved: 'false' })).status).toBe(200);
    await runJobs();
    expect((await user('carol')).status).toBe(200);
    expect(await linkOf('carol')).toBeDefined();
    expect(await db.knex('job').where({ key: `createUser:${task.processInstanceId}` })).toHaveLength(0);
    await recon();
    expect(await tasksWhere(t, (v) => v.targetId === 'carol')).toHaveLength(0);
  });

  it('FOUND (source phase): the process gets action UPDATE and targetId; approved, the row is linked and the target updated', async () => {
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'dave-old', userName: 'dave', sn: 'Old' } })).status).toBe(201);
    project.writeCsv([csvRow('bjensen'), csvRow('carol'), csvRow('dave', { lastname: 'New' })]);
    await recon();
    const task = await onlyTask((v) => v.sourceId === 'dave');
    expect(task.processVariables).toMatchObject({ situation: 'FOUND', action: 'UPDATE', sourceId: 'dave', targetId: 'dave-old' });
    const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(read.body.approval).toMatchObject({ sourceId: 'dave', action: 'UPDATE', situation: 'FOUND', targetId: 'dave-old', target: { _id: 'dave-old', sn: 'New', userName: 'dave' } });
    expect((await user('dave-old')).body.sn).toBe('Old');
    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    const updated = await user('dave-old');
    expect(updated.body).toMatchObject({ userName: 'dave', sn: 'New', givenName: 'dave' });
    expect(await linkOf('dave-old')).toMatchObject({ first_id: 'dave' });
    expect((await user('dave')).status).toBe(404);
    expect((await history(task.processInstanceId)).approval).toMatchObject({ decision: 'approved', outcome: 'performed' });
  });

  it('a situation that changed between the request and the approval fails the job (an incident), never a silent success', async () => {
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'erin-old', userName: 'erin', sn: 'Old' } })).status).toBe(201);
    project.writeCsv([csvRow('bjensen'), csvRow('carol'), csvRow('dave', { lastname: 'New' }), csvRow('erin')]);
    await recon();
    const task = await onlyTask((v) => v.sourceId === 'erin');
    expect(task.processVariables.action).toBe('UPDATE');
    // The correlated user goes away: erin is ABSENT now, no longer FOUND.
    expect((await t.call('DELETE', '/managed/user/erin-old', { headers: ADMIN })).status).toBe(200);
    expect((await complete(task._id, { requestApproved: 'true' })).status).toBe(200);
    await runJobs();
    const job = await db.knex('job').where({ key: `createUser:${task.processInstanceId}` }).first();
    expect(job.state).toBe('dead');
    const h = await history(task.processInstanceId);
    expect(h.approval).toMatchObject({ decision: 'approved', outcome: 'failed', outcomeMessage: expect.stringMatching(/Expected situation does not match\. Expected: FOUND, Found: ABSENT/) });
    const incidents = await t.call('GET', '/workflow/incident?_queryFilter=true', { headers: ADMIN });
    expect(incidents.status).toBe(200);
    expect((incidents.body.result as any[]).some((i) => String(i.processInstanceId) === String(task.processInstanceId) && /Expected situation does not match/.test(i.cause))).toBe(true);
    expect((await user('erin')).status).toBe(404);
    expect((await user('erin-old')).status).toBe(404);
  });

  it('POST sync?_action=performAction with targetId only runs a TargetSyncOperation', async () => {
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'lonely', userName: 'lonely', sn: 'L' } })).status).toBe(201);
    const sync = (qs: string) => t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&${qs}`, { headers: ADMIN });
    const wrong = await sync('targetId=lonely&action=DELETE&situation=SOURCE_MISSING');
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toBe('Expected situation does not match. Expected: SOURCE_MISSING, Found: UNASSIGNED');
    expect((await user('lonely')).status).toBe(200);
    const ok = await sync('targetId=lonely&action=DELETE&situation=UNASSIGNED');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'OK', situation: 'UNASSIGNED', action: 'DELETE', sourceId: null, targetId: 'lonely' });
    expect((await user('lonely')).status).toBe(404);
    const gone = await sync('targetId=lonely&action=DELETE');
    expect(gone.status).toBe(409);
    expect(gone.body.message).toMatch(/Target object managed\/user\/lonely does not exist/);
    expect((await sync('action=DELETE')).status).toBe(400);
  });
});
