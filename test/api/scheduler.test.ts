// /openidm/scheduler/job in IDM's shapes (PingIDM "Configure schedules" / "REST API: Schedules"),
// conf/schedule-*.json refused at start naming file and key, and the claim of each due time: the
// scheduler's passes are called directly (the servers here run no loop: workers off), over a
// repository whose next fire time a test sets in the past to stand for a downtime.
import fs from 'node:fs';
import path from 'node:path';
import { quietLogger } from '../../src/log';
import { nowMsSql } from '../../src/repo/dialect';
import { Scheduler } from '../../src/scheduler/scheduler';
import { createTestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';

// Servers (and the browser) start slowly on a loaded machine; nothing here is timed.
jest.setTimeout(120_000);

const MAPPING = 'systemCsvfileAccounts_managedUser';
const AUTHORIZED = 'internal/role/openidm-authorized';
const SYNC = { invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: MAPPING } };
const script = (source: string) => ({ invokeService: 'script', invokeContext: { script: { type: 'text/javascript', source } } });
const FAR = '0 0 2 ? * MON-FRI';
const IDM_KEYS = [
  '_id', 'enabled', 'persisted', 'recoverable', 'misfirePolicy', 'schedule', 'repeatInterval', 'repeatCount', 'type', 'invokeService', 'invokeContext',
  'invokeLogLevel', 'timeZone', 'startTime', 'endTime', 'concurrentExecution', 'triggers', 'previousRunDate', 'nextRunDate',
];

function crestError(body: any, code: number) {
  expect(body).toMatchObject({ code, reason: expect.any(String), message: expect.any(String) });
}

