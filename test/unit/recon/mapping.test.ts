import fs from 'node:fs';
import path from 'node:path';
import { readCsv } from '../../../src/recon/csv/records';
import { ACTIONS, MappingConfig, SITUATIONS, SourceObject } from '../../../src/recon/interfaces';
import { changedFields, compileMapping, correlationFromQuery, DEFAULT_ACTIONS, validateSyncConfig } from '../../../src/recon/mapping';

const ROOT = path.resolve(__dirname, '../../..');
const syncJson = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'conf/sync.json'), 'utf8'));

function base(extra: Partial<MappingConfig> = {}): MappingConfig {
  return { name: 'm', source: 'system/csvfile/account', target: 'managed/user', properties: [], policies: [], correlation: { targetField: 'userName', sourceField: 'name' }, ...extra };
}

const src = (extra: Record<string, unknown> = {}): SourceObject => ({ _id: 'u1', name: 'u1', ...extra });

describe('the sample mapping (conf/sync.json)', () => {
  const [cfg] = validateSyncConfig(syncJson());
  const mapping = compileMapping(cfg);

  it('maps both CSV rows to the expected managed users', async () => {
    const users: Record<string, unknown>[] = [];
    for await (const r of readCsv(path.join(ROOT, 'data/csvConnectorData.csv'), { csvFile: '', headerUid: 'uid', maxFieldLength: 65536 })) {
      if (!r.ok) throw new Error(r.error);
      users.push(mapping.map(r.object));
    }
    expect(users).toEqual([
      {
        _id: 'bjensen',
        description: 'Created By CSV',
        givenName: 'Barbara',
        mail: 'bjensen@example.com',
        sn: 'Jensen',
        userName: 'bjensen',
        telephoneNumber: '1234567',
        authzRoles: [{ _ref: 'internal/role/openidm-authorized' }],
      },
      {
        _id: 'scarter',
        description: 'Created By CSV',
        givenName: 'Steven',
        mail: 'scarter@example.com',
        sn: 'Carter',
        userName: 'scarter',
        telephoneNumber: '1234567',
        authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }],
      },
    ]);
  });

  it('turns the roles column into role references', () => {
    const out = mapping.map(src({ roles: 'internal/role/openidm-admin,internal/role/openidm-authorized' }));
    expect(out.authzRoles).toEqual([{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }]);
    expect(mapping.map(src({ roles: ' openidm-admin , ' })).authzRoles).toEqual([{ _ref: 'internal/role/openidm-admin' }]);
    expect(mapping.map(src({ roles: '' })).authzRoles).toEqual([]);
  });

  it('correlates target userName with source name', () => {
    expect(mapping.correlation.targetField).toBe('userName');
    expect(mapping.correlation.value(src({ name: 'bjensen' }))).toBe('bjensen');
  });

  it('has the sample policies, and OpenIDM defaults for the rest', () => {
    expect(mapping.policyFor('CONFIRMED')).toEqual({ kind: 'action', action: 'UPDATE' });
    expect(mapping.policyFor('FOUND')).toEqual({ kind: 'action', action: 'IGNORE' });
    expect(mapping.policyFor('ABSENT')).toEqual({ kind: 'workflow', workflowName: 'managedUserApproval' });
    expect(mapping.policyFor('UNASSIGNED')).toEqual({ kind: 'action', action: 'IGNORE' });
    expect(mapping.policyFor('FOUND_ALREADY_LINKED')).toEqual({ kind: 'action', action: 'EXCEPTION' });
    expect(mapping.policyFor('SOURCE_IGNORED')).toEqual({ kind: 'action', action: 'IGNORE' });
    expect(mapping.policyFor('TARGET_IGNORED')).toEqual({ kind: 'action', action: 'IGNORE' });
    expect(mapping.isValidSource(src())).toBe(true);
    expect(mapping.isValidTarget({})).toBe(true);
  });
});

describe('default policies', () => {
  it('follow OpenIDM for every situation', () => {
    const m = compileMapping(base());
    expect(Object.fromEntries(SITUATIONS.map((s) => [s, m.policyFor(s)]))).toEqual({
      CONFIRMED: { kind: 'action', action: 'UPDATE' },
      FOUND: { kind: 'action', action: 'UPDATE' },
      FOUND_ALREADY_LINKED: { kind: 'action', action: 'EXCEPTION' },
      ABSENT: { kind: 'action', action: 'CREATE' },
      UNQUALIFIED: { kind: 'action', action: 'DELETE' },
      AMBIGUOUS: { kind: 'action', action: 'EXCEPTION' },
      MISSING: { kind: 'action', action: 'EXCEPTION' },
      SOURCE_IGNORED: { kind: 'action', action: 'IGNORE' },
      UNASSIGNED: { kind: 'action', action: 'EXCEPTION' },
      SOURCE_MISSING: { kind: 'action', action: 'EXCEPTION' },
      TARGET_IGNORED: { kind: 'action', action: 'IGNORE' },
    });
    expect(Object.keys(DEFAULT_ACTIONS).sort()).toEqual([...SITUATIONS].sort());
    for (const a of Object.values(DEFAULT_ACTIONS)) expect(ACTIONS).toContain(a);
  });
});

