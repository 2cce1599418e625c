// Multi-instance user tasks and sub-processes as Camunda, Activiti and Flowable model them: one task
// per iteration with its own execution id, the element variable and loop variables visible to its
// expressions, a JUEL completion condition, parallel and sequential, recovered at every step.
import fs from 'node:fs';
import { parseDefinition, type ParsedDefinition } from '../../../src/workflow/engine';
import { EngineRun, fixturePath, loadFixture } from '../../helpers/engineRun';

const XML = fs.readFileSync(fixturePath('h-tasks-multi-instance.bpmn'), 'utf8');
const START = { approvers: ['ann', 'bob', 'cy'], signatures: '2', regionList: ['eu', 'us'] };

/** The same file in another vendor's dialect: its namespace on every extension attribute. */
function dialect(prefix: 'activiti' | 'flowable'): string {
  const uri = prefix === 'activiti' ? 'http://activiti.org/bpmn' : 'http://flowable.org/bpmn';
  return XML.replace('xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', `xmlns:${prefix}="${uri}"`).replace(/camunda:/g, `${prefix}:`);
}

describe.each([
  ['camunda', () => loadFixture('h-tasks-multi-instance.bpmn')],
  ['activiti', () => parseDefinition(dialect('activiti'), 'mi.bpmn20.xml')],
  ['flowable', () => parseDefinition(dialect('flowable'), 'mi.bpmn20.xml')],
])('multi-instance (%s attributes)', (_name, load) => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await load();
    expect(def.unrunnable).toBeUndefined();
  });

  it('parallel over a collection: one task per approver, assignee and name from the loop variables', async () => {
    const run = await EngineRun.start(def, START);
    expect(run.result.status).toBe('waiting');
    expect(run.tasks.map((t) => [t.assignee, t.name])).toEqual([
      ['ann', 'Vote (1 of 3)'],
      ['bob', 'Vote (2 of 3)'],
      ['cy', 'Vote (3 of 3)'],
    ]);
    expect(new Set(run.tasks.map((t) => t.executionId)).size).toBe(3);
  });

  it('completionCondition: two yes votes end the vote; the third task is gone', async () => {
    const run = await EngineRun.start(def, START);
    await run.complete(run.task('vote', (t) => t.assignee === 'bob'), { yes: 1 });
    expect(run.tasks.map((t) => t.assignee)).toEqual(['ann', 'cy']);
    await run.complete(run.task('vote', (t) => t.assignee === 'cy'), { yes: 2 });
    expect(run.tasks.map((t) => [t.taskDefinitionKey, t.assignee])).toEqual([['signOff', 'signer0']]);
  });

  it('without the condition holding, every instance completes (nrOfCompletedInstances == nrOfInstances)', async () => {
    const run = await EngineRun.start(def, START);
    for (const who of ['cy', 'ann', 'bob']) {
      expect(run.keys[0]).toBe('vote');
      await run.complete(run.task('vote', (t) => t.assignee === who), { yes: 0 });
    }
    expect(run.keys).toEqual(['signOff']);
  });

  it('sequential by loopCardinality ("2" coerced to a number): one task at a time, loopCounter counting', async () => {
    const run = await EngineRun.start(def, START);
    await run.complete(run.task('vote'), { yes: 2 });
    expect(run.tasks.map((t) => [t.name, t.assignee])).toEqual([['Sign-off 0', 'signer0']]);
    await run.complete('signOff');
    expect(run.tasks.map((t) => [t.name, t.assignee])).toEqual([['Sign-off 1', 'signer1']]);
    await run.complete('signOff');
    expect(run.keys).toEqual(['regionReview', 'regionReview']);
  });

  it('parallel sub-process over a collection: the inner task sees its element variable; the body ends with the last', async () => {
    const run = await EngineRun.start(def, { ...START, approvers: [], signatures: 0 });
    expect(run.tasks.map((t) => [t.name, t.candidateGroups])).toEqual([
      ['Review eu', ['eu-admins']],
      ['Review us', ['us-admins']],
    ]);
    await run.complete(run.task('regionReview', (t) => t.name === 'Review us'), { usDone: true });
    expect(run.tasks.map((t) => t.name)).toEqual(['Review eu']);
    await run.complete('regionReview');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'done' });
    expect(run.result.variables).toMatchObject({ usDone: true });
  });

  it('an empty collection and a zero cardinality skip the activity', async () => {
    const run = await EngineRun.start(def, { approvers: [], signatures: 0, regionList: [] });
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'done' });
  });

  it('a collection that is not a list fails the run naming the activity', async () => {
    const run = await EngineRun.start(def, { ...START, approvers: 'ann' });
    expect(run.result.status).toBe('failed');
    expect(run.result.error?.message).toMatch(/vote.*collection "approvers" is not a list/);
  });
});

describe('loop variables', () => {
  const xml = (loop: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t" />
    <bpmn:userTask id="t" name="\${loopCounter}/\${nrOfInstances}/\${nrOfCompletedInstances}/\${nrOfActiveInstances}">${loop}</bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end" /><bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

  it('parallel: counters as each iteration starts; the completion condition sees them after each completes', async () => {
    const def = await parseDefinition(
      xml('<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality><bpmn:completionCondition>${nrOfCompletedInstances == 2 &amp;&amp; nrOfActiveInstances == 1}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>'),
      'p.bpmn',
    );
    const run = await EngineRun.start(def);
    expect(run.tasks.map((t) => t.name)).toEqual(['0/3/0/3', '1/3/0/3', '2/3/0/3']);
    await run.complete(run.tasks[1]);
    expect(run.tasks.map((t) => t.name)).toEqual(['0/3/0/3', '2/3/0/3']);
    await run.complete(run.tasks[0]);
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'end' });
  });

  it('sequential: one active, loopCounter and completed counting up', async () => {
    const def = await parseDefinition(xml('<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'), 'p.bpmn');
    const run = await EngineRun.start(def);
    expect(run.tasks.map((t) => t.name)).toEqual(['0/2/0/1']);
    await run.complete('t');
    expect(run.tasks.map((t) => t.name)).toEqual(['1/2/1/1']);
    await run.complete('t');
    expect(run.result.status).toBe('ended');
  });
});

// BPMN's own form, as Camunda's MultiInstanceTest.testParallelUserTasksBasedOnCollection writes it:
// loopDataInputRef names the collection variable, inputDataItem's name the element variable (Camunda
// and Activiti read them so); a loopDataInputRef naming an element of the file stays a reference.
describe('multi-instance by loopDataInputRef / inputDataItem', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="mi" />
    <userTask id="mi" camunda:assignee="\${assignee}">
      <multiInstanceLoopCharacteristics isSequential="false">
        <loopDataInputRef>assigneeList</loopDataInputRef>
        <inputDataItem name="assignee" />
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="f2" sourceRef="mi" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>`;

  it('reads them as the collection variable and the element variable', async () => {
    const def = await parseDefinition(xml, 'mi-ref.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const run = await EngineRun.start(def, { assigneeList: ['kermit', 'gonzo'] });
    expect(run.result.status).toBe('waiting');
    expect(run.result.openTasks.map((t) => t.assignee).sort()).toEqual(['gonzo', 'kermit']);
  });
});
