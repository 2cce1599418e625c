// A call activity over REST on a real server (job worker on): the caller's and the called task are
// each completed with POST taskinstance/{id}?_action=complete, the server restarts while the
// called instance waits, the history shows the called instance's superProcessInstanceId, and the
// caller ends where the out variable leads. A called instance canceled over REST fails its caller.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

const FIXTURES = path.resolve(__dirname, '../fixtures/bpmn');

describe('call activities over REST', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    for (const f of ['h-call-parent.bpmn', 'h-call-child.bpmn']) fs.copyFileSync(path.join(FIXTURES, f), path.join(project.dir, 'processes', f));
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const tasksOf = async (instanceId: string) =>
    (await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN })).body.result as { _id: string; taskDefinitionKey: string }[];
  const history = async (id: string) => (await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body;
  const calledBy = async (id: string) =>
    (await t.call('GET', `/workflow/processinstance/history?_queryFilter=${encodeURIComponent(`superProcessInstanceId eq "${id}"`)}`, { headers: ADMIN })).body.result as { _id: string }[];
  const complete = (taskId: string, body: Record<string, unknown>) => t.call('POST', `/workflow/taskinstance/${taskId}?_action=complete`, { headers: ADMIN, body });
  const startOrder = async () => {
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'hCallParent', _businessKey: 'order-7' } });
    expect(r.status).toBe(201);
    return r.body._id as string;
  };

  it('runs caller and called process across a restart, each task completed over REST', async () => {
    const parent = await startOrder();
    const [prepare] = await tasksOf(parent);
    expect(prepare.taskDefinitionKey).toBe('prepare');
    expect((await complete(prepare._id, { amount: '250' })).status).toBe(200);

    const [child] = await calledBy(parent);
    expect(await history(child._id)).toMatchObject({ status: 'active', processDefinitionKey: 'hCallChild', businessKey: 'order-7', superProcessInstanceId: parent, processVariables: { requested: 250, limit: 500 } });
    expect(await history(parent)).toMatchObject({ status: 'active', superProcessInstanceId: null });
    expect(await tasksOf(parent)).toEqual([]);

    // Restart while the called instance waits: a new server over the same database and folder.
    await t.close();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true });

    const [decide] = await tasksOf(child._id);
    expect(decide.taskDefinitionKey).toBe('decide');
    expect((await complete(decide._id, { decision: 'approve' })).status).toBe(200);
    const ended = await eventually(async () => {
      const h = await history(parent);
      return h.status === 'ended' ? h : undefined;
    }, 10_000, 'the caller ends');
    expect(ended).toMatchObject({ endActivityId: 'approvedEnd', processVariables: { amount: 250, reviewDecision: 'approve', large: true } });
    expect(await history(child._id)).toMatchObject({ status: 'ended', endActivityId: 'done' });
  });

  it('fails the caller, naming the called instance, when that one is canceled over REST', async () => {
    const parent = await startOrder();
    await complete((await tasksOf(parent))[0]._id, { amount: '1' });
    const [child] = await calledBy(parent);
    expect((await t.call('DELETE', `/workflow/processinstance/${child._id}`, { headers: ADMIN })).status).toBe(200);
    const failed = await eventually(async () => {
      const h = await history(parent);
      return h.status === 'failed' ? h : undefined;
    }, 10_000, 'the caller fails');
    expect(failed).toMatchObject({ endActivityId: 'review', error: expect.stringContaining(`called process instance ${child._id} (hCallChild:1:`) });
  });

  it('refuses a REST deployment whose call activity names a key that is not deployed', async () => {
    const xml = fs.readFileSync(path.join(FIXTURES, 'h-call-parent.bpmn'), 'utf8').replace('calledElement="hCallChild"', 'calledElement="noSuchProcess"');
    const r = await t.call('POST', '/workflow/processdefinition?resourceName=order.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('callActivity "review" calls process "noSuchProcess", which is not deployed');
    expect(r.body.detail).toEqual({ elementId: 'review' });
  });
});
