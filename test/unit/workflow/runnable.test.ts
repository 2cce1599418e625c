// What the runtime can never run is refused at deploy, naming the element (issue 13): by
// Definitions.deployXml (REST uploads, the kit) and by deployDirectory for the files of processes/
// (the server's start), which reports and logs each refused file by name. A version stored before
// the check still loads, so its instances fail where they run instead of vanishing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '../../../src/context';
import { Definitions } from '../../../src/workflow/definitions';
import { parseDefinition } from '../../../src/workflow/engine';
import { createTestDb, TestDb } from '../../helpers/db';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const bpmn = (key: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:activiti="http://activiti.org/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="${key}Defs" targetNamespace="t">
  <bpmn:process id="${key}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${inner}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('refused at deploy', () => {
  it.each([
    ['python', '<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>x</bpmn:script></bpmn:scriptTask>', /scriptTask "work" has scriptFormat "python": python is not supported; reconflow runs JavaScript and Groovy scripts/],
    ['no script format', '<bpmn:scriptTask id="work"><bpmn:script>x</bpmn:script></bpmn:scriptTask>', /scriptFormat "\(none\)"/],
    ['an external script resource', '<bpmn:scriptTask id="work" scriptFormat="javascript" camunda:resource="x.js" />', /no inline script/],
    ['camunda:expression on a service task', '<bpmn:serviceTask id="work" camunda:expression="${bean.run()}" />', /camunda:expression/],
    ['a services implementation', '<bpmn:serviceTask id="work" implementation="${environment.services.fn}" />', /registers no services/],
    ['an external service task without a topic', '<bpmn:serviceTask id="work" camunda:type="external" />', /serviceTask "work" has camunda:type="external" but no topic/],
    ['a connector service task', '<bpmn:sendTask id="work" camunda:type="connector" />', /registers no services; make it an external service task/],
    ['asyncAfter on a gateway', '<bpmn:exclusiveGateway id="work" camunda:asyncAfter="true" />', /exclusiveGateway "work" has camunda:asyncAfter="true": a continuation after a gateway/],
    ['activiti:async before a parallel join', '<bpmn:parallelGateway id="work" activiti:async="true" />', /parallelGateway "work" has activiti:async="true": a continuation before a ParallelGateway would break its join/],
    ['asyncBefore on a start event', '<bpmn:userTask id="work" /><bpmn:startEvent id="start2" camunda:asyncBefore="true" />', /startEvent "start2" has camunda:asyncBefore="true": a continuation is supported on elements reached by a sequence flow/],
    ['asyncAfter on an end event', '<bpmn:userTask id="work" /><bpmn:endEvent id="end2" camunda:asyncAfter="true" />', /endEvent "end2" has camunda:asyncAfter="true": nothing follows an end event/],
    ['a task listener', '<bpmn:userTask id="work"><bpmn:extensionElements><camunda:taskListener class="a.B" event="create" /></bpmn:extensionElements></bpmn:userTask>', /taskListener/],
    // camunda:inputOutput runs on tasks and events (listeners.ts); not yet on sub-processes.
    ['an input/output mapping on a sub-process', '<bpmn:subProcess id="work"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:subProcess>', /camunda:inputOutput on subProcess "work" is not supported on a subProcess yet/],
    ['a Java delegate on a message end', '<bpmn:userTask id="work" /><bpmn:endEvent id="end2"><bpmn:messageEventDefinition camunda:class="a.B" /></bpmn:endEvent>', /endEvent "end2" names a Java delegate/],
  ])('%s', async (_what, inner, message) => {
    const parsed = await parseDefinition(bpmn('p', inner), 'p.bpmn');
    expect(parsed.unrunnable?.message).toMatch(message);
    expect(parsed.unrunnable?.message).toContain('p.bpmn');
  });

  it('asynchronous continuations deploy only where a job handler continues them', async () => {
    const xml = bpmn('asyncP', '<bpmn:userTask id="work" flowable:async="true" />').replace('xmlns:activiti=', 'xmlns:flowable="http://flowable.org/bpmn" xmlns:activiti=');
    const parsed = await parseDefinition(xml);
    expect(parsed.unrunnable).toBeUndefined();
    expect(parsed.asyncActivities).toEqual([{ id: 'work', attribute: 'flowable:async' }]);
    const db = await createTestDb();
    try {
      const definitions = new Definitions(db, { info: () => undefined, warn: () => undefined, error: () => undefined });
      await expect(definitions.deployXml(xml, 'a.bpmn')).rejects.toMatchObject({ elementId: 'work', message: expect.stringMatching(/"work" has flowable:async="true", and this server runs no workflow.continue job handler/) });
      definitions.asyncContinuations = true;
      expect((await definitions.deployXml(xml, 'a.bpmn')).created).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('a condition in a language without an engine', async () => {
    const inner = `<bpmn:exclusiveGateway id="work" /><bpmn:sequenceFlow id="cond" sourceRef="work" targetRef="end"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="python">x</bpmn:conditionExpression></bpmn:sequenceFlow>`;
    const parsed = await parseDefinition(bpmn('p', inner));
    expect(parsed.unrunnable).toMatchObject({ elementId: 'cond', message: expect.stringMatching(/sequenceFlow "cond" has a condition in language "python"/) });
  });

  it('every shipped process, example and runnable fixture deploys', async () => {
    const files = [
      ...fs.readdirSync(path.join(ROOT, 'processes')).map((f) => path.join('processes', f)),
      ...fs.readdirSync(path.join(ROOT, 'docs', 'examples')).filter((f) => f.endsWith('.bpmn')).map((f) => path.join('docs', 'examples', f)),
      ...['activiti-style.bpmn20.xml', 'flowable-style.bpmn20.xml', 'approval-escalation.bpmn', 'script-error.bpmn', 'timer-boundary.bpmn', 'completion-rules.bpmn', 'fails-after-task.bpmn', 'timer-fails.bpmn', 'async-continuation.bpmn'].map((f) => path.join('test', 'fixtures', 'bpmn', f)),
    ];
    for (const f of files) expect([f, (await parseDefinition(fs.readFileSync(path.join(ROOT, f), 'utf8'), f)).unrunnable]).toEqual([f, undefined]);
  });

  describe('the folder deployed at start', () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await createTestDb();
    });
    afterAll(() => db.destroy());

    it('refuses the file that cannot run by name and element, and deploys the others', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-processes-'));
      fs.copyFileSync(path.join(ROOT, 'processes', 'managedUserApproval.bpmn'), path.join(dir, 'managedUserApproval.bpmn'));
      fs.writeFileSync(path.join(dir, 'python.bpmn'), bpmn('pythonProcess', '<bpmn:scriptTask id="work" scriptFormat="python"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'));
      const errors: string[] = [];
      const log: Logger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
      const definitions = new Definitions(db, log);
      const report = await definitions.deployDirectory(dir);
      expect(report.deployed.map((d) => d.key)).toEqual(['managedUserApproval']);
      expect(report.failed).toEqual([{ file: 'python.bpmn', elementId: 'work', reason: expect.stringMatching(/python\.bpmn: scriptTask "work" has scriptFormat "python"/) }]);
      expect(errors).toEqual([expect.stringMatching(/^cannot deploy python\.bpmn: .*scriptTask "work"/)]);
      expect((await definitions.list()).map((d) => d.key)).toEqual(['managedUserApproval']);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
