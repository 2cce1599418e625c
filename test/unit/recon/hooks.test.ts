// sync.json's script hooks, policy conditions and postActions, and script correlation: what is
// accepted, refused at start, and how the compiled mapping chooses and runs them. Server-level runs
// are test/api/reconHooks.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { candidatesOf } from '../../../src/recon/correlation';
import { compileHooks, HookFailed, runHook, runPostAction } from '../../../src/recon/hooks';
import { groovyInstallation } from '../../../src/scripts/groovyHost';
import { MappingConfig, SourceObject } from '../../../src/recon/interfaces';
import { compileMapping, validateSyncConfig } from '../../../src/recon/mapping';

const ROOT = path.resolve(__dirname, '../../..');
const js = (source: string) => ({ type: 'text/javascript', source });
const withMapping = (f: (m: Record<string, any>) => void) => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'conf/sync.json'), 'utf8'));
  f(json.mappings[0]);
  return json;
};
const compile = (f: (m: Record<string, any>) => void) => compileMapping(validateSyncConfig(withMapping(f))[0] as MappingConfig);
const src = (extra: Record<string, unknown> = {}): SourceObject => ({ _id: 'u1', name: 'u1', ...extra });

describe('hooks at start (PingIDM Synchronization reference: onCreate, onUpdate, onDelete, onLink, onUnlink, result)', () => {
  it.each(['onCreate', 'onUpdate', 'onDelete', 'onLink', 'onUnlink'])('accepts %s, and refuses it when it calls openidm, saying why (it runs inside the entry\'s transaction)', (key) => {
    expect(() => validateSyncConfig(withMapping((m) => (m[key] = js('target'))))).not.toThrow();
    expect(() => validateSyncConfig(withMapping((m) => (m[key] = js("openidm.create('managed/role', null, {})"))))).toThrow(
      `mappings[0].${key}: openidm calls are not available in this hook (it runs inside the entry's transaction`,
    );
  });

  it('accepts a JavaScript result script that calls openidm (ObjectMapping.doResults runs after the run, outside any transaction)', () => {
    expect(() => compile((m) => (m.result = js("openidm.query('managed/user', { _queryFilter: 'true' })")))).not.toThrow();
    expect(() => compile((m) => (m.result = js('global.reconId +')))).toThrow(/result failed/);
  });

  it('refuses a hook with a syntax error at start, naming it', () => {
    expect(() => compile((m) => (m.onCreate = js('target.x = ')))).toThrow(/onCreate failed/);
  });
});

describe('onCreate and onUpdate give back the target the script left (OpenIDM SyncOperation.execScript)', () => {
  it('onCreate sees source, target, situation, linkQualifier, mappingConfig and context; its changes are returned', () => {
    const m = compile((c) => (c.onCreate = js("target.description = [source.name, situation, linkQualifier, mappingConfig.name, context.name].join('|'); 'ignored'")));
    const out = runHook(m, 'onCreate', { source: src(), target: { userName: 'u1' }, targetId: null, situation: 'ABSENT' });
    expect(out).toEqual({ userName: 'u1', description: 'u1|ABSENT|default|systemCsvfileAccounts_managedUser|sync' });
  });

  it('onUpdate sees oldTarget beside the new target', () => {
    const m = compile((c) => (c.onUpdate = js('target.previous = oldTarget.mail')));
    expect(runHook(m, 'onUpdate', { source: src(), target: { mail: 'new' }, oldTarget: { mail: 'old' }, targetId: 'u1' })).toEqual({ mail: 'new', previous: 'old' });
  });

  (typeof groovyInstallation() !== 'string' ? it : it.skip)('a groovy onCreate gives back its target too', () => {
    const hooks = compileHooks('g', { onCreate: { type: 'groovy', source: 'target.description = "g " + source.name + " " + situation' } }, {});
    const out = runHook({ hooks, name: 'g', linkQualifier: 'default', config: {} }, 'onCreate', { source: src(), target: { userName: 'u1' }, targetId: null, situation: 'ABSENT' });
    expect(out).toEqual({ userName: 'u1', description: 'g u1 ABSENT' });
  }, 120_000);

  it("a hook's exception is HookFailed with the script's message", () => {
    const m = compile((c) => (c.onDelete = js("throw new Error('keep this one')")));
    expect(() => runHook(m, 'onDelete', { source: null, target: { a: 1 }, targetId: 'x' })).toThrow(HookFailed);
    expect(() => runHook(m, 'onDelete', { source: null, target: { a: 1 }, targetId: 'x' })).toThrow(/onDelete script encountered exception: .*keep this one/);
  });
});