describe('property semantics', () => {
  it('passes the whole source to a transform without a source property', () => {
    const m = compileMapping(base({ properties: [{ target: 'displayName', transform: { type: 'text/javascript', source: "source.firstname + ' ' + source.lastname" } }] }));
    expect(m.map(src({ firstname: 'Barbara', lastname: 'Jensen' }))).toEqual({ displayName: 'Barbara Jensen' });
  });

  it('applies default for null/undefined values, and sets null otherwise (as OpenIDM)', () => {
    const m = compileMapping(
      base({
        properties: [
          { source: 'missing', target: 'a', default: 'dflt' },
          { source: 'missing', target: 'b' },
          { source: 'empty', target: 'c', default: 'dflt' },
          { source: 'x', target: 'd', transform: { type: 'text/javascript', source: 'null' }, default: ['z'] },
        ],
      }),
    );
    expect(m.map(src({ empty: '', x: 'y' }))).toEqual({ a: 'dflt', b: null, c: '', d: ['z'] });
  });

  it('skips a property unless its condition returns true; the condition sees object and target', () => {
    const m = compileMapping(
      base({
        properties: [
          { source: 'email', target: 'mail', condition: { type: 'text/javascript', source: "object.email.indexOf('@') > 0" } },
          { source: 'email', target: 'altMail', condition: { type: 'text/javascript', source: "target !== null && target.keep === 'yes'" } },
          { source: 'email', target: 'never', condition: { type: 'text/javascript', source: "'truthy string'" } },
        ],
      }),
    );
    expect(m.map(src({ email: 'a@b' }))).toEqual({ mail: 'a@b' });
    expect(m.map(src({ email: 'nope' }))).toEqual({});
    expect(m.map(src({ email: 'a@b' }), { keep: 'yes' })).toEqual({ mail: 'a@b', altMail: 'a@b' });
  });

  it('writes nested target pointers and copies values', () => {
    const m = compileMapping(base({ properties: [{ source: '/address/city', target: '/postal/city' }, { source: 'address', target: 'addr' }] }));
    const source = src({ address: { city: 'Paris' } });
    const out = m.map(source);
    expect(out).toEqual({ postal: { city: 'Paris' }, addr: { city: 'Paris' } });
    (out.addr as Record<string, unknown>).city = 'changed';
    expect(source.address).toEqual({ city: 'Paris' });
  });

  it('wraps transform failures with the property in the message', () => {
    const m = compileMapping(base({ properties: [{ source: 'x', target: 'y', transform: { type: 'text/javascript', source: 'source.nope.deeper' } }] }));
    expect(() => m.map(src({ x: 'v' }))).toThrow(/script m\.properties\[0\]\(y\)\.transform failed: TypeError/);
  });
});

describe('validity scripts', () => {
  it('evaluate validSource / sourceCondition / validTarget and require booleans', () => {
    const m = compileMapping(
      base({
        validSource: { type: 'text/javascript', source: "source.status !== 'disabled'" },
        sourceCondition: { type: 'text/javascript', source: "object.kind === 'person'" },
        validTarget: { type: 'text/javascript', source: "target.userName !== 'openidm-admin'" },
      }),
    );
    expect(m.isValidSource(src({ kind: 'person', status: 'active' }))).toBe(true);
    expect(m.isValidSource(src({ kind: 'person', status: 'disabled' }))).toBe(false);
    expect(m.isValidSource(src({ kind: 'robot', status: 'active' }))).toBe(false);
    expect(m.isValidTarget({ userName: 'openidm-admin' })).toBe(false);
    expect(m.isValidTarget({ userName: 'x' })).toBe(true);
    const bad = compileMapping(base({ validSource: { type: 'text/javascript', source: "'yes'" } }));
    expect(() => bad.isValidSource(src())).toThrow('mapping m: validSource must return a boolean, got string');
  });
});

