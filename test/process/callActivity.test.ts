// Call activities, durably (on SQLite, and on PostgreSQL with DATABASE_URL): the called instance
// starts in the transaction that stores its caller, linked to it; a fresh runtime over the same
// database (a restart) completes the called task; the workflow.callReturn job returns the out
// variables to the caller exactly once, and the gateway after the call reads them. Also: the
// version binding, an error end caught by a boundary or failing the caller, a canceled called
// instance failing its caller, a canceled caller canceling its called instances, and what deploy
// and run time refuse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Principal } from '../../src/auth/interfaces';
import { ProcessDefect } from '../../src/errors';
import { Worker, defaultWorkerOptions } from '../../src/jobs/worker';
import * as instances from '../../src/repo/processInstances';
import * as tasks from '../../src/repo/tasks';
import { CALL_RETURN_TOPIC } from '../../src/workflow/calledInstances';
import { Definitions } from '../../src/workflow/definitions';
import { DefinitionError } from '../../src/workflow/interfaces';
import { WorkflowRuntime } from '../../src/workflow/runtime';
import { instanceView } from '../../src/workflow/views';
import { createTestDb, TestDb } from '../helpers/db';
import { eventually } from '../helpers/server';

const FIXTURES = path.resolve(__dirname, '../fixtures/bpmn');
const xmlOf = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const log = { info() {}, warn() {}, error() {} };
const admin: Principal = { component: 'internal/user', id: 'openidm-admin', userName: 'openidm-admin', roles: ['openidm-admin'] };

/** A runtime as the server wires it (the callReturn handler registered), over `db`. */
function runtimeOver(db: TestDb): { definitions: Definitions; runtime: WorkflowRuntime } {
  const definitions = new Definitions(db, log);
  definitions.callActivities = true;
  return { definitions, runtime: new WorkflowRuntime(db, definitions, log) };
}

