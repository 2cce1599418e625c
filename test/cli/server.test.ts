// The server commands of the `reconflow` bin (recon, deploy, jobs, tasks) against a real server over
// a fresh repository (SQLite, or PostgreSQL with DATABASE_URL): the built bin in a child process,
// real HTTP, exit codes and output as a user sees them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as jobs from '../../src/jobs';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { BIN, cleanEnv, reconflow, ROOT } from './helpers';

jest.setTimeout(90_000);

const MAPPING = 'systemCsvfileAccounts_managedUser';

let t: TestServer;
let project: TestProject;
let tmp: string;
/** The server's root (http://127.0.0.1:PORT) and its REST base (…/openidm, what t.call uses). */
let root: string;
const as = (url: string, extra: Record<string, string> = {}) => ({ env: { RECONFLOW_URL: url, RECONFLOW_PASSWORD: 'openidm-admin', ...extra } });

beforeAll(async () => {
  project = makeProject();
  t = await startTestServer({ projectDir: project.dir });
  root = new URL(t.base).origin;
  expect(t.base).toBe(`${root}/openidm`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-cli-'));
});

afterAll(async () => {
  await t?.close();
  project?.remove();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A port nothing listens on (taken from the OS, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('reconflow recon', () => {
  it('--wait with --url the server root: follows the run in plain lines (no terminal) and exits 0 on SUCCESS', async () => {
    const run = await reconflow(['recon', MAPPING, '--wait', '--url', root], { env: { RECONFLOW_PASSWORD: 'openidm-admin' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = /^reconciliation (\S+) of systemCsvfileAccounts_managedUser started$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toMatch(new RegExp(`^reconciliation ${id} of ${MAPPING}: SUCCESS`, 'm'));
    expect(run.stdout).toMatch(/^ {2}situations: ABSENT 2$/m);
    // The server agrees.
    const view = await t.call('GET', `/recon/${id}`, { headers: ADMIN });
    expect(view.body).toMatchObject({ state: 'SUCCESS', situationSummary: { ABSENT: 2 } });
  });

  it.each([['/openidm'], ['/openidm/'], ['/']])('--url accepts the server root or its /openidm: %s', async (suffix) => {
    const run = await reconflow(['recon', MAPPING, '--wait'], as(root + suffix));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/: SUCCESS \(/);
  });

  it('--wait on a terminal draws a cli-progress bar, then the summary (a pseudo-terminal by util-linux script)', async () => {
    const cmd = [process.execPath, BIN, 'recon', MAPPING, '--wait', '--url', root].map((a) => `'${a}'`).join(' ');
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: cleanEnv({ RECONFLOW_PASSWORD: 'openidm-admin', COLUMNS: '120' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(run.code).toBe(0);
    // No plain "started" line on a terminal; the bar's cells and its line redraws instead.
    expect(run.out).not.toMatch(/started\r?\n/);
    expect(run.out).toMatch(/[█░]{24} (source|target) /);
    expect(run.out).toMatch(/reconciliation \S+ of systemCsvfileAccounts_managedUser: SUCCESS/);
  });

  it('npm run recon -- <mapping> is recon --wait through the bin, with RECONFLOW_URL as the root or /openidm', async () => {
    for (const url of [root, `${root}/openidm`]) {
      const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('npm', ['run', '--silent', 'recon', '--', MAPPING], { cwd: ROOT, env: cleanEnv({ RECONFLOW_URL: url }), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect({ url, code: run.code }).toEqual({ url, code: 0 });
      expect(run.out).toMatch(/reconciliation \S+ of systemCsvfileAccounts_managedUser: SUCCESS/);
    }
  });

  it('without --wait: prints the run id and exits 0; the run is on the server', async () => {
    const run = await reconflow(['recon', MAPPING], as(root));
    expect(run.code).toBe(0);
    const id = /^reconciliation (\S+) of \S+ started \((ACTIVE|SUCCESS)\)/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    await eventually(async () => (await t.call('GET', `/recon/${id}`, { headers: ADMIN })).body.state === 'SUCCESS', 15_000, 'the run to end');
  });

  it('a run that ends FAILED exits 1 with the summary and the reason (an empty source is refused)', async () => {
    const csv = path.join(project.dir, 'data', 'csvConnectorData.csv');
    const before = fs.readFileSync(csv);
    try {
      project.writeCsv([]);
      const run = await reconflow(['recon', MAPPING, '--wait'], as(root));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/: FAILED \(/);
      expect(run.stderr).toMatch(/^reconflow: reconciliation \S+ ended FAILED: /);
    } finally {
      fs.writeFileSync(csv, before);
    }
  });

  it('an unknown mapping is the server\'s refusal: exit 1 with its message', async () => {
    const run = await reconflow(['recon', 'noSuchMapping', '--wait'], as(root));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reconflow: POST http:\/\/127\.0\.0\.1:\d+\/openidm\/recon: 4\d\d .*noSuchMapping/);
  });

  it('a wrong password exits 3 and never prints the password', async () => {
    const secret = 'Wr0ng-Secret-4711';
    const run = await reconflow(['recon', MAPPING, '--wait', '--password', secret], as(root));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/401/);
    expect(run.stdout + run.stderr).not.toContain(secret);
    const env = await reconflow(['jobs'], as(root, { RECONFLOW_PASSWORD: secret }));
    expect(env.code).toBe(3);
    expect(env.stdout + env.stderr).not.toContain(secret);
  });

  it('a user who is no administrator: recon and jobs are refused with 403, exit 3; tasks answers (none of theirs)', async () => {
    const created = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { _id: 'cliplain', userName: 'cli.plain', givenName: 'cli', sn: 'plain', mail: 'cli.plain@example.com', password: 'Plain-Passw0rd' },
    });
    expect(created.status).toBe(201);
    const plain = as(root, { RECONFLOW_USER: 'cli.plain', RECONFLOW_PASSWORD: 'Plain-Passw0rd' });
    for (const args of [['recon', MAPPING], ['jobs']]) {
      const run = await reconflow(args, plain);
      expect({ args, code: run.code }).toEqual({ args, code: 3 });
      expect(run.stderr).toMatch(/: 403 /);
    }
    const tasks = await reconflow(['tasks'], plain);
    expect({ code: tasks.code, stdout: tasks.stdout }).toEqual({ code: 0, stdout: 'no open tasks\n' });
  });

  it('a server that is not there exits 3', async () => {
    const run = await reconflow(['recon', MAPPING], as(`http://127.0.0.1:${await closedPort()}`));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^reconflow: cannot reach http:\/\/127\.0\.0\.1:\d+\/openidm: ECONNREFUSED/);
  });

  it('a --url that is no http URL is a usage error (exit 2)', async () => {
    for (const url of ['ftp://h/openidm', 'not a url', 'http://user:pw@h:8080']) {
      const run = await reconflow(['recon', MAPPING], as(url));
      expect({ url, code: run.code }).toEqual({ url, code: 2 });
    }
  });
});

describe('reconflow tasks', () => {
  it('prints the open tasks as a table; --assignee filters; --json is the REST view', async () => {
    // The recon tests above started one approval per ABSENT account (asked again per run: one open task each).
    const all = await reconflow(['tasks'], as(`${root}/openidm`));
    expect(all.code).toBe(0);
    const [header, ...rows] = all.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+ASSIGNEE\s+INSTANCE\s+DEFINITION\s+CREATED$/);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatch(/^\d+\s+Evaluate request\s+async\.admin\s+\d+\s+managedUserApproval:\d+:\d+\s+\d{4}-/);
    const mine = await reconflow(['tasks', '--assignee', 'async.admin', '--json'], as(root));
    expect(mine.code).toBe(0);
    const listed = JSON.parse(mine.stdout) as { _id: string; assignee: string }[];
    const rest = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(listed.map((x) => x._id).sort()).toEqual(rest.body.result.filter((x: any) => x.assignee === 'async.admin').map((x: any) => x._id).sort());
    expect(listed.length).toBe(rows.length);
    const none = await reconflow(['tasks', '--assignee', 'nobody "quoted"'], as(root));
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 0, stdout: 'no open tasks assigned to nobody "quoted"\n' });
  });
});

describe('reconflow deploy', () => {
  const file = () => path.join(tmp, 'cliDeployed.bpmn');

  beforeAll(() => {
    const xml = fs.readFileSync(path.join(ROOT, 'processes/managedUserApproval.bpmn'), 'utf8');
    fs.writeFileSync(file(), xml.replace(/id="managedUserApproval"/g, 'id="cliDeployed"'));
  });

  it('deploys a file as a new version (exit 0); the same bytes again are the same version', async () => {
    const first = await reconflow(['deploy', file()], as(root));
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^deployed cliDeployed version 1 \(cliDeployed:1:\d+\) from /);
    const again = await reconflow(['deploy', file()], as(`${root}/openidm`));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^unchanged: .* is already cliDeployed version 1 /);
    const defs = await t.call('GET', '/workflow/processdefinition?_queryFilter=key eq "cliDeployed"', { headers: ADMIN });
    expect(defs.body.result.map((d: any) => d.version)).toEqual([1]);
  });

  it('a file the engine cannot run is refused: exit 1 naming the element', async () => {
    const bad = path.join(tmp, 'bad.bpmn');
    const xml = fs.readFileSync(file(), 'utf8').replace(/id="cliDeployed"/g, 'id="cliBad"');
    fs.writeFileSync(bad, xml.replace('<bpmn:endEvent id="rejected"', '<bpmn:complexGateway id="complexOne" /><bpmn:endEvent id="rejected"'));
    const run = await reconflow(['deploy', bad], as(root));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reconflow: POST .*\/openidm\/workflow\/processdefinition: 400 .*complexOne/);
  });

  it('a missing file is a usage error (exit 2)', async () => {
    const run = await reconflow(['deploy', path.join(tmp, 'none.bpmn')], as(root));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read .*none\.bpmn: ENOENT/);
  });
});

