// Recon safety: an empty or shrunken source never deletes the linked users without an explicit
// yes (allowEmptySourceSet, deletionThreshold, confirmDeletions), a source that changes under a run
// fails it, and storage or source failures answer 503 with the reason.
import fs from 'node:fs';
import path from 'node:path';
import { validateSyncConfig } from '../../src/recon/mapping';
import { deletionLimit } from '../../src/recon/deletionGuard';
import { createLogger, MAX_LINE } from '../../src/log';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';

const MAPPING = 'systemCsvfileAccounts_managedUser';
/** PostgreSQL has no per-connection size cap to fill; its disk_full (53100) maps the same way. */
const ON_PG = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');
const ON_SQLITE = !ON_PG && !/^(mysql|mariadb):\/\//.test(process.env.DATABASE_URL ?? '');
const DESTRUCTIVE = [
  { situation: 'CONFIRMED', action: 'UPDATE' }, { situation: 'FOUND', action: 'LINK' }, { situation: 'ABSENT', action: 'CREATE' },
  { situation: 'SOURCE_MISSING', action: 'DELETE' },
];

async function recon(t: TestServer, query = '') {
  return runRecon(t, MAPPING, query);
}
const userIds = async (t: TestServer) => (await t.db.knex('managed_user').select('id').orderBy('id')).map((r: { id: string }) => r.id);

function destructiveProject(extra: Record<string, unknown> = {}): TestProject {
  const project = makeProject();
  project.editSync((sync) => {
    Object.assign(sync.mappings[0], { policies: DESTRUCTIVE, ...extra });
  });
  return project;
}

describe('an empty source set', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = destructiveProject();
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('fails before the target phase unless the mapping sets allowEmptySourceSet: both users stay', async () => {
    project.writeCsv([csvRow('bjensen'), csvRow('scarter')]);
    const first = await recon(t);
    expect(first.state).toBe('SUCCESS');
    expect(await userIds(t)).toEqual(['bjensen', 'scarter']);

    project.writeCsv([]); // header only
    const empty = await recon(t);
    expect(empty.state).toBe('FAILED');
    expect(empty.stage).toBe('COMPLETED_FAILED');
    expect(empty.message).toMatch(/allowEmptySourceSet/);
    expect(empty.message).toMatch(/no objects/);
    expect(empty.situationSummary.SOURCE_MISSING).toBe(0);
    expect(await userIds(t)).toEqual(['bjensen', 'scarter']);
    expect(await t.db.knex('link').count({ n: '*' }).then((r) => Number(r[0].n))).toBe(2);
  });

  it('a source of bad rows only is empty too', async () => {
    project.writeCsv(['"too", "few"']);
    const run = await recon(t);
    expect(run.state).toBe('FAILED');
    expect(run.message).toMatch(/allowEmptySourceSet/);
    expect(await userIds(t)).toEqual(['bjensen', 'scarter']);
  });
});

describe('allowEmptySourceSet: true', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = destructiveProject({ allowEmptySourceSet: true });
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('lets an empty source delete, within the default threshold', async () => {
    project.writeCsv([csvRow('bjensen'), csvRow('scarter')]);
    expect((await recon(t)).state).toBe('SUCCESS');
    project.writeCsv([]);
    const run = await recon(t);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.SOURCE_MISSING).toBe(2);
    expect(await userIds(t)).toEqual([]);
  });
});

