// IDM project folders as IDM lays them out (test/fixtures/idm-project: IDM 7's sync-asynchronous
// layout with resolver/boot.properties, &{…} paths, workflow/*.bar and script/;
// test/fixtures/idm-project-4: OpenIDM 4–6's, conf/boot/boot.properties and the XML connector)
// start unchanged, and the seed walkthrough passes on them — the shared seed-walkthrough.mjs itself
// in a child process where it is present (CI sets SHARED_DIR), and its steps in this file for each
// variant's mapping.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/config/project';
import { ADMIN, ASYNC_ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(180_000);

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** A copy of the fixture, so that nothing a start writes can change the committed folder. */
function copyOf(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reconflow-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

function seedWalkthrough(): string | null {
  const candidates = [process.env.SHARED_DIR, path.join(packageRoot(), '..', 'shared'), path.join(packageRoot(), '..', '..', 'shared')];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'acceptance', 'seed-walkthrough.mjs'))) return path.join(dir, 'acceptance', 'seed-walkthrough.mjs');
  }
  return null;
}

const VARIANTS = [
  { label: 'IDM 7 layout (sync-asynchronous, CSV, .bar)', fixture: 'idm-project', mapping: 'systemCsvfileAccounts_managedUser', system: '/system/csvfile/account', resource: 'managedUserApproval.bar/managedUserApproval.bpmn20.xml' },
  { label: 'OpenIDM 4–6 layout (sample9, XML connector)', fixture: 'idm-project-4', mapping: 'systemXmlfileAccounts_managedUser', system: '/system/xmlfile/account', resource: 'managedUserApproval.bpmn20.xml' },
];

describe.each(VARIANTS)('$label', ({ fixture, mapping, system, resource }) => {
  let dir: string;
  let t: TestServer;
  beforeAll(async () => {
    dir = copyOf(fixture);
    t = await startTestServer({ projectDir: dir });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts unchanged: the administrator from &{openidm.admin.password}, the process from the workflow folder', async () => {
    const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=true', { headers: ADMIN });
    expect(defs.status).toBe(200);
    expect(defs.body.result.map((d: any) => d.key)).toEqual(['managedUserApproval']);
    expect(t.services.definitions).toBeDefined();
    const rows = await t.services.definitions.list();
    expect(rows.map((r) => r.resourceName)).toEqual([resource]);
  });

  it(`reads the source over ${system}, with the &{…} path resolved`, async () => {
    const all = await t.call('GET', `${system}?_queryFilter=true`, { headers: ADMIN });
    expect(all.status).toBe(200);
    expect(all.body.result.map((o: any) => o._id)).toEqual(['bjensen', 'scarter']);
    const one = await t.call('GET', `${system}/bjensen`, { headers: ADMIN });
    expect(one.body).toMatchObject({ _id: 'bjensen', firstname: 'Barbara', lastname: 'Jensen' });
    expect(one.body).not.toHaveProperty('password');
  });

  it('serves config/<name> as written, &{…} unresolved (a value from the environment is not echoed)', async () => {
    const r = await t.call('GET', '/config/workflow', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.workflowDirectory).toMatch(/^&\{(idm\.instance\.dir|launcher\.project\.location)\}\/workflow$/);
  });

  it('passes the seed walkthrough steps 3–7 with its mapping', async () => {
    const created = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: {
        userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin', mail: 'async.admin@example.com',
        authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }], _id: 'asyncadmin',
      },
    });
    expect(created.status).toBe(201);
    const recon = await t.call('POST', `/recon?_action=recon&mapping=${mapping}`, { headers: ADMIN });
    expect(recon.body).toEqual({ _id: expect.any(String), state: 'ACTIVE' });
    const run = await eventually(async () => {
      const r = await t.call('GET', `/recon/${recon.body._id}`, { headers: ADMIN });
      return r.body.state === 'SUCCESS' && r.body;
    }, 60_000);
    expect(run.situationSummary.ABSENT).toBe(2);
    if (run.statusSummary.FAILURE) {
      const audit = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${recon.body._id}"`)}`, { headers: ADMIN });
      throw new Error(`recon rows failed: ${JSON.stringify(audit.body.result.filter((e: any) => e.status !== 'SUCCESS'))}`);
    }
    const tasks = await eventually(async () => {
      const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_fields=_id,processDefinitionId', { headers: ADMIN });
      return r.body.result.length === 2 && r.body.result;
    });
    for (const task of tasks) expect(task.processDefinitionId).toMatch(/^managedUserApproval:\d+:\S+$/);
    for (const task of tasks) {
      const done = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ASYNC_ADMIN, body: { requestApproved: 'true' } });
      expect(done.body).toEqual({ 'Task action performed': 'complete' });
    }
    await eventually(async () => {
      const r = await t.call('GET', '/managed/user?_queryFilter=true&_fields=_id', { headers: ADMIN });
      return r.body.result.map((u: any) => u._id).sort().join() === 'asyncadmin,bjensen,scarter';
    }, 60_000);
    const scarter = await t.call('GET', '/managed/user/scarter?_fields=userName,givenName,authzRoles', { headers: ADMIN });
    expect(scarter.body).toMatchObject({ givenName: 'Steven', authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }] });
  });
});

const seed = seedWalkthrough();
(seed ? describe : describe.skip)('the shared seed-walkthrough.mjs, unchanged, against the IDM 7 layout fixture', () => {
  let dir: string;
  let t: TestServer;
  beforeAll(async () => {
    dir = copyOf('idm-project');
    t = await startTestServer({ projectDir: dir });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints "7 of 7 steps as the seed shows"', async () => {
    const child = spawn(process.execPath, [seed!, t.base], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) {
      // What the server recorded, beside the walkthrough's own report.
      const audit = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent('true')}`, { headers: ADMIN });
      out += `\naudit: ${JSON.stringify(audit.body.result?.map((e: any) => [e.situation, e.action, e.status, e.message]))}`;
    }
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('seed walkthrough: 7 of 7 steps as the seed shows') });
  });
});
