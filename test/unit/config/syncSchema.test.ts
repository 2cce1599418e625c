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
    // ReconTypeBase.isRunTargetPhase: runTargetPhase false is honoured (test/api/reconIdm.test.ts).
    expect(validateConfFiles(withKey('runTargetPhase', false))).toEqual([]);
    // ObjectMapping.getLinkQualifiers: read (src/recon/mapping.ts; test/api/linkQualifiers.test.ts).
    expect(validateConfFiles(withKey('linkQualifiers', ['default', 'test']))).toEqual([]);
    // Clustered reconciliation: both keys read (src/recon/clustered.ts; test/api/clusteredRecon.test.ts).
    const clustered = withKey('clusteredSourceReconEnabled', true);
    (clustered['sync.json'] as any).mappings[0].reconSourceQueryPageSize = 500;
    expect(validateConfFiles(clustered)).toEqual([]);
  });

  it('warns that reconSourceQueryPageSize has no effect on a mapping that is not clustered', () => {
    for (const off of [undefined, false]) {
      const j = withKey('reconSourceQueryPageSize', 500);
      if (off !== undefined) (j['sync.json'] as any).mappings[0].clusteredSourceReconEnabled = off;
      expect(validateConfFiles(j)).toEqual([
        'sync.json: keys accepted without effect in reconflow: mappings[0].reconSourceQueryPageSize (reconflow streams the source of a run that is not clustered (clusteredSourceReconEnabled: true pages it))',
      ]);
    }
  });

  it.each([
    ['an onCreate key IDM does not define', 'onCreate', { type: 'text/javascript', source: 'target.x = 1', runAs: 'x' }, /mappings\[0\]\.onCreate\.runAs is not supported/],
    ['an unknown key', 'sourceIdsCaseSensitive', false, /mappings\[0\]\.sourceIdsCaseSensitive is not supported by reconflow: remove it/],
  ])('refuses %s naming it', (_what, key, value, message) => {
    expect(() => validateConfFiles(withKey(key, value))).toThrow(message);
  });

  // PingIDM "Synchronization reference": the hooks and result are scripts reconflow runs (src/recon/hooks.ts).
  it.each(['onCreate', 'onUpdate', 'onDelete', 'onLink', 'onUnlink', 'result', 'correlationScript'])('accepts %s as a script', (key) => {
    expect(validateConfFiles(withKey(key, { type: 'text/javascript', source: '1' }))).toEqual([]);
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