describe('call activities, durably', () => {
  let db: TestDb;
  let definitions: Definitions;
  let runtime: WorkflowRuntime;
  beforeAll(async () => {
    db = await createTestDb();
    ({ definitions, runtime } = runtimeOver(db));
    await definitions.deployXml(xmlOf('h-call-child.bpmn'), 'h-call-child.bpmn');
    await definitions.deployXml(xmlOf('h-call-parent.bpmn'), 'h-call-parent.bpmn');
  });
  afterAll(async () => {
    await runtime.close();
    await db.destroy();
  });

  const openTasks = (id: number) => tasks.tasksOfInstance(db.knex, id);
  const read = async (id: number) => (await instances.readInstance(db.knex, id))!;
  const childrenOf = async (id: number) => (await db.knex('process_instance').where({ super_instance_id: id }).orderBy('id')).map((r: { id: unknown }) => Number(r.id));
  const returnJobs = () => db.knex('job').where({ type: CALL_RETURN_TOPIC }).orderBy('id');
  /** Runs the callReturn job of a called instance as the worker would (its own transaction). */
  const runReturn = async (rt: WorkflowRuntime, childId: number) => {
    const job = await db.knex('job').where({ key: `callReturn:${childId}` }).first();
    expect(job).toBeDefined();
    return db.knex.transaction((trx) => rt.callReturnJob(trx, JSON.parse(job.payload), job));
  };

  it('starts the called instance with the caller step, survives a restart, and returns the out variables to the gateway', async () => {
    const { instance: parent } = await runtime.start({ key: 'hCallParent', businessKey: 'order-1', variables: {} });
    const [prepare] = await openTasks(parent.id);
    expect(prepare.taskDefinitionKey).toBe('prepare');
    await runtime.complete(prepare.id, { amount: '150' }, admin);

    // One transaction stored the caller at its call activity and the called instance at its task.
    const [childId] = await childrenOf(parent.id);
    const child = await read(childId);
    const waiting = await read(parent.id);
    expect(waiting).toMatchObject({ status: 'active', variables: { amount: 150 } });
    expect(await openTasks(parent.id)).toEqual([]);
    expect(child).toMatchObject({
      status: 'active', definitionKey: 'hCallChild', businessKey: 'order-1', superInstanceId: parent.id,
      superExecutionId: expect.stringMatching(/^review_/), variables: { requested: 150, limit: 300 },
    });
    expect(instanceView(child).superProcessInstanceId).toBe(String(parent.id));
    expect(instanceView(waiting).superProcessInstanceId).toBeNull();

    // A restart: a fresh runtime over the same database completes the called task.
    const restarted = runtimeOver(db);
    try {
      const [decide] = await openTasks(childId);
      expect(decide).toMatchObject({ taskDefinitionKey: 'decide', name: 'Decide' });
      await restarted.runtime.complete(decide.id, { decision: 'approve' }, admin);
      expect(await read(childId)).toMatchObject({ status: 'ended', endActivityId: 'done' });
      // The called instance's end enqueued the return in its own transaction; the caller still waits.
      expect((await returnJobs()).map((j: { key: string; state: string }) => [j.key, j.state])).toEqual([[`callReturn:${childId}`, 'queued']]);
      expect((await read(parent.id)).status).toBe('active');

      expect(await runReturn(restarted.runtime, childId)).toMatchObject({ returned: childId, to: parent.id, status: 'ended' });
      expect(await read(parent.id)).toMatchObject({ status: 'ended', endActivityId: 'approvedEnd', variables: { amount: 150, reviewDecision: 'approve', large: true } });
      // Exactly once: the job run again finds the caller finished.
      expect(await runReturn(restarted.runtime, childId)).toMatchObject({ skipped: expect.stringMatching(/is not active/) });
    } finally {
      await restarted.runtime.close();
    }
  });

  it('a called instance ended at an uncaught error end fails its caller, naming it', async () => {
    const { instance: parent } = await runtime.start({ key: 'hCallParent', variables: {} });
    await runtime.complete((await openTasks(parent.id))[0].id, { amount: '5' }, admin);
    const [childId] = await childrenOf(parent.id);
    await runtime.complete((await openTasks(childId))[0].id, { decision: 'refuse' }, admin);
    expect(await read(childId)).toMatchObject({ status: 'ended', endActivityId: 'refused' });
    await runReturn(runtime, childId);
    const failed = await read(parent.id);
    expect(failed).toMatchObject({ status: 'failed', endActivityId: 'review' });
    expect(failed.error).toMatch(new RegExp(`called process instance ${childId} \\(hCallChild:1:\\d+\\) ended at error end event "refused" \\(error REJECTED\\)`));
  });

  it('a canceled called instance fails its caller; a canceled caller cancels its called instances', async () => {
    const a = (await runtime.start({ key: 'hCallParent', variables: {} })).instance;
    await runtime.complete((await openTasks(a.id))[0].id, { amount: '1' }, admin);
    const [childA] = await childrenOf(a.id);
    await runtime.cancel(childA);
    await runReturn(runtime, childA);
    expect(await read(a.id)).toMatchObject({ status: 'failed', error: expect.stringContaining(`called process instance ${childA} (hCallChild:1:`) });
    expect((await read(a.id)).error).toMatch(/was canceled/);

    const b = (await runtime.start({ key: 'hCallParent', variables: {} })).instance;
    await runtime.complete((await openTasks(b.id))[0].id, { amount: '1' }, admin);
    const [childB] = await childrenOf(b.id);
    await runtime.cancel(b.id);
    expect(await read(childB)).toMatchObject({ status: 'canceled', error: `its calling process instance ${b.id} was canceled` });
    expect(await openTasks(childB)).toEqual([]);
    expect(await db.knex('job').where({ key: `callReturn:${childB}` })).toEqual([]);
  });

  it('a superseded caller (a new start taking its open key) cancels its called instances too', async () => {
    const { instance: old } = await runtime.start({ key: 'hCallParent', openKey: 'order:42', variables: {} });
    await runtime.complete((await openTasks(old.id))[0].id, { amount: '1' }, admin);
    const [child] = await childrenOf(old.id);
    const [fresh] = await runtime.startMany([{ key: 'hCallParent', openKey: 'order:42', variables: {} }], { supersede: new Map([['order:42', { instanceId: old.id, reason: 'asked again' }]]) });
    expect(fresh.created).toBe(true);
    expect(await read(old.id)).toMatchObject({ status: 'canceled', error: 'asked again' });
    expect(await read(child)).toMatchObject({ status: 'canceled', error: `its calling process instance ${old.id} was canceled` });
  });

  it('binds to a version or a deployment: such calls start version 1 after version 2 is deployed; an error boundary catches its error end', async () => {
    // Bound to its deployment: the version of hCallChild deployed at or before it (version 1).
    const deploymentBound = xmlOf('h-call-boundary.bpmn')
      .replace(/hCallBoundary/g, 'hCallDeploymentBound')
      .replace('camunda:calledElementBinding="version" camunda:calledElementVersion="1"', 'camunda:calledElementBinding="deployment"');
    await definitions.deployXml(deploymentBound, 'h-call-deployment.bpmn');
    const v2 = xmlOf('h-call-child.bpmn').replace('name="Decide"', 'name="Decide (v2)"');
    const { row } = await definitions.deployXml(v2, 'h-call-child.bpmn');
    expect(row.version).toBe(2);
    await definitions.deployXml(xmlOf('h-call-boundary.bpmn'), 'h-call-boundary.bpmn');
    try {
      const { instance: bound } = await runtime.start({ key: 'hCallBoundary', variables: { requested: 9 } });
      const [boundChild] = await childrenOf(bound.id);
      expect((await read(boundChild)).definitionId).toMatch(/^hCallChild:1:/);
      await runtime.complete((await openTasks(boundChild))[0].id, { decision: 'refuse' }, admin);
      await runReturn(runtime, boundChild);
      expect(await read(bound.id)).toMatchObject({ status: 'ended', endActivityId: 'caught' });

      const { instance: byDeployment } = await runtime.start({ key: 'hCallDeploymentBound', variables: {} });
      expect((await read((await childrenOf(byDeployment.id))[0])).definitionId).toMatch(/^hCallChild:1:/);

      // The latest binding (hCallParent) starts version 2.
      const { instance: latest } = await runtime.start({ key: 'hCallParent', variables: {} });
      await runtime.complete((await openTasks(latest.id))[0].id, { amount: '2' }, admin);
      const [latestChild] = await childrenOf(latest.id);
      expect((await read(latestChild)).definitionId).toBe(row.id);
      expect((await openTasks(latestChild))[0].name).toBe('Decide (v2)');
    } finally {
      await definitions.remove(row.id).catch(() => undefined);
    }
  });

  it('the job worker returns to the caller on its own', async () => {
    const worker = new Worker(db.knex, { [CALL_RETURN_TOPIC]: runtime.callReturnJob }, { ...defaultWorkerOptions('test'), pollMs: 20 }, log);
    worker.start();
    try {
      const { instance: parent } = await runtime.start({ key: 'hCallParent', variables: {} });
      await runtime.complete((await openTasks(parent.id))[0].id, { amount: '3' }, admin);
      const [childId] = await childrenOf(parent.id);
      const decide = (await openTasks(childId))[0];
      await runtime.complete(decide.id, { decision: 'no' }, admin);
      const ended = await eventually(async () => {
        const row = await read(parent.id);
        return row.status === 'ended' ? row : undefined;
      }, 10_000, 'the caller ends');
      expect(ended).toMatchObject({ endActivityId: 'rejectedEnd', variables: { reviewDecision: 'no' } });
    } finally {
      await worker.stop();
    }
  });
});

