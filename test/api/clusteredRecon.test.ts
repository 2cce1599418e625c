// Clustered reconciliation (clusteredSourceReconEnabled, src/recon/clustered.ts): a run split into
// source pages that are jobs must leave exactly what one streamed run leaves. The same data goes
// through a plain run and a clustered one (each on its own repository) and everything is compared:
// the run's summary, every audit entry, the approvals, the links and the users. Then: two servers
// on one PostgreSQL both claim pages and the result is still exactly once; a cancel stops the pages
// not yet run; the deletion threshold holds across pages.
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { runRecon } from '../helpers/recon';

jest.setTimeout(240_000);

const MAPPING = 'systemCsvfileAccounts_managedUser';
const isPg = /^postgres(ql)?:/.test(process.env.DATABASE_URL ?? '');

const POLICIES = [
  { situation: 'CONFIRMED', action: 'UPDATE' }, { situation: 'FOUND', action: 'LINK' },
  { situation: 'ABSENT', action: { workflowName: 'managedUserApproval', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js' } },
  { situation: 'AMBIGUOUS', action: 'EXCEPTION' }, { situation: 'MISSING', action: 'EXCEPTION' }, { situation: 'SOURCE_MISSING', action: 'REPORT' },
  { situation: 'UNQUALIFIED', action: 'REPORT' }, { situation: 'UNASSIGNED', action: 'REPORT' }, { situation: 'SOURCE_IGNORED', action: 'IGNORE' },
];

const uid = (n: number) => `u${String(n).padStart(4, '0')}`;

/** 2,500 rows: good ones, duplicate ids on the same page and on a later page, broken rows, invalid ones. */
function rows(count = 2500, skip: (n: number) => boolean = () => false): string[] {
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    if (skip(n)) continue;
    if (n === 1500) out.push('"broken", "row"'); // 2 fields of 8
    else if (n === 1000) out.push(csvRow(uid(5), { firstname: 'dup-later-page' })); // u0005 is on page 0
    else if (n === 12) out.push(csvRow(uid(11), { firstname: 'dup-same-page' }));
    else if (n % 97 === 0) out.push(csvRow(uid(n), { description: 'invalid' })); // validSource false
    else out.push(csvRow(uid(n), n % 50 === 1 ? { firstname: `changed-${n}` } : {}));
  }
  return out;
}

interface Side {
  project: TestProject;
  db: TestDb;
  t: TestServer;
}

async function side(clustered: boolean, workers = true): Promise<Side> {
  const project = makeProject();
  project.editSync((sync) => {
    const m = sync.mappings[0];
    m.policies = POLICIES;
    m.validSource = { type: 'text/javascript', source: "source.description !== 'invalid'" };
    m.deletionThreshold = { percent: 100, minimum: 100000 };
    if (clustered) {
      m.clusteredSourceReconEnabled = true;
      m.reconSourceQueryPageSize = 300;
    }
  });
  project.writeCsv(rows());
  const db = await createTestDb();
  const t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers });
  return { project, db, t };
}

async function close(s: Side | undefined): Promise<void> {
  if (!s) return;
  await s.t.close();
  await s.db.destroy();
  s.project.remove();
}

/** Users the run meets: FOUND (same userName, unlinked) and UNASSIGNED (no row at all). */
async function seedUsers(t: TestServer): Promise<void> {
  const create = (body: Record<string, unknown>) => t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body });
  for (let n = 100; n < 2500; n += 40) {
    const r = await create({ _id: `pre-${uid(n)}`, userName: uid(n), sn: 'Pre', mail: `pre-${uid(n)}@example.com` });
    expect(r.status).toBe(201);
  }
  for (let n = 0; n < 30; n++) expect((await create({ _id: `orphan-${n}`, userName: `orphan-${n}`, sn: 'Orphan', mail: `orphan-${n}@example.com` })).status).toBe(201);
}