describe('reconflow jobs', () => {
  it('lists dead jobs with --dead, retries one with --retry; a job that is not dead cannot be retried (exit 1)', async () => {
    // A createUser job of an instance that asked for no approval: dead at its first attempt.
    await jobs.enqueue(t.db.knex, { key: 'createUser:987654', type: 'createUser', payload: {}, maxAttempts: 1 });
    const job = await eventually(async () => {
      const j = await t.db.knex('job').where({ key: 'createUser:987654' }).first();
      return j?.state === 'dead' ? j : undefined;
    });
    const dead = await reconflow(['jobs', '--dead'], as(root));
    expect(dead.code).toBe(0);
    const [header, ...rows] = dead.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+TYPE\s+STATE\s+ATTEMPTS\s+RUN AT\s+LAST ERROR$/);
    expect(rows).toEqual([expect.stringMatching(new RegExp(`^${job.id}\\s+createUser\\s+dead\\s+1/1\\s+\\S+\\s+Process instance 987654 has no approval request`))]);
    const json = await reconflow(['jobs', '--dead', '--json'], as(root));
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ _id: String(job.id), state: 'dead' })]);

    const retried = await reconflow(['jobs', '--retry', String(job.id)], as(root));
    expect({ code: retried.code, stdout: retried.stdout }).toEqual({ code: 0, stdout: `job ${job.id} (createUser) is queued again: the worker will run it\n` });
    // It dies again (the same cause); the retry itself was real: its attempts started over.
    await eventually(async () => (await t.db.knex('job').where({ id: job.id }).first())?.state === 'dead');
    await jobs.enqueue(t.db.knex, { key: 'cli:later', type: 'createUser', payload: {}, runAt: Date.now() + 3_600_000 });
    const later = await t.db.knex('job').where({ key: 'cli:later' }).first();
    const refused = await reconflow(['jobs', '--retry', String(later.id)], as(root));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409 Job \d+ is queued; only dead jobs can be retried/);
    const missing = await reconflow(['jobs', '--retry', '99999999'], as(root));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 Job 99999999 not found/);
    // Without --dead: jobs not done, the queued one among them.
    const open = await reconflow(['jobs'], as(root));
    expect(open.stdout).toMatch(new RegExp(`^${later.id}\\s+createUser\\s+queued\\s+0/8`, 'm'));
    expect((await reconflow(['jobs', '--retry', 'x'], as(root))).code).toBe(2);
  });
});
