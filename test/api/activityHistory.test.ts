// The path an instance took over REST (issue 15, deliverable 9): GET
// /openidm/workflow/processinstance/history/{id} carries `passed`, the activities and events completed
// so far in order, stored with each run (activity_history) and read back by a fresh server over the
// same database. Both backends.
import path from 'node:path';
import fs from 'node:fs';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

// Each test starts up to four real servers one after the other: allow for a loaded machine.
jest.setTimeout(180_000);

describe('processinstance history: passed', () => {
  let project: TestProject;
  let db: TestDb;
  beforeAll(async () => {
    project = makeProject();
    fs.copyFileSync(path.resolve(__dirname, '../fixtures/bpmn/h-deploy-path.bpmn'), path.join(project.dir, 'processes', 'h-deploy-path.bpmn'));
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.destroy();
    project.remove();
  });
  const server = () => startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  const history = async (t: TestServer, id: string) => {
    const r = await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN });
    expect(r.status).toBe(200);
    return r.body as { status: string; passed: string[] };
  };
  const start = async (t: TestServer, body: Record<string, unknown>) => {
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body });
    expect(r.status).toBe(201);
    return r.body._id as string;
  };
  const completeOnly = async (t: TestServer, instanceId: string, body: Record<string, unknown>) => {
    const tasks = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
    expect(tasks.body.result).toHaveLength(1);
    const r = await t.call('POST', `/workflow/taskinstance/${tasks.body.result[0]._id}?_action=complete`, { headers: ADMIN, body });
    expect(r.status).toBe(200);
  };

  it('is stored with each step and survives a restart', async () => {
    let t = await server();
    const approval = await start(t, { _key: 'managedUserApproval', sourceId: 'bjensen', mapping: 'm', reconId: 'r1' });
    const forked = await start(t, { _key: 'pathProcess' });
    expect(await history(t, approval)).toMatchObject({ status: 'active', passed: ['start'] });
    const fork = await history(t, forked);
    expect(fork.passed.slice().sort()).toEqual(['fork', 'join', 'note', 'prepare', 'prepareEnd', 'prepareStart', 'score', 'start']);
    await t.close();

    t = await server();
    try {
      await completeOnly(t, approval, { requestApproved: 'false' });
      expect(await history(t, approval)).toMatchObject({ status: 'ended', passed: ['start', 'evaluateRequest', 'decisionMerge', 'approvalGateway', 'rejected'] });
      await completeOnly(t, forked, { ok: 'true' });
      expect((await history(t, forked)).passed.slice(-3)).toEqual(['review', 'decide', 'accepted']);
      const fields = await t.call('GET', `/workflow/processinstance/history/${approval}?_fields=passed`, { headers: ADMIN });
      expect(fields.body).toEqual({ _id: approval, passed: ['start', 'evaluateRequest', 'decisionMerge', 'approvalGateway', 'rejected'] });
    } finally {
      await t.close();
    }
  });
});