/** Everything a run leaves, with instance ids (which differ between repositories) taken out. */
async function outcome(s: Side, reconId: string) {
  const k = s.db.knex;
  const run = (await s.t.call('GET', `/recon/${reconId}`, { headers: ADMIN })).body;
  const audit = (await k('recon_audit').where({ recon_id: reconId }).select('*')).map((e: any) =>
    [e.source_object_id, e.target_object_id, e.situation, e.action, e.status, String(e.message ?? '').replace(/instance \d+/g, 'instance N'), e.link_qualifier].join('|'),
  ).sort();
  const approvals = (await k('approval_request').select('source_id', 'situation', 'source_hash', 'outcome')).map((r: any) => `${r.source_id}|${r.situation}|${r.source_hash}|${r.outcome}`).sort();
  const open = Number((await k('process_instance').where({ status: 'active' }).count({ n: '*' }))[0].n);
  const links = (await k('link').select('first_id', 'second_id')).map((l: any) => `${l.first_id}>${l.second_id}`).sort();
  const users = (await k('managed_user').select('id')).map((u: any) => u.id).sort();
  return {
    state: run.state, stage: run.stage, progress: run.progress, situationSummary: run.situationSummary, statusSummary: run.statusSummary,
    audit, approvals, open, links, users,
  };
}

describe('clustered reconciliation: the same outcome as one streamed run', () => {
  let plain: Side;
  let clustered: Side;
  beforeAll(async () => {
    plain = await side(false);
    clustered = await side(true);
    await seedUsers(plain.t);
    await seedUsers(clustered.t);
  });
  afterAll(async () => {
    await close(plain);
    await close(clustered);
  });

  it('2,500 rows in pages of 300 give the same situations, audit, approvals, links and summary as a plain run (twice, the second with rows gone and changed)', async () => {
    const a = await runRecon(plain.t, MAPPING);
    const b = await runRecon(clustered.t, MAPPING);
    expect(a.state).toBe('SUCCESS');
    const [oa, ob] = [await outcome(plain, a._id), await outcome(clustered, b._id)];
    expect(ob).toEqual(oa);
    // The data exercised what it should: approvals, links, both duplicates, the broken row, the target phase.
    expect(oa.situationSummary).toMatchObject({ ABSENT: expect.any(Number), FOUND: 58, SOURCE_IGNORED: expect.any(Number), UNASSIGNED: 31 });
    expect(oa.statusSummary.FAILURE).toBe(3);
    expect(oa.audit.filter((e) => e.includes('duplicate source id')).length).toBe(2);
    expect(oa.open).toBeGreaterThan(2000);
    // The run was paged: 9 page jobs and one finish, every one done.
    const jobs = await clustered.db.knex('job').whereIn('type', ['reconPage', 'reconFinish']).select('type', 'state', 'key');
    expect(jobs.filter((j: any) => j.type === 'reconPage').length).toBe(9);
    expect(jobs.filter((j: any) => j.type === 'reconFinish').length).toBe(1);
    expect(jobs.every((j: any) => j.state === 'done')).toBe(true);
    expect(Number((await clustered.db.knex('recon_touched').count({ n: '*' }))[0].n)).toBe(0);

    // Second run: 200 rows gone (their links → SOURCE_MISSING), others changed, the rest as they were.
    const gone = (n: number) => n >= 100 && n < 300;
    plain.project.writeCsv(rows(2500, gone).map((r) => r.replace('"Test"', '"Test2"')));
    clustered.project.writeCsv(rows(2500, gone).map((r) => r.replace('"Test"', '"Test2"')));
    const a2 = await runRecon(plain.t, MAPPING);
    const b2 = await runRecon(clustered.t, MAPPING);
    const [oa2, ob2] = [await outcome(plain, a2._id), await outcome(clustered, b2._id)];
    expect(ob2).toEqual(oa2);
    expect(oa2.situationSummary.SOURCE_MISSING).toBe(5);
    expect(oa2.situationSummary.CONFIRMED).toBeGreaterThan(50);
  });

  it('refuses what a page cannot hold: an action script, a result script', async () => {
    const { validateSyncConfig } = await import('../../src/recon/mapping');
    const base = { name: 'm', source: 's', target: 't', correlation: { targetField: 'a', sourceField: 'b' }, clusteredSourceReconEnabled: true };
    expect(() => validateSyncConfig({ mappings: [{ ...base, policies: [{ situation: 'ABSENT', action: { type: 'text/javascript', source: "'CREATE'" } }] }] })).toThrow(/policies\[0\]\.action: an action script cannot run in a clustered reconciliation/);
    expect(() => validateSyncConfig({ mappings: [{ ...base, result: { type: 'text/javascript', source: '1' } }] })).toThrow(/result: a result script cannot run after a clustered/);
    expect(() => validateSyncConfig({ mappings: [{ ...base, reconSourceQueryPageSize: 0 }] })).toThrow(/reconSourceQueryPageSize must be an integer from 1/);
  });
});

