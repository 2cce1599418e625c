// IDM's authentication.json (serverAuthContext.authModules) mapped onto reconflow's sign-in:
// STATIC_USER, INTERNAL_USER and MANAGED_USER with queryOnResource, propertyMapping and
// defaultUserRoles (https://docs.pingidentity.com/pingidm/7.2/auth-guide/appendix-auth-modules.html,
// https://docs.pingidentity.com/pingidm/8/auth-guide/authentication-and-roles.html).
import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '../../src/context';
import { runtimeOptions } from '../../src/config/project';
import { startServer } from '../../src/server';
import { defaultHooks } from '../../src/wiring';
import { createTestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { startTestServer, TestServer } from '../helpers/server';


// Servers that hash with scrypt at OWASP's cost start slowly on a busy machine.
jest.setTimeout(120_000);
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'idm-conf', 'authentication.json');
const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'Adm1n-Fixture-Pass' };
const fixture = () => JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));

function writeAuth(project: TestProject, json: unknown): void {
  fs.writeFileSync(path.join(project.dir, 'conf', 'authentication.json'), JSON.stringify(json, null, 2));
}
/** The same file with a cheap hash (reconflow's own key beside IDM's), for the tests that start many servers. */
const cheap = (json: Record<string, unknown>) => ({ ...json, passwordHashing: { scrypt: { N: 1024 } } });

describe('IDM-form authentication.json', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    writeAuth(project, fixture());
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('gives a working administrator: the STATIC_USER openidm-admin with the configured password and its defaultUserRoles', async () => {
    const r = await t.call('GET', '/info/login', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.authorization.roles).toEqual(expect.arrayContaining(['internal/role/openidm-admin', 'internal/role/openidm-authorized']));
    expect((await t.call('GET', '/managed/user?_queryFilter=true', { headers: ADMIN })).status).toBe(200);
    // reconflow's own default password is not the configured one.
    const old = await t.call('GET', '/info/login', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' } });
    expect(old.status).toBe(401);
  });

  it('lets a managed user sign in with its managed password; roles are defaultUserRoles + the userRoles property', async () => {
    const c = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'mu1', userName: 'mu.one', givenName: 'M', sn: 'U', mail: 'mu1@example.com', password: 'Secret-Pass-1', authzRoles: [{ _ref: 'internal/role/openidm-tasks-manager' }] },
    });
    expect(c.status).toBe(201);
    const r = await t.call('GET', '/info/login', { headers: { 'X-OpenIDM-Username': 'mu.one', 'X-OpenIDM-Password': 'Secret-Pass-1' } });
    expect(r.status).toBe(200);
    expect(r.body.authorization.roles.sort()).toEqual(['internal/role/openidm-authorized', 'internal/role/openidm-tasks-manager']);
    expect(r.body.authorization.component).toBe('managed/user');
  });

  it('refuses a password change of a STATIC_USER over REST: its password lives in authentication.json', async () => {
    const r = await t.call('PATCH', '/internal/user/openidm-admin', {
      headers: { ...ADMIN, 'X-OpenIDM-Reauth-Password': 'Adm1n-Fixture-Pass' },
      body: [{ operation: 'replace', field: '/password', value: 'Another-Pass-9' }],
    });
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/STATIC_USER.*authentication\.json/);
  });
});

