import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';
import { decodeState, encodeState } from '../../../src/workflow/stateCodec';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');
const user = { name: 'Babs', manager: 'scarter', department: 'hr', limit: 50 };

describe('camunda:inputOutput (Camunda 7: inputs are local to the activity, outputs go to the process)', () => {
  it('maps text, ${expressions}, lists, maps, empty (null) and script values, and keeps inputs local', async () => {
    const def = await parseDefinition(fixture('h-listeners-io.bpmn'), 'h-listeners-io.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { user });
    expect(started.error).toBeUndefined();
    // The script task saw its inputs; its assignment to an input stayed local; its output went to the process.
    expect(started.variables).toEqual({ user, punctuation: '!', message: 'Hi, Babs!', seenByListener: 'scarter/null' });
    // The user task's expressions and listeners read its inputs.
    expect(started.openTasks[0]).toMatchObject({ assignee: 'scarter', candidateGroups: ['reviewers', 'hr'] });

    // Inputs are stored with the waiting task: a fresh engine (a restart) still has them for the outputs.
    const restored = encodeState(decodeState(started.state!));
    const done = await completeTask(def, restored, started.openTasks[0].executionId, { approved: 'true' });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('ended');
    expect(done.variables).toEqual({
      user, punctuation: '!', message: 'Hi, Babs!', seenByListener: 'scarter/null', approved: 'true',
      reviewedBy: 'scarter', reviewLimits: { amount: 100, currency: 'EUR' }, verdict: 'granted 100', closed: 'true',
    });
    for (const local of ['greeting', 'who', 'approver', 'groups', 'limits', 'nothing']) expect(done.variables).not.toHaveProperty(local);
  });

  it('refuses what it cannot map, naming the element', async () => {
    const xml = fixture('h-listeners-io.bpmn').replace('<camunda:script scriptFormat="javascript">variables.approved', '<camunda:script scriptFormat="python">variables.approved');
    const def = await parseDefinition(xml, 'io.bpmn');
    expect(def.unrunnable?.message).toBe('Cannot deploy io.bpmn: camunda:outputParameter "verdict" of userTask "review" has a script in "python": python is not supported; reconflow runs JavaScript and Groovy');
    expect(def.unrunnable?.elementId).toBe('review');
  });
});

describe('camunda:inputOutput scripts see `execution` (Camunda 7 binds it in mapping scripts)', () => {
  // camunda-bpm-examples/loan-granting: an input script execution.setVariable("defaultScore", 5)s.
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <userTask id="work">
      <extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="limit"><camunda:script scriptFormat="javascript">execution.setVariable("defaultScore", 5); execution.getVariable("base") * 2</camunda:script></camunda:inputParameter>
          <camunda:inputParameter name="seen"><camunda:script scriptFormat="javascript">limit + ':' + execution.getActivityId()</camunda:script></camunda:inputParameter>
          <camunda:outputParameter name="result"><camunda:script scriptFormat="javascript">execution.setVariable("closedBy", "script"); limit + 1</camunda:script></camunda:outputParameter>
        </camunda:inputOutput>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`;

  it('sets process variables with execution.setVariable; the script value is the parameter', async () => {
    const def = await parseDefinition(xml, 'io-execution.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { base: 21 });
    expect(started.error).toBeUndefined();
    expect(started.variables).toEqual({ base: 21, defaultScore: 5 });
    const done = await completeTask(def, started.state!, started.openTasks[0].executionId, {});
    expect(done.error).toBeUndefined();
    expect(done.variables).toEqual({ base: 21, defaultScore: 5, closedBy: 'script', result: 43 });
  });
});
