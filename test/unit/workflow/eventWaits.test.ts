// Wait states other than user tasks and timers, on real bpmn-engine runs of real files: each is
// reported in RunResult.waits, survives a stored state, and resumes through triggers.ts.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, fireDueTimers, hasStartTemplate, parseDefinition, startInstance, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';
import { resumeWaits, startByEvent } from '../../../src/workflow/triggers';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');
const load = (name: string) => parseDefinition(fixture(name), name);
const kinds = (r: RunResult) => (r.waits ?? []).map((w) => `${w.activityId}:${w.kind}${w.name ? `:${w.name}` : ''}`).sort();
const idOf = (r: RunResult, activityId: string) => r.waits!.find((w) => w.activityId === activityId)!.executionId;

describe('manual and receive tasks', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await load('h-events-manual-receive.bpmn');
  });

  it('waits at each, reported as a trigger or a message, and runs to the end when resumed', async () => {
    const started = await startInstance(def, { orderId: 'o1' });
    expect(started.status).toBe('waiting');
    expect(started.openTasks).toEqual([]);
    expect(started.waits).toEqual([{ executionId: expect.stringMatching(/^checkDocuments_/), activityId: 'checkDocuments', kind: 'trigger' }]);

    const manualDone = await resumeWaits(def, started.state!, { executionId: idOf(started, 'checkDocuments') }, { checked: true });
    expect(kinds(manualDone)).toEqual(['waitForPayment:message:paymentReceived']);
    expect(manualDone.variables).toEqual({ orderId: 'o1', checked: true });

    const paid = await resumeWaits(def, manualDone.state!, { kind: 'message', name: 'paymentReceived' }, { amount: 12 });
    expect(kinds(paid)).toEqual(['confirm:trigger']);

    const ended = await resumeWaits(def, paid.state!, { executionId: idOf(paid, 'confirm') }, {});
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { orderId: 'o1', checked: true, amount: 12 } });
  });

  it('refuses a message nothing waits for, and a trigger of an execution that does not wait', async () => {
    const started = await startInstance(def, {});
    await expect(resumeWaits(def, started.state!, { kind: 'message', name: 'paymentReceived' }, {})).rejects.toMatchObject({ code: 'NOT_WAITING' });
    await expect(resumeWaits(def, started.state!, { executionId: 'checkDocuments_0000000000' }, {})).rejects.toMatchObject({ code: 'NOT_WAITING' });
  });

  it('never lets a trigger change a start variable', async () => {
    const started = await startInstance(def, { orderId: 'o1' });
    await expect(resumeWaits(def, started.state!, { executionId: idOf(started, 'checkDocuments') }, { orderId: 'o2' })).rejects.toMatchObject({ code: 'FORM_VALIDATION' });
  });
});

describe('intermediate message and signal catch', () => {
  it('waits for the message, then for the signal, each by name', async () => {
    const def = await load('h-events-catch.bpmn');
    const started = await startInstance(def, {});
    expect(kinds(started)).toEqual(['shipped:message:orderShipped']);
    // The wrong kind or name reaches nothing.
    await expect(resumeWaits(def, started.state!, { kind: 'signal', name: 'orderShipped' }, {})).rejects.toMatchObject({ code: 'NOT_WAITING' });
    const shipped = await resumeWaits(def, started.state!, { kind: 'message', name: 'orderShipped' }, { carrier: 'ups' });
    expect(kinds(shipped)).toEqual(['alerted:signal:alert']);
    const ended = await resumeWaits(def, shipped.state!, { kind: 'signal', name: 'alert' }, {});
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { carrier: 'ups' } });
  });
});

describe('event-based gateway', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await load('h-events-gateway.bpmn');
  });

  it('reports each catch after it (the timer as a timer) and takes the path of the one that fires', async () => {
    const started = await startInstance(def, {}, { now: () => 0 });
    expect(kinds(started)).toEqual(['gotAnswer:message:answer', 'gotCancel:signal:cancelAll']);
    expect(started.timers).toEqual([{ executionId: expect.any(String), activityId: 'timedOut', expireAt: 3_600_000 }]);

    const answered = await resumeWaits(def, started.state!, { kind: 'message', name: 'answer' }, {}, { now: () => 1 });
    expect(answered).toMatchObject({ status: 'ended', endActivityId: 'answered' });
    const canceled = await resumeWaits(def, started.state!, { kind: 'signal', name: 'cancelAll' }, {}, { now: () => 1 });
    expect(canceled).toMatchObject({ status: 'ended', endActivityId: 'canceled' });
    const expired = await fireDueTimers(def, started.state!, 3_600_000);
    expect(expired).toMatchObject({ status: 'ended', endActivityId: 'expired' });
  });
});