describe('IDM-form authentication.json, module by module', () => {
  let project: TestProject;
  beforeEach(() => { project = makeProject(); });
  afterEach(() => project.remove());

  const start = async (log?: Logger) => {
    const db = await createTestDb();
    try {
      const s = await startServer(
        { ...runtimeOptions([], {}), projectDir: project.dir, port: 0, host: '127.0.0.1', databaseUrl: db.env.DATABASE_URL, databaseSchema: db.env.DATABASE_SCHEMA, nodeId: `idmauth-${process.pid}-${Math.random()}`, workers: false },
        defaultHooks(),
        log ?? { info: () => undefined, warn: () => undefined, error: () => undefined },
      );
      return { s, close: async () => { await s.stop(); await db.destroy(); } };
    } catch (e) {
      await db.destroy();
      throw e;
    }
  };
  const call = (url: string, p: string, headers: Record<string, string>) => fetch(url + p, { headers: { 'Accept-API-Version': 'resource=1.0', ...headers } });

  it('without a MANAGED_USER module, managed users cannot sign in (as in IDM)', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules = auth.serverAuthContext.authModules.filter((m: { name: string }) => m.name !== 'MANAGED_USER');
    writeAuth(project, cheap(auth));
    const { s, close } = await start();
    try {
      const c = await fetch(`${s.url}/managed/user?_action=create`, {
        method: 'POST',
        headers: { ...ADMIN, 'Accept-API-Version': 'resource=1.0', 'Content-Type': 'application/json' },
        body: JSON.stringify({ userName: 'nomod', givenName: 'N', sn: 'M', mail: 'n@example.com', password: 'Secret-Pass-1' }),
      });
      expect(c.status).toBe(201);
      expect((await call(s.url, '/info/login', { 'X-OpenIDM-Username': 'nomod', 'X-OpenIDM-Password': 'Secret-Pass-1' })).status).toBe(401);
    } finally {
      await close();
    }
  });

  it('OpenIDM 4-6 form (INTERNAL_USER only): openidm-admin is the repository user IDM seeds, with its default password warned about', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules = auth.serverAuthContext.authModules.filter((m: { name: string }) => m.name === 'INTERNAL_USER');
    auth.serverAuthContext.authModules[0].properties.queryOnResource = 'repo/internal/user';
    auth.serverAuthContext.authModules[0].properties.propertyMapping = { authenticationId: '_id', userCredential: 'password', userRoles: 'roles' };
    writeAuth(project, cheap(auth));
    const warnings: string[] = [];
    const infos: string[] = [];
    const { s, close } = await start({ info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: () => undefined });
    try {
      // Who can sign in is said at start.
      expect(infos).toContain('authentication.json (IDM modules): internal users; no managed users');
      const r = await call(s.url, '/info/login', { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' });
      expect(r.status).toBe(200);
      expect((await r.json()).authorization.roles).toEqual(expect.arrayContaining(['internal/role/openidm-admin']));
      expect(warnings.join('\n')).toMatch(/openidm-admin has the default password/);
    } finally {
      await close();
    }
  });

  it('refuses a module reconflow does not implement, naming it', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules.push({ name: 'CLIENT_CERT', properties: { queryOnResource: 'security/truststore', defaultUserRoles: ['internal/role/openidm-cert'] }, enabled: true });
    writeAuth(project, cheap(auth));
    await expect(start()).rejects.toThrow(/authentication\.json: serverAuthContext\.authModules\[3\]\.name .*CLIENT_CERT/);
  });

  it('a disabled module is not refused and not used', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules.push({ name: 'CLIENT_CERT', properties: {}, enabled: false });
    writeAuth(project, cheap(auth));
    const { close } = await start();
    await close();
  });

  it('refuses an augmentSecurityContext script, naming the key', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules[2].properties.augmentSecurityContext = { type: 'text/javascript', source: 'security.authorization.roles.push("internal/role/openidm-admin")' };
    writeAuth(project, cheap(auth));
    await expect(start()).rejects.toThrow(/authModules\[2\]\.properties\.augmentSecurityContext/);
  });

  it('refuses a propertyMapping it cannot honour, naming the key', async () => {
    const auth = fixture();
    auth.serverAuthContext.authModules[2].properties.propertyMapping.userCredential = 'pin';
    writeAuth(project, cheap(auth));
    await expect(start()).rejects.toThrow(/authModules\[2\]\.properties\.propertyMapping\.userCredential/);
  });

  it('lists the session-module keys it does not use in one start-up warning', async () => {
    writeAuth(project, cheap(fixture()));
    const warnings: string[] = [];
    const { close } = await start({ info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined });
    await close();
    const w = warnings.find((x) => x.startsWith('authentication.json'));
    expect(w).toMatch(/sessionOnly/);
  });
});