/** A process `id` whose only step is a call activity (inner XML given), or a script-only process. */
function tinyProcess(id: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="${id}Definitions" targetNamespace="t">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    ${body}
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}

describe('call activities and time, nesting and recursion', () => {
  let db: TestDb;
  let now = Date.UTC(2030, 0, 1);
  let definitions: Definitions;
  let runtime: WorkflowRuntime;
  beforeAll(async () => {
    db = await createTestDb();
    definitions = new Definitions(db, log);
    definitions.callActivities = true;
    runtime = new WorkflowRuntime(db, definitions, log, {}, { now: () => now });
    await definitions.deployXml(xmlOf('h-call-child.bpmn'), 'h-call-child.bpmn');
  });
  afterAll(async () => {
    await runtime.close();
    await db.destroy();
  });
  const read = async (id: number) => (await instances.readInstance(db.knex, id))!;
  const childrenOf = async (id: number) => (await db.knex('process_instance').where({ super_instance_id: id }).orderBy('id')).map((r: { id: unknown }) => Number(r.id));
  const runReturn = async (childId: number) => {
    const job = await db.knex('job').where({ key: `callReturn:${childId}` }).first();
    return db.knex.transaction((trx) => runtime.callReturnJob(trx, JSON.parse(job.payload), job));
  };

  it('an interrupting timer on the call activity cancels the called instance; it returns nothing', async () => {
    await definitions.deployXml(xmlOf('h-call-timeout.bpmn'), 'h-call-timeout.bpmn');
    const { instance } = await runtime.start({ key: 'hCallTimeout', variables: { amount: 4 } });
    const [child] = await childrenOf(instance.id);
    expect(await read(child)).toMatchObject({ status: 'active', variables: { requested: 4 } });
    now += 2 * 3600_000;
    expect(await runtime.fireDue()).toBe(1);
    expect(await read(instance.id)).toMatchObject({ status: 'ended', endActivityId: 'timedOut' });
    expect(await read(child)).toMatchObject({ status: 'canceled', error: `its calling process instance ${instance.id} no longer waits for it` });
    expect(await tasks.tasksOfInstance(db.knex, child)).toEqual([]);
    expect(await db.knex('job').where({ key: `callReturn:${child}` })).toEqual([]);
  });

  it('a called process that ends at once returns through the job; calls nest', async () => {
    await definitions.deployXml(tinyProcess('hCallQuick', '<bpmn:scriptTask id="step" scriptFormat="javascript"><bpmn:script>variables.doubled = variables.n * 2;</bpmn:script></bpmn:scriptTask>'), 'quick.bpmn');
    await definitions.deployXml(
      tinyProcess('hCallMiddle', '<bpmn:callActivity id="step" calledElement="hCallQuick"><bpmn:extensionElements><camunda:in variables="all" /><camunda:out source="doubled" target="result" /></bpmn:extensionElements></bpmn:callActivity>'),
      'middle.bpmn',
    );
    await definitions.deployXml(
      tinyProcess('hCallTop', '<bpmn:callActivity id="step" calledElement="hCallMiddle"><bpmn:extensionElements><camunda:in source="n" target="n" /><camunda:out source="result" target="answer" /></bpmn:extensionElements></bpmn:callActivity>'),
      'top.bpmn',
    );
    const { instance: top } = await runtime.start({ key: 'hCallTop', variables: { n: 21 } });
    const [middle] = await childrenOf(top.id);
    const [quick] = await childrenOf(middle);
    // The innermost ended in the start's transaction; its caller learns it from the job.
    expect(await read(quick)).toMatchObject({ status: 'ended', superInstanceId: middle, variables: { n: 21, doubled: 42 } });
    expect((await read(middle)).status).toBe('active');
    expect(await runReturn(quick)).toMatchObject({ returned: quick, to: middle, status: 'ended' });
    expect(await runReturn(middle)).toMatchObject({ returned: middle, to: top.id, status: 'ended' });
    expect(await read(top.id)).toMatchObject({ status: 'ended', variables: { n: 21, answer: 42 } });
  });

  it('a timer run that reaches a call whose process is gone keeps the state and is retried after a backoff', async () => {
    const xml = tinyProcess('hCallLater', '<bpmn:callActivity id="step" calledElement="${target}" />').replace(
      '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />',
      '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" /><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="step" />',
    );
    await definitions.deployXml(xml, 'later.bpmn');
    const { instance } = await runtime.start({ key: 'hCallLater', variables: { target: 'nowhere' } });
    now += 2 * 60_000;
    expect(await runtime.fireDue()).toBe(1);
    const kept = await read(instance.id);
    expect(kept).toMatchObject({ status: 'active', version: instance.version + 1, error: expect.stringMatching(/^timer run failed at step: Call activity "step" of hCallLater:1:\d+ calls process "nowhere", which is not deployed/) });
    expect(kept.wakeAt).toBe(now + 60_000);
    expect(await runtime.fireDue()).toBe(0);
    expect(await childrenOf(instance.id)).toEqual([]);
  });

  it('a process that calls itself for ever fails its step at a bounded depth', async () => {
    await definitions.deployXml(tinyProcess('hCallSelf', '<bpmn:callActivity id="step" calledElement="hCallSelf" />'), 'self.bpmn');
    await expect(runtime.start({ key: 'hCallSelf', variables: {} })).rejects.toThrow(/called processes nest deeper than 32 in one step/);
    expect(await db.knex('process_instance').where({ definition_key: 'hCallSelf' })).toEqual([]);
  });
});

