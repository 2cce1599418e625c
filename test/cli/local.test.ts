// The `reconflow` bin's help, usage errors and local commands (config, lint, migrate, start): the
// built bin in a child process, as a user runs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createTestDb, TestDb } from '../helpers/db';
import { makeProject, TestProject } from '../helpers/project';
import { BIN, cleanEnv, reconflow, ROOT } from './helpers';

jest.setTimeout(90_000);

const COMMANDS = ['start', 'migrate', 'recon', 'deploy', 'lint', 'jobs', 'tasks', 'config', 'config get', 'config validate'];

describe('reconflow --help', () => {
  it('lists every subcommand and documents the exit codes and server options', async () => {
    const run = await reconflow(['--help']);
    expect(run.code).toBe(0);
    for (const c of ['start', 'migrate', 'recon', 'deploy', 'lint', 'jobs', 'tasks', 'config']) expect(run.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n[\s\S]* {2}2 .*usage error[\s\S]*\n {2}3 .*server unreachable/);
    expect(run.stdout).toMatch(/RECONFLOW_URL/);
  });

  it.each(COMMANDS.map((c) => [c]))('reconflow %s --help', async (c) => {
    const run = await reconflow([...c.split(' '), '--help']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^Usage: reconflow ${c} `));
  });

  it('server commands show --url, --user, --password with their environment variables, never a password value', async () => {
    for (const c of ['recon', 'deploy', 'jobs', 'tasks']) {
      const run = await reconflow([c, '--help'], { env: { RECONFLOW_PASSWORD: 'Env-Secret-99' } });
      expect(run.stdout).toMatch(/--url <url>[\s\S]*env:\s+RECONFLOW_URL/);
      expect(run.stdout).toMatch(/env:\s+RECONFLOW_USER/);
      expect(run.stdout).toMatch(/env:\s+RECONFLOW_PASSWORD/);
      expect(run.stdout).not.toContain('Env-Secret-99');
    }
  });

  it('a reader that closes the pipe early (reconflow --help | head -1) is no error: exit 0, no EPIPE stack', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('--version prints the package version', async () => {
    const run = await reconflow(['--version']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n` });
  });
});

describe('usage errors exit 2', () => {
  it('no command (reconflow, reconflow config) prints the help on stderr and exits 2; `reconflow help recon` exits 0', async () => {
    for (const args of [[], ['config']]) {
      const run = await reconflow(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^Usage: reconflow /);
    }
    const help = await reconflow(['help', 'recon']);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: reconflow recon /);
  });

  it.each([
    [['nonsense'], /unknown command 'nonsense'/],
    [['recon'], /missing required argument 'mapping'/],
    [['recon', 'm', '--no-such-option'], /unknown option '--no-such-option'/],
    [['deploy'], /missing required argument 'file'/],
    [['jobs', '--retry'], /option '--retry <id>' argument missing/],
    [['tasks', '--assignee', 'a', '--unassigned'], /exclude each other/],
    [['config', 'frobnicate'], /unknown command 'frobnicate'/],
    [['recon', 'm', '--confirm-deletions', 'many'], /--confirm-deletions must be a count/],
    [['lint', 'no/such/file.bpmn'], /no such file or folder: no\/such\/file\.bpmn/],
  ])('reconflow %p', async (args, message) => {
    const run = await reconflow(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
  });
});

