import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';
import { decodeXml } from '../../../src/workflow/xmlEncoding';

const root = path.resolve(__dirname, '../../..');
const fixture = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/bpmn', name), 'utf8');

describe('camunda JavaScript listeners', () => {
  it('run at process start, end, take, activity start/end and task assignment/create/complete', async () => {
    const def = await parseDefinition(fixture('h-listeners-camunda.bpmn'), 'h-listeners-camunda.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { owner: 'bjensen' });
    expect(started.error).toBeUndefined();
    expect(started.status).toBe('waiting');
    const [task] = started.openTasks;
    expect(task).toMatchObject({ assignee: 'bjensen.lead', candidateGroups: ['auditors'], priority: 80 });
    expect(started.variables).toMatchObject({ reviewer: 'bjensen.lead', createdBy: 'listener' });
    expect(started.variables.trail).toEqual(['process start', 'start end', 'take toReview', 'review start', 'assignment bjensen.lead', 'create Review']);
    const done = await completeTask(def, started.state!, task.executionId, { approved: 'true' });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('ended');
    expect(done.endActivityId).toBe('yes');
    expect(done.variables.trail).toEqual([
      'process start', 'start end', 'take toReview', 'review start', 'assignment bjensen.lead', 'create Review',
      'complete true by bjensen.lead', 'review end yes', 'process end',
    ]);
  });
});

describe('Activiti and Flowable script listener classes', () => {
  it('runs ScriptTaskListener / ScriptExecutionListener with their script and language fields', async () => {
    const def = await parseDefinition(decodeXml(fs.readFileSync(path.join(root, 'test/fixtures/bpmn/h-listeners-activiti.bpmn20.xml'))), 'h-listeners-activiti.bpmn20.xml');
    expect(def.unrunnable).toBeUndefined();
    expect(def.initiator).toBe('initiator');
    const started = await startInstance(def, {}, { startUserId: 'openidm-admin' });
    expect(started.error).toBeUndefined();
    expect(started.variables).toEqual({ initiator: 'openidm-admin', created: true });
    expect(started.openTasks[0].assignee).toBe('admin.reviewer');
    const done = await completeTask(def, started.state!, started.openTasks[0].executionId, { decision: 'approve' }, { instance: { id: '42', businessKey: 'sourceId: bjensen' } });
    expect(done.status).toBe('ended');
    expect(done.variables).toMatchObject({ outcome: 'approved', closedFor: 'sourceId: bjensen#42' });
  });

  it('runs Flowable ScriptTaskListener with <flowable:string> fields', async () => {
    const def = await parseDefinition(fixture('h-listeners-flowable.bpmn20.xml'), 'h-listeners-flowable.bpmn20.xml');
    const started = await startInstance(def, {}, { startUserId: 'bjensen' });
    expect(started.openTasks[0]).toMatchObject({ assignee: 'bjensen', candidateGroups: ['managers'] });
  });
});

/** A process whose user task carries `extensions`. */
function withTask(extensions: string, ns = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" ${ns} xmlns:activiti="http://activiti.org/bpmn" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="work" />
    <userTask id="work" name="Work"><extensionElements>${extensions}</extensionElements></userTask>
    <sequenceFlow id="f2" sourceRef="work" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>`;
}

describe('refused at deploy, naming the element', () => {
  it.each([
    ['a Java class', '<camunda:taskListener event="create" class="com.example.Notify" />', /camunda:taskListener \(event "create"\) on userTask "work" is a class="com.example.Notify" listener: reconflow runs no Java/],
    ['a delegate expression', '<camunda:executionListener event="start" delegateExpression="${notifier}" />', /camunda:executionListener \(event "start"\) on userTask "work" is a delegateExpression="\$\{notifier\}" listener/],
    ['an expression', '<camunda:executionListener event="end" expression="${bean.call(execution)}" />', /is a expression="\$\{bean.call\(execution\)\}" listener/],
    ['a python script', '<camunda:taskListener event="create"><camunda:script scriptFormat="python">task.assignee = "x"</camunda:script></camunda:taskListener>', /camunda:taskListener \(event "create"\) on userTask "work" is written in "python": python is not supported; reconflow runs JavaScript and Groovy listeners/],
    [
      'an Activiti python script listener',
      '<activiti:taskListener event="create" class="org.activiti.engine.impl.bpmn.listener.ScriptTaskListener"><activiti:field name="script"><activiti:string>x</activiti:string></activiti:field><activiti:field name="language" stringValue="python" /></activiti:taskListener>',
      /activiti:taskListener \(event "create"\) on userTask "work" is written in "python": python is not supported/,
    ],
    ['a script resource', '<camunda:taskListener event="create"><camunda:script scriptFormat="javascript" resource="notify.js" /></camunda:taskListener>', /has a script resource \("notify.js"\), which is read only when a file of the process folder is deployed \(an upload carries no script files\) and only from a file beside it: no such file was there; put the script inline or beside the process file/],
    // A resource left unread (the file was missing): its language is judged first (camunda-bpm-examples/xslt-example).
    ['a python script resource', '<camunda:executionListener event="start"><camunda:script scriptFormat="python" resource="readXmlFile.py" /></camunda:executionListener>', /camunda:executionListener \(event "start"\) on userTask "work" is written in "python": python is not supported/],
    ['a groovy script resource whose file was not there', '<camunda:executionListener event="start"><camunda:script scriptFormat="groovy" resource="readXmlFile.groovy" /></camunda:executionListener>', /camunda:executionListener \(event "start"\) on userTask "work" has a script resource \("readXmlFile.groovy"\)/],
    // Flowable 6's type="script" listener with a script element (ScriptTypeExecutionListenerTest).
    ['a Flowable type="script" listener in python', '<activiti:taskListener event="create" type="script"><activiti:script language="python">task.name = "x"</activiti:script></activiti:taskListener>', /activiti:taskListener \(event "create"\) on userTask "work" is written in "python": python is not supported/],
    ['a type="script" listener with a resultVariable', '<activiti:taskListener event="create" type="script"><activiti:script language="javascript" resultVariable="v">1</activiti:script></activiti:taskListener>', /activiti:taskListener \(event "create"\) on userTask "work" has a resultVariable, which reconflow does not support/],
    ['an event it does not run', '<camunda:taskListener event="delete"><camunda:script scriptFormat="javascript">1</camunda:script></camunda:taskListener>', /has event "delete", which reconflow does not run/],
  ])('%s', async (_what, ext, message) => {
    const def = await parseDefinition(withTask(ext), 'x.bpmn');
    expect(def.unrunnable?.message).toMatch(message);
    expect(def.unrunnable?.message).toMatch(/^Cannot deploy x\.bpmn: /);
    expect(def.unrunnable?.elementId).toBe('work');
  });
});

describe('listener behaviour', () => {
  it('runs a Flowable type="script" listener written in JavaScript', async () => {
    const def = await parseDefinition(withTask('<activiti:executionListener event="start" type="script"><activiti:script language="javascript">execution.setVariable("seen", execution.getActivityId())</activiti:script></activiti:executionListener>'));
    expect(def.unrunnable).toBeUndefined();
    const run = await startInstance(def, {});
    expect(run.error).toBeUndefined();
    expect(run.variables).toMatchObject({ seen: 'work' });
  });

  it('a failing listener fails the instance at its element', async () => {
    const def = await parseDefinition(withTask('<camunda:taskListener event="create"><camunda:script scriptFormat="javascript">throw new Error("no reviewer")</camunda:script></camunda:taskListener>'));
    const run = await startInstance(def, {});
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({ message: expect.stringContaining('no reviewer'), activityId: 'work' });
  });

  it('a listener that never ends is stopped at its limit and fails the instance', async () => {
    const def = await parseDefinition(withTask('<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">for(;;){}</camunda:script></camunda:executionListener>'));
    const run = await startInstance(def, {});
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({ message: expect.stringMatching(/executionListener start of userTask "work" failed: timed out/), activityId: 'work' });
  });

  it('create runs once: recovering a waiting instance does not run it again', async () => {
    const def = await parseDefinition(
      withTask('<camunda:taskListener event="create"><camunda:script scriptFormat="javascript">execution.setVariable("creates", (execution.getVariable("creates") || 0) + 1); task.setAssignee("x" + execution.getVariable("creates"))</camunda:script></camunda:taskListener>').replace(
        '<sequenceFlow id="f2" sourceRef="work" targetRef="e" />',
        '<sequenceFlow id="f2" sourceRef="work" targetRef="second" /><userTask id="second" /><sequenceFlow id="f3" sourceRef="second" targetRef="e" />',
      ).replace('<sequenceFlow id="f2" sourceRef="work" targetRef="e" />', ''),
    );
    const run = await startInstance(def, {});
    expect(run.openTasks[0]).toMatchObject({ taskDefinitionKey: 'work', assignee: 'x1' });
    const next = await completeTask(def, run.state!, run.openTasks[0].executionId, {});
    expect(next.variables.creates).toBe(1);
    expect(next.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['second']);
  });

  it('scripts cannot reach the host (sandboxed like script tasks)', async () => {
    const def = await parseDefinition(withTask('<camunda:executionListener event="start"><camunda:script scriptFormat="javascript">execution.setVariable("escape", typeof process + "/" + typeof require)</camunda:script></camunda:executionListener>'));
    const run = await startInstance(def, {});
    expect(run.variables.escape).toBe('undefined/undefined');
  });
});
