// Versioned hot deployment: uploads over REST beside waiting instances of older versions, every
// version listed, bad files refused with the parser's message and element id, and the optional
// watch on processes/ deploying a changed file (never a broken one).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '../../src/context';
import { Definitions, DeployReport } from '../../src/workflow/definitions';
import { StopWatching, watchProcesses } from '../../src/workflow/watch';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

const ROOT = path.resolve(__dirname, '..', '..');
const V1 = fs.readFileSync(path.join(ROOT, 'processes', 'managedUserApproval.bpmn'), 'utf8');
const XML = { ...ADMIN, 'Content-Type': 'application/xml' };

/** A throwaway copy of the sample project (conf/, data/, processes/). */
function tempProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-project-'));
  for (const sub of ['conf', 'data', 'processes']) fs.cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true });
  return dir;
}

async function start(t: TestServer, sourceId: string) {
  const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId, mapping: 'm', reconId: 'r1' } });
  expect(r.status).toBe(201);
  return r.body as { _id: string; processDefinitionId: string };
}

async function onlyTask(t: TestServer, instanceId: string) {
  const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
  expect(r.body.result).toHaveLength(1);
  return r.body.result[0] as { _id: string; assignee: string; name: string; processDefinitionId: string };
}

describe('hot deployment over REST', () => {
  let project: string;
  let t: TestServer;
  beforeAll(async () => {
    project = tempProject();
    t = await startTestServer({ projectDir: project, workers: false });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('a version 2 upload runs beside a waiting version-1 instance, and every version is listed', async () => {
    const old = await start(t, 'alice');
    expect(old.processDefinitionId).toMatch(/^managedUserApproval:1:/);

    const v2 = V1.replace('name="Evaluate request" camunda:assignee="async.admin"', 'name="Evaluate request (v2)" camunda:candidateGroups="approvers"');
    expect(v2).not.toBe(V1);
    const up = await t.call('POST', '/workflow/processdefinition?resourceName=managedUserApproval.bpmn', { headers: XML, raw: v2 });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ key: 'managedUserApproval', version: 2, resourceName: 'managedUserApproval.bpmn' });
    expect(up.body.taskDefinitions.evaluateRequest).toMatchObject({ assignee: null, taskCandidateGroup: [{ expressionText: 'approvers' }] });

    const list = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
    expect(list.body.result.map((d: { _id: string; version: number }) => [d.version, d._id])).toEqual([
      [1, old.processDefinitionId],
      [2, up.body._id],
    ]);
    const onlyKey = await t.call('GET', `/workflow/processdefinition?_queryFilter=${encodeURIComponent('key eq "managedUserApproval"')}&_fields=_id,version`, { headers: ADMIN });
    expect(onlyKey.body.resultCount).toBe(2);

    const fresh = await start(t, 'bob');
    expect(fresh.processDefinitionId).toBe(up.body._id);
    const newTask = await onlyTask(t, fresh._id);
    expect(newTask).toMatchObject({ name: 'Evaluate request (v2)', assignee: null, processDefinitionId: up.body._id });
    const oldTask = await onlyTask(t, old._id);
    expect(oldTask).toMatchObject({ name: 'Evaluate request', assignee: 'async.admin', processDefinitionId: old.processDefinitionId });

    // Both complete, each on its own version.
    for (const [inst, task, answer, end] of [[old, oldTask, 'true', 'approved'], [fresh, newTask, 'false', 'rejected']] as const) {
      const done = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: answer } });
      expect(done.status).toBe(200);
      const hist = await t.call('GET', `/workflow/processinstance/history/${inst._id}`, { headers: ADMIN });
      expect(hist.body).toMatchObject({ status: 'ended', endActivityId: end, processDefinitionId: inst.processDefinitionId });
    }
  });

  it('a bad upload is 400 with the parser message and element id, and creates no version', async () => {
    const before = (await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN })).body.result.length;
    const broken = V1.replace('<bpmn:sequenceFlow id="toEscalatedReview" sourceRef="escalationTimer" targetRef="escalatedReview" />', '<bpmn:sequenceFlow id="toEscalatedReview" sourceRef="escalationTimer" targetRef="nowhere" />');
    expect(broken).not.toBe(V1);
    const r = await t.call('POST', '/workflow/processdefinition', { headers: XML, raw: broken });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/toEscalatedReview.*nowhere/);
    expect(r.body.detail).toEqual({ elementId: 'toEscalatedReview' });

    const notXml = await t.call('POST', '/workflow/processdefinition', { headers: XML, raw: '<bpmn:definitions' });
    expect(notXml.status).toBe(400);
    expect(notXml.body.message).toMatch(/^Invalid BPMN/);

    const after = (await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN })).body.result.length;
    expect(after).toBe(before);
  });
});

