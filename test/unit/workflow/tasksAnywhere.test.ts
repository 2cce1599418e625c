// User tasks below the top level — embedded sub-processes (nested), an event sub-process — are
// tasks with their own execution id, completable, recovered by a fresh engine at every step.
import { completeTask, parseDefinition } from '../../../src/workflow/engine';
import { EngineRun, loadFixture } from '../../helpers/engineRun';
import type { ParsedDefinition } from '../../../src/workflow/engine';

const START = { sourceId: 'bjensen', checker: 'carol', signer: 'sam' };

describe('user tasks in sub-processes (h-tasks-subprocess.bpmn)', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await loadFixture('h-tasks-subprocess.bpmn');
  });

  it('has no deploy refusal', () => {
    expect(def.unrunnable).toBeUndefined();
    expect(def.tasks.map((t) => t.id).sort()).toEqual(['assist', 'check', 'sign']);
  });

  it('a task in a sub-process, then one in a nested sub-process; values submitted inside reach the gateway after it', async () => {
    const run = await EngineRun.start(def, START);
    expect(run.result.status).toBe('waiting');
    expect(run.tasks).toEqual([expect.objectContaining({ taskDefinitionKey: 'check', name: 'Check bjensen', assignee: 'carol' })]);
    const check = run.task('check');
    await run.complete('check', { help: false });
    expect(run.tasks).toEqual([expect.objectContaining({ taskDefinitionKey: 'sign', assignee: 'sam' })]);
    expect(run.task('sign').executionId).not.toBe(check.executionId);
    await run.complete('sign', { signed: 'true' });
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'approved' });
    expect(run.result.variables).toMatchObject({ help: false, signed: 'true' });
  });

  it('"false" signed: the default flow (JUEL coercion after a sub-process)', async () => {
    const run = await EngineRun.start(def, START);
    await run.complete('check', {});
    await run.complete('sign', { signed: 'false' });
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
  });

  it('an escalation inside the sub-process opens the event sub-process task beside the nested one', async () => {
    const run = await EngineRun.start(def, START);
    await run.complete('check', { help: true });
    expect(run.keys).toEqual(['assist', 'sign']);
    expect(run.task('assist')).toMatchObject({ name: 'Assist carol', assignee: 'openidm-admin' });
    // The instance ends when both are done; endActivityId is the end reached by the run that ended it.
    await run.complete('sign', { signed: true });
    expect(run.keys).toEqual(['assist']);
    expect(run.result.status).toBe('waiting');
    await run.complete('assist');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'helpEnd' });

    const other = await EngineRun.start(def, START);
    await other.complete('check', { help: true });
    await other.complete('assist');
    await other.complete('sign', { signed: true });
    expect(other.result).toMatchObject({ status: 'ended', endActivityId: 'approved' });
  });

  it('a completed (or unknown) nested execution is TASK_NOT_WAITING, not a silent no-op', async () => {
    const run = await EngineRun.start(def, START);
    const before = run.result.state!;
    const check = run.task('check');
    await run.complete('check', {});
    await expect(completeTask(def, run.result.state!, check.executionId, {}, { templates: false })).rejects.toMatchObject({ code: 'TASK_NOT_WAITING' });
    // The old state still has it: completing again from there works (the runtime's version guard decides).
    const again = await completeTask(def, before, check.executionId, {}, { templates: false });
    expect(again.openTasks.map((t) => t.taskDefinitionKey)).toEqual(['sign']);
  });
});

describe('an event sub-process started by an error end event', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:error id="rejectedError" errorCode="REJECTED" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" /><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="rejected" />
    <bpmn:endEvent id="rejected"><bpmn:errorEventDefinition errorRef="rejectedError" /></bpmn:endEvent>
    <bpmn:subProcess id="onRejected" triggeredByEvent="true">
      <bpmn:startEvent id="caught"><bpmn:errorEventDefinition errorRef="rejectedError" /></bpmn:startEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="caught" targetRef="explain" />
      <bpmn:userTask id="explain" /><bpmn:sequenceFlow id="g2" sourceRef="explain" targetRef="explained" />
      <bpmn:endEvent id="explained" />
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>`;

  it('opens the event sub-process task, which completes like any other', async () => {
    const def = await parseDefinition(xml, 'p.bpmn');
    const run = await EngineRun.start(def);
    await run.complete('review');
    expect(run.keys).toEqual(['explain']);
    await run.complete('explain');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'explained' });
  });
});