describe('message and signal start events', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await load('h-events-start.bpmn');
  });

  it('starts at the message start event only', async () => {
    const started = await startByEvent(def, 'message', 'applicationReceived', { applicant: 'bjensen' });
    expect(started.status).toBe('waiting');
    expect(started.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['review']);
    // The signal start event is not a wait of a started instance.
    expect(started.waits).toBeUndefined();
    const ended = await completeTask(def, started.state!, started.openTasks[0].executionId, {});
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { applicant: 'bjensen' } });
  });

  it('starts at the signal start event', async () => {
    const started = await startByEvent(def, 'signal', 'campaignLaunched', {});
    expect(started.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['review']);
    expect(started.waits).toBeUndefined();
    await expect(startByEvent(def, 'message', 'nothing', {})).rejects.toMatchObject({ code: 'NOT_WAITING' });
  });

  it('an instance started plainly waits at both start events, and either starts it once', async () => {
    const started = await startInstance(def, {});
    expect(kinds(started)).toEqual(['byMessage:message:applicationReceived', 'bySignal:signal:campaignLaunched']);
    const byMessage = await resumeWaits(def, started.state!, { kind: 'message', name: 'applicationReceived' }, {});
    expect(byMessage.openTasks).toHaveLength(1);
    expect(byMessage.waits).toBeUndefined();
    // The other start event was discarded: a later signal reaches nothing.
    await expect(resumeWaits(def, byMessage.state!, { kind: 'signal', name: 'campaignLaunched' }, {})).rejects.toMatchObject({ code: 'NOT_WAITING' });
  });

  it('refuses a none start event next to a message start event at deploy, naming it', async () => {
    const mixed = await load('h-events-mixed-start.bpmn');
    expect(mixed.unrunnable?.message).toMatch(/startEvent "orderStart" is a message start event next to the none start event "plainStart"/);
    expect(mixed.unrunnable?.elementId).toBe('orderStart');
  });
});

describe('message and signal boundary events', () => {
  let def: ParsedDefinition;
  let started: RunResult;
  beforeAll(async () => {
    def = await load('h-events-boundary.bpmn');
    started = await startInstance(def, {});
  });

  it('waits at each boundary event alongside the task', () => {
    expect(started.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['review']);
    expect(kinds(started)).toEqual(['onNote:message:noteAdded', 'onPing:signal:ping', 'onStop:signal:stopAll', 'onWithdraw:message:withdrawn']);
  });

  it('an interrupting message ends the task and takes the boundary path', async () => {
    const r = await resumeWaits(def, started.state!, { kind: 'message', name: 'withdrawn' }, {});
    expect(r).toMatchObject({ status: 'ended', endActivityId: 'withdrawnEnd' });
  });

  it('an interrupting signal ends the task and takes the boundary path', async () => {
    const r = await resumeWaits(def, started.state!, { kind: 'signal', name: 'stopAll' }, {});
    expect(r).toMatchObject({ status: 'ended', endActivityId: 'stoppedEnd' });
  });

  it('a non-interrupting message or signal keeps the task waiting', async () => {
    const noted = await resumeWaits(def, started.state!, { kind: 'message', name: 'noteAdded' }, { note: 'hi' });
    expect(noted.status).toBe('waiting');
    expect(noted.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['review']);
    expect(noted.variables).toEqual({ note: 'hi' });
    // bpmn-elements 17 arms a non-interrupting boundary event once per activation of its task.
    expect(kinds(noted)).toEqual(['onPing:signal:ping', 'onStop:signal:stopAll', 'onWithdraw:message:withdrawn']);
    const pinged = await resumeWaits(def, noted.state!, { kind: 'signal', name: 'ping' }, {});
    expect(kinds(pinged)).toEqual(['onStop:signal:stopAll', 'onWithdraw:message:withdrawn']);
    const done = await completeTask(def, pinged.state!, pinged.openTasks[0].executionId, {});
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { note: 'hi' } });
  });
});

describe('an intermediate catch event without a definition', () => {
  it('waits as a trigger, and continues when triggered', async () => {
    const def = await parseDefinition(
      `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hold" />
    <bpmn:intermediateCatchEvent id="hold" />
    <bpmn:sequenceFlow id="f2" sourceRef="hold" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`,
      'bare.bpmn',
    );
    const started = await startInstance(def, {});
    expect(kinds(started)).toEqual(['hold:trigger']);
    const ended = await resumeWaits(def, started.state!, { executionId: idOf(started, 'hold') }, {});
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'end' });
  });
});

describe('a wait after a user task of a template-started instance', () => {
  it('the completion runs the engine to the message catch, which then resumes', async () => {
    const def = await load('h-events-task-then-message.bpmn');
    expect(await hasStartTemplate(def)).toBe(true);
    const started = await startInstance(def, { who: 'x' }, { externalVariables: true });
    expect(started.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['approve']);
    const approved = await completeTask(def, started.state!, started.openTasks[0].executionId, {}, { variables: started.variables });
    expect(approved.status).toBe('waiting');
    expect(kinds(approved)).toEqual(['ack:message:acknowledged']);
    const ended = await resumeWaits(def, approved.state!, { kind: 'message', name: 'acknowledged' }, {}, { variables: approved.variables });
    expect(ended).toMatchObject({ status: 'ended', endActivityId: 'done', variables: { who: 'x' } });
  });
});

describe('refused at deploy: waits nothing could resume', () => {
  const doc = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="Msg_nameless" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    ${inner}
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

  it.each([
    ['a message catch without messageRef', '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent>', /intermediateCatchEvent "wait" waits for a message without a name/],
    ['a message without a name', '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="Msg_nameless" /></bpmn:intermediateCatchEvent>', /intermediateCatchEvent "wait" waits for a message without a name/],
    ['a signal catch without signalRef', '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition /></bpmn:intermediateCatchEvent>', /intermediateCatchEvent "wait" waits for a signal without a name/],
    ['a conditional catch', '<bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${x}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>', /intermediateCatchEvent "wait" has a conditionalEventDefinition/],
    ['a receive task whose message has no name', '<bpmn:receiveTask id="wait" messageRef="Msg_nameless" />', /receiveTask "wait" waits for a message without a name/],
  ])('%s', async (_what, inner, reason) => {
    const def = await parseDefinition(doc(inner), 'x.bpmn');
    expect(def.unrunnable?.message).toMatch(reason);
    expect(def.unrunnable?.elementId).toBe('wait');
  });
});
