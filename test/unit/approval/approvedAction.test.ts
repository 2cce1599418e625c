// A workflow policy's approvedAction (src/approval/approvedAction.ts): IDM passes the situation's
// default action in recon.actionParam (SyncOperation.determineAction); approvedAction names another.
import { approvedActions } from '../../../src/approval/approvedAction';

const sync = (situation: string, approvedAction: unknown) => ({
  mappings: [{ name: 'm', policies: [{ situation: 'CONFIRMED', action: 'UPDATE' }, { situation, action: { workflowName: 'w', file: 'workflow/triggerWorkflowFromSync.js', approvedAction } }] }],
});

describe('approvedAction of a workflow policy', () => {
  it('is read per mapping and situation; absent, the situation keeps its default', () => {
    expect(approvedActions(sync('SOURCE_MISSING', 'DELETE'))).toEqual({ m: { SOURCE_MISSING: 'DELETE' } });
    expect(approvedActions(sync('FOUND', 'LINK'))).toEqual({ m: { FOUND: 'LINK' } });
    expect(approvedActions(sync('ABSENT', undefined))).toEqual({});
    expect(approvedActions(undefined)).toEqual({});
  });

  it.each([
    ['an unknown action', 'ABSENT', 'DROP', /mappings\[0\]\.policies\[1\]\.action\.approvedAction must be one of CREATE, UPDATE/],
    ['ASYNC', 'ABSENT', 'ASYNC', /must be one of/],
    ['a non-string', 'ABSENT', 3, /must be one of/],
    ['CREATE on a target-phase situation', 'SOURCE_MISSING', 'CREATE', /CREATE needs a source object, which SOURCE_MISSING \(a target-phase situation\) has not/],
    ['LINK on UNASSIGNED', 'UNASSIGNED', 'LINK', /LINK needs a source object/],
  ])('refuses %s, naming the key', (_what, situation, value, message) => {
    expect(() => approvedActions(sync(situation, value))).toThrow(message);
  });
});
