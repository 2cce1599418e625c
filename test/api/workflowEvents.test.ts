// Wait states other than user tasks over real HTTP: waiting executions, trigger, message
// correlation and signal broadcast on real files deployed over REST, durable across a restart,
// all or nothing, and one winner of a race.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, ASYNC_ADMIN, startTestServer, TestServer } from '../helpers/server';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bpmn', name), 'utf8');

async function deploy(t: TestServer, name: string) {
  const r = await t.call('POST', `/workflow/processdefinition?resourceName=${name}`, { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: fixture(name) });
  expect([200, 201]).toContain(r.status);
  return r.body;
}

async function start(t: TestServer, key: string, vars: Record<string, unknown> = {}, businessKey?: string) {
  const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key, ...(businessKey && { _businessKey: businessKey }), ...vars } });
  expect(r.status).toBe(201);
  return r.body.processInstanceId as string;
}

async function executionsOf(t: TestServer, instanceId: string) {
  const r = await t.call('GET', `/workflow/execution?_queryFilter=${encodeURIComponent(`processInstanceId eq "${instanceId}"`)}`, { headers: ADMIN });
  expect(r.status).toBe(200);
  return r.body.result as { _id: string; activityId: string; kind: string; name: string | null; processInstanceId: string }[];
}

const history = async (t: TestServer, id: string) => (await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body;
const message = (t: TestServer, body: unknown) => t.call('POST', '/workflow/message', { headers: ADMIN, body });
const signal = (t: TestServer, body: unknown) => t.call('POST', '/workflow/signal', { headers: ADMIN, body });

describe('workflow events REST', () => {
  let db: TestDb;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDb();
    t = await startTestServer({ db, keepDb: true, workers: false });
    for (const f of ['h-events-manual-receive.bpmn', 'h-events-catch.bpmn', 'h-events-gateway.bpmn', 'h-events-start.bpmn', 'h-events-boundary.bpmn', 'h-events-fails.bpmn']) await deploy(t, f);
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
  });

  it('lists a manual task as a waiting execution and triggers it with variables, then correlates the receive task', async () => {
    const id = await start(t, 'hManualReceive', { orderId: 'o-1' });
    const [manual] = await executionsOf(t, id);
    expect(manual).toMatchObject({ activityId: 'checkDocuments', kind: 'trigger', name: null, processInstanceId: id });

    const r = await t.call('POST', `/workflow/execution/${manual._id}?_action=trigger`, { headers: ADMIN, body: { variables: { checked: { value: true, type: 'Boolean' } } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ processInstanceId: id, status: 'active', processVariables: { orderId: 'o-1', checked: true } });
    expect(await executionsOf(t, id)).toEqual([expect.objectContaining({ activityId: 'waitForPayment', kind: 'message', name: 'paymentReceived' })]);
    // The execution is gone: a second trigger finds nothing.
    const again = await t.call('POST', `/workflow/execution/${manual._id}?_action=trigger`, { headers: ADMIN, body: {} });
    expect(again.status).toBe(404);

    const paid = await message(t, { messageName: 'paymentReceived', correlationKeys: { orderId: 'o-1' }, processVariables: { amount: 12 } });
    expect(paid.status).toBe(200);
    expect(paid.body).toEqual([{ processInstanceId: id, started: false }]);
    const [confirm] = await executionsOf(t, id);
    expect(confirm).toMatchObject({ activityId: 'confirm', kind: 'trigger' });
    expect((await t.call('POST', `/workflow/execution/${confirm._id}?_action=trigger`, { headers: ADMIN })).status).toBe(200);
    expect(await history(t, id)).toMatchObject({ status: 'ended', endActivityId: 'done', processVariables: { orderId: 'o-1', checked: true, amount: 12 } });
    expect(await executionsOf(t, id)).toEqual([]);
  });

  it('a message nothing waits for is a 400 in Camunda words, never a 2xx', async () => {
    const r = await message(t, { messageName: 'nobodyListens' });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("Cannot correlate message 'nobodyListens': No process definition or execution matches the parameters");
    // Keys that match no instance are the same.
    await start(t, 'hCatch', { orderId: 'x-1' });
    const wrongKey = await message(t, { messageName: 'orderShipped', correlationKeys: { orderId: 'x-2' } });
    expect(wrongKey.status).toBe(400);
  });

  it('correlates by business key; more than one match needs all, which reaches every one', async () => {
    const a = await start(t, 'hCatch', {}, 'order-A');
    const b = await start(t, 'hCatch', {}, 'order-B');
    const one = await message(t, { messageName: 'orderShipped', businessKey: 'order-A' });
    expect(one.body).toEqual([{ processInstanceId: a, started: false }]);
    expect((await executionsOf(t, a))[0]).toMatchObject({ activityId: 'alerted', kind: 'signal', name: 'alert' });

    const many = await message(t, { messageName: 'orderShipped' });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/Cannot correlate message 'orderShipped': \d+ executions match the parameters/);
    expect((await executionsOf(t, b))[0].activityId).toBe('shipped');

    const all = await message(t, { messageName: 'orderShipped', all: true });
    expect(all.status).toBe(200);
    expect(all.body.map((c: { processInstanceId: string }) => c.processInstanceId)).toContain(b);
    expect((await executionsOf(t, b))[0].activityId).toBe('alerted');
  });

  it('a signal reaches every waiting instance and says how many', async () => {
    const a = await start(t, 'hCatch');
    await message(t, { messageName: 'orderShipped', all: true });
    const before = (await t.call('GET', `/workflow/execution?_queryFilter=${encodeURIComponent('name eq "alert"')}`, { headers: ADMIN })).body.resultCount;
    expect(before).toBeGreaterThanOrEqual(1);
    const r = await signal(t, { name: 'alert', variables: { alertedBy: 'ops' } });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(before);
    expect(await history(t, a)).toMatchObject({ status: 'ended', endActivityId: 'done', processVariables: { alertedBy: 'ops' } });
    // Nothing waits any more: a valid broadcast that reached no one.
    const none = await signal(t, { name: 'alert' });
    expect(none.status).toBe(200);
    expect(none.body.count).toBe(0);
  });

  it('an event-based gateway waits for its catches; the one that fires takes its path', async () => {
    const id = await start(t, 'hGateway');
    expect((await executionsOf(t, id)).map((e) => `${e.activityId}:${e.kind}:${e.name}`).sort()).toEqual(['gotAnswer:message:answer', 'gotCancel:signal:cancelAll']);
    expect((await signal(t, { name: 'cancelAll' })).body.count).toBeGreaterThanOrEqual(1);
    expect(await history(t, id)).toMatchObject({ status: 'ended', endActivityId: 'canceled' });
    expect(await executionsOf(t, id)).toEqual([]);
  });

  it('message and signal boundary events: interrupting and not', async () => {
    const id = await start(t, 'hBoundary', {}, 'case-7');
    expect((await executionsOf(t, id)).map((e) => e.activityId).sort()).toEqual(['onNote', 'onPing', 'onStop', 'onWithdraw']);
    const noted = await message(t, { messageName: 'noteAdded', businessKey: 'case-7', processVariables: { note: 'hi' } });
    expect(noted.status).toBe(200);
    const inst = await t.call('GET', `/workflow/processinstance/${id}`, { headers: ADMIN });
    expect(inst.body.tasks).toEqual([expect.objectContaining({ taskDefinitionKey: 'review' })]);
    const withdrawn = await message(t, { messageName: 'withdrawn', businessKey: 'case-7' });
    expect(withdrawn.status).toBe(200);
    expect(await history(t, id)).toMatchObject({ status: 'ended', endActivityId: 'withdrawnEnd', processVariables: { note: 'hi' } });
    // The task went with the interrupted activity.
    const tasks = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${id}`)}`, { headers: ADMIN });
    expect(tasks.body.result).toEqual([]);
  });

  it('a message starts an instance at its message start event, a signal at its signal start event', async () => {
    const r = await message(t, { messageName: 'applicationReceived', businessKey: 'app-1', processVariables: { applicant: 'bjensen' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual([{ processInstanceId: expect.any(String), started: true }]);
    const id = r.body[0].processInstanceId;
    const inst = await t.call('GET', `/workflow/processinstance/${id}`, { headers: ADMIN });
    expect(inst.body).toMatchObject({ businessKey: 'app-1', processDefinitionKey: 'hStart', processVariables: { applicant: 'bjensen' }, tasks: [expect.objectContaining({ taskDefinitionKey: 'review' })] });
    expect(await executionsOf(t, id)).toEqual([]);

    const s = await signal(t, { name: 'campaignLaunched', variables: { campaign: 'c1' } });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ count: 1, started: [expect.any(String)] });
    expect((await t.call('GET', `/workflow/processinstance/${s.body.started[0]}`, { headers: ADMIN })).body.processVariables).toEqual({ campaign: 'c1' });
  });

  it('a message starts the latest version only; a removed version starts nothing', async () => {
    const v2 = fixture('h-events-start.bpmn').replace('name="applicationReceived"', 'name="applicationFiled"');
    const deployed = await t.call('POST', '/workflow/processdefinition?resourceName=h-events-start-v2.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: v2 });
    expect(deployed.status).toBe(201);
    expect((await message(t, { messageName: 'applicationReceived' })).status).toBe(400);
    const r = await message(t, { messageName: 'applicationFiled' });
    expect(r.status).toBe(200);
    expect((await history(t, r.body[0].processInstanceId)).processDefinitionId).toBe(deployed.body._id);
    // Back to the first name: the old name starts the newest version again.
    const v3 = await t.call('POST', '/workflow/processdefinition?resourceName=h-events-start.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: fixture('h-events-start.bpmn') });
    expect(v3.status).toBe(201);
    const again = await message(t, { messageName: 'applicationReceived' });
    expect((await history(t, again.body[0].processInstanceId)).processDefinitionId).toBe(v3.body._id);
    expect((await message(t, { messageName: 'applicationFiled' })).status).toBe(400);
  });

  it('a run that fails stores nothing and answers 500 naming the activity', async () => {
    const id = await start(t, 'hFails');
    const r = await message(t, { messageName: 'go', processVariables: { crash: true } });
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(/failed at explode: .*boom.*Nothing was stored/);
    expect(r.body.detail).toMatchObject({ activityId: 'explode', processInstanceId: id });
    const inst = await t.call('GET', `/workflow/processinstance/${id}`, { headers: ADMIN });
    expect(inst.body.processVariables).toEqual({});
    expect(await executionsOf(t, id)).toEqual([expect.objectContaining({ activityId: 'waitForGo' })]);
    // The same message without the fault goes through.
    expect((await message(t, { messageName: 'go' })).status).toBe(200);
  });

  it('checks every input before any work, and is for administrators only', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/workflow/message', {}, /messageName is required/],
      ['/workflow/message', { messageName: 'x', all: 'yes' }, /all must be true or false/],
      ['/workflow/message', { messageName: 'x', correlationKeys: [1] }, /correlationKeys must be a JSON object/],
      ['/workflow/message', { messageName: 'x', processVariables: { __proto__: null, constructor: 1 } }, /not allowed/],
      ['/workflow/message', { messageName: 'x', surprise: 1 }, /Unknown field/],
      ['/workflow/signal', { variables: {} }, /name is required/],
    ];
    for (const [url, body, reason] of cases) {
      const r = await t.call('POST', url, { headers: ADMIN, body });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(reason);
    }
    expect((await t.call('POST', '/workflow/execution/1?_action=explode', { headers: ADMIN, body: {} })).status).toBe(400);
    expect((await t.call('POST', '/workflow/execution/abc?_action=trigger', { headers: ADMIN, body: {} })).status).toBe(404);
    const user = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'plain', userName: 'plain', givenName: 'p', sn: 'p', mail: 'p@example.com', password: 'Passw0rd-plain', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
    });
    expect(user.status).toBe(201);
    const plain = { 'X-OpenIDM-Username': 'plain', 'X-OpenIDM-Password': 'Passw0rd-plain' };
    expect((await t.call('POST', '/workflow/signal', { headers: plain, body: { name: 'alert' } })).status).toBe(403);
    expect((await t.call('POST', '/workflow/message', { headers: plain, body: { messageName: 'go' } })).status).toBe(403);
    expect((await t.call('GET', '/workflow/execution?_queryFilter=true', { headers: plain })).status).toBe(403);
    void ASYNC_ADMIN;
  });

  it('two correlations of the same message race: exactly one wins', async () => {
    const id = await start(t, 'hCatch', {}, 'race-1');
    const [a, b] = await Promise.all([message(t, { messageName: 'orderShipped', businessKey: 'race-1' }), message(t, { messageName: 'orderShipped', businessKey: 'race-1' })]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([400, 409]).toContain(statuses[1]);
    expect((await executionsOf(t, id)).map((e) => e.activityId)).toEqual(['alerted']);
  });

  it('a restarted server correlates a message to an instance stored before it stopped, and starts by message', async () => {
    const waiting = await start(t, 'hManualReceive', { orderId: 'durable-1' });
    const [manual] = await executionsOf(t, waiting);
    await t.call('POST', `/workflow/execution/${manual._id}?_action=trigger`, { headers: ADMIN, body: {} });
    await t.close();
    t = await startTestServer({ db, keepDb: true, workers: false });
    const r = await message(t, { messageName: 'paymentReceived', correlationKeys: { orderId: 'durable-1' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual([{ processInstanceId: waiting, started: false }]);
    expect((await executionsOf(t, waiting))[0].activityId).toBe('confirm');
    // The start events deployed before the restart still start instances.
    const s = await message(t, { messageName: 'applicationReceived' });
    expect(s.body).toEqual([{ processInstanceId: expect.any(String), started: true }]);
  });
});
