// Pure pieces of "reconciliation as IDM does it" (issue 16): the recorded status of an EXCEPTION
// (OpenIDM's SourceRecon/TargetRecon), the runTargetPhase key (ReconTypeBase.isRunTargetPhase) and
// the run's progress shape (ReconciliationContext.getProgress). Runs: test/api/reconIdm.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { compileMapping, validateSyncConfig } from '../../../src/recon/mapping';
import { RunProgress } from '../../../src/recon/progress';
import { recordedStatus } from '../../../src/recon/reconStatus';

const syncJson = () => JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../conf/sync.json'), 'utf8'));
const withMapping = (extra: Record<string, unknown>) => {
  const j = syncJson();
  Object.assign(j.mappings[0], extra);
  return j;
};

describe('SourceRecon / TargetRecon: recorded status', () => {
  it('an EXCEPTION policy is intentional: recorded SUCCESS even though the action "fails"', () => {
    expect(recordedStatus('EXCEPTION', 'FAILURE')).toBe('SUCCESS');
  });
  it('any other failing action stays a FAILURE', () => {
    expect(recordedStatus('LINK', 'FAILURE')).toBe('FAILURE');
    expect(recordedStatus('CREATE', 'SUCCESS')).toBe('SUCCESS');
  });
});

describe('ReconTypeBase.isRunTargetPhase: runTargetPhase', () => {
  it('defaults to true, reads false, and refuses a non-boolean naming the key', () => {
    expect(compileMapping(validateSyncConfig(syncJson())[0]).runTargetPhase).toBe(true);
    expect(compileMapping(validateSyncConfig(withMapping({ runTargetPhase: false }))[0]).runTargetPhase).toBe(false);
    expect(() => validateSyncConfig(withMapping({ runTargetPhase: 'no' }))).toThrow(/mappings\[0\]\.runTargetPhase must be true or false/);
  });
  it('does not change the mapping fingerprint (links need no re-compare)', () => {
    const a = compileMapping(validateSyncConfig(syncJson())[0]);
    const b = compileMapping(validateSyncConfig(withMapping({ runTargetPhase: false }))[0]);
    expect(b.fingerprint).toBe(a.fingerprint);
  });
});

describe('ReconciliationContext.getProgress shape', () => {
  it('unknown totals are "?"; counters are as counted', () => {
    const p = new RunProgress();
    p.targetProcessed = 2;
    p.targetCreated = 1;
    expect(p.toJSON()).toEqual({
      source: { existing: { processed: 0, total: '?' } },
      target: { existing: { processed: 2, total: '?' }, created: 1 },
      links: { existing: { processed: 0, total: '?' }, created: 0 },
    });
  });
});
