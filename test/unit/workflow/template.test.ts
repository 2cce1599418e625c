// Template start (src/workflow/template.ts): an instance started from a definition's waiting
// template must recover, complete and end exactly like one started by bpmn-engine itself.
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, expandState, fireDueTimers, hasStartTemplate, parseDefinition, startInstance, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';
import { decodeState, isTemplateRef } from '../../../src/workflow/stateCodec';

const root = path.resolve(__dirname, '../../..');
// The sample with its interrupting escalation timer on evaluateRequest (a copy, so that this test
// does not move with processes/managedUserApproval.bpmn; the shipped file is checked at the end).
const sampleXml = fs.readFileSync(path.join(root, 'test/fixtures/bpmn/approval-escalation.bpmn'), 'utf8');
const shippedXml = fs.readFileSync(path.join(root, 'processes/managedUserApproval.bpmn'), 'utf8');
const timerXml = fs.readFileSync(path.join(root, 'test/fixtures/bpmn/timer-boundary.bpmn'), 'utf8');
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const DAY = 86_400_000;
const vars = { reconId: 'r1', mapping: 'systemCsvfileAccounts_managedUser', situation: 'ABSENT', action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'default', sourceHash: 'ab'.repeat(32) };

/** Execution ids are random per instance: compare results with them numbered in order of appearance. */
function normalized(value: unknown): string {
  const ids = new Map<string, string>();
  return JSON.stringify(value).replace(/_[0-9a-f]{6,10}(?![0-9A-Za-z])/g, (m) => {
    if (!ids.has(m)) ids.set(m, `_#${ids.size}`);
    return ids.get(m)!;
  });
}

function comparable(r: RunResult) {
  const { state, ...rest } = r;
  return normalized({ ...rest, hasState: state !== undefined });
}

