// A workflow policy's approvedAction (src/approval/approvedAction.ts): IDM passes the situation's
// default action in recon.actionParam (SyncOperation.determineAction); approvedAction names another.
// It is checked with the rest of sync.json (validateSyncConfig), naming the policy's key.
import { validateSyncConfig } from '../../../src/recon/mapping';

const sync = (situation: string, approvedAction: unknown) => ({
  mappings: [{
    name: 'm', source: 'system/csvfile/account', target: 'managed/user', correlation: { sourceField: 'email', targetField: 'mail' },
    policies: [{ situation: 'CONFIRMED', action: 'UPDATE' }, { situation, action: { workflowName: 'w', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js', approvedAction } }],
  }],
});

const approvedOf = (json: unknown) => {
  const [m] = validateSyncConfig(json);
  return Object.fromEntries(m.policies.flatMap((p) => (typeof p.action === 'object' && p.action.approvedAction ? [[p.situation, p.action.approvedAction]] : [])));
};

describe('approvedAction of a workflow policy', () => {
  it('is kept on its policy; absent, the situation keeps its default', () => {
    expect(approvedOf(sync('SOURCE_MISSING', 'DELETE'))).toEqual({ SOURCE_MISSING: 'DELETE' });
    expect(approvedOf(sync('FOUND', 'LINK'))).toEqual({ FOUND: 'LINK' });
    expect(approvedOf(sync('ABSENT', undefined))).toEqual({});
  });

  it.each([
    ['an unknown action', 'ABSENT', 'DROP', /mappings\[0\]\.policies\[1\]\.action\.approvedAction must be one of CREATE, UPDATE/],
    ['ASYNC', 'ABSENT', 'ASYNC', /must be one of/],
    ['a non-string', 'ABSENT', 3, /must be one of/],
    ['CREATE on a target-phase situation', 'SOURCE_MISSING', 'CREATE', /mappings\[0\]\.policies\[1\]\.action\.approvedAction CREATE needs a source object, which SOURCE_MISSING \(a target-phase situation\) has not/],
    ['LINK on UNASSIGNED', 'UNASSIGNED', 'LINK', /LINK needs a source object/],
  ])('refuses %s, naming the key', (_what, situation, value, message) => {
    expect(() => validateSyncConfig(sync(situation, value))).toThrow(message);
  });
});
