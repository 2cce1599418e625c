// GET /openidm/metrics/prometheus: parsed with a real Prometheus text parser, the counters moving
// through the sample's walkthrough (steps 3–7), who may read it, and conf/metrics.json's switch.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/config/conf';
import { validateMetricsConfig } from '../../src/metrics';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, ASYNC_ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

/** prom2json's shape, as parse-prometheus-text-format returns it. */
interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}
// A port of Prometheus' own text-format parser (prom2json); it throws on a line it cannot read.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

const MAPPING = 'systemCsvfileAccounts_managedUser';
const METRICS = '/metrics/prometheus';

class Scrape {
  readonly families = new Map<string, Family>();
  /**
   * Every sample line by its own name (h_bucket, h_sum, h_count). The parser folds a histogram's
   * series into one entry and drops their labels (it follows prom2json, whose histograms have
   * none), so the histograms' per-label counts are read from a second parse of the same text with
   * their TYPE lines as untyped: each suffix is then a family of its own, labels kept.
   */
  private readonly samples = new Map<string, Family>();
  constructor(readonly text: string) {
    for (const f of parsePrometheus(text)) this.families.set(f.name, f);
    // (prom-client writes each label set's buckets, sum and count together: a suffix recurs, so merge.)
    for (const f of parsePrometheus(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'))) {
      const seen = this.samples.get(f.name);
      if (seen) seen.metrics.push(...f.metrics);
      else this.samples.set(f.name, f);
    }
  }
  family(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`no metric ${name} in the scrape`);
    return f;
  }
  /** The sample whose labels include `labels` (a histogram: its count); 0 when none has them (not yet incremented). */
  value(name: string, labels: Record<string, string> = {}): number {
    const histogram = this.families.get(name)?.type === 'HISTOGRAM';
    const family = histogram ? this.samples.get(`${name}_count`) : this.families.get(name);
    const m = family?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
    return m ? Number(m.value) : 0;
  }
}

async function scrape(t: TestServer, headers: Record<string, string> = ADMIN): Promise<Scrape> {
  const r = await fetch(t.base + METRICS, { headers });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await r.text());
}