describe('template start of managedUserApproval (user task with an interrupting boundary timer)', () => {
  let def: ParsedDefinition;
  let viaTemplate: RunResult;
  let viaEngine: RunResult;
  const now = () => T0;
  beforeAll(async () => {
    def = await parseDefinition(sampleXml, 'managedUserApproval.bpmn');
    viaTemplate = await startInstance(def, vars, { now });
    viaEngine = await startInstance(def, vars, { now, start: 'engine' });
  });

  it('has a template, and a template start stores only a short reference', async () => {
    expect(await hasStartTemplate(def)).toBe(true);
    expect(isTemplateRef(viaTemplate.state!)).toBe(true);
    expect(isTemplateRef(viaEngine.state!)).toBe(false);
    expect(viaTemplate.state!.length).toBeLessThan(viaEngine.state!.length);
    const detached = await startInstance(def, vars, { now, externalVariables: true });
    expect(detached.state!.length).toBeLessThan(64);
  });

  it('starts with the same open task, timers and variables as the engine', () => {
    expect(comparable(viaTemplate)).toBe(comparable(viaEngine));
    expect(viaTemplate.timers).toEqual([{ executionId: expect.stringMatching(/^escalationTimer_[0-9a-f]{10}_0$/), activityId: 'escalationTimer', expireAt: T0 + 3 * DAY }]);
    expect(viaTemplate.openTasks[0]).toMatchObject({ taskDefinitionKey: 'evaluateRequest', assignee: 'async.admin' });
    expect(viaTemplate.openTasks[0].executionId).not.toBe(viaEngine.openTasks[0].executionId);
  });

  it('expands into the engine state an engine start stores (execution ids aside)', async () => {
    expect(normalized(await expandState(def, viaTemplate.state!))).toBe(normalized(decodeState(viaEngine.state!)));
  });

  it('gives every instance its own execution ids', async () => {
    const other = await startInstance(def, vars, { now });
    expect(other.openTasks[0].executionId).not.toBe(viaTemplate.openTasks[0].executionId);
  });

  it.each([
    ['approve', { requestApproved: 'true' }, 'approved'],
    ['reject', { requestApproved: 'false' }, 'rejected'],
  ])('%s: ends exactly like an engine-started instance', async (_name, values, end) => {
    const a = await completeTask(def, viaTemplate.state!, viaTemplate.openTasks[0].executionId, values, { now });
    const b = await completeTask(def, viaEngine.state!, viaEngine.openTasks[0].executionId, values, { now });
    expect(a).toMatchObject({ status: 'ended', endActivityId: end });
    expect(comparable(a)).toBe(comparable(b));
  });

  it('timer escalation: escalates, then completes, exactly like an engine-started instance', async () => {
    const early = await fireDueTimers(def, viaTemplate.state!, T0 + DAY);
    expect(early.openTasks.map((t) => t.executionId)).toEqual(viaTemplate.openTasks.map((t) => t.executionId));
    expect(early.timers).toEqual(viaTemplate.timers);
    const a = await fireDueTimers(def, viaTemplate.state!, T0 + 3 * DAY);
    const b = await fireDueTimers(def, viaEngine.state!, T0 + 3 * DAY);
    expect(a.openTasks.map((t) => [t.taskDefinitionKey, t.assignee])).toEqual([['escalatedReview', 'openidm-admin']]);
    expect(comparable(a)).toBe(comparable(b));
    expect(normalized(decodeState(a.state!))).toBe(normalized(decodeState(b.state!)));
    const doneA = await completeTask(def, a.state!, a.openTasks[0].executionId, { requestApproved: 'true' });
    const doneB = await completeTask(def, b.state!, b.openTasks[0].executionId, { requestApproved: 'true' });
    expect(doneA).toMatchObject({ status: 'ended', endActivityId: 'approved', jobs: [{ topic: 'createUser', activityId: 'approved' }] });
    expect(comparable(doneA)).toBe(comparable(doneB));
    await expect(completeTask(def, a.state!, viaTemplate.openTasks[0].executionId, { requestApproved: 'true' })).rejects.toMatchObject({ code: 'TASK_NOT_WAITING' });
  });

  it('resolves the timer duration from the instance variables', async () => {
    const quick = await startInstance(def, { ...vars, escalationDuration: 'PT1H' }, { now });
    const quickEngine = await startInstance(def, { ...vars, escalationDuration: 'PT1H' }, { now, start: 'engine' });
    expect(isTemplateRef(quick.state!)).toBe(true);
    expect(quick.timers[0].expireAt).toBe(T0 + 3_600_000);
    expect(comparable(quick)).toBe(comparable(quickEngine));
    const fired = await fireDueTimers(def, quick.state!, T0 + 3_600_000);
    expect(fired.openTasks[0].taskDefinitionKey).toBe('escalatedReview');
  });

  it('falls back to the engine when the template cannot promise the same result', async () => {
    const bad = await startInstance(def, { ...vars, escalationDuration: 'soon' }, { now });
    const badEngine = await startInstance(def, { ...vars, escalationDuration: 'soon' }, { now, start: 'engine' });
    expect(isTemplateRef(bad.state ?? Buffer.alloc(0))).toBe(false);
    expect(comparable(bad)).toBe(comparable(badEngine));
    const dated = await startInstance(def, { ...vars, when: new Date(T0) }, { now });
    expect(isTemplateRef(dated.state!)).toBe(false);
  });

  it('a state stored without its variables recovers with the variables handed back, and refuses without', async () => {
    const detached = await startInstance(def, vars, { now, externalVariables: true });
    await expect(completeTask(def, detached.state!, detached.openTasks[0].executionId, { requestApproved: 'true' })).rejects.toMatchObject({ code: 'STATE_INVALID' });
    const done = await completeTask(def, detached.state!, detached.openTasks[0].executionId, { requestApproved: 'true' }, { variables: JSON.parse(JSON.stringify(vars)) });
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'approved', variables: { ...vars, requestApproved: 'true' } });
  });

  it('recovers after a "restart": a fresh module rebuilds the same template from the definition', async () => {
    let fresh: typeof import('../../../src/workflow/engine') | undefined;
    jest.isolateModules(() => {
      fresh = require('../../../src/workflow/engine');
    });
    const reparsed = await fresh!.parseDefinition(sampleXml);
    const done = await fresh!.completeTask(reparsed, Buffer.from(viaTemplate.state!), viaTemplate.openTasks[0].executionId, { requestApproved: 'false' });
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'rejected' });
  });

  it('a reference to a template this definition does not produce is STATE_INVALID', async () => {
    const other = await parseDefinition(timerXml);
    await expect(completeTask(other, viaTemplate.state!, viaTemplate.openTasks[0].executionId, {})).rejects.toMatchObject({ code: 'STATE_INVALID' });
  });
});

describe('template start of timer-boundary.bpmn (escalation, then a non-interrupting cycle)', () => {
  it('behaves like the engine through escalation, reminders and completion', async () => {
    const def = await parseDefinition(timerXml);
    const a = await startInstance(def, {}, { now: () => T0 });
    const b = await startInstance(def, {}, { now: () => T0, start: 'engine' });
    expect(isTemplateRef(a.state!)).toBe(true);
    expect(comparable(a)).toBe(comparable(b));
    const ea = await fireDueTimers(def, a.state!, T0 + 2000 + 2 * 3_600_000 + 5);
    const eb = await fireDueTimers(def, b.state!, T0 + 2000 + 2 * 3_600_000 + 5);
    expect(ea.jobs).toHaveLength(2);
    expect(comparable(ea)).toBe(comparable(eb));
  });
});

describe('the shipped processes/managedUserApproval.bpmn', () => {
  it('starts from its template and completes like an engine start', async () => {
    const def = await parseDefinition(shippedXml);
    expect(await hasStartTemplate(def)).toBe(true);
    const a = await startInstance(def, vars, { now: () => T0 });
    const b = await startInstance(def, vars, { now: () => T0, start: 'engine' });
    expect(isTemplateRef(a.state!)).toBe(true);
    expect(comparable(a)).toBe(comparable(b));
    const doneA = await completeTask(def, a.state!, a.openTasks[0].executionId, { requestApproved: 'true' });
    const doneB = await completeTask(def, b.state!, b.openTasks[0].executionId, { requestApproved: 'true' });
    expect(doneA).toMatchObject({ status: 'ended', endActivityId: 'approved' });
    expect(comparable(doneA)).toBe(comparable(doneB));
  });
});

