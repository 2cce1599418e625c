// PUT/DELETE/create of /openidm/config/<name> at run time, as OpenIDM's ConfigObjectService
// (openidm-config, org.forgerock.openidm.config.manage.ConfigObjectService): administrators only;
// an invalid document is 400 naming the key and nothing changes; a valid one is stored in the
// repository and takes effect on this node at once and on the other nodes of the same database
// (a running one by polling, one started later from the repository); objects read at start only
// answer 501 saying a restart is needed.
import fs from 'node:fs';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const MAPPING = 'systemCsvfileAccounts_managedUser';
const COPY = 'csvCopy_managedUser';
const FAR = '0 0 2 ? * MON-FRI';

describe('config/<name> changed at run time', () => {
  let project: TestProject;
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  let original: any;

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv([csvRow('put1')]);
    original = JSON.parse(fs.readFileSync(path.join(project.dir, 'conf', 'sync.json'), 'utf8'));
    db = await createTestDb();
    a = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
    // A second node on the same repository, running before the change.
    b = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db.destroy();
    project.remove();
  });

  const withCopy = () => {
    const copy = JSON.parse(JSON.stringify(original.mappings[0]));
    copy.name = COPY;
    copy.policies = [
      { situation: 'CONFIRMED', action: 'UPDATE' },
      { situation: 'FOUND', action: 'LINK' },
      { situation: 'ABSENT', action: 'CREATE' },
    ];
    return { mappings: [original.mappings[0], copy] };
  };

  it('an invalid document is 400 naming the key, and nothing changes', async () => {
    const bad = withCopy();
    (bad.mappings[1] as any).frobnicate = true;
    const r = await a.call('PUT', '/config/sync', { headers: ADMIN, body: bad });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/mappings\[1\]\.frobnicate/);
    const g = await a.call('GET', '/config/sync', { headers: ADMIN });
    expect(g.body.mappings.map((m: any) => m.name)).toEqual([MAPPING]);
    expect(g.headers.get('etag')).toBe('"0"');
    expect((await a.call('POST', `/recon?_action=recon&mapping=${COPY}&waitForCompletion=true`, { headers: ADMIN })).status).toBe(400);
  });

  it('PUT sync with a new mapping: stored, and a recon of it runs on this node', async () => {
    const r = await a.call('PUT', '/config/sync', { headers: ADMIN, body: withCopy() });
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.body.mappings.map((m: any) => m.name)).toEqual([MAPPING, COPY]);
    const run = await a.call('POST', `/recon?_action=recon&mapping=${COPY}&waitForCompletion=true`, { headers: ADMIN });
    expect(run.status).toBe(200);
    expect(run.body.state).toBe('SUCCESS');
    expect((await a.call('GET', '/managed/user/put1', { headers: ADMIN })).status).toBe(200);
  });

  it('a running node on the same database picks the change up by polling', async () => {
    await eventually(async () => {
      const g = await b.call('GET', '/config/sync', { headers: ADMIN });
      return g.body.mappings.length === 2 && g.headers.get('etag') === '"1"';
    }, 15_000, 'node b applying config/sync version 1');
    const run = await b.call('POST', `/recon?_action=recon&mapping=${COPY}&waitForCompletion=true`, { headers: ADMIN });
    expect(run.status).toBe(200);
  });

  it('a node started later takes the stored document instead of conf/sync.json', async () => {
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined };
    const c = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false, log });
    try {
      // The replacement of the conf file is said at start.
      expect(warnings).toContainEqual(expect.stringMatching(/^conf\/sync\.json is replaced by version 1 stored in the repository by openidm-admin/));
      const g = await c.call('GET', '/config/sync', { headers: ADMIN });
      expect(g.body.mappings.map((m: any) => m.name)).toEqual([MAPPING, COPY]);
      expect(g.headers.get('etag')).toBe('"1"');
    } finally {
      await c.close();
    }
  });

  it('If-Match with an old revision is 412; If-None-Match: * on an existing object is 412', async () => {
    expect((await a.call('PUT', '/config/sync', { headers: { ...ADMIN, 'If-Match': '"0"' }, body: withCopy() })).status).toBe(412);
    expect((await a.call('PUT', '/config/sync', { headers: { ...ADMIN, 'If-None-Match': '*' }, body: withCopy() })).status).toBe(412);
  });

  it('objects read at start only answer 501 saying a restart is needed, and are unchanged', async () => {
    const before = (await a.call('GET', '/config/workflow', { headers: ADMIN })).body;
    const r = await a.call('PUT', '/config/workflow', { headers: ADMIN, body: { enabled: false } });
    expect(r.status).toBe(501);
    expect(r.body.message).toMatch(/restart/);
    expect((await a.call('GET', '/config/workflow', { headers: ADMIN })).body).toEqual(before);
    expect((await a.call('PUT', '/config/provisioner.openicf/csvfile', { headers: ADMIN, body: {} })).status).toBe(501);
    expect((await a.call('DELETE', '/config/managed', { headers: ADMIN })).status).toBe(501);
    const auth = await a.call('PUT', '/config/authentication', { headers: ADMIN, body: { internalUsers: [] } });
    expect([auth.status, auth.body.message]).toEqual([501, expect.stringMatching(/conf\/authentication\.json and restart/)]);
    expect((await a.call('PUT', '/config/repo.jdbc', { headers: ADMIN, body: {} })).status).toBe(501);
  });

  it('administrators only', async () => {
    const created = await a.call('POST', '/managed/user?_action=create', {
      headers: ADMIN, body: { _id: 'plainc', userName: 'plainc', sn: 'P', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
    });
    expect(created.status).toBe(201);
    const plain = { 'X-OpenIDM-Username': 'plainc', 'X-OpenIDM-Password': 'Passw0rd' };
    expect((await a.call('PUT', '/config/sync', { headers: plain, body: withCopy() })).status).toBe(403);
    expect((await a.call('DELETE', '/config/schedule/x', { headers: plain })).status).toBe(403);
    expect((await a.call('POST', '/config?_action=create', { headers: plain, body: { _id: 'metrics' } })).status).toBe(403);
  });

  it('schedule/<name>: created, visible to the scheduler, refused when invalid, deleted', async () => {
    const def = { enabled: true, type: 'cron', schedule: FAR, invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: COPY } };
    const bad = await a.call('PUT', '/config/schedule/copy', { headers: ADMIN, body: { ...def, schedule: 'not a cron' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/schedule/);
    expect((await a.call('GET', '/scheduler/job/copy', { headers: ADMIN })).status).toBe(404);
    const r = await a.call('PUT', '/config/schedule/copy', { headers: ADMIN, body: def });
    expect(r.status).toBe(201);
    expect(r.body._id).toBe('schedule/copy');
    const job = await a.call('GET', '/scheduler/job/copy', { headers: ADMIN });
    expect(job.status).toBe(200);
    expect(job.body.nextRunDate).toEqual(expect.any(String));
    // sync without the mapping a schedule reconciles: refused, naming the schedule.
    const drop = await a.call('PUT', '/config/sync', { headers: ADMIN, body: { mappings: [original.mappings[0]] } });
    expect(drop.status).toBe(400);
    expect(drop.body.message).toMatch(/schedule copy/);
    const d = await a.call('DELETE', '/config/schedule/copy', { headers: ADMIN });
    expect(d.status).toBe(200);
    expect((await a.call('GET', '/scheduler/job/copy', { headers: ADMIN })).status).toBe(404);
    expect((await a.call('GET', '/config/schedule/copy', { headers: ADMIN })).status).toBe(404);
    expect((await a.call('DELETE', '/config/schedule/copy', { headers: ADMIN })).status).toBe(404);
  });

  it('POST config?_action=create: the id from _id; none is 400 as IDM; twice is 412', async () => {
    expect((await a.call('POST', '/config?_action=create', { headers: ADMIN, body: { enabled: true } })).status).toBe(400);
    const def = { _id: 'schedule/made', enabled: false, type: 'cron', schedule: FAR, invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: MAPPING } };
    expect((await a.call('POST', '/config?_action=create', { headers: ADMIN, body: def })).status).toBe(201);
    expect((await a.call('POST', '/config?_action=create', { headers: ADMIN, body: def })).status).toBe(412);
    expect((await a.call('GET', '/config/schedule/made', { headers: ADMIN })).body.enabled).toBe(false);
    expect((await a.call('DELETE', '/config/schedule/made', { headers: ADMIN })).status).toBe(200);
  });

  it('metrics: turned off and on again at run time; an invalid value is 400 naming the key', async () => {
    expect((await a.call('GET', '/metrics/prometheus', { headers: ADMIN })).status).toBe(200);
    const bad = await a.call('PUT', '/config/metrics', { headers: ADMIN, body: { enabled: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/enabled/);
    expect((await a.call('PUT', '/config/metrics', { headers: ADMIN, body: { enabled: false } })).status).toBe(200);
    expect((await a.call('GET', '/metrics/prometheus', { headers: ADMIN })).status).toBe(404);
    await eventually(async () => (await b.call('GET', '/metrics/prometheus', { headers: ADMIN })).status === 404, 15_000, 'node b turning metrics off');
    expect((await a.call('PUT', '/config/metrics', { headers: ADMIN, body: { enabled: true } })).status).toBe(200);
    expect((await a.call('GET', '/metrics/prometheus', { headers: ADMIN })).status).toBe(200);
  });

  it('DELETE sync: no mappings left on any node', async () => {
    const d = await a.call('DELETE', '/config/sync', { headers: ADMIN });
    expect(d.status).toBe(200);
    expect(d.body.mappings).toHaveLength(2);
    expect((await a.call('GET', '/config/sync', { headers: ADMIN })).status).toBe(404);
    expect((await a.call('POST', `/recon?_action=recon&mapping=${MAPPING}&waitForCompletion=true`, { headers: ADMIN })).status).toBe(400);
    await eventually(async () => (await b.call('GET', '/config/sync', { headers: ADMIN })).status === 404, 15_000, 'node b deleting sync');
  });
});