describe('correlation', () => {
  it('prefers the declarative form', () => {
    const m = compileMapping(base({ correlation: { targetField: 'mail', sourceField: 'email' }, correlationQuery: { type: 'text/javascript', source: 'anything' } }));
    expect(m.correlation.targetField).toBe('mail');
    expect(m.correlation.value(src({ email: 'e@x' }))).toBe('e@x');
  });

  it.each([
    [`({ _queryFilter: 'userName eq "' + source.name + '"' })`, { targetField: 'userName', sourceField: 'name' }],
    [`var qry = {'_queryFilter': 'mail eq "' + source.email + '"'}; qry`, { targetField: 'mail', sourceField: 'email' }],
    [`({ "_queryFilter": "userName eq \\"" + source['name'] + "\\"" });`, { targetField: 'userName', sourceField: 'name' }],
  ])('falls back to a correlationQuery of the simple shape: %s', (query, expected) => {
    expect(correlationFromQuery(query)).toEqual(expected);
    const m = compileMapping(base({ correlation: undefined, correlationQuery: { type: 'text/javascript', source: query } }));
    expect(m.correlation.targetField).toBe(expected.targetField);
  });

  // Other forms are run per entry (OpenIDM's Correlation; test/unit/recon/hooks.test.ts), not refused.
  it.each([
    `({ _queryFilter: 'userName eq "' + source.name + '" or mail pr' })`,
    `{ _queryFilter: 'userName eq "' + source.name + '"' }`,
  ])('runs other correlationQuery scripts per entry: %s', (query) => {
    expect(correlationFromQuery(query)).toBeNull();
    expect(compileMapping(base({ correlation: undefined, correlationQuery: { type: 'text/javascript', source: query } })).correlation.script?.key).toBe('correlationQuery');
  });
});

describe('validateSyncConfig', () => {
  it('accepts the sample', () => {
    const [m] = validateSyncConfig(syncJson());
    expect(m.name).toBe('systemCsvfileAccounts_managedUser');
    expect(m.properties).toHaveLength(8);
    expect(m.policies.find((p) => p.situation === 'ABSENT')?.action).toMatchObject({ workflowName: 'managedUserApproval' });
  });

  const mutate = (f: (m: Record<string, any>) => void) => {
    const json = syncJson();
    f(json.mappings[0]);
    return json;
  };

  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'sync configuration must be a JSON object with a "mappings" array'],
    ['no mappings', {}, 'mappings is required (an array)'],
    ['mapping not an object', { mappings: [1] }, 'mappings[0] must be an object'],
    ['missing name', mutate((m) => delete m.name), 'mappings[0].name is required'],
    ['missing target', mutate((m) => delete m.target), 'mappings[0].target is required'],
    ['property without target', mutate((m) => delete m.properties[3].target), 'mappings[0].properties[3].target is required'],
    ['property target not a string', mutate((m) => (m.properties[2].target = 5)), 'mappings[0].properties[2].target must be a non-empty string'],
    ['properties not an array', mutate((m) => (m.properties = {})), 'mappings[0].properties must be an array'],
    ['transform in another language', mutate((m) => (m.properties[7].transform.type = 'text/python')), 'mappings[0].properties[7].transform.type must be "text/javascript" or "groovy"'],
    ['transform from a file', mutate((m) => (m.properties[7].transform = { type: 'text/javascript', file: 'x.js' })), 'mappings[0].properties[7].transform.file is not supported; inline the script as mappings[0].properties[7].transform.source'],
    ['queryFilter condition', mutate((m) => (m.properties[0].condition = '/object/x pr')), 'mappings[0].properties[0].condition: queryFilter strings are not supported here; use a {"type": "text/javascript", "source": ...} script'],
    ['unknown situation', mutate((m) => (m.policies[1].situation = 'LOST')), 'mappings[0].policies[1].situation must be one of CONFIRMED, FOUND, FOUND_ALREADY_LINKED, ABSENT, UNQUALIFIED, AMBIGUOUS, MISSING, SOURCE_IGNORED, UNASSIGNED, SOURCE_MISSING, TARGET_IGNORED (got "LOST")'],
    ['unknown action', mutate((m) => (m.policies[0].action = 'MERGE')), 'mappings[0].policies[0].action must be one of CREATE, UPDATE, DELETE, LINK, UNLINK, EXCEPTION, IGNORE, REPORT, NOREPORT, ASYNC (got "MERGE")'],
    ['action script in another language', mutate((m) => (m.policies[2].action = { type: 'groovy', source: "'CREATE'" })), 'mappings[0].policies[2].action.type must be "text/javascript" (action scripts in other languages are not supported)'],
    ['action script that does not compile', mutate((m) => (m.policies[2].action = { type: 'text/javascript', source: "'CREATE" })), 'mappings[0].policies[2].action: script mappings[0].policies[2].action.source does not compile'],
    ['duplicate situation', mutate((m) => m.policies.push({ situation: 'CONFIRMED', action: 'IGNORE' })), 'mappings[0].policies[8].situation CONFIRMED already has a policy without a condition (policies[0]), so this one could never apply'],
    ['no correlation', mutate((m) => { delete m.correlation; delete m.correlationQuery; }), 'mappings[0].correlation is required ({"targetField": ..., "sourceField": ...}), or a correlationQuery or correlationScript'],
    ['correlation without sourceField', mutate((m) => delete m.correlation.sourceField), 'mappings[0].correlation.sourceField is required'],
    ['correlationQuery calling openidm', mutate((m) => { delete m.correlation; m.correlationQuery.source = 'openidm.query()'; }), 'mappings[0].correlationQuery: openidm calls are not available in this hook yet'],
    ['validSource from a file', mutate((m) => (m.validSource = { type: 'text/javascript', file: 'v.js' })), 'mappings[0].validSource.file is not supported'],
    ['duplicate mapping name', (() => { const j = syncJson(); j.mappings.push(j.mappings[0]); return j; })(), 'mappings[1].name "systemCsvfileAccounts_managedUser" is used by another mapping'],
  ])('%s', (_label, json, message) => {
    expect(() => validateSyncConfig(json)).toThrow(message);
  });
});

