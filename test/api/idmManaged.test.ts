// IDM's managed.json in its JSON-schema form: a `required` array, `policies`, relationship
// properties, UI-only keys; policy failures in IDM's shape (403 "Failed policy validation",
// detail.failedPolicyRequirements[].policyRequirements[] = {policyRequirement, params?}), as
// OpenIDM's policy service answers (OpenIdentityPlatform/OpenIDM bin/defaults/script/policy.js).
import fs from 'node:fs';
import path from 'node:path';
import { runtimeOptions } from '../../src/config/project';
import { startServer } from '../../src/server';
import { defaultHooks } from '../../src/wiring';
import { createTestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';


// Servers that hash with scrypt at OWASP's cost start slowly on a busy machine.
jest.setTimeout(120_000);
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'idm-conf', 'managed.json');
const fixture = () => JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
function writeManaged(project: TestProject, json: unknown): void {
  fs.writeFileSync(path.join(project.dir, 'conf', 'managed.json'), JSON.stringify(json, null, 2));
}

// Step 3 of the sample, verbatim.
const ASYNC_ADMIN_BODY = {
  userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin',
  mail: 'async.admin@example.com',
  authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }],
  _id: 'asyncadmin',
};

describe('IDM-form managed.json', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    writeManaged(project, fixture());
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });
  const create = (body: Record<string, unknown>) => t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body });
  const failures = (r: { body: any }) => r.body.detail.failedPolicyRequirements;

  it('step 3 of the sample creates async.admin: an object property with "required": [] is not required', async () => {
    const r = await create(ASYNC_ADMIN_BODY);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      _id: 'asyncadmin', _rev: expect.any(String), userName: 'async.admin', givenName: 'async', sn: 'admin',
      displayName: 'async admin', mail: 'async.admin@example.com', accountStatus: 'active', effectiveRoles: [], effectiveAssignments: [],
    });
    const login = await t.call('GET', '/info/login', { headers: { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' } });
    expect(login.status).toBe(200);
  });

  it('a property named in schema.required is REQUIRED, in IDM\'s failure shape', async () => {
    const { mail: _mail, ...body } = { ...ASYNC_ADMIN_BODY, _id: 'nomail', userName: 'nomail' };
    const r = await create(body);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      code: 403, reason: 'Forbidden', message: 'Failed policy validation',
      detail: { result: false, failedPolicyRequirements: [{ property: 'mail', policyRequirements: [{ policyRequirement: 'REQUIRED' }] }] },
    });
  });

  it('runs the configured policies with their params', async () => {
    const r = await create({ ...ASYNC_ADMIN_BODY, _id: 'weak', userName: 'weak.user', mail: 'not-an-address', password: 'weakweak', telephoneNumber: 'call me' });
    expect(r.status).toBe(403);
    expect(failures(r)).toEqual(expect.arrayContaining([
      { property: 'mail', policyRequirements: [{ policyRequirement: 'VALID_EMAIL_ADDRESS_FORMAT' }] },
      { property: 'telephoneNumber', policyRequirements: [{ policyRequirement: 'VALID_PHONE_FORMAT' }] },
      { property: 'password', policyRequirements: [
        { policyRequirement: 'AT_LEAST_X_CAPITAL_LETTERS', params: { numCaps: 1 } },
        { policyRequirement: 'AT_LEAST_X_NUMBERS', params: { numNums: 1 } },
      ] },
    ]));
    const short = await create({ ...ASYNC_ADMIN_BODY, _id: 'short', userName: 'short', password: 'Sh0rt' });
    expect(failures(short)).toEqual([{ property: 'password', policyRequirements: [{ policyRequirement: 'MIN_LENGTH', params: { minLength: 8 } }] }]);
    const others = await create({ ...ASYNC_ADMIN_BODY, _id: 'others', userName: 'others', givenName: 'Pat', password: 'My-Pat-Passw0rd' });
    expect(failures(others)).toEqual([{ property: 'password', policyRequirements: [{ policyRequirement: 'CANNOT_CONTAIN_OTHERS', params: { disallowedFields: 'givenName' } }] }]);
    const status = await create({ ...ASYNC_ADMIN_BODY, _id: 'status', userName: 'status', accountStatus: 'frozen' });
    expect(failures(status)).toEqual([{ property: 'accountStatus', policyRequirements: [expect.objectContaining({ policyRequirement: 'MATCH_REGEXP' })] }]);
    const dollar = await create({ ...ASYNC_ADMIN_BODY, _id: 'a$b', userName: 'dollar' });
    expect(failures(dollar)).toEqual([{ property: '_id', policyRequirements: [{ policyRequirement: 'CANNOT_CONTAIN_CHARACTERS', params: { forbiddenChars: '$' } }] }]);
    const slash = await create({ ...ASYNC_ADMIN_BODY, _id: 'slash', userName: 'a/b' });
    expect(failures(slash)).toEqual([{ property: 'userName', policyRequirements: [{ policyRequirement: 'CANNOT_CONTAIN_CHARACTERS', params: { forbiddenChars: '/' } }] }]);
  });

  it('unique: a second userName is a policy failure UNIQUE, also on update', async () => {
    const r = await create({ ...ASYNC_ADMIN_BODY, _id: 'dup' });
    expect(r.status).toBe(403);
    expect(failures(r)).toEqual([{ property: 'userName', policyRequirements: [{ policyRequirement: 'UNIQUE' }] }]);
    expect((await create({ ...ASYNC_ADMIN_BODY, _id: 'other', userName: 'other.one', mail: 'o@example.com' })).status).toBe(201);
    const p = await t.call('PATCH', '/managed/user/other', { headers: ADMIN, body: [{ operation: 'replace', field: '/userName', value: 'async.admin' }] });
    expect(p.status).toBe(403);
    expect(failures(p)).toEqual([{ property: 'userName', policyRequirements: [{ policyRequirement: 'UNIQUE' }] }]);
    // Its own value is not a duplicate of itself.
    const same = await t.call('PATCH', '/managed/user/other', { headers: ADMIN, body: [{ operation: 'replace', field: '/sn', value: 'Other' }] });
    expect(same.status).toBe(200);
  });

  it('checks the properties of an object property by their own schema', async () => {
    const ok = await create({ ...ASYNC_ADMIN_BODY, _id: 'prefs', userName: 'prefs', preferences: { updates: true, marketing: false } });
    expect(ok.status).toBe(201);
    expect(ok.body.preferences).toEqual({ updates: true, marketing: false });
    const bad = await create({ ...ASYNC_ADMIN_BODY, _id: 'prefs2', userName: 'prefs2', preferences: { updates: 'yes' } });
    expect(bad.status).toBe(403);
    expect(failures(bad)).toEqual([{ property: 'preferences/updates', policyRequirements: [{ policyRequirement: 'VALID_TYPE', params: { types: ['boolean'] } }] }]);
  });

  it('stores relationship properties as _ref objects and returns them only when asked (returnByDefault: false)', async () => {
    const c = await create({ ...ASYNC_ADMIN_BODY, _id: 'report', userName: 'report', mail: 'r@example.com', manager: { _ref: 'managed/user/asyncadmin' } });
    expect(c.status).toBe(201);
    expect(c.body.manager).toBeUndefined();
    const r = await t.call('GET', '/managed/user/report?_fields=manager,authzRoles', { headers: ADMIN });
    expect(r.body.manager).toEqual({ _ref: 'managed/user/asyncadmin' });
    expect(r.body.authzRoles).toEqual(ASYNC_ADMIN_BODY.authzRoles);
    const bad = await create({ ...ASYNC_ADMIN_BODY, _id: 'badref', userName: 'badref', mail: 'b@example.com', manager: 'asyncadmin' });
    expect(bad.status).toBe(403);
    expect(failures(bad)).toEqual([{ property: 'manager', policyRequirements: [{ policyRequirement: 'VALID_TYPE', params: { types: ['relationship'] } }] }]);
    const elsewhere = await create({ ...ASYNC_ADMIN_BODY, _id: 'elsewhere', userName: 'elsewhere', mail: 'e@example.com', manager: { _ref: 'managed/role/boss' } });
    expect(elsewhere.status).toBe(403);
    expect(failures(elsewhere)[0].property).toBe('manager');
  });
});