describe('deletionThreshold', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = destructiveProject({ deletionThreshold: { percent: 10, minimum: 1 } });
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('stops a run before it deletes more than the threshold; confirmDeletions=<count> lets it', async () => {
    project.writeCsv([csvRow('a1'), csvRow('b1'), csvRow('c1')]);
    expect((await recon(t)).state).toBe('SUCCESS');
    project.writeCsv([csvRow('a1')]);
    const stopped = await recon(t);
    expect(stopped.state).toBe('FAILED');
    expect(stopped.message).toMatch(/would delete or unlink 2 target/);
    expect(stopped.message).toMatch(/deletionThreshold/);
    expect(stopped.message).toMatch(/confirmDeletions=2/);
    expect(stopped.situationSummary.SOURCE_MISSING).toBe(0);
    expect(await userIds(t)).toEqual(['a1', 'b1', 'c1']);

    // Confirming fewer than it would remove is not enough.
    const short = await recon(t, '&confirmDeletions=1');
    expect(short.state).toBe('FAILED');
    expect(await userIds(t)).toEqual(['a1', 'b1', 'c1']);

    const confirmed = await recon(t, '&confirmDeletions=2');
    expect(confirmed.state).toBe('SUCCESS');
    expect(confirmed.parameters.confirmDeletions).toBe(2);
    expect(confirmed.situationSummary.SOURCE_MISSING).toBe(2);
    expect(await userIds(t)).toEqual(['a1']);
  });

  it('refuses a confirmDeletions that is not a count', async () => {
    const r = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}&confirmDeletions=lots`, { headers: ADMIN });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/confirmDeletions/);
  });

  it('validates the conf keys, naming them', () => {
    const base = { name: 'm', source: 's', target: 't', correlation: { targetField: 'a', sourceField: 'b' } };
    expect(() => validateSyncConfig({ mappings: [{ ...base, allowEmptySourceSet: 'yes' }] })).toThrow(/mappings\[0\]\.allowEmptySourceSet must be true or false/);
    expect(() => validateSyncConfig({ mappings: [{ ...base, deletionThreshold: { percent: 150 } }] })).toThrow(/mappings\[0\]\.deletionThreshold\.percent/);
    expect(() => validateSyncConfig({ mappings: [{ ...base, deletionThreshold: { minimum: -1 } }] })).toThrow(/mappings\[0\]\.deletionThreshold\.minimum/);
    expect(() => validateSyncConfig({ mappings: [{ ...base, deletionThreshold: { percent: 10, extra: 1 } }] })).toThrow(/deletionThreshold\.extra/);
    expect(deletionLimit({ percent: 10, minimum: 100 }, 5_000)).toBe(500);
    expect(deletionLimit({ percent: 10, minimum: 100 }, 50)).toBe(100);
  });
});

describe('deletionThreshold in the source phase (UNQUALIFIED → DELETE)', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = destructiveProject({
      deletionThreshold: { percent: 0, minimum: 1 },
      validSource: { type: 'text/javascript', source: "source.description !== 'invalid'" },
      policies: [...DESTRUCTIVE, { situation: 'UNQUALIFIED', action: 'DELETE' }],
    });
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('stops before the batch that would delete more than the threshold', async () => {
    project.writeCsv([csvRow('u1'), csvRow('u2'), csvRow('u3')]);
    expect((await recon(t)).state).toBe('SUCCESS');
    project.writeCsv([csvRow('u1'), csvRow('u2', { description: 'invalid' }), csvRow('u3', { description: 'invalid' })]);
    const stopped = await recon(t);
    expect(stopped.state).toBe('FAILED');
    expect(stopped.message).toMatch(/would delete or unlink at least 2 target\(s\) \(UNQUALIFIED → DELETE: 2\)/);
    expect(await userIds(t)).toEqual(['u1', 'u2', 'u3']);
    const confirmed = await recon(t, '&confirmDeletions=2');
    expect(confirmed.state).toBe('SUCCESS');
    expect(await userIds(t)).toEqual(['u1']);
  });
});

describe('a source that changes under a recon', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    project.editSync((sync) => {
      sync.mappings[0].policies = [{ situation: 'ABSENT', action: 'CREATE' }];
    });
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it("a node whose clock runs 30 s ahead does not fail another node's live run: heartbeats are database time", async () => {
    project.writeCsv(Array.from({ length: 8_000 }, (_, i) => csvRow(`skew${i}`)));
    const start = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    await eventually(async () => (await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN })).body.progress.source.existing.processed > 0, 60_000, 'the run to be under way');
    const realNow = Date.now.bind(Date);
    const spy = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 30_000);
    let swept: number;
    try {
      swept = await t.services.reconciler.sweepAbandoned(null); // what another node's sweeper runs every 5 s
    } finally {
      spy.mockRestore();
    }
    expect(swept).toBe(0);
    const done = await eventually(async () => {
      const r = await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN });
      return r.body.state !== 'ACTIVE' && r.body;
    }, 60_000, 'the run to end');
    expect(done.state).toBe('SUCCESS');
    // A heartbeat that really is silent is still swept (by the database's clock).
    await t.db.knex('recon_run').where({ id: start.body._id }).update({ state: 'ACTIVE', heartbeat: 1 });
    await t.services.reconciler.sweepAbandoned(null); // (or the server's own sweeper got there first)
    expect((await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN })).body.state).toBe('FAILED');
  }, 120_000);

  it('a CSV truncated mid-run ends the run FAILED, not SUCCESS on a partial read', async () => {
    const n = 30_000;
    project.writeCsv(Array.from({ length: n }, (_, i) => csvRow(`cut${i}`)));
    const file = path.join(project.dir, 'data', 'csvConnectorData.csv');
    const size = fs.statSync(file).size;
    const start = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(start.status).toBe(200);
    await eventually(async () => {
      const r = await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN });
      expect(r.body.state).toBe('ACTIVE'); // still reading when the file is cut
      return r.body.progress.source.existing.processed > 0;
    }, 60_000, 'the run to be under way');
    fs.truncateSync(file, Math.floor(size / 3));
    const done = await eventually(async () => {
      const r = await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN });
      return r.body.state !== 'ACTIVE' && r.body;
    }, 60_000, 'the run to end');
    expect(done.state).toBe('FAILED');
    expect(done.message).toMatch(/changed while it was being read/);
    expect(done.message).toMatch(/csvConnectorData\.csv/);
    expect(done.progress.source.existing.processed).toBeLessThan(n);
  }, 120_000);
});

describe('storage and source failures', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('a missing source file answers 503 with the reason on connector reads', async () => {
    fs.rmSync(path.join(project.dir, 'data', 'csvConnectorData.csv'));
    const one = await t.call('GET', '/system/csvfile/account/bjensen', { headers: ADMIN });
    expect(one.status).toBe(503);
    expect(one.body).toMatchObject({ code: 503, reason: 'Service Unavailable' });
    expect(one.body.message).toMatch(/csvConnectorData\.csv/);
    expect(one.body.message).toMatch(/no such file/i);
    const all = await t.call('GET', '/system/csvfile/account?_queryFilter=true', { headers: ADMIN });
    expect(all.status).toBe(503);
    expect(all.body.message).toMatch(/csvConnectorData\.csv/);
  });

  it('a log line is bounded and carries the statement shape and code, not the row values', async () => {
    const k = t.server.ctx.db.knex;
    const rows = Array.from({ length: 400 }, (_, i) => ({ id: `dup${i % 200}`, rev: '1', obj: JSON.stringify({ mail: `person${i}@example.com`, givenName: `Given${i}`, password: 'S3cret!pass' }) }));
    const err = await k('managed_user').insert(rows).then(() => null, (e: unknown) => e);
    // (better-sqlite3's SqliteError comes from outside jest's realm: instanceof Error is false here)
    expect(typeof (err as Error | null)?.message).toBe('string');
    const lines: string[] = [];
    createLogger({ format: 'json', destination: { write: (l: string) => void lines.push(l) } }).error('POST /openidm/managed/user failed', err);
    const mine = lines.filter((l) => l.includes('POST /openidm/managed/user failed'));
    expect(mine).toHaveLength(1);
    lines.splice(0, lines.length, ...mine);
    expect(lines[0].length).toBeLessThanOrEqual(MAX_LINE);
    // A JSON line: the error is its err field (JSON escapes the statement's quotes).
    const { err: logged } = JSON.parse(lines[0]) as { err: string };
    expect(logged).toMatch(/insert into [`"]?managed_user/);
    expect(logged).toMatch(/23505|SQLITE_CONSTRAINT|ER_DUP_ENTRY/);
    expect(lines[0]).not.toMatch(/example\.com|Given1|S3cret|dup0/);
  });

  (ON_SQLITE ? it : it.skip)('a full SQLite database answers 503 with a clear message (SQLITE_FULL)', async () => {
    const k = t.server.ctx.db.knex;
    const [{ page_count }] = await k.raw('PRAGMA page_count');
    await k.raw(`PRAGMA max_page_count = ${Number(page_count)}`);
    try {
      const body = { _id: 'full1', userName: 'full1', sn: 'X', givenName: 'Y', mail: 'full1@example.com', description: 'x'.repeat(20_000) };
      const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body });
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: 503, reason: 'Service Unavailable' });
      expect(r.body.message).toMatch(/full/i);
      expect(r.body.message).not.toMatch(/example\.com/);
    } finally {
      await k.raw('PRAGMA max_page_count = 1073741823');
    }
  });
});
