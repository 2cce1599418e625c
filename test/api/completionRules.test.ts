// Completion rules over real HTTP, on the real engine and real BPMN files (issue 13, observations 1
// and 3a): a submission sets only what the task's form lets it set; a completion whose next steps
// fail stores nothing and answers an error naming the activity; what the runtime can never run is
// refused at deploy; process XML is for administrators only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as definitionsRepo from '../../src/repo/processDefinitions';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, ASYNC_ADMIN, startTestServer, TestServer } from '../helpers/server';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'bpmn');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('completion rules (REST)', () => {
  let db: TestDb;
  let t: TestServer;

  const deploy = (xml: string, name: string) =>
    t.call('POST', `/workflow/processdefinition?resourceName=${name}`, { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml });

  async function start(key: string, variables: Record<string, unknown>) {
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key, ...variables } });
    expect(r.status).toBe(201);
    return r.body._id as string;
  }
  async function taskOf(instanceId: string) {
    const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
    expect(r.body.result).toHaveLength(1);
    return r.body.result[0];
  }
  const complete = (taskId: string, body: unknown, headers = ASYNC_ADMIN) => t.call('POST', `/workflow/taskinstance/${taskId}?_action=complete`, { headers, body });
  const history = async (id: string) => (await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startTestServer({ db, keepDb: true, workers: false });
    // The assignee of every task here: a non-admin (openidm-authorized only).
    const u = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'asyncadmin', userName: 'async.admin', givenName: 'a', sn: 'b', mail: 'a@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
    });
    expect(u.status).toBe(201);
    for (const f of ['completion-rules.bpmn', 'fails-after-task.bpmn']) expect((await deploy(fixture(f), f)).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
  });

  describe('a completion sets only what the form lets it set', () => {
    it('observation 1: a key that is not a form field ("sourceId") is refused with 400 naming it; the task stays open', async () => {
      const id = await start('managedUserApproval', { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' });
      const task = await taskOf(id);
      const r = await complete(task._id, { requestApproved: 'true', sourceId: 'scarter' });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 400, reason: 'Bad Request', detail: { field: 'sourceId' } });
      expect(r.body.message).toContain('sourceId');
      expect((await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ASYNC_ADMIN })).status).toBe(200);
      expect(await history(id)).toMatchObject({ status: 'active', processVariables: { sourceId: 'bjensen' } });
      // The seed's body, verbatim, still works; `_`-prefixed CREST metadata is ignored.
      expect((await complete(task._id, { requestApproved: 'true', _rev: '0' })).status).toBe(200);
      expect(await history(id)).toMatchObject({ status: 'ended', endActivityId: 'approved', processVariables: { sourceId: 'bjensen', requestApproved: 'true' } });
    });

    it('a form field cannot change a start variable, also once the completion plan answers that path', async () => {
      // First completion of the path teaches the plan; the second is answered by it.
      for (const sourceId of ['plan1', 'plan2']) {
        const ok = await taskOf(await start('managedUserApproval', { sourceId, mapping: 'm', reconId: 'r1' }));
        expect((await complete(ok._id, { requestApproved: 'true' })).status).toBe(200);
      }
      const id = await start('managedUserApproval', { sourceId: 'plan3', mapping: 'm', reconId: 'r1', requestApproved: 'false' });
      const task = await taskOf(id);
      const r = await complete(task._id, { requestApproved: 'true' });
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatchObject({ field: 'requestApproved' });
      expect(await history(id)).toMatchObject({ status: 'active', processVariables: { requestApproved: 'false' } });
      // The same value is no change: accepted.
      expect((await complete(task._id, { requestApproved: 'false' })).status).toBe(200);
      expect(await history(id)).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
    });

    it('a writable field named like a start variable may resend it unchanged, not change it; read-only fields only unchanged', async () => {
      const id = await start('completionRules', { sourceId: 'bjensen' });
      const task = await taskOf(id);
      const changed = await complete(task._id, { decision: 'yes', sourceId: 'scarter' });
      expect(changed.status).toBe(400);
      expect(changed.body.detail).toMatchObject({ field: 'sourceId' });
      const readOnly = await complete(task._id, { decision: 'yes', shownName: 'other' });
      expect(readOnly.status).toBe(400);
      expect(readOnly.body.detail).toMatchObject({ field: 'shownName' });
      expect((await complete(task._id, { decision: 'yes', sourceId: 'bjensen', shownName: 'bjensen' })).status).toBe(200);
      // The next task opts in to free variables: new keys are taken, existing variables stay.
      const notes = await taskOf(id);
      expect(notes.taskDefinitionKey).toBe('notes');
      const def = await t.call('GET', `/workflow/processdefinition/${notes.processDefinitionId}`, { headers: ASYNC_ADMIN });
      expect(Object.values(def.body.taskDefinitions).map((d: any) => [d._id, d.freeVariables])).toEqual([['review', false], ['notes', true]]);
      for (const [body, field] of [[{ sourceId: 'scarter' }, 'sourceId'], [{ decision: 'no' }, 'decision'], [{ constructor: 'x' }, 'constructor']] as const) {
        const r = await complete(notes._id, body);
        expect(r.status).toBe(400);
        expect(r.body.detail).toMatchObject({ field });
      }
      expect((await complete(notes._id, { comment: 'fine', ticket: 'T-1', decision: 'yes' })).status).toBe(200);
      expect(await history(id)).toMatchObject({ status: 'ended', processVariables: { sourceId: 'bjensen', decision: 'yes', comment: 'fine', ticket: 'T-1' } });
    });
  });

  describe('all or nothing', () => {
    async function expectNothingStored(id: string, taskId: string, before: any) {
      expect((await t.call('GET', `/workflow/taskinstance/${taskId}`, { headers: ASYNC_ADMIN })).status).toBe(200);
      expect(await history(id)).toEqual(before);
    }

    it.each([
      ['script', 'failingScript', /boom for x/],
      ['expression', 'badExpression', /.+/],
      ['timer', 'badTimer', /.+/],
      ['gateway', 'levelGateway', /.+/],
    ])('a failing step after the task (%s) answers 500 naming %s, and stores nothing', async (failure, activityId, cause) => {
      const id = await start('failsAfterTask', { sourceId: 'x', failure, timerValue: 'not a duration' });
      const task = await taskOf(id);
      const before = await history(id);
      const r = await complete(task._id, { requestApproved: 'true', level: 'c' });
      expect(r.status).toBe(500);
      expect(r.body).toMatchObject({ code: 500, reason: 'Internal Server Error', message: expect.stringContaining(activityId), detail: { activityId, cause: expect.stringMatching(cause) } });
      await expectNothingStored(id, task._id, before);
    });

    it('the completion plan gives the engine\'s answer: a path it has verified, then one it cannot take', async () => {
      for (let i = 0; i < 2; i++) {
        const ok = await taskOf(await start('failsAfterTask', { sourceId: `ok${i}`, failure: 'none' }));
        expect((await complete(ok._id, { requestApproved: 'true' })).status).toBe(200);
      }
      for (let i = 0; i < 2; i++) {
        const ok = await taskOf(await start('failsAfterTask', { sourceId: `a${i}`, failure: 'gateway' }));
        expect((await complete(ok._id, { requestApproved: 'true', level: 'a' })).status).toBe(200);
      }
      const id = await start('failsAfterTask', { sourceId: 'y', failure: 'gateway' });
      const task = await taskOf(id);
      const before = await history(id);
      const r = await complete(task._id, { requestApproved: 'true', level: 'zzz' });
      expect(r.status).toBe(500);
      expect(r.body.detail).toMatchObject({ activityId: 'levelGateway' });
      await expectNothingStored(id, task._id, before);
      expect((await complete(task._id, { requestApproved: 'true', level: 'b' })).status).toBe(200);
      expect(await history(id)).toMatchObject({ status: 'ended', endActivityId: 'end' });
    });

    it('a script format with no engine, in a version stored before deploy refused it, fails the completion with 500 and stores nothing', async () => {
      const xml = fixture('fails-after-task.bpmn')
        .replace('id="failsAfterTask"', 'id="legacyPython"')
        .replace('scriptFormat="javascript"', 'scriptFormat="python"');
      // As an earlier reconflow stored it: straight into the repository, past today's deploy checks.
      await definitionsRepo.insertDefinitionVersion(db.knex, {
        key: 'legacyPython', name: 'legacy', category: null, resourceName: 'legacy.bpmn', hash: crypto.createHash('sha256').update(xml).digest('hex'), xml,
      });
      const id = await start('legacyPython', { sourceId: 'g', failure: 'script' });
      const task = await taskOf(id);
      const before = await history(id);
      const r = await complete(task._id, { requestApproved: 'true' });
      expect(r.status).toBe(500);
      expect(r.body.detail).toMatchObject({ activityId: 'failingScript', cause: expect.stringMatching(/python/) });
      await expectNothingStored(id, task._id, before);
    });
  });

  it('a start whose run fails answers 500 naming the activity, not 201; the failed instance stays in the history', async () => {
    expect((await deploy(fixture('script-error.bpmn'), 'script-error.bpmn')).status).toBe(201);
    const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'scriptError', sourceId: 'z' } });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ code: 500, detail: { activityId: 'failingScript', cause: expect.stringMatching(/boom from z/) } });
    expect(await history(r.body.detail.processInstanceId)).toMatchObject({ status: 'failed', endActivityId: 'failingScript' });
  });

  it('a form field whose id starts with "_" is a field, not CREST metadata', async () => {
    const xml = fixture('completion-rules.bpmn').replace(/id="completionRules"/, 'id="underscoreField"').replace('id="decision"', 'id="_decision"');
    expect((await deploy(xml, 'underscore.bpmn')).status).toBe(201);
    const task = await taskOf(await start('underscoreField', { sourceId: 'u' }));
    expect((await complete(task._id, {})).status).toBe(400);
    expect((await complete(task._id, { _decision: 'yes' })).status).toBe(200);
  });

  describe('refused at deploy', () => {
    const process = (inner: string, extraNs = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ${extraNs} id="d" targetNamespace="t">
  <bpmn:process id="refused" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${inner}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
    it.each([
      ['a python script', '<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>x</bpmn:script></bpmn:scriptTask>', /python is not supported/],
      ['a Java delegate class', '<bpmn:serviceTask id="work" camunda:class="com.example.Delegate" />', /camunda:class/],
      ['an Activiti delegate class', '<bpmn:serviceTask id="work" activiti:class="com.example.Delegate" />', /activiti:class/],
      ['a delegate expression', '<bpmn:serviceTask id="work" camunda:delegateExpression="${bean}" />', /delegateExpression/],
      ['a service task without an external topic', '<bpmn:serviceTask id="work" />', /serviceTask/],
      ['a send task', '<bpmn:sendTask id="work" />', /sendTask/],
      ['a business rule task', '<bpmn:businessRuleTask id="work" camunda:decisionRef="d" />', /businessRuleTask/],
      ['an execution listener', '<bpmn:userTask id="work"><bpmn:extensionElements><camunda:executionListener class="a.B" event="start" /></bpmn:extensionElements></bpmn:userTask>', /executionListener/],
    ])('%s: 400 naming the element', async (_what, inner, message) => {
      const r = await deploy(process(inner, 'xmlns:activiti="http://activiti.org/bpmn" xmlns:flowable="http://flowable.org/bpmn"'), 'refused.bpmn');
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 400, detail: { elementId: 'work' } });
      expect(r.body.message).toMatch(message);
      expect(r.body.message).toContain('"work"');
    });
    it.each([
      ['asyncBefore', '<bpmn:userTask id="work" camunda:asyncBefore="true" />'],
      ['flowable:async', '<bpmn:userTask id="work" flowable:async="true" />'],
    ])('%s deploys: the server registers the continuation job (test/process/asyncContinuation.test.ts runs it)', async (_what, inner) => {
      const r = await deploy(process(inner, 'xmlns:activiti="http://activiti.org/bpmn" xmlns:flowable="http://flowable.org/bpmn"'), 'async.bpmn');
      expect(r.status).toBe(201);
    });
  });

  describe('process definition XML', () => {
    it('is readable by administrators only; a task reader still gets the definition without it', async () => {
      const list = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ASYNC_ADMIN });
      const id = list.body.result.find((d: any) => d.key === 'managedUserApproval')._id;
      const denied = await t.call('GET', `/workflow/processdefinition/${id}?_fields=xml,_id`, { headers: ASYNC_ADMIN });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ code: 403, reason: 'Forbidden' });
      const plain = await t.call('GET', `/workflow/processdefinition/${id}`, { headers: ASYNC_ADMIN });
      expect(plain.status).toBe(200);
      expect(plain.body.xml).toBeUndefined();
      const admin = await t.call('GET', `/workflow/processdefinition/${id}?_fields=xml,_id`, { headers: ADMIN });
      expect(admin.body.xml).toContain('managedUserApproval');
    });
  });
});