describe('IDM-form managed.json at start-up', () => {
  let project: TestProject;
  beforeEach(() => { project = makeProject(); });
  afterEach(() => project.remove());

  const start = async (warn?: (m: string) => void) => {
    const db = await createTestDb();
    try {
      const s = await startServer(
        { ...runtimeOptions([], {}), projectDir: project.dir, port: 0, host: '127.0.0.1', databaseUrl: db.env.DATABASE_URL, databaseSchema: db.env.DATABASE_SCHEMA, nodeId: `idmman-${process.pid}-${Math.random()}`, workers: false },
        defaultHooks(),
        { info: () => undefined, warn: warn ?? (() => undefined), error: () => undefined },
      );
      await s.stop();
    } finally {
      await db.destroy();
    }
  };

  it('lists the UI-only keys it accepts in one warning', async () => {
    writeManaged(project, fixture());
    const warnings: string[] = [];
    await start((m) => warnings.push(m));
    const w = warnings.find((x) => x.startsWith('managed.json'));
    expect(w).toMatch(/objects\[0\]\.schema\.properties\.userName\.viewable/);
    expect(w).toMatch(/objects\[0\]\.schema\.order/);
    expect(w).toMatch(/reverseRelationship/);
  });

  it('refuses an unknown policy id, naming it', async () => {
    const m = fixture();
    m.objects[0].schema.properties.mail.policies.push({ policyId: 'valid-mx-record' });
    writeManaged(project, m);
    await expect(start()).rejects.toThrow(/managed\.json: objects\[0\]\.schema\.properties\.mail\.policies\[1\]\.policyId .*valid-mx-record/);
  });

  it('refuses onCreate/onUpdate/onDelete scripts until they run, naming the key', async () => {
    const m = fixture();
    m.objects[0].onCreate = { type: 'text/javascript', source: 'object.description = "new"' };
    writeManaged(project, m);
    await expect(start()).rejects.toThrow(/managed\.json: objects\[0\]\.onCreate/);
  });

  it('refuses encryption of a property other than the password', async () => {
    const m = fixture();
    m.objects[0].schema.properties.telephoneNumber.encryption = { purpose: 'idm.password.encryption' };
    writeManaged(project, m);
    await expect(start()).rejects.toThrow(/managed\.json: objects\[0\]\.schema\.properties\.telephoneNumber\.encryption/);
  });
});
