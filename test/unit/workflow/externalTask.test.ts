// External service tasks in the engine layer: a serviceTask with camunda:type="external" waits
// (reported in RunResult.waits), a worker's completion resumes it with variables that reach a
// gateway, a BPMN error is caught by the error boundary with that code, and an uncaught one fails
// the run in words that name it.
import fs from 'node:fs';
import { fireDueTimers, parseDefinition, resumeExternalTask, startInstance, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';

const FILE = 'test/fixtures/bpmn/h-external-payment.bpmn';

describe('external service tasks (engine)', () => {
  let def: ParsedDefinition;
  let started: RunResult;
  let executionId: string;
  beforeAll(async () => {
    def = await parseDefinition(fs.readFileSync(FILE, 'utf8'), 'h-external-payment.bpmn');
    started = await startInstance(def, { priority: 7 });
    executionId = started.waits?.[0]?.executionId ?? '';
  });

  it('wait at the external task, reported with its topic and priority', () => {
    expect(def.unrunnable).toBeUndefined();
    expect(started.status).toBe('waiting');
    expect(started.openTasks).toEqual([]);
    expect(started.waits).toEqual([{ executionId: expect.any(String), activityId: 'charge', kind: 'external', name: 'charge-card', detail: { priority: 7 } }]);
  });

  it('a completion sets process variables that a gateway condition reads', async () => {
    const yes = await resumeExternalTask(def, started.state!, executionId, { kind: 'complete', variables: { charged: true, receipt: 'r-1' } });
    expect(yes.status).toBe('waiting');
    expect(yes.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['review']);
    expect(yes.waits).toBeUndefined();
    expect(yes.variables).toMatchObject({ charged: true, receipt: 'r-1', priority: 7 });
    const no = await resumeExternalTask(def, started.state!, executionId, { kind: 'complete', variables: { charged: false } });
    expect(no).toMatchObject({ status: 'ended', endActivityId: 'rejectedEnd' });
  });

  it('a BPMN error with the boundary\'s code is caught there; its variables are set', async () => {
    const r = await resumeExternalTask(def, started.state!, executionId, { kind: 'bpmnError', errorCode: 'CARD_DECLINED', errorMessage: 'no funds', variables: { reason: 'insufficient' } });
    expect(r.status).toBe('waiting');
    expect(r.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['handleDecline']);
    expect(r.variables).toMatchObject({ reason: 'insufficient' });
  });

  it('a BPMN error no boundary catches fails the run, naming the code and the activity', async () => {
    const r = await resumeExternalTask(def, started.state!, executionId, { kind: 'bpmnError', errorCode: 'OTHER', errorMessage: 'boom', variables: {} });
    expect(r.status).toBe('failed');
    expect(r.error).toEqual({ activityId: 'charge', message: expect.stringMatching(/BPMN error "OTHER" \(boom\) reported by the external task worker at charge was not caught/) });
  });

  it('an execution that does not wait is refused (TASK_NOT_WAITING)', async () => {
    await expect(resumeExternalTask(def, started.state!, 'charge_0000000000', { kind: 'complete', variables: {} })).rejects.toMatchObject({ code: 'TASK_NOT_WAITING' });
  });

  it('an external type without a topic is refused at deploy, naming the element', async () => {
    const xml = fs.readFileSync(FILE, 'utf8').replace(' camunda:topic="charge-card"', '');
    const d = await parseDefinition(xml, 'x.bpmn');
    expect(d.unrunnable?.message).toMatch(/serviceTask "charge" has camunda:type="external" but no topic/);
    expect(d.unrunnable?.elementId).toBe('charge');
  });

  it('flowable:type="external-worker" with flowable:topic is the same wait', async () => {
    const xml = fs
      .readFileSync(FILE, 'utf8')
      .replace('xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:flowable="http://flowable.org/bpmn"')
      .replace('camunda:type="external" camunda:topic="charge-card" camunda:taskPriority="${priority}"', 'flowable:type="external-worker" flowable:topic="charge-card"');
    const d = await parseDefinition(xml, 'flowable.bpmn');
    expect(d.unrunnable).toBeUndefined();
    const r = await startInstance(d, {});
    expect(r.waits).toEqual([expect.objectContaining({ activityId: 'charge', kind: 'external', name: 'charge-card', detail: { priority: 0 } })]);
  });
});

describe('external service tasks in other shapes', () => {
  const doc = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="shapes" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${inner}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

  it('a sendTask and a businessRuleTask are external tasks too', async () => {
    for (const type of ['sendTask', 'businessRuleTask']) {
      const def = await parseDefinition(doc(`<bpmn:${type} id="work" camunda:type="external" camunda:topic="t-${type}" />`));
      expect(def.unrunnable).toBeUndefined();
      const r = await startInstance(def, {});
      expect(r.waits).toEqual([expect.objectContaining({ activityId: 'work', name: `t-${type}` })]);
      const done = await resumeExternalTask(def, r.state!, r.waits![0].executionId, { kind: 'complete', variables: {} });
      expect(done).toMatchObject({ status: 'ended', endActivityId: 'end' });
    }
  });

  it('a parallel multi-instance external task waits once per instance; the last completion moves on', async () => {
    const def = await parseDefinition(
      doc(`<bpmn:serviceTask id="work" camunda:type="external" camunda:topic="mi"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>`),
    );
    let r = await startInstance(def, {});
    expect(r.waits).toHaveLength(3);
    expect(new Set(r.waits!.map((w) => w.executionId)).size).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(r.status).toBe('waiting');
      r = await resumeExternalTask(def, r.state!, r.waits![0].executionId, { kind: 'complete', variables: { [`v${i}`]: i } });
    }
    expect(r).toMatchObject({ status: 'ended', variables: { v0: 0, v1: 1, v2: 2 } });
  });

  it('an interrupting timer on the task moves the execution on: the wait is gone', async () => {
    const def = await parseDefinition(
      doc(`<bpmn:serviceTask id="work" camunda:type="external" camunda:topic="t" />
      <bpmn:boundaryEvent id="late" attachedToRef="work"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="lateTask" /><bpmn:userTask id="lateTask" />`),
    );
    const r = await startInstance(def, {}, { now: () => 0 });
    expect(r.waits).toHaveLength(1);
    const fired = await fireDueTimers(def, r.state!, 120_000);
    expect(fired.status).toBe('waiting');
    expect(fired.waits).toBeUndefined();
    expect(fired.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['lateTask']);
  });
});