describe('/openidm/scheduler/job', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    fs.writeFileSync(path.join(project.dir, 'conf', 'schedule-nightly.json'), JSON.stringify({ enabled: true, type: 'cron', schedule: FAR, timeZone: 'Europe/Paris', ...SYNC }));
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('lists the conf schedule in IDM\'s shape, with its next run and its trigger', async () => {
    const r = await t.call('GET', '/scheduler/job?_queryFilter=true', { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.resultCount).toBe(1);
    const job = r.body.result[0];
    expect(Object.keys(job)).toEqual(expect.arrayContaining(IDM_KEYS));
    expect(job).toMatchObject({
      _id: 'nightly', enabled: true, persisted: true, recoverable: false, misfirePolicy: 'fireAndProceed', schedule: FAR, repeatInterval: 0, repeatCount: 0,
      type: 'cron', invokeService: 'org.forgerock.openidm.sync', invokeContext: { action: 'reconcile', mapping: MAPPING }, invokeLogLevel: 'info',
      timeZone: 'Europe/Paris', startTime: null, endTime: null, concurrentExecution: false, previousRunDate: null, lastRun: null,
      triggers: [{ _id: 'scheduler-service-group.trigger-nightly', name: 'trigger-nightly', group: 'scheduler-service-group', jobKey: 'scheduler-service-group.nightly', state: 'NORMAL' }],
    });
    // 02:00 in Paris on a weekday.
    const next = new Date(job.nextRunDate);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(next)).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 02:00$/);
  });

  it('creates with PUT (201), reads, replaces (200), and a disabled schedule has no trigger and no next run', async () => {
    const body = { enabled: true, type: 'cron', schedule: '0/1 * * * * ?', persisted: true, misfirePolicy: 'fireAndProceed', ...script("'Testing schedules!'") };
    const c = await t.call('PUT', '/scheduler/job/testlog', { headers: ADMIN, body });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ _id: 'testlog', invokeService: 'org.forgerock.openidm.script', invokeContext: body.invokeContext, type: 'cron', schedule: '0/1 * * * * ?' });
    expect(Date.parse(c.body.nextRunDate)).toBeGreaterThan(Date.now() - 5_000);
    const g = await t.call('GET', '/scheduler/job/testlog', { headers: ADMIN });
    expect(g.status).toBe(200);
    expect(g.body).toEqual(c.body);
    const u = await t.call('PUT', '/scheduler/job/testlog', { headers: ADMIN, body: { ...body, enabled: false } });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({ enabled: false, triggers: [], nextRunDate: null });
    // What GET answered goes back as a PUT once the computed keys are left out.
    const { triggers: _t, nextRunDate: _n, previousRunDate: _p, lastRun: _l, ...statics } = g.body;
    expect((await t.call('PUT', '/scheduler/job/testlog', { headers: ADMIN, body: statics })).status).toBe(200);
  });

  it('creates with POST ?_action=create (a generated id); If-None-Match: * refuses an existing id', async () => {
    const c = await t.call('POST', '/scheduler/job?_action=create', { headers: ADMIN, body: { type: 'simple', repeatInterval: 3600000, ...SYNC } });
    expect(c.status).toBe(201);
    expect(c.body._id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.body).toMatchObject({ type: 'simple', repeatInterval: 3600000, repeatCount: -1, schedule: null });
    const again = await t.call('PUT', `/scheduler/job/${c.body._id}`, { headers: { ...ADMIN, 'If-None-Match': '*' }, body: { type: 'simple', repeatInterval: 1000, ...SYNC } });
    expect(again.status).toBe(412);
    crestError(again.body, 412);
    expect((await t.call('DELETE', `/scheduler/job/${c.body._id}`, { headers: ADMIN })).status).toBe(200);
  });

  it.each([
    ['an unknown key', { type: 'cron', schedule: FAR, ...SYNC, repeatEvery: 1 }, 'repeatEvery'],
    ['liveSync (provisioner)', { type: 'cron', schedule: FAR, invokeService: 'provisioner', invokeContext: { action: 'liveSync', source: 'system/x/account' } }, 'invokeService'],
    ['a cron without seconds', { type: 'cron', schedule: '0 2 * * *', ...SYNC }, 'schedule'],
    ['an unknown mapping', { type: 'cron', schedule: FAR, invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: 'nope' } }, 'invokeContext.mapping'],
    ['a read-only key', { type: 'cron', schedule: FAR, ...SYNC, nextRunDate: null }, 'nextRunDate'],
    ['an in-memory schedule', { type: 'cron', schedule: FAR, ...SYNC, persisted: false }, 'persisted'],
  ])('refuses %s with 400 naming the key', async (_what, body, key) => {
    const r = await t.call('PUT', '/scheduler/job/bad', { headers: ADMIN, body });
    expect(r.status).toBe(400);
    crestError(r.body, 400);
    expect(r.body.message.startsWith(`${key} `)).toBe(true);
    expect((await t.call('GET', '/scheduler/job/bad', { headers: ADMIN })).status).toBe(404);
  });

  it('refuses a mismatched _id, an If-Match, a bad id and an unknown action', async () => {
    expect((await t.call('PUT', '/scheduler/job/a', { headers: ADMIN, body: { _id: 'b', type: 'cron', schedule: FAR, ...SYNC } })).status).toBe(400);
    expect((await t.call('PUT', '/scheduler/job/a', { headers: { ...ADMIN, 'If-Match': '"1"' }, body: { type: 'cron', schedule: FAR, ...SYNC } })).status).toBe(400);
    expect((await t.call('PUT', '/scheduler/job/-x', { headers: ADMIN, body: { type: 'cron', schedule: FAR, ...SYNC } })).status).toBe(400);
    const r = await t.call('POST', '/scheduler/job?_action=fire', { headers: ADMIN });
    expect(r.status).toBe(400);
    crestError(r.body, 400);
  });

  it('a conf schedule is changed in its file, not over REST (403)', async () => {
    const put = await t.call('PUT', '/scheduler/job/nightly', { headers: ADMIN, body: { type: 'cron', schedule: FAR, ...SYNC } });
    expect(put.status).toBe(403);
    expect(put.body.message).toContain('conf/schedule-nightly.json');
    expect((await t.call('DELETE', '/scheduler/job/nightly', { headers: ADMIN })).status).toBe(403);
  });

  it('queries with a filter, _fields and _sortKeys', async () => {
    const f = encodeURIComponent('invokeContext/action eq "reconcile"');
    const r = await t.call('GET', `/scheduler/job?_queryFilter=${f}&_fields=_id,enabled,nextRunDate`, { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual([{ _id: 'nightly', enabled: true, nextRunDate: expect.any(String) }]);
    const all = await t.call('GET', '/scheduler/job?_queryFilter=true&_fields=_id&_sortKeys=-_id', { headers: ADMIN });
    expect(all.body.result.map((j: { _id: string }) => j._id)).toEqual(['testlog', 'nightly']);
  });

  it('pauseJobs and resumeJobs answer {success: true} and show in the trigger state; listCurrentlyExecutingJobs is an array', async () => {
    expect(await t.call('POST', '/scheduler/job?_action=pauseJobs', { headers: ADMIN })).toMatchObject({ status: 200, body: { success: true } });
    expect((await t.call('GET', '/scheduler/job/nightly', { headers: ADMIN })).body.triggers[0].state).toBe('PAUSED');
    expect(await t.services.scheduler.tick()).toBe(0);
    expect(await t.call('POST', '/scheduler/job?_action=resumeJobs', { headers: ADMIN })).toMatchObject({ status: 200, body: { success: true } });
    expect((await t.call('GET', '/scheduler/job/nightly', { headers: ADMIN })).body.triggers[0].state).toBe('NORMAL');
    const l = await t.call('POST', '/scheduler/job?_action=listCurrentlyExecutingJobs', { headers: ADMIN });
    expect(l.status).toBe(200);
    expect(l.body).toEqual([]);
  });

  it('DELETE answers the schedule; it is gone after', async () => {
    const d = await t.call('DELETE', '/scheduler/job/testlog', { headers: ADMIN });
    expect(d.status).toBe(200);
    expect(d.body._id).toBe('testlog');
    expect((await t.call('GET', '/scheduler/job/testlog', { headers: ADMIN })).status).toBe(404);
    expect((await t.call('DELETE', '/scheduler/job/testlog', { headers: ADMIN })).status).toBe(404);
  });

  it('administrators only: 403 for an authorized user, 401 without credentials', async () => {
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'plain', userName: 'plain', sn: 'P', password: 'Passw0rd', authzRoles: [{ _ref: AUTHORIZED }] } })).status).toBe(201);
    const plain = { 'X-OpenIDM-Username': 'plain', 'X-OpenIDM-Password': 'Passw0rd' };
    expect((await t.call('GET', '/scheduler/job?_queryFilter=true', { headers: plain })).status).toBe(403);
    expect((await t.call('PUT', '/scheduler/job/x', { headers: plain, body: { type: 'cron', schedule: FAR, ...SYNC } })).status).toBe(403);
    expect((await t.call('POST', '/scheduler/job?_action=pauseJobs', { headers: plain })).status).toBe(403);
    expect((await t.call('GET', '/scheduler/job?_queryFilter=true')).status).toBe(401);
  });
});

