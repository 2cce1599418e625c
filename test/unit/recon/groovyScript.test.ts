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

maybe('logger and identityServer in groovy conf scripts (as the JavaScript sandbox: script.ts)', () => {
  jest.setTimeout(120_000);

  it('writes logger lines to the log it was compiled with, after the call and also when the script throws', () => {
    const lines: string[][] = [];
    const f = compileScript("logger.info('x {} and {}', source, [n: 1]); logger.debug('y'); if (source == 'boom') { logger.warn('about to throw'); throw new RuntimeException('boom') }; 5", 'g.transform', { language: 'groovy', log: (s, l, t) => lines.push([s, l, t]) });
    expect(f({ source: 'a' })).toBe(5);
    expect(lines).toEqual([['g.transform', 'info', 'x a and {"n":1}'], ['g.transform', 'debug', 'y']]);
    lines.length = 0;
    expect(() => f({ source: 'boom' })).toThrow('boom');
    expect(lines).toEqual([['g.transform', 'info', 'x boom and {"n":1}'], ['g.transform', 'debug', 'y'], ['g.transform', 'warn', 'about to throw']]);
    lines.length = 0;
    compileScript("for (int i = 0; i < 150; i++) logger.info('line {}', i); 1", 'many', { language: 'groovy', log: (s, l, t) => lines.push([s, l, t]) })({});
    expect(lines).toHaveLength(101);
    expect(lines[100]).toEqual(['many', 'warn', '50 more logger line(s) of this call were dropped (at most 100 per call)']);
    // Without a log the lines are dropped, and the script still runs.
    expect(compileScript("logger.info('x'); 2", 'quiet', { language: 'groovy' })({})).toBe(2);
  });

  it('answers identityServer.getProperty from a snapshot of the literal names it uses (IdentityServer.getProperty: the default when unset)', () => {
    const properties = (n: string) => ({ 'openidm.host': 'idm.example.com' } as Record<string, string>)[n];
    const f = compileScript("[identityServer.getProperty('openidm.host'), identityServer.getProperty(\"no.such\", 'dflt', true), identityServer.getProperty('no.such')].join('|')", 'props', { language: 'groovy', properties });
    expect(f({})).toBe('idm.example.com|dflt|null');
    expect(() => compileScript("def k = 'openidm.host'; identityServer.getProperty(k)", 'computed', { language: 'groovy', properties })).toThrow(
      "script computed: identityServer.getProperty needs a literal property name here ('name' or \"name\")",
    );
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