describe('clustered reconciliation: cancel', () => {
  let s: Side;
  beforeAll(async () => {
    s = await side(true, false); // no worker: the test runs the page jobs one by one
  });
  afterAll(() => close(s));

  it('a cancel mid-run stops the pages not yet run, and keeps what the committed pages did', async () => {
    const started = await s.t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(started.status).toBe(200);
    const id = started.body._id;
    await eventually(async () => (await s.db.knex('job').where({ type: 'reconPage' }).count({ n: '*' }))[0].n == 9, 15_000, 'pages planned');
    for (let i = 0; i < 3; i++) expect(await s.t.services.reconWorker.runOne()).toBe(true);
    const canceled = await s.t.call('POST', `/recon/${id}?_action=cancel`, { headers: ADMIN });
    expect(canceled.status).toBe(200);
    while (await s.t.services.reconWorker.runOne()) {
      /* the other pages: each finds the run CANCELED */
    }
    const run = (await s.t.call('GET', `/recon/${id}`, { headers: ADMIN })).body;
    expect(run.state).toBe('CANCELED');
    expect(run.progress.source.existing.processed).toBe(900);
    expect(Number((await s.db.knex('recon_audit').where({ recon_id: id }).count({ n: '*' }))[0].n)).toBe(900);
    const pages = await s.db.knex('job').where({ type: 'reconPage' }).select('result', 'state');
    expect(pages.every((p: any) => p.state === 'done')).toBe(true);
    expect(pages.filter((p: any) => JSON.parse(p.result).skipped).length).toBe(6);
    expect(await s.db.knex('job').where({ type: 'reconFinish' }).first()).toBeUndefined();
    // A new run is allowed, and sees the committed pages' approvals as open.
    expect((await s.t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN })).status).toBe(200);
  });
});