describe('firing: one claim per due time, misfires, concurrentExecution', () => {
  let t: TestServer;
  let other: Scheduler;
  const k = () => t.db.knex;
  const fires = (id: string) => k()('schedule_fire').where({ schedule_id: id }).orderBy('fire_time');
  /** Stands for a downtime: the schedule's next fire time is `ms` ago by the database's clock. */
  const pastDue = async (id: string, ms: number) => {
    const now = Number((await k()('schedule').first(k().raw(`${nowMsSql(t.db.dialect)} AS now`))).now);
    // Whole seconds, as the 1 s cron's due times are.
    await k()('schedule').where({ id }).update({ next_fire_time: Math.floor((now - ms) / 1000) * 1000 });
    return now;
  };
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    other = new Scheduler(t.server.ctx.db, quietLogger, 'other-node', t.services.reconciler, t.server.ctx.config.dir);
  });
  afterAll(async () => {
    await t.close();
  });

  it('two nodes passing at once claim each due time once', async () => {
    expect((await t.call('PUT', '/scheduler/job/race', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', concurrentExecution: true, ...script('1 + 1') } })).status).toBe(201);
    await pastDue('race', 3_000); // within the misfire threshold: each due time fires on its own
    for (let i = 0; i < 6; i++) await Promise.all([t.services.scheduler.tick(), other.tick()]);
    const rows = await fires('race');
    const times = rows.map((r: { fire_time: unknown }) => Number(r.fire_time));
    expect(new Set(times).size).toBe(times.length);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
    // Each ran (a loaded machine may stop a script at its 250 ms limit: failed, still once).
    expect(rows.every((r: { kind: string; status: string; result: string | null }) => r.kind === 'scheduled' && (r.status === 'succeeded' ? JSON.parse(r.result!) === 2 : r.status === 'failed'))).toBe(true);
    const job = (await t.call('GET', '/scheduler/job/race', { headers: ADMIN })).body;
    expect(job.lastRun).toMatchObject({ kind: 'scheduled', status: rows[rows.length - 1].status });
    expect(Date.parse(job.previousRunDate)).toBe(times[times.length - 1]);
    await t.call('DELETE', '/scheduler/job/race', { headers: ADMIN });
  });

  it('fireAndProceed: one fire for the due times missed in a downtime, then the next future one', async () => {
    await t.call('PUT', '/scheduler/job/catchup', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', ...script("input['scheduled-fire-time']") } });
    const now = await pastDue('catchup', 60_000);
    await t.services.scheduler.tick();
    const [row] = await fires('catchup');
    expect(row).toMatchObject({ kind: 'misfire', status: 'succeeded' });
    expect(Number(row.covers)).toBeGreaterThanOrEqual(60);
    expect(Number(row.last_fire_time) - Number(row.fire_time)).toBe((Number(row.covers) - 1) * 1000);
    expect(JSON.parse(row.result)).toBe(new Date(Number(row.fire_time)).toISOString());
    const s = await k()('schedule').where({ id: 'catchup' }).first();
    expect(Number(s.next_fire_time)).toBeGreaterThan(now - 1000);
    expect(Number(s.next_fire_time)).toBe(Number(row.last_fire_time) + 1000);
    await t.call('DELETE', '/scheduler/job/catchup', { headers: ADMIN });
  });

  it('doNothing: the missed due times are recorded as missed, nothing runs', async () => {
    await t.call('PUT', '/scheduler/job/skip', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', misfirePolicy: 'doNothing', ...script('1') } });
    await pastDue('skip', 30_000);
    await t.services.scheduler.tick();
    const rows = await fires('skip');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'missed', status: 'missed', result: null });
    expect(rows[0].message).toContain('doNothing');
    await t.call('DELETE', '/scheduler/job/skip', { headers: ADMIN });
  });

  it('concurrentExecution false: a fire while the previous one still runs is skipped and recorded', async () => {
    await t.call('PUT', '/scheduler/job/serial', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', ...script('1') } });
    // The previous fire is still running on a node (as a long script or recon would be).
    await k()('schedule_fire').insert({ schedule_id: 'serial', fire_time: 1, last_fire_time: 1, covers: 1, kind: 'scheduled', status: 'running', node: 'busy-node', claimed_at: Date.now() });
    await pastDue('serial', 1_000);
    await t.services.scheduler.tick();
    const [, row] = await fires('serial');
    expect(row).toMatchObject({ status: 'skipped' });
    expect(row.message).toContain('concurrentExecution is false');
    const l = await t.call('POST', '/scheduler/job?_action=listCurrentlyExecutingJobs', { headers: ADMIN });
    expect(l.body.map((j: { _id: string }) => j._id)).toEqual(['serial']);
    await t.call('DELETE', '/scheduler/job/serial', { headers: ADMIN });
  });

  it('a sync schedule starts a reconciliation through the reconciler, recorded on its fire', async () => {
    await t.call('PUT', '/scheduler/job/recon', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', ...SYNC } });
    await pastDue('recon', 1_000);
    await t.services.scheduler.tick();
    const [row] = await fires('recon');
    expect(row.status).toBe('started');
    const run = await t.call('GET', `/recon/${row.recon_id}`, { headers: ADMIN });
    expect(run.status).toBe(200);
    expect(run.body.parameters.startedBy).toBe('scheduler/recon');
    const job = (await t.call('GET', '/scheduler/job/recon', { headers: ADMIN })).body;
    expect(job.lastRun).toMatchObject({ status: 'started', reconId: row.recon_id });
    await t.call('PUT', '/scheduler/job/recon', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', enabled: false, ...SYNC } });
  });
});

describe('conf/schedule-*.json at start', () => {
  it.each([
    ['schedule-bad.json', { type: 'cron', schedule: FAR, invokeService: 'taskScanner', invokeContext: {} }, 'invokeService'],
    ['schedule-typo.json', { type: 'cron', schedule: FAR, ...SYNC, misfirepolicy: 'doNothing' }, 'misfirepolicy'],
  ])('%s is refused naming the file and the key', async (file, json, key) => {
    const project = makeProject();
    const db = await createTestDb();
    try {
      fs.writeFileSync(path.join(project.dir, 'conf', file), JSON.stringify(json));
      await expect(startTestServer({ projectDir: project.dir, workers: false, db })).rejects.toThrow(`${file}: ${key} `);
    } finally {
      await db.destroy();
      project.remove();
    }
  });
});
