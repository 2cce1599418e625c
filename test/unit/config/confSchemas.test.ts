// The JSON-Schema validation of conf files (src/config/schema): a key reconflow does not implement
// is an error naming the file, the JSON path and what to do; a key without effect is listed in a
// start-up warning; reconflow's own conf/ files and the IDM-form fixtures are valid.
import fs from 'node:fs';
import path from 'node:path';
import { loadProjectConfig, validateAuthentication } from '../../../src/config/conf';
import { packageRoot } from '../../../src/config/project';
import { confSchemas, validateConfFiles } from '../../../src/config/schema';
import { makeProject, TestProject } from '../../helpers/project';

const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const fixture = (name: string) => read(path.join(__dirname, '..', '..', 'fixtures', 'idm-conf', name));

describe('conf schemas', () => {
  it("reconflow's own conf/ files are valid and give no warning", () => {
    const raw: Record<string, unknown> = {};
    for (const f of ['authentication.json', 'managed.json', 'workflow.json']) raw[f] = read(path.join(packageRoot(), 'conf', f));
    expect(validateConfFiles(raw)).toEqual([]);
  });

  it('every schema entry compiles (a bad schema would fail at the first start)', () => {
    for (const e of confSchemas) expect(() => validateConfFiles({ [String(e.file)]: {} })).not.toThrow(/strict mode|schema is invalid/);
  });

  it('the IDM-form fixtures are valid; their UI-only keys come back as one warning per file', () => {
    const warnings = validateConfFiles({ 'authentication.json': fixture('authentication.json'), 'managed.json': fixture('managed.json') });
    expect(warnings).toHaveLength(2);
    const managed = warnings.find((w) => w.startsWith('managed.json:'))!;
    expect(managed).toContain('objects[0].schema.properties.userName.viewable');
    expect(managed).toContain('objects[0].schema.properties.preferences.properties.updates.description');
    expect(managed).toContain("IDM's admin and end-user UIs only");
    expect(managed).not.toContain('searchable');
    const auth = warnings.find((w) => w.startsWith('authentication.json:'))!;
    expect(auth).toContain('serverAuthContext.sessionModule.properties.sessionOnly');
  });

  it('an unknown key is an error naming the file, the path, the known keys and what to do', () => {
    expect(() => validateConfFiles({ 'workflow.json': { enabled: true, engin: {} } })).toThrow(
      /^workflow\.json: engin is not supported by reconflow: remove it \(known keys here: enabled, processesDir/,
    );
    const m = fixture('managed.json');
    m.objects[0].schema.properties.preferences.properties.updates.isEncrypted = true;
    expect(() => validateConfFiles({ 'managed.json': m })).toThrow(/managed\.json: objects\[0\]\.schema\.properties\.preferences\.properties\.updates\.isEncrypted is not supported/);
  });

  it('a known key reconflow refuses says why', () => {
    expect(() => validateConfFiles({ 'workflow.json': { engine: { url: 'http://x' } } })).toThrow(/workflow\.json: engine a remote workflow engine is not supported/);
    const m = fixture('managed.json');
    m.objects[0].postUpdate = { type: 'text/javascript', source: '1' };
    expect(() => validateConfFiles({ 'managed.json': m })).toThrow(/managed\.json: objects\[0\]\.postUpdate postUpdate scripts are not run by reconflow/);
    const a = fixture('authentication.json');
    a.serverAuthContext.authModules[2].properties.runAsProperties = {};
    expect(() => validateConfFiles({ 'authentication.json': a })).toThrow(/authModules\[2\]\.properties\.runAsProperties X-OpenIDM-RunAs is not implemented/);
  });

  it('a wrong type names the path', () => {
    expect(() => validateConfFiles({ 'workflow.json': { watch: 'yes' } })).toThrow(/workflow\.json: watch must be boolean/);
  });
});

describe('authentication.json in IDM form', () => {
  it('maps STATIC_USER, INTERNAL_USER and MANAGED_USER, and the session times', () => {
    const cfg = validateAuthentication(fixture('authentication.json'));
    expect(cfg.modules.staticUsers).toEqual([{ userName: 'openidm-admin', password: 'Adm1n-Fixture-Pass', roles: ['openidm-authorized', 'openidm-admin'] }]);
    expect(cfg.modules.internal).toEqual({ defaultRoles: [] });
    expect(cfg.modules.managed).toEqual({ defaultRoles: ['openidm-authorized'], idProperty: 'userName', roleProperty: 'authzRoles' });
    expect(cfg.sessions).toMatchObject({ maxAgeMinutes: 120, idleMinutes: 30 });
    // openidm-admin is the STATIC_USER: IDM's repository default is not seeded beside it.
    expect(cfg.internalUsers).toEqual([]);
  });

  it('accepts IDM 7\'s stock augmentSecurityContext with a note, and refuses any other script', () => {
    const a = fixture('authentication.json');
    a.serverAuthContext.authModules[2].properties.augmentSecurityContext = { type: 'text/javascript', source: "require('auth/customAuthz').setProtectedAttributes(security)" };
    const notes: string[] = [];
    validateAuthentication(a, 'authentication.json', notes);
    expect(notes.join()).toMatch(/augmentSecurityContext/);
    a.serverAuthContext.authModules[2].properties.augmentSecurityContext.source = 'security.authorization.roles = ["internal/role/openidm-admin"]';
    expect(() => validateAuthentication(a)).toThrow(/authModules\[2\]\.properties\.augmentSecurityContext is a script reconflow does not run/);
  });

  it('refuses session times given twice (sessions and the JWT_SESSION module)', () => {
    expect(() => validateAuthentication({ ...fixture('authentication.json'), sessions: { idleMinutes: 10 } })).toThrow(/authentication\.json: sessions and serverAuthContext\.sessionModule both set session times/);
  });

  it('refuses internalUsers that no module would let sign in', () => {
    const a = fixture('authentication.json');
    a.serverAuthContext.authModules = a.serverAuthContext.authModules.filter((m: { name: string }) => m.name !== 'INTERNAL_USER');
    expect(() => validateAuthentication({ ...a, internalUsers: [{ _id: 'ops', password: 'x', authzRoles: [] }] })).toThrow(/authentication\.json: internalUsers cannot sign in without an enabled INTERNAL_USER module/);
  });

  it('refuses a managed module on another resource and a second MANAGED_USER', () => {
    const a = fixture('authentication.json');
    a.serverAuthContext.authModules[2].properties.queryOnResource = 'system/ldap/account';
    expect(() => validateAuthentication(a)).toThrow(/authModules\[2\]\.properties\.queryOnResource must be managed\/user/);
    const b = fixture('authentication.json');
    b.serverAuthContext.authModules.push(b.serverAuthContext.authModules[2]);
    expect(() => validateAuthentication(b)).toThrow(/authModules\[3\]\.name MANAGED_USER appears twice/);
  });
});

describe('loadProjectConfig', () => {
  let project: TestProject;
  beforeEach(() => { project = makeProject(); });
  afterEach(() => project.remove());

  it('returns the warnings and names managed objects it does not serve', () => {
    const m = fixture('managed.json');
    m.objects.push({ name: 'role', schema: { properties: { name: { type: 'string' } } } });
    fs.writeFileSync(path.join(project.dir, 'conf', 'managed.json'), JSON.stringify(m));
    const cfg = loadProjectConfig(project.dir);
    expect(cfg.warnings.join('\n')).toMatch(/managed\/role not served by reconflow/);
    expect(cfg.managed[0].schema.required).toEqual(['userName', 'givenName', 'sn', 'mail']);
  });

  it('refuses schema.required naming a property that does not exist', () => {
    const m = fixture('managed.json');
    m.objects[0].schema.required.push('nickName');
    fs.writeFileSync(path.join(project.dir, 'conf', 'managed.json'), JSON.stringify(m));
    expect(() => loadProjectConfig(project.dir)).toThrow(/managed\.json: objects\[0\]\.schema\.required names nickName/);
  });
});
