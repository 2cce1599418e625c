// Planned completion (src/workflow/completionPlan.ts): a template-started instance completed along a
// path the engine has already taken must end exactly as bpmn-engine would end it, and anything the
// plan cannot promise must still run the engine.
import fs from 'node:fs';
import path from 'node:path';
import { CompletionPlan } from '../../../src/workflow/completionPlan';
import { completeTask, completionPlanState, parseDefinition, referencedTemplate, startInstance, useTemplateStore, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';
import { compiledOf } from '../../../src/workflow/parse';
import { decodeTemplateRef, isTemplateRef } from '../../../src/workflow/stateCodec';

const root = path.resolve(__dirname, '../../..');
const shippedXml = fs.readFileSync(path.join(root, 'processes/managedUserApproval.bpmn'), 'utf8');
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const now = () => T0;
const vars = (sourceId: string) => ({ reconId: 'r1', mapping: 'systemCsvfileAccounts_managedUser', situation: 'ABSENT', action: 'CREATE', sourceId, linkQualifier: 'default' });

/** A start → user task → exclusive gateway → ends process; `yesTarget` and `extra` put something on the "yes" path. */
function gatewayXml(o: { yes?: string; no?: string; noIsDefault?: boolean; yesTarget?: string; extra?: string }): string {
  const cond = (c: string | undefined) => (c ? `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${c}</bpmn:conditionExpression>` : '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://reconflow.example/bpmn/test">
  <bpmn:process id="gated" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="decide" name="Decide" camunda:assignee="async.admin" />
    <bpmn:exclusiveGateway id="gw"${o.noIsDefault ? ' default="noFlow"' : ''} />
    <bpmn:endEvent id="yesEnd"><bpmn:messageEventDefinition id="job" camunda:type="external" camunda:topic="createUser" /></bpmn:endEvent>
    <bpmn:endEvent id="noEnd" />
    ${o.extra ?? ''}
    <bpmn:sequenceFlow id="toDecide" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="toGw" sourceRef="decide" targetRef="gw" />
    <bpmn:sequenceFlow id="yesFlow" sourceRef="gw" targetRef="${o.yesTarget ?? 'yesEnd'}">${cond(o.yes ?? "${approved == 'true'}")}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="noFlow" sourceRef="gw" targetRef="noEnd">${cond(o.noIsDefault ? undefined : (o.no ?? "${approved == 'false'}"))}</bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>`;
}

/** Completes through completeTask, counting how often the real engine had to run. */
function completer(def: ParsedDefinition) {
  const counter = { engine: 0 };
  const complete = async (started: RunResult, values: Record<string, unknown>, variables: Record<string, unknown>) =>
    completeTask(def, started.state!, started.openTasks[0].executionId, values, { now, variables }, () => {
      counter.engine++;
      return completeTask(def, started.state!, started.openTasks[0].executionId, values, { now, variables, templates: false });
    });
  return { counter, complete };
}

async function startDetached(def: ParsedDefinition, variables: Record<string, unknown>): Promise<RunResult> {
  const started = await startInstance(def, variables, { now, externalVariables: true });
  expect(isTemplateRef(started.state!)).toBe(true);
  return started;
}

describe('planned completion of managedUserApproval', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await parseDefinition(shippedXml, 'managedUserApproval.bpmn');
  });

  it('runs the engine once per path, then answers exactly as the engine does', async () => {
    const { counter, complete } = completer(def);
    const outcomes: RunResult[] = [];
    for (const [i, approved] of ['true', 'true', 'false', 'false', 'true'].entries()) {
      const v = vars(`user${i}`);
      const started = await startDetached(def, v);
      const values = { requestApproved: approved, requesterName: `user${i}` };
      const planned = await complete(started, values, v);
      const engine = await completeTask(def, started.state!, started.openTasks[0].executionId, values, { now, variables: v, templates: false });
      expect(planned).toEqual(engine);
      outcomes.push(planned);
    }
    // approve (engine), approve (plan), reject (engine), reject (plan), approve (plan)
    expect(counter.engine).toBe(2);
    expect(outcomes.map((r) => [r.status, r.endActivityId, r.jobs.map((j) => j.topic)])).toEqual([
      ['ended', 'approved', ['createUser']],
      ['ended', 'approved', ['createUser']],
      ['ended', 'rejected', []],
      ['ended', 'rejected', []],
      ['ended', 'approved', ['createUser']],
    ]);
    expect(outcomes[1].variables).toEqual({ ...vars('user1'), requestApproved: 'true', requesterName: 'user1' });
    expect(await completionPlanState(def)).toBe('active');
  });

  it('takes a boolean approval like the engine does (the enum id "true")', async () => {
    const v = vars('bool');
    const started = await startDetached(def, v);
    const { complete } = completer(def);
    const planned = await complete(started, { requestApproved: true }, v);
    expect(planned).toMatchObject({ status: 'ended', endActivityId: 'approved', variables: { requestApproved: 'true' } });
  });

  it('leaves a wrong execution id, a missing required value and templates: false to the engine', async () => {
    const v = vars('edge');
    const started = await startDetached(def, v);
    await expect(completeTask(def, started.state!, 'evaluateRequest_0123456789', { requestApproved: 'true' }, { now, variables: v })).rejects.toMatchObject({ code: 'TASK_NOT_WAITING' });
    await expect(completeTask(def, started.state!, started.openTasks[0].executionId, {}, { now, variables: v })).rejects.toMatchObject({ code: 'FORM_VALIDATION' });
    const { counter } = completer(def);
    const forced = await completeTask(def, started.state!, started.openTasks[0].executionId, { requestApproved: 'true' }, { now, variables: v, templates: false }, () => {
      counter.engine++;
      return completeTask(def, started.state!, started.openTasks[0].executionId, { requestApproved: 'true' }, { now, variables: v, templates: false });
    });
    expect(counter.engine).toBe(1);
    expect(forced.endActivityId).toBe('approved');
  });

  it('stops answering once the engine disagrees with it', async () => {
    const v = vars('disagree');
    const started = await startDetached(def, v);
    const ref = decodeTemplateRef(started.state!);
    const plan = new CompletionPlan(compiledOf(def), { taskId: 'evaluateRequest', taskExecutionId: () => started.openTasks[0].executionId });
    const predicted = plan.predict(ref, v, started.openTasks[0].executionId, { requestApproved: 'true' })!;
    expect(predicted.path).toBe('toDecisionMerge>toApprovalGateway>approvedFlow');
    expect(plan.isVerified(predicted.path)).toBe(false);
    const engine = await completeTask(def, started.state!, started.openTasks[0].executionId, { requestApproved: 'true' }, { now, variables: v, templates: false });
    expect(plan.confirm(predicted, { ...engine, variables: { ...engine.variables, extra: 1 } })).toBe(false);
    expect(plan.disabled).toMatch(/disagreed/);
    expect(plan.predict(ref, v, started.openTasks[0].executionId, { requestApproved: 'true' })).toBeUndefined();
  });
});

describe('planned completion and stored templates', () => {
  it('answers only references to the template the installed engine builds: one to an older stored template runs the engine', async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const elements = require('bpmn-elements') as { Definition: { prototype: { getState(): Record<string, unknown> } } };
    /* eslint-enable @typescript-eslint/no-require-imports */
    // An "older release": its engine saved one field more, so its template has another fingerprint.
    const older = await parseDefinition(shippedXml);
    const original = elements.Definition.prototype.getState;
    elements.Definition.prototype.getState = function getState(this: unknown) {
      return { ...original.call(this), savedByAnOlderRelease: true };
    };
    const oldStarts: RunResult[] = [];
    try {
      for (let i = 0; i < 3; i++) oldStarts.push(await startDetached(older, vars(`old${i}`)));
    } finally {
      elements.Definition.prototype.getState = original;
    }
    const def = await parseDefinition(shippedXml);
    useTemplateStore(def, undefined, [(await referencedTemplate(older, oldStarts[0].state!))!]);
    const { counter, complete } = completer(def);
    for (const [i, started] of oldStarts.entries()) {
      const done = await complete(started, { requestApproved: 'true' }, vars(`old${i}`));
      expect(done).toMatchObject({ status: 'ended', endActivityId: 'approved' });
    }
    expect(counter.engine).toBe(3);
    // Its own references are planned once the engine has taken the path.
    for (let i = 0; i < 2; i++) await complete(await startDetached(def, vars(`new${i}`)), { requestApproved: 'true' }, vars(`new${i}`));
    expect(counter.engine).toBe(4);
  });
});

describe('planned completion of other gateway shapes', () => {
  async function run(xml: string, approvals: unknown[]) {
    const def = await parseDefinition(xml, 'gated.bpmn');
    const { counter, complete } = completer(def);
    const results: RunResult[] = [];
    for (const [i, approved] of approvals.entries()) {
      const v = { who: `u${i}` };
      const started = await startDetached(def, v);
      const result = await complete(started, { approved }, v);
      const engine = await completeTask(def, started.state!, started.openTasks[0].executionId, { approved }, { now, variables: v, templates: false });
      expect(result).toEqual(engine);
      results.push(result);
    }
    return { results, engineRuns: counter.engine };
  }

  it('takes the default flow last, as bpmn-elements does', async () => {
    const { results, engineRuns } = await run(gatewayXml({ noIsDefault: true }), ['true', 'maybe', 'true', 'no']);
    expect(results.map((r) => r.endActivityId)).toEqual(['yesEnd', 'noEnd', 'yesEnd', 'noEnd']);
    expect(engineRuns).toBe(2);
  });

  it('leaves "no conditional flow taken" to the engine, which fails the instance', async () => {
    const { results, engineRuns } = await run(gatewayXml({}), ['neither', 'neither']);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(results[0].error?.message).toMatch(/no conditional flow taken/);
    expect(engineRuns).toBe(2);
  });

  it('runs the engine for a condition that reads engine internals or cannot be evaluated', async () => {
    const internals = await run(gatewayXml({ yes: '${content.id == "x" || approved == "true"}' }), ['true', 'true']);
    expect(internals.engineRuns).toBe(2);
    const failing = await run(gatewayXml({ yes: '${approved.length.nothing > 1}' }), ['true', 'true']);
    expect(failing.engineRuns).toBe(2);
  });

  it('runs the engine when a path goes through anything but gateways and end events', async () => {
    const extra = `<bpmn:scriptTask id="script" scriptFormat="javascript"><bpmn:script>variables.scripted = true;</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="scriptToEnd" sourceRef="script" targetRef="yesEnd" />`;
    const { results, engineRuns } = await run(gatewayXml({ yesTarget: 'script', extra }), ['true', 'true', 'false', 'false']);
    expect(results.map((r) => r.endActivityId)).toEqual(['yesEnd', 'yesEnd', 'noEnd', 'noEnd']);
    expect(results.map((r) => r.variables.scripted)).toEqual([true, true, undefined, undefined]);
    // The script path always runs the engine; the plain "no" path is learned once.
    expect(engineRuns).toBe(3);
  });
});
