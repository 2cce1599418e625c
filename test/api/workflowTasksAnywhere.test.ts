// Issue 15 (tasks anywhere) through the durable runtime and REST, on SQLite and PostgreSQL: a task in
// a (nested) sub-process, multi-instance tasks, a parallel join. Each task is a row with its own
// execution id, completed over POST taskinstance/{id}?_action=complete; the server is restarted
// between steps, so every step recovers the stored instance in a fresh engine.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

// Each test restarts the server two or three times: allow for a loaded machine.
jest.setTimeout(180_000);

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bpmn', name), 'utf8');

describe('user tasks anywhere over REST', () => {
  let db: TestDb;
  let t: TestServer;
  const restart = async () => {
    await t.close();
    t = await startTestServer({ db, keepDb: true, workers: false });
  };
  beforeAll(async () => {
    db = await createTestDb();
    t = await startTestServer({ db, keepDb: true, workers: false });
    for (const name of ['h-tasks-subprocess.bpmn', 'h-tasks-multi-instance.bpmn', 'h-tasks-gateways.bpmn']) {
      const r = await t.call('POST', `/workflow/processdefinition?resourceName=${name}`, { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: fixture(name) });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
  });

  async function start(key: string, vars: Record<string, unknown>): Promise<string> {
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key, ...vars } });
    expect(r.status).toBe(201);
    return r.body._id;
  }
  async function tasks(instanceId: string): Promise<any[]> {
    const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
    expect(r.status).toBe(200);
    return (r.body.result as any[]).sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }
  async function complete(task: any, body: Record<string, unknown> = {}): Promise<void> {
    const r = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body });
    expect({ status: r.status, body: r.status === 200 ? undefined : r.body }).toEqual({ status: 200, body: undefined });
  }
  async function history(instanceId: string): Promise<any> {
    return (await t.call('GET', `/workflow/processinstance/history/${instanceId}`, { headers: ADMIN })).body;
  }

  it('a task in a sub-process, then in a nested one, across restarts; the value submitted inside decides after it', async () => {
    const id = await start('hTasksSubprocess', { sourceId: 'bjensen', checker: 'carol', signer: 'sam' });
    const [check] = await tasks(id);
    expect(check).toMatchObject({ taskDefinitionKey: 'check', name: 'Check bjensen', assignee: 'carol' });
    await restart();
    await complete(check, { help: false });
    await restart();
    const [sign] = await tasks(id);
    expect(sign).toMatchObject({ taskDefinitionKey: 'sign', assignee: 'sam' });
    expect(sign.executionId).not.toBe(check.executionId);
    await complete(sign, { signed: 'false' });
    expect(await history(id)).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
  });

  it('an escalation in the sub-process opens the event sub-process task beside the nested one', async () => {
    const id = await start('hTasksSubprocess', { sourceId: 'x', checker: 'carol', signer: 'sam' });
    await complete((await tasks(id))[0], { help: true });
    await restart();
    const open = await tasks(id);
    expect(open.map((x) => x.taskDefinitionKey)).toEqual(['assist', 'sign']);
    await complete(open[1], { signed: 'true' });
    expect((await tasks(id)).map((x) => x.taskDefinitionKey)).toEqual(['assist']);
    await complete((await tasks(id))[0]);
    expect(await history(id)).toMatchObject({ status: 'ended' });
  });

  it('multi-instance: a task row per iteration (own execution id, assignee from the element variable); sequential after parallel; a sub-process per region', async () => {
    const id = await start('hTasksMultiInstance', { approvers: ['ann', 'bob', 'cy'], signatures: 2, regionList: ['eu', 'us'] });
    const votes = await tasks(id);
    expect(votes.map((x) => [x.name, x.assignee])).toEqual([
      ['Vote (1 of 3)', 'ann'],
      ['Vote (2 of 3)', 'bob'],
      ['Vote (3 of 3)', 'cy'],
    ]);
    expect(new Set(votes.map((x) => x.executionId)).size).toBe(3);
    await complete(votes[0], { yes: 1 });
    await restart();
    expect((await tasks(id)).map((x) => x.assignee)).toEqual(['bob', 'cy']);
    await complete(votes[2], { yes: 2 }); // the completion condition holds: bob's task goes
    const signOff = await tasks(id);
    expect(signOff.map((x) => [x.taskDefinitionKey, x.assignee])).toEqual([['signOff', 'signer0']]);
    // The vote that was cut short cannot be completed any more.
    const gone = await t.call('POST', `/workflow/taskinstance/${votes[1]._id}?_action=complete`, { headers: ADMIN, body: {} });
    expect(gone.status).toBe(404);
    await complete(signOff[0]);
    await restart();
    await complete((await tasks(id))[0]);
    const regions = await tasks(id);
    const full = await Promise.all(regions.map(async (x) => (await t.call('GET', `/workflow/taskinstance/${x._id}`, { headers: ADMIN })).body));
    expect(full.map((x) => [x.name, x.candidates.candidateGroups])).toEqual([
      ['Review eu', ['eu-admins']],
      ['Review us', ['us-admins']],
    ]);
    await complete(regions[1], { usDone: true });
    await restart();
    expect((await tasks(id)).map((x) => x.name)).toEqual(['Review eu']);
    await complete(regions[0]);
    expect(await history(id)).toMatchObject({ status: 'ended', endActivityId: 'done' });
  });

  it('parallel join: one branch done, the instance still waits on the other; both, it joins once', async () => {
    const id = await start('hTasksGateways', { needsHr: 'false', amount: '5000' });
    const [legal, security] = await tasks(id);
    expect([legal.taskDefinitionKey, security.taskDefinitionKey]).toEqual(['legal', 'security']);
    await complete(security);
    await restart();
    expect((await tasks(id)).map((x) => x.taskDefinitionKey)).toEqual(['legal']);
    await complete(legal);
    const [finance] = await tasks(id);
    expect(finance.taskDefinitionKey).toBe('finance');
    await complete(finance);
    const done = await history(id);
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'end' });
    expect(done.processVariables ?? done.variables ?? {}).toMatchObject({ joined: 1, merged: 1 });
  });
});
