// The server's log lines through real HTTP, with real pino writing into a collecting destination:
// every line is JSON and bounded; lines logged during a request carry its id (X-Request-ID, taken
// when safe, else generated, and echoed) and its principal, also deep in a reconciliation it starts;
// a job's lines carry the job's ids; no password sent in any request reaches any line.
import fs from 'node:fs';
import path from 'node:path';
import { enqueueJob } from '../../src/jobs/sql/enqueueJob';
import { Worker } from '../../src/jobs/worker';
import { createLogger, MAX_LINE } from '../../src/log';
import { makeProject, TestProject, csvRow } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(60_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAPPING = 'systemCsvfileAccounts_managedUser';

describe('structured logs of a running server', () => {
  const raw: string[] = [];
  const lines = () => raw.map((l) => JSON.parse(l) as Record<string, any>);
  let t: TestServer;
  let project: TestProject;

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv([csvRow('logan')]);
    t = await startTestServer({ projectDir: project.dir, log: createLogger({ level: 'debug', format: 'json', destination: { write: (l: string) => void raw.push(l) } }) });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('every line is one JSON object of at most MAX_LINE characters', async () => {
    await t.call('GET', '/info/login', { headers: ADMIN });
    expect(raw.length).toBeGreaterThan(0);
    for (const l of raw) {
      expect(l.length).toBeLessThanOrEqual(MAX_LINE);
      expect(() => JSON.parse(l)).not.toThrow();
    }
    expect(lines().some((o) => /^ready on port/.test(o.msg))).toBe(true);
  });

  it('a safe X-Request-ID is echoed and carried, with the principal, on the request\'s lines', async () => {
    const r = await t.call('GET', '/info/login', { headers: { ...ADMIN, 'X-Request-ID': 'lb-7f3a.42:req/1' } });
    expect(r.headers.get('x-request-id')).toBe('lb-7f3a.42:req/1');
    const mine = lines().filter((o) => o.reqId === 'lb-7f3a.42:req/1');
    expect(mine).toEqual([expect.objectContaining({ level: 'debug', msg: 'request', method: 'GET', path: '/openidm/info/login', status: 200, principal: 'internal/user/openidm-admin' })]);
  });

  it('without one, or with an unsafe one, the server makes an id, returns it and logs it', async () => {
    const none = await t.call('GET', '/info/ping');
    const made = none.headers.get('x-request-id')!;
    expect(made).toMatch(UUID);
    expect(lines().filter((o) => o.reqId === made)).toHaveLength(1);
    for (const bad of ['a'.repeat(129), 'has space', '"quoted"', '<script>', '-leading-dash', 'ünïcode']) {
      const r = await t.call('GET', '/info/ping', { headers: { 'X-Request-ID': bad } });
      expect(r.headers.get('x-request-id')).toMatch(UUID);
    }
    // An anonymous request has no principal; an unauthenticated one neither.
    expect(lines().find((o) => o.reqId === made)!.principal).toBeUndefined();
    const denied = await t.call('GET', '/managed/user/x', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'wrong-password-1' } });
    expect(denied.status).toBe(401);
    const line = lines().find((o) => o.reqId === denied.headers.get('x-request-id'))!;
    expect(line).toMatchObject({ status: 401 });
    expect(line.principal).toBeUndefined();
  });

  it('a line logged deep in a reconciliation the request started carries the request id, the principal and the run id', async () => {
    fs.rmSync(path.join(project.dir, 'data', 'csvConnectorData.csv'));
    const r = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}&waitForCompletion=true`, { headers: { ...ADMIN, 'X-Request-ID': 'recon-req-1' } });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('FAILED');
    const failed = lines().find((o) => o.level === 'error' && /^reconciliation .* failed/.test(o.msg));
    expect(failed).toMatchObject({ reqId: 'recon-req-1', principal: 'internal/user/openidm-admin', reconId: r.body._id, mapping: MAPPING });
    project.writeCsv([csvRow('logan')]);
  });

  it("a job's lines carry its id, its type and the process instance it continues", async () => {
    const jobLines = createLogger({ format: 'json', destination: { write: (l: string) => void raw.push(l) } });
    await enqueueJob(t.db.knex, { key: 'log-test:1', type: 'logTest', payload: { processInstanceId: 4242 } });
    const w = new Worker(t.db.knex, { logTest: async () => void jobLines.info('deep inside the job') }, { workerId: 'log-test', concurrency: 1, pollMs: 10, lockMs: 60_000, backoffBaseMs: 1, backoffCapMs: 5 }, jobLines);
    expect(await w.runOne()).toBe(true);
    const line = lines().find((o) => o.msg === 'deep inside the job');
    expect(line).toMatchObject({ jobType: 'logTest', instanceId: '4242', jobId: expect.any(Number) });
    expect(line!.reqId).toBeUndefined();
  });

  it('no password sent in a request reaches any line (headers, Basic, bodies, sign-in, failures)', async () => {
    const secrets = ['Adm1n-Secret-pw', 'Basic-S3cret-pw', 'Body-S3cret-pw1', 'Patch-S3cret-pw2', 'Login-S3cret-pw3', 'Reauth-S3cret-4'];
    const basic = `Basic ${Buffer.from(`openidm-admin:${secrets[1]}`).toString('base64')}`;
    await t.call('GET', '/managed/user?_queryFilter=true', { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': secrets[0] } });
    await t.call('GET', '/managed/user?_queryFilter=true', { headers: { Authorization: basic } });
    const created = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'pwuser', userName: 'pwuser', sn: 'P', givenName: 'W', mail: 'pwuser@example.com', password: secrets[2] } });
    expect(created.status).toBe(201);
    await t.call('PATCH', '/managed/user/pwuser', { headers: ADMIN, body: [{ operation: 'replace', field: '/password', value: secrets[3] }] });
    await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'short', userName: 'short', sn: 'S', givenName: 'S', mail: 's@example.com', password: 'x' } });
    await t.call('POST', '/authentication?_action=login', { body: { username: 'pwuser', password: secrets[4] } });
    await t.call('PATCH', '/managed/user/pwuser', { headers: { 'X-OpenIDM-Username': 'pwuser', 'X-OpenIDM-Password': secrets[3], 'X-OpenIDM-Reauth-Password': secrets[5] }, body: [{ operation: 'replace', field: '/password', value: 'Another-1' }] });
    const all = raw.join('');
    for (const s of [...secrets, Buffer.from(`openidm-admin:${secrets[1]}`).toString('base64')]) expect(all).not.toContain(s);
    expect(all).not.toContain('pwuser@example.com');
    // Each of these checks or makes a scrypt hash (~250 ms alone; far more on a loaded machine).
  }, 180_000);
});