describe('call activities at deploy and at run time', () => {
  let db: TestDb;
  beforeEach(async () => {
    db = await createTestDb();
  });
  afterEach(() => db.destroy());

  it('are refused where no callReturn handler runs', async () => {
    const definitions = new Definitions(db, log);
    await expect(definitions.deployXml(xmlOf('h-call-parent.bpmn'), 'h-call-parent.bpmn')).rejects.toThrow(/callActivity "review" needs the workflow.callReturn job handler/);
  });

  it('refuse a literal key that is not deployed, naming the element and the key', async () => {
    const { definitions } = runtimeOver(db);
    const deployed = definitions.deployXml(xmlOf('h-call-parent.bpmn'), 'h-call-parent.bpmn');
    await expect(deployed).rejects.toThrow(DefinitionError);
    await expect(definitions.deployXml(xmlOf('h-call-parent.bpmn'), 'h-call-parent.bpmn')).rejects.toThrow(
      'Cannot deploy h-call-parent.bpmn: callActivity "review" calls process "hCallChild", which is not deployed; deploy it first (or in the same process folder)',
    );
    // An expression is resolved at run time: deployed.
    await expect(definitions.deployXml(xmlOf('h-call-activiti.bpmn20.xml'), 'h-call-activiti.bpmn20.xml')).resolves.toMatchObject({ created: true });
  });

  it('deploy a folder where the caller sorts before the called process, called process first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h-call-'));
    try {
      fs.writeFileSync(path.join(dir, 'a-order.bpmn'), xmlOf('h-call-parent.bpmn'));
      fs.writeFileSync(path.join(dir, 'b-review.bpmn'), xmlOf('h-call-child.bpmn'));
      const { definitions } = runtimeOver(db);
      const report = await definitions.deployDirectory(dir);
      expect(report.failed).toEqual([]);
      expect(report.deployed.map((d) => d.key)).toEqual(['hCallChild', 'hCallParent']);
      // A folder whose called process cannot deploy refuses its caller too.
      const db2 = await createTestDb();
      try {
        fs.writeFileSync(path.join(dir, 'b-review.bpmn'), xmlOf('h-call-child.bpmn').replace('<bpmn:startEvent id="start" />', '<bpmn:startEvent id="start" /><bpmn:serviceTask id="svc" />'));
        const again = await runtimeOver(db2).definitions.deployDirectory(dir);
        expect(again.failed.map((f) => [f.file, f.elementId])).toEqual([['b-review.bpmn', 'svc'], ['a-order.bpmn', 'review']]);
      } finally {
        await db2.destroy();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fail a completion, all or nothing, when the called process is gone: 500 naming the call activity, the task still open', async () => {
    const { definitions, runtime } = runtimeOver(db);
    try {
      const { row: child } = await definitions.deployXml(xmlOf('h-call-child.bpmn'), 'h-call-child.bpmn');
      await definitions.deployXml(xmlOf('h-call-parent.bpmn'), 'h-call-parent.bpmn');
      const { instance } = await runtime.start({ key: 'hCallParent', variables: {} });
      await definitions.remove(child.id);
      const [prepare] = await tasks.tasksOfInstance(db.knex, instance.id);
      const completed = runtime.complete(prepare.id, { amount: '1' }, admin);
      await expect(completed).rejects.toThrow(ProcessDefect);
      await expect(runtime.complete(prepare.id, { amount: '1' }, admin)).rejects.toThrow(/Call activity "review" of hCallParent:1:\d+ calls process "hCallChild", which is not deployed/);
      expect(await instances.readInstance(db.knex, instance.id)).toMatchObject({ status: 'active', version: instance.version, variables: {} });
      expect((await tasks.tasksOfInstance(db.knex, instance.id)).map((t) => t.id)).toEqual([prepare.id]);
      expect(await db.knex('process_instance').whereNotNull('super_instance_id')).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('fail the step, all or nothing, when the called key is missing at run time', async () => {
    const { definitions, runtime } = runtimeOver(db);
    try {
      await definitions.deployXml(xmlOf('h-call-activiti.bpmn20.xml'), 'h-call-activiti.bpmn20.xml');
      const start = runtime.start({ key: 'hCallActiviti', variables: { subProcessKey: 'nowhere', amount: 1 } });
      await expect(start).rejects.toThrow(ProcessDefect);
      await expect(runtime.start({ key: 'hCallActiviti', variables: { subProcessKey: 'nowhere', amount: 1 } })).rejects.toThrow(
        /Call activity "call" of hCallActiviti:1:\d+ calls process "nowhere", which is not deployed/,
      );
      expect(await db.knex('process_instance').count({ n: '*' })).toEqual([{ n: expect.anything() }]);
      expect(Number((await db.knex('process_instance').count({ n: '*' }))[0].n)).toBe(0);
    } finally {
      await runtime.close();
    }
  });
});
