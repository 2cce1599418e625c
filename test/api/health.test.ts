// /openidm/health/*: live and ready answer anonymous probes with up/down and reason codes; ready
// turns 503 on real failures (a migration the repository lacks, a stopped job worker, a destroyed
// connection pool); os, memory and recon are IDM's shapes for openidm-admin only.
import Ajv2020 from 'ajv/dist/2020';
import { paths, schemas } from '../../src/api/openapi/health';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(60_000);

const AUTHORIZED = 'internal/role/openidm-authorized';
const USER = { 'X-OpenIDM-Username': 'health.user', 'X-OpenIDM-Password': 'Passw0rd' };

/** health/ready once it answers `status` (and has `reason`): answers are reused for a second. */
// The OpenAPI fragment's schemas must describe the real answers (every body below is checked).
const ajv = new Ajv2020({ strict: false });
for (const [name, schema] of Object.entries(schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
function expectDescribed(path: keyof typeof paths, status: number, body: unknown): void {
  const content = (paths[path].get.responses as Record<string, { content?: Record<string, { schema: { $ref: string } }> }>)[String(status)]?.content;
  const validate = ajv.getSchema(content!['application/json'].schema.$ref)!;
  if (!validate(body)) throw new Error(`${path} ${status} does not match its OpenAPI schema: ${ajv.errorsText(validate.errors)}`);
}

async function readyUntil(t: TestServer, status: number, reason?: string) {
  return eventually(async () => {
    const r = await t.call('GET', '/health/ready');
    return r.status === status && (!reason || r.body.reasons.includes(reason)) ? r : null;
  }, 10_000, `health/ready ${status} ${reason ?? ''}`);
}

describe('health endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const body = { _id: 'healthuser', userName: 'health.user', sn: 'H', givenName: 'H', mail: 'health.user@example.com', password: 'Passw0rd', authzRoles: [{ _ref: AUTHORIZED }] };
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('live: 200 without credentials', async () => {
    const r = await t.call('GET', '/health/live');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ _id: 'live', alive: true });
    expectDescribed('/health/live', 200, r.body);
  });

  it('ready: 200 on a running server, anonymous, with the checks passed; info/ping is unchanged', async () => {
    const r = await t.call('GET', '/health/ready');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ _id: 'ready', state: 'ACTIVE_READY', ready: true, reasons: [], checks: { database: 'up', migrations: 'current', worker: 'running' } });
    expectDescribed('/health/ready', 200, r.body);
    expect(() => expectDescribed('/health/ready', 200, { ...r.body, checks: { ...r.body.checks, worker: 'busy' } })).toThrow(/does not match its OpenAPI schema/);
    // Wrong credentials do not turn a probe into a 401.
    expect((await t.call('GET', '/health/ready', { headers: { 'X-OpenIDM-Username': 'x', 'X-OpenIDM-Password': 'y' } })).status).toBe(200);
    const ping = await t.call('GET', '/info/ping');
    expect(ping.body).toEqual({ _id: '', state: 'ACTIVE_READY', shortDesc: 'OpenIDM ready' });
  });

  it('os, memory and recon: 401 anonymous, 403 for a non-administrator, IDM shapes for openidm-admin', async () => {
    for (const what of ['os', 'memory', 'recon']) {
      expect((await t.call('GET', `/health/${what}`)).status).toBe(401);
      expect((await t.call('GET', `/health/${what}`, { headers: USER })).status).toBe(403);
    }
    const osr = await t.call('GET', '/health/os', { headers: ADMIN });
    expect(osr.status).toBe(200);
    expect(osr.body).toEqual({
      _id: '', availableProcessors: expect.any(Number), systemLoadAverage: expect.any(Number),
      operatingSystemArchitecture: expect.any(String), operatingSystemName: expect.any(String), operatingSystemVersion: expect.any(String),
    });
    expect(osr.body.availableProcessors).toBeGreaterThan(0);
    expectDescribed('/health/os', 200, osr.body);
    const mem = await t.call('GET', '/health/memory', { headers: ADMIN });
    expect(mem.status).toBe(200);
    const usage = { init: -1, used: expect.any(Number), committed: expect.any(Number), max: expect.any(Number) };
    expect(mem.body).toEqual({ _id: '', objectPendingFinalization: 0, heapMemoryUsage: usage, nonHeapMemoryUsage: usage });
    expect(mem.body.heapMemoryUsage.used).toBeGreaterThan(0);
    expect(mem.body.heapMemoryUsage.used).toBeLessThanOrEqual(mem.body.heapMemoryUsage.committed);
    expect(mem.body.heapMemoryUsage.committed).toBeLessThanOrEqual(mem.body.heapMemoryUsage.max);
    expectDescribed('/health/memory', 200, mem.body);
    const rec = await t.call('GET', '/health/recon', { headers: ADMIN });
    expect(rec.status).toBe(200);
    expect(rec.body).toEqual({ _id: '', activeThreads: 0, corePoolSize: 0, largestPoolSize: 0, maximumPoolSize: 1, currentPoolSize: 0 });
    expectDescribed('/health/recon', 200, rec.body);
  });

  it('health/recon counts a run while it is under way and remembers the largest number', async () => {
    const run = await t.call('POST', '/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser&waitForCompletion=true', { headers: ADMIN });
    expect(run.status).toBe(200);
    const rec = await t.call('GET', '/health/recon', { headers: ADMIN });
    expect(rec.body).toMatchObject({ activeThreads: 0, largestPoolSize: 1, currentPoolSize: 0 });
  });

  it('ready: 503 migrations_pending while the repository lacks a migration this code lists', async () => {
    const k = t.server.ctx.db.knex;
    const [latest] = await k('knex_migrations').select('*').orderBy('id', 'desc').limit(1);
    await k('knex_migrations').where({ id: latest.id }).del();
    try {
      const r = await readyUntil(t, 503);
      expect(r.body).toEqual({ _id: 'ready', state: 'ACTIVE_NOT_READY', ready: false, reasons: ['migrations_pending'], checks: { database: 'up', migrations: 'pending', worker: 'running' } });
      // The names of the missing migrations are not for anonymous callers.
      expect(JSON.stringify(r.body)).not.toContain(latest.name);
    } finally {
      await k('knex_migrations').insert(latest);
    }
    await readyUntil(t, 200);
  });

  it('ready: 503 worker_stopped once the job worker has stopped', async () => {
    await t.services.worker.stop();
    const r = await readyUntil(t, 503);
    expect(r.body).toMatchObject({ ready: false, reasons: ['worker_stopped'], checks: { database: 'up', migrations: 'current', worker: 'stopped' } });
    expect((await t.call('GET', '/health/live')).status).toBe(200);
  });

  it('ready: 503 database_unreachable when the connection pool is gone; live stays 200', async () => {
    await t.server.ctx.db.knex.destroy();
    const r = await readyUntil(t, 503, 'database_unreachable');
    expect(r.body.reasons).toEqual(['database_unreachable', 'worker_stopped']);
    expect(r.body.checks).toMatchObject({ database: 'down', migrations: 'unknown' });
    expectDescribed('/health/ready', 503, r.body);
    expect((await t.call('GET', '/health/live')).status).toBe(200);
  });
});

describe('health/ready on a node without a job worker (WORKERS=0)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is ready: the worker is disabled, not stopped', async () => {
    const r = await t.call('GET', '/health/ready');
    expect(r.status).toBe(200);
    expect(r.body.checks).toEqual({ database: 'up', migrations: 'current', worker: 'disabled' });
  });
});
