// Sequence flows (and other flow elements) without an id are valid BPMN and Camunda runs them; each
// gets a generated id at parse, the same every time the file is parsed, so stored states recover.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance, type RunResult } from '../../../src/workflow/engine';

const conformance = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../conformance/files', name), 'utf8');
const FORK_JOIN = 'camunda-bpm-platform/ParallelGatewayTest.testForkJoin.bpmn20.xml';

const taskIds = (r: RunResult) => r.openTasks.map((t) => t.taskDefinitionKey).sort();
async function complete(xml: string, r: RunResult, key: string): Promise<RunResult> {
  // A fresh parse for every step: what a restart does.
  const def = await parseDefinition(xml);
  const task = r.openTasks.find((t) => t.taskDefinitionKey === key)!;
  return completeTask(def, r.state!, task.executionId, {}, { templates: false });
}

describe('flow elements without an id', () => {
  it("runs Camunda's ParallelGatewayTest.testForkJoin (flows without ids) to its end across re-parses", async () => {
    const xml = conformance(FORK_JOIN);
    const started = await startInstance(await parseDefinition(xml), {}, { start: 'engine' });
    expect(started.error).toBeUndefined();
    expect(taskIds(started)).toEqual(['receivePayment', 'shipOrder']);
    const paid = await complete(xml, started, 'receivePayment');
    expect(taskIds(paid)).toEqual(['shipOrder']);
    const shipped = await complete(xml, paid, 'shipOrder');
    expect(taskIds(shipped)).toEqual(['archiveOrder']);
    const done = await complete(xml, shipped, 'archiveOrder');
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'theEnd' });
  });

  it('gives each one an id derived from its source and target (and its rank among parallel twins), never one already taken', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow sourceRef="start" targetRef="fork" />
    <parallelGateway id="fork" />
    <sequenceFlow sourceRef="fork" targetRef="join" />
    <sequenceFlow sourceRef="fork" targetRef="join" />
    <sequenceFlow id="flow_fork_join" sourceRef="fork" targetRef="join" />
    <parallelGateway id="join" />
    <sequenceFlow sourceRef="join" targetRef="wait" />
    <userTask id="wait" />
  </process>
</definitions>`;
    const ids = (await parseDefinition(xml)).context as { sourceContext: { getSequenceFlows(): { id: string }[] } };
    const flowIds = ids.sourceContext.getSequenceFlows().map((f) => f.id).sort();
    expect(flowIds).toEqual(['flow_fork_join', 'flow_fork_join_2', 'flow_fork_join_3', 'flow_join_wait', 'flow_start_fork']);
    const again = (await parseDefinition(xml)).context as typeof ids;
    expect(again.sourceContext.getSequenceFlows().map((f) => f.id).sort()).toEqual(flowIds);
    // three flows into a parallel join: it waits for all three
    const started = await startInstance(await parseDefinition(xml), {}, { start: 'engine' });
    expect(taskIds(started)).toEqual(['wait']);
  });
});