describe('clustered reconciliation: deletion protection holds for the whole run', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;
  const links = async () => Number((await db.knex('link').count({ n: '*' }))[0].n);
  beforeAll(async () => {
    project = makeProject();
    project.editSync((sync) => {
      const m = sync.mappings[0];
      m.policies = [
        { situation: 'ABSENT', action: 'CREATE' }, { situation: 'CONFIRMED', action: 'UPDATE' },
        { situation: 'SOURCE_MISSING', action: 'UNLINK' }, { situation: 'UNQUALIFIED', action: 'UNLINK' },
      ];
      m.validSource = { type: 'text/javascript', source: "source.description !== 'invalid'" };
      m.deletionThreshold = { percent: 10, minimum: 20 }; // 300 links: at most 30 removals a run
      m.clusteredSourceReconEnabled = true;
      m.reconSourceQueryPageSize = 25;
    });
    project.writeCsv(Array.from({ length: 300 }, (_, n) => csvRow(uid(n))));
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true });
  });
  afterAll(async () => {
    await t?.close();
    await db?.destroy();
    project?.remove();
  });

  it('a target phase past deletionThreshold, removals spread over pages, and an empty source each fail the run with the reason', async () => {
    expect((await runRecon(t, MAPPING)).situationSummary.ABSENT).toBe(300);
    expect(await links()).toBe(300);

    // 200 rows gone: 200 SOURCE_MISSING → UNLINK, past the limit of 30; the finish job stops before any.
    project.writeCsv(Array.from({ length: 100 }, (_, n) => csvRow(uid(n))));
    const missing = await runRecon(t, MAPPING);
    expect(missing.state).toBe('FAILED');
    expect(missing.message).toMatch(/would delete or unlink 200 target\(s\) \(SOURCE_MISSING → UNLINK: 200\).*deletionThreshold allows \(30/);
    expect(await links()).toBe(300);

    // 100 rows invalid (UNQUALIFIED → UNLINK), 8 or 9 on each page of 25: pages commit their removals
    // while the run's sum stays within 30; the page that would pass it fails the run.
    project.writeCsv(Array.from({ length: 300 }, (_, n) => csvRow(uid(n), n % 3 === 0 ? { description: 'invalid' } : {})));
    const unqualified = await runRecon(t, MAPPING);
    expect(unqualified.state).toBe('FAILED');
    expect(unqualified.message).toMatch(/deletionThreshold allows \(30/);
    const removed = 300 - (await links());
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThanOrEqual(30);
    expect(Number((await db.knex('recon_run').where({ id: unqualified._id }).first()).removed)).toBe(removed);

    // No valid row: allowEmptySourceSet is false, so the run stops before its target phase.
    project.writeCsv([]);
    const empty = await runRecon(t, MAPPING);
    expect(empty.state).toBe('FAILED');
    expect(empty.message).toMatch(/returned no objects \(0 row\(s\) read, none valid\)/);
    expect(300 - (await links())).toBe(removed);
  });
});

(isPg ? describe : describe.skip)('clustered reconciliation: two servers on one PostgreSQL', () => {
  let project: TestProject;
  let db: TestDb;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    project = makeProject();
    project.editSync((sync) => {
      const m = sync.mappings[0];
      m.clusteredSourceReconEnabled = true;
      m.reconSourceQueryPageSize = 100;
    });
    const lines: string[] = [];
    for (let n = 0; n < 4000; n++) lines.push(csvRow(uid(n)));
    project.writeCsv(lines);
    db = await createTestDb();
    a = await startTestServer({ projectDir: project.dir, db, keepDb: true });
    b = await startTestServer({ projectDir: project.dir, db, keepDb: true });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.destroy();
    project?.remove();
  });

  it('both claim pages; every row gets exactly one approval and one audit entry', async () => {
    const run = await runRecon(a, MAPPING);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.ABSENT).toBe(4000);
    expect(run.progress.source.existing).toEqual({ processed: 4000, total: '4000' });
    const nodes = (await db.knex('job').where({ type: 'reconPage' }).select('result')).map((j: any) => JSON.parse(j.result).node);
    expect(nodes.length).toBe(40);
    const byNode = new Map<string, number>();
    for (const n of nodes) byNode.set(n, (byNode.get(n) ?? 0) + 1);
    expect(byNode.size).toBe(2);
    const approvals = await db.knex('approval_request').select('source_id');
    expect(approvals.length).toBe(4000);
    expect(new Set(approvals.map((r: any) => r.source_id)).size).toBe(4000);
    const audit = await db.knex('recon_audit').where({ recon_id: run._id }).select('source_object_id');
    expect(audit.length).toBe(4000);
    expect(new Set(audit.map((r: any) => r.source_object_id)).size).toBe(4000);
    console.log(`clustered recon of 4,000 rows, 40 pages: pages per node ${JSON.stringify(Object.fromEntries(byNode))}`);
  });
});