describe('reconflow config', () => {
  let project: TestProject;
  beforeEach(() => (project = makeProject()));
  afterEach(() => project.remove());

  it('validate: a good project is valid (exit 0)', async () => {
    const run = await reconflow(['config', 'validate', '-p', project.dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${path.join(project.dir, 'conf')}: 6 file(s) valid (authentication.json, managed.json, metrics.json, provisioner.openicf-csvfile.json, sync.json, workflow.json)\n`);
  });

  it.each([
    ['sync.json', (j: any) => (j.mappings[0].source = 42), /sync\.json: .*mappings\[0\]\.source/],
    ['authentication.json', (j: any) => delete j.internalUsers[0].password, /authentication\.json: internalUsers\[0\]\.password is required/],
    ['workflow.json', (j: any) => (j.escalationDuration = 'soon'), /workflow\.json: escalationDuration /],
    ['provisioner.openicf-csvfile.json', (j: any) => delete j.configurationProperties.csvFile, /provisioner\.openicf-csvfile\.json: .*configurationProperties\.csvFile is required/],
  ])('validate: a broken %s exits 1 naming the file and the key', async (file, edit, message) => {
    const full = path.join(project.dir, 'conf', file);
    const json = JSON.parse(fs.readFileSync(full, 'utf8'));
    edit(json);
    fs.writeFileSync(full, JSON.stringify(json));
    const run = await reconflow(['config', 'validate'], { env: { PROJECT_DIR: project.dir } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reconflow: invalid configuration: /);
    expect(run.stderr).toContain(full);
    expect(run.stderr).toMatch(message);
  });

  it('validate compiles the mappings as start-up does: a transform that is no JavaScript exits 1 naming sync.json and the property', async () => {
    project.editSync((sync) => {
      sync.mappings[0].properties[0].transform = { type: 'text/javascript', source: 'source.split(' };
    });
    const run = await reconflow(['config', 'validate', '-p', project.dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/invalid configuration: .*conf\/sync\.json: script systemCsvfileAccounts_managedUser\.properties\[0\]\(\S+\)\.transform failed: /);
  });

  it('validate: a file that is not JSON exits 1 naming it', async () => {
    fs.writeFileSync(path.join(project.dir, 'conf', 'managed.json'), '{"objects": [');
    const run = await reconflow(['config', 'validate', '-p', project.dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`invalid configuration: ${path.join(project.dir, 'conf', 'managed.json').replace(/[.]/g, '\\.')}: not valid JSON`));
  });

  it('validate agrees with start-up: what it refuses, `reconflow start` refuses too', async () => {
    const full = path.join(project.dir, 'conf', 'authentication.json');
    const json = JSON.parse(fs.readFileSync(full, 'utf8'));
    delete json.internalUsers[0].password;
    fs.writeFileSync(full, JSON.stringify(json));
    const run = await reconflow(['start', '-p', project.dir], { env: { PORT: '0', DATABASE_URL: path.join(project.dir, 'x.sqlite') } });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/internalUsers\[0\]\.password is required/);
  });

  it('get: lists the files, prints one (passwords hidden) or one key of it', async () => {
    const list = await reconflow(['config', 'get', '-p', project.dir]);
    expect(list.stdout).toBe('authentication.json\nmanaged.json\nmetrics.json\nprovisioner.openicf-csvfile.json\nsync.json\nworkflow.json\n');
    const auth = await reconflow(['config', 'get', 'authentication', '-p', project.dir]);
    expect(auth.code).toBe(0);
    const shown = JSON.parse(auth.stdout);
    expect(shown.internalUsers[0]).toMatchObject({ _id: 'openidm-admin', password: '(hidden)' });
    expect(auth.stdout).not.toContain('"openidm-admin"\n      "password": "openidm-admin"');
    expect(JSON.stringify(shown)).not.toMatch(/"password":"(?!\(hidden\))/);
    const key = await reconflow(['config', 'get', 'conf/sync.json', 'mappings[0].name', '-p', project.dir]);
    expect({ code: key.code, stdout: key.stdout }).toEqual({ code: 0, stdout: 'systemCsvfileAccounts_managedUser\n' });
    const nested = await reconflow(['config', 'get', 'authentication.json', 'loginRateLimit', '-p', project.dir]);
    expect(JSON.parse(nested.stdout)).toEqual(JSON.parse(fs.readFileSync(path.join(project.dir, 'conf/authentication.json'), 'utf8')).loginRateLimit);
    const noKey = await reconflow(['config', 'get', 'sync', 'mappings[7].name', '-p', project.dir]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/conf\/sync\.json: no key mappings\[7\]\.name/);
    const noFile = await reconflow(['config', 'get', 'nope', '-p', project.dir]);
    expect(noFile.code).toBe(2);
  });
});

describe('reconflow lint', () => {
  it("without files lints the project's processes folder: clean, exit 0", async () => {
    const run = await reconflow(['lint']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${fs.readdirSync(path.join(ROOT, 'processes')).filter((f) => f.endsWith('.bpmn') || f.endsWith('.bpmn20.xml')).length} file(s) lint-clean\n` });
  });

  it('reports what npm run lint:bpmn reports (the same code), exit 1', async () => {
    const run = await reconflow(['lint', 'test/fixtures/lint/unlabeled-task.bpmn', 'docs/examples']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('test/fixtures/lint/unlabeled-task.bpmn: unnamedReview: error label-required: Element is missing label/name (name)\n\n1 problem(s) in 1 of 2 file(s)\n');
    const json = await reconflow(['lint', '--json', 'test/fixtures/lint/unlabeled-task.bpmn']);
    expect(JSON.parse(json.stdout)).toEqual([
      { file: 'test/fixtures/lint/unlabeled-task.bpmn', rule: 'label-required', elementId: 'unnamedReview', category: 'error', message: 'Element is missing label/name (name)' },
    ]);
  });
});

describe('reconflow migrate and start', () => {
  let db: TestDb;
  let project: TestProject;
  beforeAll(async () => {
    db = await createTestDb();
    project = makeProject();
  });
  afterAll(async () => {
    await db?.destroy();
    project?.remove();
  });

  it('migrate brings the repository up to date (exit 0)', async () => {
    const run = await reconflow(['migrate', '-p', project.dir], { env: db.env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/: up to date \(\d+ migrations applied\)\n$/);
  });

  it('start -p DIR serves the project until SIGTERM, then exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '-p', project.dir], { cwd: os.tmpdir(), env: cleanEnv({ ...db.env, PORT: '0', HOST: '127.0.0.1', WORKERS: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "ready" within 20 s: ${out}`)), 20_000);
        const look = () => {
          const m = /ready on port (\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', look);
        child.stderr.on('data', look);
      });
      expect(out).toContain(project.dir);
      const ping = await fetch(`http://127.0.0.1:${port}/openidm/info/ping`, { headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' } });
      expect(ping.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
