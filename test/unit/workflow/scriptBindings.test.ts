// JavaScript written for Camunda / Activiti / Flowable runs as written: `execution` (getVariable,
// setVariable, removeVariable, getProcessInstanceId …) and process variables read by bare name, in
// the same sandbox and under the same time limit as before.
import fs from 'node:fs';
import path from 'node:path';
import { parseDefinition, startInstance, type RunResult } from '../../../src/workflow/engine';
import { SandboxScripts } from '../../../src/workflow/scripts';

// Flowable's Flowable6Test.testScriptTask (Apache-2.0): `var sum = a + b; execution.setVariable("sum", sum);`.
// It has no isExecutable: its one process is executable, as Flowable reads it (parse.ts).
const FLOWABLE = path.resolve(__dirname, '../../conformance/files/flowable-engine/Flowable6Test.testScriptTask.bpmn20.xml');
const flowable = () => fs.readFileSync(FLOWABLE, 'utf8');

const bpmn = (code: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:scriptTask id="t" scriptFormat="JavaScript"><bpmn:script><![CDATA[${code}]]></bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="wait" />
    <bpmn:userTask id="wait" />
  </bpmn:process>
</bpmn:definitions>`;

async function run(code: string, variables: Record<string, unknown> = {}): Promise<RunResult> {
  const result = await startInstance(await parseDefinition(bpmn(code)), variables, { start: 'engine' });
  expect(result.error).toBeUndefined();
  return result;
}

describe('script task bindings', () => {
  it("runs Flowable's testScriptTask: a and b read by name, sum set through execution.setVariable", async () => {
    const result = await startInstance(await parseDefinition(flowable()), { a: 1, b: 2 }, { start: 'engine' });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('waiting'); // at the receive task
    expect(result.variables).toEqual({ a: 1, b: 2, sum: 3 });
  });

  it('execution reads, sets, lists and removes variables', async () => {
    const { variables } = await run(
      `execution.setVariable('doubled', execution.getVariable('n') * 2);
       execution.setVariables({ x: 1, y: [1, 2] });
       execution.removeVariable('gone');
       variables.seen = [execution.hasVariable('n'), execution.hasVariable('gone'), execution.getVariable('missing'), ['doubled', 'n', 'x', 'y', 'gone'].filter(function (k) { return k in execution.getVariables(); }).join()];`,
      { n: 21, gone: 'bye' },
    );
    expect(variables).toEqual({ n: 21, doubled: 42, x: 1, y: [1, 2], seen: [true, false, null, 'doubled,n,x,y'] });
  });

  it('names the activity, its execution and its process', async () => {
    const { variables, openTasks } = await run(`execution.setVariable('where', [execution.getActivityId(), execution.getId(), execution.getProcessDefinitionId(), execution.getProcessInstanceId(), execution.getBusinessKey()]);`);
    expect(openTasks.map((t) => t.taskDefinitionKey)).toEqual(['wait']);
    expect(variables.where).toEqual(['t', expect.stringMatching(/^t_/), 'p', null, null]);
  });

  it('a bare name reads the variable live; assigning to it keeps a script-local value, as Camunda does', async () => {
    const { variables } = await run(
      `var before = n; execution.setVariable('n', 5); var after = n;
       n = 100; var local = n;
       variables.out = [before, after, local, typeof JSON, typeof variables];`,
      { n: 1, JSON: 'not the builtin' },
    );
    expect(variables.out).toEqual([1, 5, 100, 'object', 'object']);
    expect(variables.n).toBe(5);
  });

  it('a name the script declares with var starts as the variable (hoisting does not hide it)', async () => {
    const { variables } = await run(`var total = total + 1; execution.setVariable('total', total);`, { total: 41 });
    expect(variables.total).toBe(42);
  });

  it('an unknown bare name is a ReferenceError that fails the task, naming it', async () => {
    const result = await startInstance(await parseDefinition(bpmn('var x = nope + 1;')), {}, { start: 'engine' });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/nope is not defined/);
  });

  it('the sandbox stays closed: no require, no process, no host objects through execution', async () => {
    const { variables } = await run(
      `variables.out = [typeof require, typeof process, typeof module,
        (function () { try { return typeof execution.getVariable.constructor('return process')(); } catch (e) { return 'refused'; } })()];`,
    );
    expect(variables.out).toEqual(['undefined', 'undefined', 'undefined', 'refused']);
  });

  it('the time limit still holds', async () => {
    const result = await startInstance(await parseDefinition(bpmn('execution.setVariable("x", 1); while (true) {}')), {}, { start: 'engine' });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/timed out after 1000 ms/);
  });

  it('a JavaScript condition reads variables by name and through execution', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="small" />
    <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="bigEnd">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">amount > 100 &amp;&amp; execution.getVariable('currency') === 'EUR'</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="smallEnd" />
    <bpmn:endEvent id="bigEnd" />
    <bpmn:endEvent id="smallEnd" />
  </bpmn:process>
</bpmn:definitions>`;
    const def = await parseDefinition(xml);
    expect(await startInstance(def, { amount: 150, currency: 'EUR' }, { start: 'engine' })).toMatchObject({ status: 'ended', endActivityId: 'bigEnd' });
    expect(await startInstance(def, { amount: 150, currency: 'USD' }, { start: 'engine' })).toMatchObject({ status: 'ended', endActivityId: 'smallEnd' });
    expect(await startInstance(def, { amount: 50, currency: 'EUR' }, { start: 'engine' })).toMatchObject({ status: 'ended', endActivityId: 'smallEnd' });
  });

  it('knows the instance when the engine layer passes it', () => {
    const scripts = new SandboxScripts(undefined, { processInstanceId: '42', businessKey: 'bk' });
    const script = scripts.register({ id: 't', type: 'bpmn:ScriptTask', behaviour: { scriptFormat: 'javascript', script: 'variables.who = [execution.getProcessInstanceId(), execution.getBusinessKey(), execution.processInstanceId]' } })!;
    const variables: Record<string, unknown> = {};
    let error: Error | null = null;
    script.execute({ id: 't', environment: { variables }, content: { executionId: 't_1', parent: { id: 'p', type: 'bpmn:Process' } } }, (err) => (error = err));
    expect(error).toBeNull();
    expect(variables.who).toEqual(['42', 'bk', '42']);
  });
});