describe('policy conditions (OpenIDM SyncOperation.determineAction, Policy, Conditions)', () => {
  const policies = (m: Record<string, any>) => {
    m.policies = [
      { situation: 'ABSENT', action: 'IGNORE', condition: js("object.description === 'skip'") },
      { situation: 'ABSENT', action: 'REPORT', condition: '/object/description eq "report"' },
      { situation: 'ABSENT', action: 'CREATE' },
    ];
  };

  it('allows several policies for a situation when the earlier ones have conditions, and takes the first that holds', () => {
    const m = compile(policies);
    expect(m.policyFor('ABSENT', src({ description: 'skip' }))).toMatchObject({ action: 'IGNORE' });
    expect(m.policyFor('ABSENT', src({ description: 'report' }))).toMatchObject({ action: 'REPORT' });
    expect(m.policyFor('ABSENT', src({ description: 'other' }))).toMatchObject({ action: 'CREATE' });
  });

  it("falls back to the situation's default action when no condition holds", () => {
    const m = compile((c) => (c.policies = [{ situation: 'ABSENT', action: 'IGNORE', condition: '/object/description eq "x"' }]));
    expect(m.policyFor('ABSENT', src({ description: 'y' }))).toEqual({ kind: 'action', action: 'CREATE' });
  });

  it('refuses a policy that follows an unconditional one for the same situation, and a bad queryFilter', () => {
    expect(() => validateSyncConfig(withMapping((c) => (c.policies = [{ situation: 'ABSENT', action: 'CREATE' }, { situation: 'ABSENT', action: 'IGNORE', condition: 'true' }])))).toThrow(
      'mappings[0].policies[1].situation ABSENT already has a policy without a condition (policies[0])',
    );
    expect(() => validateSyncConfig(withMapping((c) => (c.policies = [{ situation: 'ABSENT', action: 'CREATE', condition: 'description eq' }])))).toThrow(
      'mappings[0].policies[0].condition is not a valid queryFilter',
    );
  });

  it('accepts a postAction where IDM runs one, refuses it where IDM never does (EXCEPTION, IGNORE, a workflow)', () => {
    expect(() => validateSyncConfig(withMapping((c) => (c.policies = [{ situation: 'ABSENT', action: 'CREATE', postAction: js('1') }])))).not.toThrow();
    for (const action of ['EXCEPTION', 'IGNORE', { workflowName: 'managedUserApproval' }]) {
      expect(() => validateSyncConfig(withMapping((c) => (c.policies = [{ situation: 'ABSENT', action, postAction: js('1') }])))).toThrow(/mappings\[0\]\.policies\[0\]\.postAction is never run by IDM after/);
    }
  });

  it('accepts a postAction after an action script and compiles it onto the script policy (SyncOperation.performAction runs it after the action the script answers)', () => {
    const m = compile((c) => (c.policies = [{ situation: 'ABSENT', action: js("'CREATE'"), postAction: js("if (action !== 'CREATE') throw new Error('after ' + action)") }]));
    const p = m.policyFor('ABSENT', src());
    expect(p.kind).toBe('script');
    expect(() => runPostAction(m, p.postAction!, { action: 'CREATE', situation: 'ABSENT', sourceAction: true, source: src(), target: { userName: 'u1' }, reconId: 'r1' })).not.toThrow();
    expect(() => runPostAction(m, p.postAction!, { action: 'LINK', situation: 'ABSENT', sourceAction: true, source: src(), target: { userName: 'u1' }, reconId: 'r1' })).toThrow(/postAction script of the ABSENT policy encountered exception: .*after LINK/);
  });

  it('gives the mapping\'s scripts the log and properties compileMapping was given, not another server\'s', () => {
    const lines: string[][] = [];
    const transform = js("logger.info('host {}', identityServer.getProperty('openidm.host')); source");
    const cfg = validateSyncConfig(withMapping((c) => (c.properties = [{ source: 'name', target: 'userName', transform }])))[0] as MappingConfig;
    const mine = compileMapping(cfg, { log: (s, l, t) => lines.push([s, l, t]), properties: (n) => (n === 'openidm.host' ? 'mine.example.com' : undefined) });
    const other: string[][] = [];
    compileMapping(cfg, { log: (s, l, t) => other.push([s, l, t]), properties: () => 'other' });
    mine.map(src(), undefined);
    expect(lines).toEqual([[expect.stringContaining('transform'), 'info', 'host mine.example.com']]);
    expect(other).toEqual([]);
  });

  it("runs a postAction with Policy.evaluatePostAction's bindings; its exception is HookFailed", () => {
    const m = compile((c) => (c.policies = [{ situation: 'ABSENT', action: 'CREATE', postAction: js("if (action !== 'CREATE' || situation !== 'ABSENT' || !sourceAction || reconId !== 'r1' || target.userName !== 'u1') throw new Error('bindings ' + action)") }]));
    const p = m.policyFor('ABSENT', src());
    expect(() => runPostAction(m, p.postAction!, { action: 'CREATE', situation: 'ABSENT', sourceAction: true, source: src(), target: { userName: 'u1' }, reconId: 'r1' })).not.toThrow();
    expect(() => runPostAction(m, p.postAction!, { action: 'UPDATE', situation: 'ABSENT', sourceAction: true, source: src(), target: { userName: 'u1' }, reconId: 'r1' })).toThrow(/postAction script of the ABSENT policy encountered exception: .*bindings UPDATE/);
  });
});