describe('GET /openidm/metrics/prometheus through the sample walkthrough', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(); });
  afterAll(async () => { await t.close(); });

  let before: Scrape;

  it('parses, with every listed metric typed as documented', async () => {
    before = await scrape(t);
    const types: Record<string, Family['type']> = {
      reconflow_http_requests_total: 'COUNTER', reconflow_http_request_duration_seconds: 'HISTOGRAM',
      reconflow_db_query_duration_seconds: 'HISTOGRAM', reconflow_db_pool_connections: 'GAUGE', reconflow_db_pool_pending: 'GAUGE', reconflow_db_pool_max_connections: 'GAUGE',
      reconflow_metrics_repository_up: 'GAUGE', reconflow_jobs_ready: 'GAUGE', reconflow_incidents_open: 'GAUGE',
      nodejs_eventloop_lag_seconds: 'GAUGE', nodejs_heap_size_used_bytes: 'GAUGE', process_cpu_seconds_total: 'COUNTER',
    };
    for (const [name, type] of Object.entries(types)) expect([name, before.family(name).type]).toEqual([name, type]);
    expect(before.value('reconflow_metrics_repository_up')).toBe(1);
    expect(before.value('reconflow_db_pool_max_connections')).toBeGreaterThanOrEqual(1);
    expect(before.value('reconflow_db_query_duration_seconds', { operation: 'select' })).toBeGreaterThan(0);
    expect(before.value('reconflow_incidents_open', { type: 'failedJob' })).toBe(0);
    expect(before.value('reconflow_tasks_open')).toBe(0);
    // Help and type lines precede every family (the parser found them), and no sample is NaN.
    expect(before.text).not.toMatch(/ NaN$/m);
  });

  let tasks: { _id: string }[];
  let version: string;

  it('step 3–4: the recon counts its rows by situation and outcome, and the approvals it started', async () => {
    const created = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: {
        userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin', mail: 'async.admin@example.com',
        authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }], _id: 'asyncadmin',
      },
    });
    expect(created.status).toBe(201);
    const r = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(r.status).toBe(200);
    await eventually(async () => (await t.call('GET', `/recon/${r.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS');
    tasks = (await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_fields=_id,processDefinitionId', { headers: ADMIN })).body.result;
    expect(tasks).toHaveLength(2);

    const s = await scrape(t);
    const rows = (situation: string, outcome = 'SUCCESS') => s.value('reconflow_recon_rows_total', { mapping: MAPPING, situation, outcome }) - before.value('reconflow_recon_rows_total', { mapping: MAPPING, situation, outcome });
    expect(rows('ABSENT')).toBe(2);
    expect(rows('UNASSIGNED')).toBe(1); // asyncadmin, no source row
    expect(rows('ABSENT', 'FAILURE')).toBe(0);
    expect(s.value('reconflow_recon_runs_total', { mapping: MAPPING, state: 'SUCCESS' })).toBe(1);
    expect(s.value('reconflow_recon_run_duration_seconds', { mapping: MAPPING, state: 'SUCCESS' })).toBe(1);
    expect(s.value('reconflow_recon_runs_running', { mapping: MAPPING })).toBe(0);
    expect(s.value('reconflow_recon_last_run_rows_per_second', { mapping: MAPPING })).toBeGreaterThan(0);

    const started = s.family('reconflow_process_instances_started_total').metrics.filter((m) => m.labels?.process_definition_key === 'managedUserApproval');
    expect(started).toHaveLength(1);
    expect(Number(started[0].value)).toBe(2);
    version = started[0].labels!.process_definition_version;
    expect(version).toMatch(/^\d+$/);
    const def = { process_definition_key: 'managedUserApproval', process_definition_version: version };
    expect(s.value('reconflow_tasks_open', { ...def, task_definition_key: 'evaluateRequest' })).toBe(2);
    expect(s.value('reconflow_tasks_open_oldest_age_seconds', { ...def, task_definition_key: 'evaluateRequest' })).toBeGreaterThanOrEqual(0);
    expect(s.value('reconflow_process_instances_active', { process_definition_key: 'managedUserApproval' })).toBe(2);
    expect(s.value('reconflow_process_instances_completed_total', def)).toBe(0);
    expect(s.value('reconflow_http_requests_total', { method: 'POST', route: '/openidm/recon', status_code: '200' })).toBe(1);
    expect(s.value('reconflow_http_requests_total', { method: 'GET', route: '/openidm/recon/:id', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(s.value('reconflow_http_requests_total', { method: 'POST', route: '/openidm/managed/user', status_code: '201' })).toBe(1);
  });

  it('steps 6–7: completions end both instances, the jobs run, the tasks read 0', async () => {
    for (const task of tasks) {
      const r = await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ASYNC_ADMIN, body: { requestApproved: 'true' } });
      expect(r.status).toBe(200);
    }
    await eventually(async () => (await t.call('GET', '/managed/user?_queryFilter=true&_fields=_id', { headers: ADMIN })).body.result.length === 3);
    // The job's transaction commits before its attempt is counted: wait for the count.
    const s = await eventually(async () => {
      const x = await scrape(t);
      return x.value('reconflow_job_attempts_total', { type: 'createUser', result: 'done' }) === 2 && x;
    });
    const def = { process_definition_key: 'managedUserApproval', process_definition_version: version };
    expect(s.value('reconflow_process_instances_completed_total', def)).toBe(2);
    expect(s.value('reconflow_process_instances_failed_total', def)).toBe(0);
    expect(s.value('reconflow_tasks_open', { ...def, task_definition_key: 'evaluateRequest' })).toBe(0);
    expect(s.family('reconflow_tasks_open_oldest_age_seconds').metrics).toEqual([]);
    expect(s.value('reconflow_process_instances_active', { process_definition_key: 'managedUserApproval' })).toBe(0);
    expect(s.value('reconflow_jobs', { type: 'createUser', state: 'done' })).toBe(2);
    expect(s.value('reconflow_jobs_ready', { type: 'createUser' })).toBe(0);
    expect(s.value('reconflow_job_failures_total', { type: 'createUser' })).toBe(0);
    expect(s.value('reconflow_jobs_dead_total', { type: 'createUser' })).toBe(0);
    expect(s.value('reconflow_job_attempt_duration_seconds', { type: 'createUser', result: 'done' })).toBe(2);
    expect(s.value('reconflow_incidents_open', { type: 'failedJob' })).toBe(0);
    expect(s.value('reconflow_http_requests_total', { method: 'POST', route: '/openidm/workflow/taskinstance/:id', status_code: '200' })).toBe(2);
    expect(s.value('reconflow_http_request_duration_seconds', { method: 'POST', route: '/openidm/workflow/taskinstance/:id', status_code: '200' })).toBe(2);
    // Route patterns only: no raw URL (a task id) is a label value.
    const routes = new Set(s.family('reconflow_http_requests_total').metrics.map((m) => m.labels!.route));
    for (const task of tasks) for (const r of routes) expect(r).not.toContain(`/${task._id}`);
    expect(s.value('reconflow_db_query_duration_seconds', { operation: 'insert' })).toBeGreaterThan(0);
    expect(s.value('reconflow_db_query_duration_seconds', { operation: 'update' })).toBeGreaterThan(0);
  });
});

describe('who may read metrics, and the switch', () => {
  let project: TestProject;
  let t: TestServer;
  const SCRAPER = { 'X-OpenIDM-Username': 'prometheus', 'X-OpenIDM-Password': 'Scrape-Secret-1' };

  beforeAll(async () => {
    project = makeProject();
    const file = path.join(project.dir, 'conf', 'authentication.json');
    const auth = JSON.parse(fs.readFileSync(file, 'utf8'));
    auth.internalUsers.push({ _id: 'prometheus', password: 'Scrape-Secret-1', authzRoles: [{ _ref: 'internal/role/openidm-prometheus' }] });
    fs.writeFileSync(file, JSON.stringify(auth));
    t = await startTestServer({ projectDir: project.dir });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('401 without credentials', async () => {
    const r = await fetch(t.base + METRICS);
    expect(r.status).toBe(401);
    expect(await r.text()).not.toContain('reconflow_');
  });

  it('403 for a signed-in user that is neither admin nor metrics reader', async () => {
    const created = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'plain', userName: 'plain', givenName: 'p', sn: 'p', mail: 'plain@example.com', password: 'Plain-Passw0rd' },
    });
    expect(created.status).toBe(201);
    const r = await t.call('GET', METRICS, { headers: { 'X-OpenIDM-Username': 'plain', 'X-OpenIDM-Password': 'Plain-Passw0rd' } });
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/openidm-prometheus/);
  });

  it('the openidm-prometheus account reads metrics, and nothing else', async () => {
    const s = await scrape(t, SCRAPER);
    expect(s.value('reconflow_metrics_repository_up')).toBe(1);
    for (const [method, p] of [['GET', '/info/login'], ['GET', '/managed/user?_queryFilter=true'], ['GET', '/workflow/taskinstance?_queryFilter=true'], ['GET', '/internal/user/prometheus'], ['POST', `/recon?_action=recon&mapping=${MAPPING}`]]) {
      const r = await t.call(method, p, { headers: SCRAPER });
      expect([p, r.status]).toEqual([p, 403]);
    }
    const roles = await t.call('GET', '/internal/role?_queryFilter=true', { headers: ADMIN });
    expect(JSON.stringify(roles.body)).toContain('openidm-prometheus');
  });

  it('keeps its own registry: the first server\'s recon is not counted here', async () => {
    const s = await scrape(t);
    expect(s.value('reconflow_recon_runs_total', { mapping: MAPPING, state: 'SUCCESS' })).toBe(0);
    // The refusals above were counted, by route (unmatched: refused before a route) and status.
    expect(s.value('reconflow_http_requests_total', { method: 'GET', route: '(unmatched)', status_code: '403' })).toBeGreaterThanOrEqual(3);
  });

  it('conf/metrics.json "enabled": false: nothing is counted, and the endpoint answers 404 saying why', async () => {
    const off = makeProject();
    fs.writeFileSync(path.join(off.dir, 'conf', 'metrics.json'), JSON.stringify({ enabled: false }));
    const s = await startTestServer({ projectDir: off.dir });
    try {
      expect(s.server.ctx.metrics).toBeNull();
      const r = await s.call('GET', METRICS, { headers: ADMIN });
      expect(r.status).toBe(404);
      expect(r.body.message).toMatch(/conf\/metrics\.json.*"enabled": false/);
      expect((await s.call('GET', METRICS)).status).toBe(401);
    } finally {
      await s.close();
      off.remove();
    }
  });

  it('refuses a bad conf/metrics.json naming the key', () => {
    expect(validateMetricsConfig(undefined)).toEqual({ enabled: true });
    expect(validateMetricsConfig({ enabled: false })).toEqual({ enabled: false });
    expect(() => validateMetricsConfig({ enabled: 'no' })).toThrow(new ConfigError('metrics.json', 'enabled must be true or false'));
    expect(() => validateMetricsConfig({ enable: true })).toThrow(/metrics\.json: enable is not a known key/);
  });
});