describe('watching processes/', () => {
  let db: TestDb;
  let dir: string;
  let definitions: Definitions;
  let stop: StopWatching | undefined;
  const logs: { level: string; message: string }[] = [];
  const log: Logger = {
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const latest = async () => (await definitions.list(true)).filter((d) => d.key === 'managedUserApproval').sort((a, b) => b.version - a.version)[0];

  beforeAll(async () => {
    db = await createTestDb();
    dir = path.join(tempProject(), 'processes');
    definitions = new Definitions(db, log);
    const first = await definitions.deployDirectory(dir);
    expect(first.deployed.map((d) => d.version)).toEqual([1]);
  });
  afterEach(async () => {
    stop?.();
    await stop?.idle();
    stop = undefined;
  });
  afterAll(async () => {
    await db.destroy();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('deploys a changed file as a new version, once per burst of writes', async () => {
    const reports: DeployReport[] = [];
    stop = watchProcesses(dir, definitions, log, { onDeployed: (r) => reports.push(r) });
    const file = path.join(dir, 'managedUserApproval.bpmn');
    // An editor saving three times within the debounce window: only the last content is deployed.
    for (const who of ['first.approver', 'second.approver', 'final.approver']) {
      fs.writeFileSync(file, V1.replace('camunda:assignee="async.admin"', `camunda:assignee="${who}"`));
      await new Promise((r) => setTimeout(r, 50));
    }
    const v2 = await eventually(async () => {
      const row = await latest();
      return row.version === 2 ? row : undefined;
    }, 5_000, 'the watched change to deploy');
    expect(v2.xml).toContain('camunda:assignee="final.approver"');
    await stop.idle();
    await new Promise((r) => setTimeout(r, 500));
    expect((await latest()).version).toBe(2);
    expect(reports.flatMap((r) => r.deployed.map((d) => d.version))).toEqual([2]);
    expect(logs).toContainEqual({ level: 'info', message: `deployed managedUserApproval.bpmn as ${v2.id}` });
    // Other files (an editor's swap file) do not trigger anything.
    const passes = reports.length;
    fs.writeFileSync(path.join(dir, '.managedUserApproval.bpmn.swp'), 'x');
    await new Promise((r) => setTimeout(r, 600));
    expect(reports.length).toBe(passes);
  });

  it('a broken file logs its error and never replaces the good version; fixing it deploys', async () => {
    stop = watchProcesses(dir, definitions, log);
    const good = await latest();
    const file = path.join(dir, 'managedUserApproval.bpmn');
    logs.length = 0;
    fs.writeFileSync(file, V1.replace('targetRef="escalatedReview"', 'targetRef="ghost"'));
    await eventually(async () => logs.find((l) => l.level === 'error' && l.message.includes('ghost')), 5_000, 'the deploy error to be logged');
    expect(logs.find((l) => l.level === 'error')!.message).toMatch(/cannot deploy managedUserApproval\.bpmn: .*toEscalatedReview.*ghost/);
    expect((await latest()).id).toBe(good.id);

    fs.writeFileSync(file, V1.replace('camunda:assignee="async.admin"', 'camunda:assignee="fixed.approver"'));
    const fixed = await eventually(async () => {
      const row = await latest();
      return row.version === good.version + 1 ? row : undefined;
    }, 5_000, 'the fixed file to deploy');
    expect(fixed.xml).toContain('fixed.approver');
  });

  it('deploys a new file added to the folder, and nothing after stop()', async () => {
    stop = watchProcesses(dir, definitions, log);
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/bpmn/flowable-style.bpmn20.xml'), path.join(dir, 'dialect.bpmn20.xml'));
    await eventually(async () => (await definitions.list()).find((d) => d.key === 'dialectApproval'), 5_000, 'the new file to deploy');
    stop();
    await stop.idle();
    const count = (await definitions.list()).length;
    fs.writeFileSync(path.join(dir, 'managedUserApproval.bpmn'), V1.replace('camunda:assignee="async.admin"', 'camunda:assignee="after.stop"'));
    await new Promise((r) => setTimeout(r, 700));
    expect((await definitions.list()).length).toBe(count);
  });
});
