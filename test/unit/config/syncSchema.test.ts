// conf/sync.json's keys (src/config/schema/sync.ts): every key IDM defines is read, refused naming
// itself, or listed as without effect — runTargetPhase and linkQualifiers were once accepted and
// silently ignored (issue 16).
import fs from 'node:fs';
import path from 'node:path';
import { validateConfFiles } from '../../../src/config/schema';

const own = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'conf', 'sync.json'), 'utf8'));
const withKey = (key: string, value: unknown, where: 'mapping' | 'property' | 'policyAction' = 'mapping') => {
  const j = JSON.parse(JSON.stringify(own));
  if (where === 'mapping') j.mappings[0][key] = value;
  if (where === 'property') j.mappings[0].properties[0][key] = value;
  if (where === 'policyAction') j.mappings[0].policies.find((p: any) => typeof p.action === 'object').action[key] = value;
  return { 'sync.json': j };
};

describe('sync.json keys', () => {
  it("accepts reconflow's own sync.json and the IDM fixtures' without a warning", () => {
    expect(validateConfFiles({ 'sync.json': own })).toEqual([]);
    for (const f of ['idm-project', 'idm-project-4']) {
      const j = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'fixtures', f, 'conf', 'sync.json'), 'utf8'));
      expect(validateConfFiles({ 'sync.json': j })).toEqual([]);
    }
  });

  it.each([
    ['runTargetPhase: false', 'runTargetPhase', false, /mappings\[0\]\.runTargetPhase false is not implemented by reconflow \(implemented: true\)/],
    ['linkQualifiers', 'linkQualifiers', ['default', 'test'], /mappings\[0\]\.linkQualifiers linkQualifiers \(links per qualifier\) is not implemented by reconflow yet: remove it/],
    ['onCreate', 'onCreate', { type: 'text/javascript', source: 'target.x = 1' }, /onCreate \(a script run when a target is created\) is not implemented/],
    ['result', 'result', { type: 'text/javascript', source: '1' }, /result \(a script run with the reconciliation summary\)/],
    ['clusteredSourceReconEnabled: true', 'clusteredSourceReconEnabled', true, /clusteredSourceReconEnabled true is not implemented/],
    ['an unknown key', 'sourceIdsCaseSensitive', false, /mappings\[0\]\.sourceIdsCaseSensitive is not supported by reconflow: remove it/],
  ])('refuses %s naming it', (_what, key, value, message) => {
    expect(() => validateConfFiles(withKey(key, value))).toThrow(message);
  });

  it('refuses unknown keys of a property; an action script takes any key as its variable (IDM)', () => {
    expect(() => validateConfFiles(withKey('mappingHint', 'x', 'property'))).toThrow(/mappings\[0\]\.properties\[0\]\.mappingHint is not supported/);
    expect(validateConfFiles(withKey('globals', { a: 1 }, 'policyAction'))).toEqual([]);
    expect(validateConfFiles(withKey('approver', 'async.admin', 'policyAction'))).toEqual([]);
  });

  it('lists keys without effect in one warning', () => {
    const j = withKey('taskThreads', 8);
    (j['sync.json'] as any).mappings[0].displayName = 'CSV to users';
    expect(validateConfFiles(j)).toEqual([
      "sync.json: keys accepted without effect in reconflow: mappings[0].displayName (IDM's admin UI only); mappings[0].taskThreads (reconflow sizes its own reconciliation work)",
    ]);
  });
});
