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

  it.each([
    ['another row', call({ action: 'CREATE', sourceId: 'scarter' }), /for sourceId "scarter", but this instance approves "bjensen"/],
    ['another mapping', call({ action: 'CREATE', sourceId: 'bjensen', mapping: 'other' }), /for mapping "other", but this instance approves a row of "systemCsvfileAccounts_managedUser"/],
    ['another action', call({ action: 'DELETE', sourceId: 'bjensen' }), /with action "DELETE": an approval here can create the approved account/],
    ['no action', call({ sourceId: 'bjensen' }), /with action ""/],
    ['another resource', call({ action: 'CREATE' }, 'managed/user', 'create'), /openidm.action\('managed\/user', 'create'\) is not available/],
    ['recon', call({ mapping: 'm' }, 'recon', 'recon'), /openidm.action\('recon', 'recon'\) is not available/],
  ])('refuses %s', (_what, calls, message) => {
    expect(() => jobsOfScriptCalls(calls, 't', vars)).toThrow(message);
  });

  it('refuses a CREATE in an instance that approves no row', () => {
    expect(() => jobsOfScriptCalls(call({ action: 'CREATE', sourceId: 'bjensen' }), 't', {})).toThrow(/approves no source row/);
  });
});