describe('definitions without a deterministic path to the first wait', () => {
  it('always run the engine', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:scriptTask id="work" scriptFormat="javascript"><bpmn:script>variables.assignTo = 'x';</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="wait" />
    <bpmn:userTask id="wait" camunda:assignee="\${assignTo}" />
  </bpmn:process>
</bpmn:definitions>`;
    const def = await parseDefinition(xml);
    expect(await hasStartTemplate(def)).toBe(false);
    const run = await startInstance(def, {});
    expect(run.openTasks[0].assignee).toBe('x');
    expect(isTemplateRef(run.state!)).toBe(false);
  });
});

// The three ways the shortcut differed from the engine (issue 15), each on the same file both ways.
describe('the template and the engine agree', () => {
  let def: ParsedDefinition;
  const now = () => T0;
  beforeAll(async () => {
    def = await parseDefinition(sampleXml, 'managedUserApproval.bpmn');
  });

  it('a duration with surrounding whitespace is read alike on both paths (one timer parser trims it): the same wait, due an hour later', async () => {
    const a = await startInstance(def, { ...vars, escalationDuration: ' PT1H ' }, { now });
    const b = await startInstance(def, { ...vars, escalationDuration: ' PT1H ' }, { now, templates: false });
    expect(a).toMatchObject({ status: 'waiting', timers: [{ activityId: 'escalationTimer', expireAt: T0 + 3600_000 }] });
    expect(comparable(a)).toBe(comparable(b));
    // A duration no path can read fails the start on both, in the engine's words.
    const c = await startInstance(def, { ...vars, escalationDuration: 'PT1X' }, { now });
    const d = await startInstance(def, { ...vars, escalationDuration: 'PT1X' }, { now, templates: false });
    expect(c).toMatchObject({ status: 'failed', error: { activityId: 'escalationTimer' } });
    expect(comparable(c)).toBe(comparable(d));
  });

  it('a variable whose text is one of the template\'s placeholders is kept as it is', async () => {
    const tricky = { ...vars, note: '@@D:escalationTimer@@', whole: '@@V@@', token: '_@@0@@', both: '"@@V@@" @@1@@' };
    const a = await startInstance(def, tricky, { now });
    const b = await startInstance(def, tricky, { now, templates: false });
    expect(isTemplateRef(a.state!)).toBe(true);
    expect(normalized(await expandState(def, a.state!))).toBe(normalized(decodeState(b.state!)));
    for (const values of [{ requestApproved: 'true' }, { requestApproved: 'false' }]) {
      const doneA = await completeTask(def, a.state!, a.openTasks[0].executionId, values, { now, templates: false });
      const doneB = await completeTask(def, b.state!, b.openTasks[0].executionId, values, { now, templates: false });
      expect(doneA.variables).toEqual({ ...tricky, ...values });
      expect(comparable(doneA)).toBe(comparable(doneB));
    }
    const fired = await fireDueTimers(def, a.state!, T0 + 3 * DAY);
    expect(fired.variables).toEqual(tricky);
  });

  it.each(['fields', 'content', 'properties'])('a start variable named %s is refused on both paths, naming it (never dropped silently)', async (key) => {
    for (const templates of [true, false]) {
      await expect(startInstance(def, { ...vars, [key]: 'x' }, { now, templates })).rejects.toMatchObject({ code: 'FORM_VALIDATION', field: key, message: expect.stringContaining(`'${key}' is a reserved variable name`) });
    }
  });

  it.each(['fields', 'content', 'properties'])('a submitted key named %s is refused on both paths, naming it', async (key) => {
    const started = await startInstance(def, vars, { now, externalVariables: true });
    for (const templates of [true, false, true]) {
      await expect(
        completeTask(def, started.state!, started.openTasks[0].executionId, { requestApproved: 'true', [key]: 'x' }, { now, templates, variables: vars }),
      ).rejects.toMatchObject({ code: 'FORM_VALIDATION', field: key });
    }
  });

  it('a form field whose variable is reserved is refused at deploy, naming the field and the task', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:userTask id="ask"><bpmn:extensionElements><camunda:formData><camunda:formField id="content" type="string" /></camunda:formData></bpmn:extensionElements></bpmn:userTask>
  </bpmn:process>
</bpmn:definitions>`;
    const parsed = await parseDefinition(xml, 'reserved.bpmn');
    expect(parsed.unrunnable).toMatchObject({ elementId: 'ask', message: expect.stringContaining('form field "content" of userTask "ask" sets the variable "content", a reserved name') });
  });
});
