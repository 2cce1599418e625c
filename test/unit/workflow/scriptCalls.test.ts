// What a script task's openidm calls may ask for (src/workflow/scriptCalls.ts): the approved row's
// CREATE, once; anything else is refused naming the call.
import { jobsOfScriptCalls } from '../../../src/workflow/scriptCalls';

const vars = { sourceId: 'bjensen', mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1' };
const call = (params: Record<string, unknown>, resource = 'sync', action = 'performAction') => [{ resource, action, params }];

describe('openidm calls of a BPMN script task', () => {
  it('performAction CREATE for the instance\'s own row is the createUser job, once', () => {
    expect(jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen', mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1', situation: 'ABSENT' }), 'callOpenidmSync', vars)).toEqual([
      { topic: 'createUser', activityId: 'callOpenidmSync' },
    ]);
    const twice = [...call({ action: 'create', sourceId: 'bjensen' }), ...call({ action: 'CREATE', sourceId: 'bjensen' })];
    expect(jobsOfScriptCalls(twice, 't', vars)).toHaveLength(1);
    expect(jobsOfScriptCalls(undefined, 't', vars)).toEqual([]);
  });

  // triggerWorkflowFromSync.js passes recon.actionParam.linkQualifier (SyncOperation.toJsonValue).
  it("accepts the instance's own linkQualifier, or none, and refuses another", () => {
    const staff = { ...vars, linkQualifier: 'staff' };
    expect(jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'staff' }), 't', staff)).toHaveLength(1);
    expect(jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen' }), 't', staff)).toHaveLength(1);
    expect(jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'default' }), 't', vars)).toHaveLength(1);
    expect(() => jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'contractor' }), 't', staff)).toThrow(/for linkQualifier "contractor", but this instance approves under "staff"/);
  });

  it.each([
    ['another row', call({ action: 'CREATE', sourceId: 'scarter' }), /for sourceId "scarter", but this instance approves "bjensen"/],
    ['another mapping', call({ action: 'CREATE', sourceId: 'bjensen', mapping: 'other' }), /for mapping "other", but this instance approves a row of "systemCsvfileAccounts_managedUser"/],
    ['another action', call({ action: 'DELETE', sourceId: 'bjensen' }), /with action "DELETE", but this instance approves action "CREATE"/],
    ['another link qualifier (an instance without one is "default")', call({ action: 'CREATE', sourceId: 'bjensen', linkQualifier: 'staff' }), /for linkQualifier "staff", but this instance approves under "default"/],
    ['no action', call({ sourceId: 'bjensen' }), /with action ""/],
    ['another resource', call({ action: 'CREATE' }, 'managed/user', 'create'), /openidm.action\('managed\/user', 'create'\) is not available/],
    ['recon', call({ mapping: 'm' }, 'recon', 'recon'), /openidm.action\('recon', 'recon'\) is not available/],
  ])('refuses %s', (_what, calls, message) => {
    expect(() => jobsOfScriptCalls(calls, 't', vars)).toThrow(message);
  });

  // Issue 16: recon.actionParam carries the situation's action (OpenIDM SyncOperation.toJsonValue /
  // TargetSyncOperation.toJsonValue); the script's performAction may ask for that action, on that row or target.
  const found = { ...vars, situation: 'FOUND', action: 'UPDATE', targetId: 'u1' };
  const missing = { mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1', situation: 'SOURCE_MISSING', action: 'DELETE', target: 'true', targetId: 'u9' };

  it("performAction of the instance's own action (UPDATE on FOUND, DELETE on a target) is the approval's job", () => {
    expect(jobsOfScriptCalls(call({ action: 'UPDATE', sourceId: 'bjensen', targetId: 'u1', situation: 'FOUND' }), 't', found)).toEqual([{ topic: 'createUser', activityId: 't' }]);
    expect(jobsOfScriptCalls(call({ action: 'update', sourceId: 'bjensen' }), 't', found)).toHaveLength(1);
    expect(jobsOfScriptCalls(call({ action: 'DELETE', targetId: 'u9', target: 'true', situation: 'SOURCE_MISSING' }), 't', missing)).toEqual([{ topic: 'createUser', activityId: 't' }]);
  });

  it.each([
    ['CREATE on a FOUND approval', call({ action: 'CREATE', sourceId: 'bjensen' }), found, /with action "CREATE", but this instance approves action "UPDATE"/],
    ['another target', call({ action: 'UPDATE', sourceId: 'bjensen', targetId: 'u2' }), found, /for targetId "u2", but this instance approves "u1"/],
    ['UNLINK on a DELETE approval', call({ action: 'UNLINK', targetId: 'u9' }), missing, /with action "UNLINK", but this instance approves action "DELETE"/],
    ['another target of a target-phase approval', call({ action: 'DELETE', targetId: 'u8' }), missing, /for targetId "u8", but this instance approves "u9"/],
    ['no target for a target-phase approval', call({ action: 'DELETE' }), missing, /without targetId, but this instance approves the target "u9"/],
    ['a source row for a target-phase approval', call({ action: 'DELETE', targetId: 'u9', sourceId: 'bjensen' }), missing, /for sourceId "bjensen", but this instance approves the target "u9" and no source row/],
    ['a targetId where the instance has none', call({ action: 'CREATE', sourceId: 'bjensen', targetId: 'u1' }), vars, /for targetId "u1", but this instance approves no target/],
  ])('refuses %s', (_what, calls, variables, message) => {
    expect(() => jobsOfScriptCalls(calls, 't', variables)).toThrow(message);
  });

  it('refuses a CREATE in an instance that approves no row', () => {
    expect(() => jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen' }), 't', {})).toThrow(/approves no source row/);
  });
});

describe('in a JavaScript script task, run by the engine', () => {
  const { parseDefinition } = jest.requireActual('../../../src/workflow/parse') as typeof import('../../../src/workflow/parse');
  const { startInstance } = jest.requireActual('../../../src/workflow/engine') as typeof import('../../../src/workflow/engine');
  const processWith = (script: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="callOpenidmSync" />
    <bpmn:scriptTask id="callOpenidmSync" scriptFormat="javascript"><bpmn:script><![CDATA[${script}]]></bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="callOpenidmSync" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

  it("records performAction as the createUser job, and keeps the call out of the variables", async () => {
    const def = await parseDefinition(processWith("if (requestApproved === 'true') openidm.action('sync', 'performAction', {}, { action: 'CREATE', sourceId: sourceId, mapping: mapping });"));
    const run = await startInstance(def, { ...vars, requestApproved: 'true' });
    expect(run).toMatchObject({ status: 'ended', jobs: [{ topic: 'createUser', activityId: 'callOpenidmSync' }] });
    expect(run.variables).toEqual({ ...vars, requestApproved: 'true' });
    const no = await startInstance(def, { ...vars, requestApproved: 'false' });
    expect(no).toMatchObject({ status: 'ended', jobs: [] });
  });

  it('fails naming another row, and any other openidm method', async () => {
    const other = await startInstance(await parseDefinition(processWith("openidm.action('sync', 'performAction', {}, { action: 'CREATE', sourceId: 'scarter' });")), vars);
    expect(other).toMatchObject({ status: 'failed', error: { activityId: 'callOpenidmSync' } });
    expect(other.error?.message).toMatch(/for sourceId "scarter", but this instance approves "bjensen"/);
    const read = await startInstance(await parseDefinition(processWith("openidm.read('managed/user/x');")), vars);
    expect(read.error?.message).toMatch(/openidm\.read is not available in reconflow's BPMN scripts/);
  });
});