describe('correlation scripts (OpenIDM Correlation.correlate)', () => {
  it('refuses at start what reconflow cannot run, naming the key', () => {
    const noCorr = (f: (m: Record<string, any>) => void) => withMapping((m) => { delete m.correlation; delete m.correlationQuery; f(m); });
    expect(() => validateSyncConfig(noCorr((m) => (m.correlationQuery = js("({ _queryExpression: 'select 1' })"))))).toThrow('mappings[0].correlationQuery: _queryExpression');
    expect(() => validateSyncConfig(noCorr((m) => (m.correlationQuery = js("({ _queryId: 'credential-query', username: source.name })"))))).toThrow('mappings[0].correlationQuery: _queryId "credential-query" is not a query reconflow knows');
    expect(() => validateSyncConfig(noCorr((m) => (m.correlationScript = js("openidm.query('managed/user', {})"))))).toThrow('mappings[0].correlationScript: openidm calls are not available');
    expect(() => validateSyncConfig(noCorr((m) => { m.correlationScript = js('[]'); m.correlationQuery = js("({ _queryFilter: 'true' })"); }))).toThrow('correlationQuery and correlationScript cannot both be configured');
  });

  it('reads a returned query as a CREST filter, _queryId for-userName / get-by-field-value, or a list of candidates', () => {
    expect(candidatesOf('correlationQuery', 'm', { _queryFilter: 'mail eq "a" and sn eq "b"' })).toMatchObject({ kind: 'filter', filter: { type: 'and' } });
    expect(candidatesOf('correlationQuery', 'm', { _queryId: 'for-userName', uid: 'bj' })).toEqual({ kind: 'filter', filter: { type: 'compare', op: 'eq', field: ['userName'], value: 'bj' } });
    expect(candidatesOf('correlationQuery', 'm', { _queryId: 'get-by-field-value', field: 'mail', value: 'a@x' })).toEqual({ kind: 'filter', filter: { type: 'compare', op: 'eq', field: ['mail'], value: 'a@x' } });
    expect(candidatesOf('correlationScript', 'm', [{ _id: 'a' }, { _id: 'b' }])).toEqual({ kind: 'ids', ids: ['a', 'b'] });
    expect(() => candidatesOf('correlationQuery', 'm', { _queryId: 'query-all-ids' })).toThrow('mapping m: correlationQuery returned {"_queryId":"query-all-ids"}, which is not a query reconflow can run');
    expect(() => candidatesOf('correlationQuery', 'm', null)).toThrow('mapping m: correlationQuery returned null');
  });
});
