// The ask-again policy, case by case (docs/approvals.md's table).
import { verdict } from '../../../src/approval/askAgain';
import { canonicalHash, rolesOf } from '../../../src/approval/contract';
import { RequestState } from '../../../src/repo/decisions';

const req = (over: Partial<RequestState>): RequestState => ({
  processInstanceId: 1, mapping: 'm', sourceId: 's', sourceHash: 'h1', reconId: 'r', target: {}, requestedAt: 'T0', outcome: null, outcomeMessage: null, outcomeAt: null,
  decision: null, decidedBy: null, decidedAt: null, instanceStatus: 'ended', ...over,
});

describe('verdict', () => {
  it('asks when nothing was asked before', () => expect(verdict([], 'h1', 'whenSourceChanges')).toEqual({ kind: 'ask' }));
  it('skips an open request for the same content, supersedes one for changed content', () => {
    expect(verdict([req({ instanceStatus: 'active' })], 'h1', 'always')).toMatchObject({ kind: 'skip', message: 'An approval is already open (instance 1)' });
    expect(verdict([req({ instanceStatus: 'active' })], 'h2', 'never')).toMatchObject({ kind: 'supersede', instanceId: 1, reason: expect.stringMatching(/^superseded: the source row changed \(hash h1 → h2\)/) });
  });
  it('skips an approved request whose user is not created yet, whatever the content', () => {
    for (const hash of ['h1', 'h2']) expect(verdict([req({ decision: 'approved', decidedBy: 'a' })], hash, 'always')).toMatchObject({ kind: 'skip', message: expect.stringMatching(/not been created yet/) });
  });
  it('skips a failed approval of the same content (its incident is the way on), asks for changed content', () => {
    const failed = req({ decision: 'approved', outcome: 'failed', outcomeMessage: 'taken' });
    expect(verdict([failed], 'h1', 'always')).toMatchObject({ kind: 'skip', message: expect.stringMatching(/could not be created.*taken/) });
    expect(verdict([failed], 'h2', 'always')).toEqual({ kind: 'ask' });
  });
  it('asks again after superseded or created', () => {
    expect(verdict([req({ decision: 'approved', outcome: 'superseded' })], 'h1', 'never')).toEqual({ kind: 'ask' });
    expect(verdict([req({ decision: 'approved', outcome: 'created' })], 'h1', 'never')).toEqual({ kind: 'ask' });
  });
  it('remembers a rejection per askAgainAfterRejection, past requests ended without a decision', () => {
    const history = [req({ decision: 'rejected', decidedBy: 'x' }), req({ processInstanceId: 2, instanceStatus: 'canceled' })];
    expect(verdict(history, 'h1', 'whenSourceChanges')).toMatchObject({ kind: 'skip', message: expect.stringMatching(/^Rejected by x/) });
    expect(verdict(history, 'h2', 'whenSourceChanges')).toEqual({ kind: 'ask' });
    expect(verdict(history, 'h2', 'never')).toMatchObject({ kind: 'skip' });
    expect(verdict(history, 'h1', 'always')).toEqual({ kind: 'ask' });
  });
});

describe('contract', () => {
  it('hashes a row independently of its key order', () => {
    expect(canonicalHash({ _id: 'a', name: 'a', x: '1' })).toBe(canonicalHash({ x: '1', name: 'a', _id: 'a' }));
    expect(canonicalHash({ _id: 'a', name: 'a', x: '1' })).not.toBe(canonicalHash({ _id: 'a', name: 'a', x: '2' }));
  });
  it('lists every role reference once', () => {
    expect(rolesOf({ authzRoles: [{ _ref: 'internal/role/a' }, { _ref: 'internal/role/b' }], roles: ['internal/role/a', { _ref: 'managed/role/c' }] })).toEqual(['internal/role/a', 'internal/role/b', 'managed/role/c']);
    expect(rolesOf(null)).toEqual([]);
  });
});
