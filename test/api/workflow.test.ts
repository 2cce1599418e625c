// The workflow REST API on the real processes/managedUserApproval.bpmn: definitions, instances,
// tasks, restarts, races and versions.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

const BPMN = fs.readFileSync(path.join(__dirname, '..', '..', 'processes', 'managedUserApproval.bpmn'), 'utf8');

async function startApproval(t: TestServer, sourceId: string) {
  const r = await t.call('POST', '/workflow/processinstance?_action=create', {
    headers: ADMIN, body: { _key: 'managedUserApproval', _businessKey: `sourceId: ${sourceId}`, sourceId, mapping: 'm', reconId: 'r1' },
  });
  expect(r.status).toBe(201);
  return r.body;
}

async function taskOf(t: TestServer, instanceId: string) {
  const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
  expect(r.body.result).toHaveLength(1);
  return r.body.result[0];
}

describe('workflow REST', () => {
  let db: TestDb;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDb();
    t = await startTestServer({ db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
  });

  it('lists the deployed definition with its task and form', async () => {
    const list = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
    expect(list.body.result).toEqual([expect.objectContaining({ key: 'managedUserApproval', name: 'Managed User Approval Workflow', version: 1 })]);
    const id = list.body.result[0]._id;
    expect(id).toMatch(/^managedUserApproval:1:\d+$/);
    const def = await t.call('GET', `/workflow/processdefinition/${id}`, { headers: ADMIN });
    const task = def.body.taskDefinitions.evaluateRequest;
    expect(task.assignee).toEqual({ expressionText: 'async.admin' });
    expect(task.formProperties.formPropertyHandlers.find((f: any) => f._id === 'requestApproved')).toMatchObject({ required: true, type: { name: 'enum', values: { true: 'Yes', false: 'No' } } });
  });

  it('starts an instance that waits at evaluateRequest for async.admin', async () => {
    const inst = await startApproval(t, 'alice');
    expect(inst).toMatchObject({ _id: expect.any(String), processInstanceId: inst._id, businessKey: 'sourceId: alice', processDefinitionId: expect.stringMatching(/^managedUserApproval:1:/) });
    const task = await taskOf(t, inst._id);
    expect(task).toMatchObject({ name: 'Evaluate request', assignee: 'async.admin', taskDefinitionKey: 'evaluateRequest', processVariables: expect.objectContaining({ sourceId: 'alice' }) });
    const full = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(full.body.form.find((f: any) => f._id === 'requesterName')).toMatchObject({ value: 'alice', writable: false });
  });

  it('validates form values: missing required field and a value outside the enum are 400 naming the field', async () => {
    const inst = await startApproval(t, 'bob');
    const task = await taskOf(t, inst._id);
    const missing = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('requestApproved');
    const wrong = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'maybe' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain('requestApproved');
    const unknown = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=explode`, { headers: ADMIN, body: {} });
    expect(unknown.status).toBe(400);
    // Boolean true is accepted like "true".
    const ok = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: true } });
    expect(ok.status).toBe(200);
    const hist = await t.call('GET', `/workflow/processinstance/history?_queryFilter=${encodeURIComponent(`_id eq ${inst._id}`)}`, { headers: ADMIN });
    expect(hist.body.result[0]).toMatchObject({ status: 'ended', endActivityId: 'approved' });
  });

  it('a rejection ends at the rejected end event and enqueues no job', async () => {
    const inst = await startApproval(t, 'carol');
    const task = await taskOf(t, inst._id);
    const r = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } });
    expect(r.status).toBe(200);
    const hist = await t.call('GET', `/workflow/processinstance/history/${inst._id}`, { headers: ADMIN });
    expect(hist.body).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
    expect(await db.knex('job').where({ key: `createUser:${inst._id}` }).first()).toBeUndefined();
    expect((await t.call('GET', `/workflow/processinstance/${inst._id}`, { headers: ADMIN })).status).toBe(404);
  });

  it('concurrent completes of one task: exactly one wins', async () => {
    const inst = await startApproval(t, 'dave');
    const task = await taskOf(t, inst._id);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => [200, 404, 409].includes(s))).toBe(true);
    expect(await db.knex('job').where({ key: `createUser:${inst._id}` }).count({ n: '*' }).then((r) => Number(r[0].n))).toBe(1);
  });

  it('claim: one of two claimants wins', async () => {
    const inst = await startApproval(t, 'erin');
    const task = await taskOf(t, inst._id);
    await t.call('PUT', `/workflow/taskinstance/${task._id}`, { headers: ADMIN, body: { assignee: null } });
    const [a, b] = await Promise.all([
      t.call('POST', `/workflow/taskinstance/${task._id}?_action=claim`, { headers: ADMIN, body: { userId: 'x1' } }),
      t.call('POST', `/workflow/taskinstance/${task._id}?_action=claim`, { headers: ADMIN, body: { userId: 'x2' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });

  it('deploys a changed file as version 2 while a version-1 instance waits, which then completes on version 1', async () => {
    const v1 = await startApproval(t, 'frank');
    const changed = BPMN.replace('camunda:assignee="async.admin"', 'camunda:assignee="openidm-admin"');
    expect(changed).not.toBe(BPMN);
    const up = await t.call('POST', '/workflow/processdefinition?resourceName=managedUserApproval.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: changed });
    expect(up.status).toBe(201);
    expect(up.body.version).toBe(2);
    const again = await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: changed });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
    const v2 = await startApproval(t, 'gina');
    expect(v2.processDefinitionId).toBe(up.body._id);
    expect((await taskOf(t, v2._id)).assignee).toBe('openidm-admin');
    const oldTask = await taskOf(t, v1._id);
    expect(oldTask.assignee).toBe('async.admin');
    expect(oldTask.processDefinitionId).toMatch(/^managedUserApproval:1:/);
    const del = await t.call('DELETE', `/workflow/processdefinition/${oldTask.processDefinitionId}`, { headers: ADMIN });
    expect(del.status).toBe(409);
    const done = await t.call('POST', `/workflow/taskinstance/${oldTask._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } });
    expect(done.status).toBe(200);
    const hist = await t.call('GET', `/workflow/processinstance/history/${v1._id}`, { headers: ADMIN });
    expect(hist.body).toMatchObject({ status: 'ended', endActivityId: 'approved', processDefinitionId: oldTask.processDefinitionId });
  });

  it('refuses a broken BPMN upload with 400 and keeps the good version', async () => {
    const broken = BPMN.replace(/targetRef="evaluateRequest"/, 'targetRef="nowhere"');
    const r = await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: broken });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/nowhere|reference/i);
    const xxe = await t.call('POST', '/workflow/processdefinition', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' });
    expect(xxe.status).toBe(400);
    const list = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
    expect(list.body.result.map((d: any) => d.version)).toEqual([1, 2]);
  });

  it('a restarted server lists the waiting task and completes it at the right end', async () => {
    const inst = await startApproval(t, 'henry');
    await t.close();
    t = await startTestServer({ db, keepDb: true, workers: false });
    const task = await taskOf(t, inst._id);
    const r = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } });
    expect(r.status).toBe(200);
    const hist = await t.call('GET', `/workflow/processinstance/history/${inst._id}`, { headers: ADMIN });
    expect(hist.body.endActivityId).toBe('rejected');
  });

  it('cancels an instance with DELETE', async () => {
    const inst = await startApproval(t, 'ivy');
    const r = await t.call('DELETE', `/workflow/processinstance/${inst._id}`, { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('canceled');
    const open = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${inst._id}`)}`, { headers: ADMIN });
    expect(open.body.result).toEqual([]);
  });
});
