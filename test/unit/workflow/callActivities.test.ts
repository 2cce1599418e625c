// Call activities in the engine layer, on real engine runs of real files: the wait a run reports
// (kind 'call', the called key, the in mappings resolved), the return (out mappings feeding the
// gateway after the call), an error end reaching an error boundary, a failure naming the called
// instance, and what deploy refuses.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, resumeCall, startInstance, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';
import type { CallDetail } from '../../../src/workflow/callActivities';

const root = path.resolve(__dirname, '../../..');
const fixture = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/bpmn', name), 'utf8');

function callProcess(callActivity: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    ${callActivity}
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" /><bpmn:endEvent id="end" />
    ${extra}
  </bpmn:process>
</bpmn:definitions>`;
}

const waitOf = (r: RunResult) => {
  expect(r.status).toBe('waiting');
  expect(r.waits).toHaveLength(1);
  return r.waits![0];
};

describe('a call activity in the engine', () => {
  let parent: ParsedDefinition;
  let atCall: RunResult;
  beforeAll(async () => {
    parent = await parseDefinition(fixture('h-call-parent.bpmn'), 'h-call-parent.bpmn');
    const started = await startInstance(parent, {}, { templates: false });
    atCall = await completeTask(parent, started.state!, started.openTasks[0].executionId, { amount: 150 }, { templates: false });
  });

  it('is listed at deploy with its literal key and binding', () => {
    expect(parent.unrunnable).toBeUndefined();
    expect(parent.calledElements).toEqual([{ activityId: 'review', key: 'hCallChild', binding: 'latest' }]);
  });

  it('waits as a call: the called key, its binding and the in mappings resolved', () => {
    const w = waitOf(atCall);
    expect(atCall.openTasks).toEqual([]);
    expect(w).toMatchObject({ activityId: 'review', kind: 'call', name: 'hCallChild', executionId: expect.stringMatching(/^review_/) });
    expect(w.detail).toEqual({ binding: 'latest', variables: { requested: 150, limit: 300 }, businessKey: '#{execution.processBusinessKey}' } satisfies CallDetail);
  });

  it('returns with the out mappings: they feed the gateway after the call', async () => {
    const w = waitOf(atCall);
    const approved = await resumeCall(parent, atCall.state!, w.executionId, { variables: { requested: 150, limit: 300, decision: 'approve', other: 1 } });
    expect(approved).toMatchObject({ status: 'ended', endActivityId: 'approvedEnd' });
    expect(approved.variables).toEqual({ amount: 150, reviewDecision: 'approve', large: true });
    const rejected = await resumeCall(parent, atCall.state!, w.executionId, { variables: { requested: 150, decision: 'no' } });
    expect(rejected).toMatchObject({ status: 'ended', endActivityId: 'rejectedEnd', variables: { reviewDecision: 'no' } });
    // A missing out source is null (as Camunda): the default flow.
    expect(await resumeCall(parent, atCall.state!, w.executionId, { variables: {} })).toMatchObject({ endActivityId: 'rejectedEnd', variables: { reviewDecision: null } });
  });

  it('is returned to once: another execution id is not waiting', async () => {
    await expect(resumeCall(parent, atCall.state!, 'review_0000000000', { variables: {} })).rejects.toMatchObject({ code: 'CALL_NOT_WAITING' });
  });

  it('fails naming the called instance when it failed, and for an error end nothing catches', async () => {
    const w = waitOf(atCall);
    const failed = await resumeCall(parent, atCall.state!, w.executionId, { failure: 'called process instance 7 (hCallChild:1:1) was canceled' });
    expect(failed).toMatchObject({ status: 'failed', error: { activityId: 'review', message: 'called process instance 7 (hCallChild:1:1) was canceled' } });
    const uncaught = await resumeCall(parent, atCall.state!, w.executionId, { error: { message: 'called process instance 7 ended at error end event "refused"', code: 'REJECTED' } });
    expect(uncaught).toMatchObject({ status: 'failed', error: { activityId: 'review', message: expect.stringContaining('ended at error end event "refused"') } });
  });

  it('lets an error boundary with the same code catch an error end of the called process', async () => {
    const def = await parseDefinition(fixture('h-call-boundary.bpmn'));
    const started = await startInstance(def, { amount: 5 });
    const w = waitOf(started);
    expect(w).toMatchObject({ name: 'hCallChild', detail: { binding: 'version', version: 1, variables: { amount: 5 } } });
    const caught = await resumeCall(def, started.state!, w.executionId, { error: { message: 'refused', code: 'REJECTED' } });
    expect(caught).toMatchObject({ status: 'ended', endActivityId: 'caught' });
    const other = await resumeCall(def, started.state!, w.executionId, { error: { message: 'other', code: 'OTHER' } });
    expect(other).toMatchObject({ status: 'failed', error: { activityId: 'review' } });
    // variables="all" out: every variable of the called instance comes back.
    expect(await resumeCall(def, started.state!, w.executionId, { variables: { amount: 5, decision: 'ok' } })).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { amount: 5, decision: 'ok' } });
  });

  it('reads activiti:in/out and resolves a calledElement expression at run time', async () => {
    const def = await parseDefinition(fixture('h-call-activiti.bpmn20.xml'));
    expect(def.calledElements).toEqual([{ activityId: 'call', binding: 'latest' }]);
    const w = waitOf(await startInstance(def, { subProcessKey: 'hCallChild', amount: 3 }));
    expect(w).toMatchObject({ name: 'hCallChild', detail: { variables: { requested: 3 } } });
    // An expression that resolves to nothing fails the step that reached the call activity.
    const broken = await startInstance(def, { amount: 3 });
    expect(broken).toMatchObject({ status: 'failed', error: { activityId: 'call', message: expect.stringContaining('calledElement ${subProcessKey}') } });
  });

  it('reads flowable:inheritVariables, inheritBusinessKey and flowable:out', async () => {
    const def = await parseDefinition(fixture('h-call-flowable.bpmn20.xml'));
    const started = await startInstance(def, { amount: 4 });
    const w = waitOf(started);
    expect(w.detail).toEqual({ binding: 'latest', variables: { amount: 4 }, businessKey: '${execution.processBusinessKey}' });
    expect(await resumeCall(def, started.state!, w.executionId, { variables: { decision: 'approve' } })).toMatchObject({ status: 'ended', variables: { amount: 4, flowableDecision: 'approve' } });
  });

  it('never runs a process of the same file inline: the call waits for a deployed version', async () => {
    const xml = callProcess('<bpmn:callActivity id="call" calledElement="p" />').replace(
      '</bpmn:definitions>',
      '<bpmn:process id="sub" isExecutable="false"><bpmn:startEvent id="subStart" /></bpmn:process></bpmn:definitions>',
    );
    for (const key of ['p', 'sub']) {
      const def = await parseDefinition(xml.replace('calledElement="p"', `calledElement="${key}"`));
      const w = waitOf(await startInstance(def, {}));
      expect(w).toMatchObject({ kind: 'call', name: key, activityId: 'call' });
    }
  });

  it.each([
    ['<bpmn:callActivity id="call" />', /callActivity "call" has no calledElement/],
    ['<bpmn:callActivity id="call" calledElement="c" camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1" />', /calledElementBinding="versionTag": reconflow supports latest, version and deployment/],
    ['<bpmn:callActivity id="call" calledElement="c" camunda:calledElementBinding="version" />', /calledElementBinding="version" but no camunda:calledElementVersion/],
    ['<bpmn:callActivity id="call" calledElement="c" camunda:calledElementBinding="version" camunda:calledElementVersion="latest" />', /calledElementVersion="latest", which is not a version number/],
    ['<bpmn:callActivity id="call" calledElement="c" camunda:variableMappingClass="org.Example" />', /Java variable mapping/],
    ['<bpmn:callActivity id="call" calledElement="c"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:callActivity>', /multi-instance call activity/],
    ['<bpmn:callActivity id="call" calledElement="c"><bpmn:extensionElements><camunda:out source="a" target="b" local="true" /></bpmn:extensionElements></bpmn:callActivity>', /camunda:out local="true"/],
    ['<bpmn:callActivity id="call" calledElement="c"><bpmn:extensionElements><camunda:in source="a" /></bpmn:extensionElements></bpmn:callActivity>', /camunda:in with source but no target/],
    ['<bpmn:callActivity id="call" calledElement="c"><bpmn:extensionElements><camunda:in variables="some" /></bpmn:extensionElements></bpmn:callActivity>', /only variables="all"/],
  ])('refuses %s at deploy, naming the element', async (xml, message) => {
    const def = await parseDefinition(callProcess(xml), 'x.bpmn');
    expect(def.unrunnable?.message).toMatch(message);
    expect(def.unrunnable?.elementId).toBe('call');
  });
});
