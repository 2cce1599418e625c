// "type": "groovy" conf scripts (transforms, conditions, validSource …) on real Apache Groovy.
import { groovyInstallation } from '../../../src/scripts/groovyHost';
import { compileScript } from '../../../src/recon/script';

const installed = typeof groovyInstallation() !== 'string';
if (!installed) console.warn(`groovy conf script tests skipped: ${groovyInstallation()}`);
const maybe = installed ? describe : describe.skip;

maybe('groovy conf scripts', () => {
  jest.setTimeout(120_000);

  it('binds source, object and target by name and answers the value', () => {
    const upper = compileScript('source.toUpperCase()', 'm.properties[0](userName).transform', { language: 'groovy' });
    expect(upper({ source: 'bjensen' })).toBe('BJENSEN');
    const roles = compileScript("source.tokenize(',').collect { def r = it.trim(); [_ref: r.startsWith('internal/') ? r : 'internal/role/' + r] }", 'roles.transform', { language: 'groovy' });
    expect(roles({ source: 'openidm-admin, internal/role/openidm-authorized' })).toEqual([{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }]);
    const valid = compileScript("object.description != 'do not sync'", 'm.validSource', { language: 'groovy' });
    expect(valid({ object: { description: 'Created By CSV' } })).toBe(true);
    expect(valid({ object: { description: 'do not sync' } })).toBe(false);
  });

  it('refuses a script that does not compile when it is compiled, and names a failing one', () => {
    expect(() => compileScript('source.toUpperCase(', 'bad.transform', { language: 'groovy' })).toThrow(/^script bad.transform failed: .*unexpected/s);
    const f = compileScript('source.nope()', 'fails.transform', { language: 'groovy' });
    expect(() => f({ source: 'x' })).toThrow(/^script fails.transform failed: No signature of method/);
  });
});

maybe('a groovy transform in sync.json', () => {
  jest.setTimeout(120_000);
  it('is compiled and run as Groovy through the mapping, not as JavaScript', () => {
    const { validateSyncConfig, compileMapping } = jest.requireActual('../../../src/recon/mapping') as typeof import('../../../src/recon/mapping');
    const [cfg] = validateSyncConfig({
      mappings: [
        {
          name: 'm',
          source: 'system/csvfile/account',
          target: 'managed/user',
          correlation: { targetField: 'userName', sourceField: 'name' },
          properties: [{ source: 'name', target: 'userName', transform: { type: 'groovy', source: "source.tokenize('@')[0].toUpperCase()" } }],
          policies: [],
        },
      ],
    });
    expect(cfg.properties[0].transform).toMatchObject({ type: 'groovy' });
    const compiled = compileMapping(cfg);
    expect(compiled.map({ _id: 'x', name: 'bjensen@example.com' })).toEqual({ userName: 'BJENSEN' });
  });
});