describe('changedFields', () => {
  it('lists mapped fields that differ, deep-compared', () => {
    const mapped = { _id: 'x', givenName: 'B', mail: 'b@x', authzRoles: [{ _ref: 'internal/role/a' }], address: { city: 'P' }, nick: null };
    expect(changedFields(mapped, { _id: 'other', givenName: 'B', mail: 'b@x', authzRoles: [{ _ref: 'internal/role/a' }], address: { city: 'P' }, extra: 1 })).toEqual([]);
    expect(changedFields(mapped, { givenName: 'C', mail: 'b@x', authzRoles: [], address: { city: 'Q' }, nick: 'n' })).toEqual(['givenName', 'authzRoles', 'address', 'nick']);
    expect(changedFields({ a: 1 }, null)).toEqual(['a']);
    expect(changedFields({ a: [1, 2] }, { a: [2, 1] })).toEqual(['a']);
  });

  it('compares relationship arrays by _ref, ignoring order and repository metadata', () => {
    const mapped = { authzRoles: [{ _ref: 'internal/role/a' }, { _ref: 'internal/role/b' }] };
    const stored = {
      authzRoles: [
        { _ref: 'internal/role/b', _refResourceCollection: 'internal/role', _refResourceId: 'b', _refProperties: { _id: '1', _rev: '1' } },
        { _ref: 'internal/role/a', _refResourceCollection: 'internal/role', _refResourceId: 'a', _refProperties: { _id: '2', _rev: '1' } },
      ],
    };
    expect(changedFields(mapped, stored)).toEqual([]);
    expect(changedFields(mapped, { authzRoles: [stored.authzRoles[0]] })).toEqual(['authzRoles']);
  });
});

describe('pure transforms', () => {
  const cfg = (pure: unknown) => ({
    mappings: [{
      name: 'm', source: 'system/csvfile/account', target: 'managed/user',
      correlation: { targetField: 'userName', sourceField: 'name' },
      properties: [{ source: 'roles', target: 'authzRoles', transform: { type: 'text/javascript', source: "source.split(',').map(function (r) { return { _ref: r }; })", pure } }],
      policies: [],
    }],
  });

  it('give the same results as a plain transform, as independent copies', () => {
    const pure = compileMapping(validateSyncConfig(cfg(true))[0]);
    const plain = compileMapping(validateSyncConfig(cfg(undefined))[0]);
    const src = { _id: 'a', name: 'a', roles: 'x,y' };
    const first = pure.map(src);
    expect(first).toEqual(plain.map(src));
    (first.authzRoles as unknown[]).push('tampered');
    expect(pure.map(src)).toEqual({ authzRoles: [{ _ref: 'x' }, { _ref: 'y' }] });
    expect(pure.map({ ...src, roles: 'z' })).toEqual({ authzRoles: [{ _ref: 'z' }] });
  });

  it('refuses a pure flag that is not a boolean', () => {
    expect(() => validateSyncConfig(cfg('yes'))).toThrow(/transform\.pure must be true or false/);
  });
});
