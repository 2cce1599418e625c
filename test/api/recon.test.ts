// Reconciliation over a real repository: every situation, bad rows, big files, repeat runs,
// concurrency, cancel, and the remembered rejection.
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { auditOf as audit } from '../helpers/calls';
import { runRecon } from '../helpers/recon';

const MAPPING = 'systemCsvfileAccounts_managedUser';

const recon = (t: TestServer) => runRecon(t, MAPPING);

describe('reconciliation situations and actions', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    // Every situation reachable: CREATE on ABSENT, correlation on mail (so AMBIGUOUS can occur),
    // an explicit validSource that rejects rows whose description is "invalid".
    project.editSync((sync) => {
      const m = sync.mappings[0];
      m.correlation = { targetField: 'mail', sourceField: 'email' };
      delete m.correlationQuery;
      m.validSource = { type: 'text/javascript', source: "source.description !== 'invalid'" };
      m.policies = [
        { situation: 'CONFIRMED', action: 'UPDATE' }, { situation: 'FOUND', action: 'LINK' }, { situation: 'ABSENT', action: 'CREATE' },
        { situation: 'AMBIGUOUS', action: 'EXCEPTION' }, { situation: 'MISSING', action: 'EXCEPTION' }, { situation: 'FOUND_ALREADY_LINKED', action: 'EXCEPTION' },
        { situation: 'UNQUALIFIED', action: 'REPORT' }, { situation: 'SOURCE_IGNORED', action: 'IGNORE' }, { situation: 'UNASSIGNED', action: 'REPORT' },
        { situation: 'SOURCE_MISSING', action: 'UNLINK' }, { situation: 'TARGET_IGNORED', action: 'IGNORE' },
      ];
    });
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const createUser = (id: string, mail: string, extra: Record<string, unknown> = {}) =>
    t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn: 'X', mail, ...extra } });

  it('assesses each situation and acts by policy', async () => {
    project.writeCsv([
      csvRow('absent1'),
      csvRow('found1'), // a user with its mail exists, unlinked → FOUND → LINK
      csvRow('ambig1', { email: 'shared@example.com' }), // two users share that mail → AMBIGUOUS
      csvRow('invalid1', { description: 'invalid' }), // not valid, no target → SOURCE_IGNORED
      csvRow('gone1'), // will be linked, then its target deleted → MISSING
    ]);
    await createUser('found1-user', 'found1@example.com');
    await createUser('a1', 'shared@example.com');
    await createUser('a2', 'shared@example.com');
    await createUser('orphan', 'orphan@example.com'); // no link, not in source → UNASSIGNED
    const first = await recon(t);
    expect(first.state).toBe('SUCCESS');
    // a1 and a2 were correlated (AMBIGUOUS), so only orphan is left for the target phase.
    expect(first.situationSummary).toMatchObject({ ABSENT: 2, FOUND: 1, AMBIGUOUS: 1, SOURCE_IGNORED: 1, UNASSIGNED: 1 });
    expect((await t.call('GET', '/managed/user/absent1', { headers: ADMIN })).body.givenName).toBe('absent1');
    const entries = await audit(t, first._id);
    // SourceRecon: an EXCEPTION policy is audited as SUCCESS with SyncOperation's message (test/api/reconIdm.test.ts).
    expect(entries.find((e) => e.sourceObjectId === 'ambig1')).toMatchObject({ situation: 'AMBIGUOUS', action: 'EXCEPTION', status: 'SUCCESS', message: 'Situation AMBIGUOUS marked as EXCEPTION' });
    expect(entries.find((e) => e.sourceObjectId === 'found1')).toMatchObject({ situation: 'FOUND', action: 'LINK', targetObjectId: 'found1-user' });

    // Now: gone1's target deleted → MISSING; absent1 changed → CONFIRMED + UPDATE; found1 → CONFIRMED;
    // invalid row for an existing linked target → UNQUALIFIED; a linked source removed → SOURCE_MISSING.
    await t.call('DELETE', '/managed/user/gone1', { headers: ADMIN });
    project.writeCsv([
      csvRow('absent1', { firstname: 'Changed' }),
      csvRow('found1'),
      csvRow('ambig1', { email: 'shared@example.com' }),
      csvRow('gone1'),
      csvRow('invalid1', { description: 'invalid' }),
    ]);
    const second = await recon(t);
    expect(second.situationSummary).toMatchObject({ CONFIRMED: 2, MISSING: 1, AMBIGUOUS: 1, SOURCE_IGNORED: 1 });
    expect((await t.call('GET', '/managed/user/absent1', { headers: ADMIN })).body.givenName).toBe('Changed');

    project.writeCsv([csvRow('found1'), csvRow('absent1', { description: 'invalid', firstname: 'Changed' })]);
    const third = await recon(t);
    expect(third.situationSummary).toMatchObject({ CONFIRMED: 1, UNQUALIFIED: 1 });
    // gone1's link to a deleted target: target phase never sees it; nothing else is SOURCE_MISSING yet.
    project.writeCsv([csvRow('absent1', { firstname: 'Changed' })]);
    const fourth = await recon(t);
    expect(fourth.situationSummary).toMatchObject({ CONFIRMED: 1, SOURCE_MISSING: 1 });
    const missing = (await audit(t, fourth._id)).find((e) => e.situation === 'SOURCE_MISSING');
    expect(missing).toMatchObject({ targetObjectId: 'found1-user', action: 'UNLINK', status: 'SUCCESS' });
  });

  it('an unchanged CONFIRMED row is not rewritten', async () => {
    const before = await t.call('GET', '/managed/user/absent1', { headers: ADMIN });
    await recon(t);
    const after = await t.call('GET', '/managed/user/absent1', { headers: ADMIN });
    expect(after.body._rev).toBe(before.body._rev);
  });
  it('remembers an unchanged sync on the link, and still repairs a target edited since', async () => {
    await recon(t); // compares, finds absent1 unchanged, marks its link
    const link = await t.db.knex('link').where({ first_id: 'absent1' }).first();
    expect(link.source_hash).toMatch(/^[0-9a-f]{64}$/);
    const user = await t.call('GET', '/managed/user/absent1', { headers: ADMIN });
    expect(link.target_rev).toBe(user.body._rev);
    // Someone edits the target: its rev no longer matches the link's, so recon maps and repairs it.
    await t.call('PATCH', '/managed/user/absent1', { headers: ADMIN, body: [{ operation: 'replace', field: '/givenName', value: 'Edited' }] });
    await recon(t);
    expect((await t.call('GET', '/managed/user/absent1', { headers: ADMIN })).body.givenName).toBe('Changed');
  });
});

describe('reconciliation of the sample mapping', () => {
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

  it('reads the sample CSV through system/csvfile/account', async () => {
    const all = await t.call('GET', '/system/csvfile/account?_queryFilter=true', { headers: ADMIN });
    expect(all.body.result.map((o: any) => o._id)).toEqual(['bjensen', 'scarter']);
    const bj = await t.call('GET', '/system/csvfile/account/bjensen', { headers: ADMIN });
    expect(bj.body).toMatchObject({ _id: 'bjensen', name: 'bjensen', firstname: 'Barbara', email: 'bjensen@example.com' });
    expect((await t.call('GET', '/system/csvfile/account/nobody', { headers: ADMIN })).status).toBe(404);
  });

  it('reports bad rows in the audit and statusSummary, and goes on', async () => {
    project.writeCsv([
      csvRow('good1'),
      '"Created By CSV", "broken, "x", "y"',
      '"Created By CSV", "", "e@x", "E", "F", "e@x", "1", "r"',
      csvRow('good1'),
      '"too", "few"',
      `"Created By CSV", "long1", "l@x", "${'x'.repeat(100_000)}", "L", "l@x", "1", "r"`,
      csvRow('good2'),
    ]);
    const run = await recon(t);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.ABSENT).toBe(2);
    expect(run.statusSummary.FAILURE).toBeGreaterThanOrEqual(4);
    const failures = (await audit(t, run._id)).filter((e) => e.status === 'FAILURE');
    expect(failures.map((e) => e.message).join('\n')).toMatch(/duplicate source id good1/);
    for (const f of failures) expect(f.message.length).toBeLessThan(2100);
    const tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(tasks.body.result).toHaveLength(2);
  });

  it('a second recon before approval starts nothing new; a rejection is remembered until the row changes', async () => {
    const again = await recon(t);
    expect(again.situationSummary.ABSENT).toBe(2);
    let tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(tasks.body.result).toHaveLength(2);
    const good1 = tasks.body.result.find((x: any) => x.processVariables.sourceId === 'good1');
    expect((await t.call('POST', `/workflow/taskinstance/${good1._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } })).status).toBe(200);
    await recon(t);
    tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(tasks.body.result.map((x: any) => x.processVariables.sourceId)).toEqual(['good2']);
    const decision = await t.db.knex('decision').where({ source_id: 'good1' }).first();
    expect(decision).toMatchObject({ decision: 'rejected', decided_by: 'openidm-admin' });
    // The row changes: ask again.
    project.writeCsv([csvRow('good1', { lastname: 'Changed' }), csvRow('good2')]);
    await recon(t);
    tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(tasks.body.result.map((x: any) => x.processVariables.sourceId).sort()).toEqual(['good1', 'good2']);
  });

  it('a missing CSV file fails the run with a clear message', async () => {
    project.writeCsv([]);
    require('node:fs').rmSync(require('node:path').join(project.dir, 'data', 'csvConnectorData.csv'));
    const run = await recon(t);
    expect(run.state).toBe('FAILED');
    expect(run.message).toMatch(/csvConnectorData\.csv/);
  });

  it('a 10,000-row recon starts 10,000 approvals, refuses a concurrent run with 409, and shows progress', async () => {
    project.writeCsv(Array.from({ length: 10_000 }, (_, i) => csvRow(`bulk${i}`)));
    const countTasks = async () => Number((await t.db.knex('task').count({ n: '*' }))[0].n);
    const before = await countTasks(); // approvals still open from the earlier tests
    const start = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(start.body.state).toBe('ACTIVE');
    const dup = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe(409);
    const done = await eventually(async () => {
      const r = await t.call('GET', `/recon/${start.body._id}`, { headers: ADMIN });
      return r.body.state !== 'ACTIVE' && r.body;
    }, 120_000, 'the 10,000-row recon');
    expect(done).toMatchObject({ state: 'SUCCESS' });
    expect(done.situationSummary.ABSENT).toBe(10_000);
    expect(done.progress.source.existing.processed).toBe(10_000);
    expect((await countTasks()) - before).toBe(10_000);
    const list = await t.call('GET', '/recon', { headers: ADMIN });
    expect(list.body.reconciliations[0]._id).toBe(start.body._id);
  }, 180_000);

  it('answers unknown mappings, runs and actions with 400/404', async () => {
    expect((await t.call('POST', '/recon?_action=recon&mapping=nope', { headers: ADMIN })).status).toBe(400);
    expect((await t.call('POST', '/recon?_action=recon', { headers: ADMIN })).status).toBe(400);
    expect((await t.call('GET', '/recon/nope', { headers: ADMIN })).status).toBe(404);
    expect((await t.call('POST', '/recon?_action=dance', { headers: ADMIN })).status).toBe(400);
  });
});

describe('reconById', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    project.writeCsv([csvRow('one'), csvRow('two')]);
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('reconciles just that source entry with the mapping policy (ABSENT starts its approval)', async () => {
    const r = await t.call('POST', `/recon?_action=reconById&mapping=${MAPPING}&id=two&waitForCompletion=true`, { headers: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ _id: expect.any(String), state: 'SUCCESS' });
    expect((await t.call('GET', `/recon/${r.body._id}`, { headers: ADMIN })).body).toMatchObject({ state: 'SUCCESS', situationSummary: expect.objectContaining({ ABSENT: 1 }), parameters: expect.objectContaining({ sourceIds: ['two'] }) });
    const tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect(tasks.body.result.map((x: any) => x.processVariables.sourceId)).toEqual(['two']);
    expect((await t.call('POST', `/recon?_action=reconById&mapping=${MAPPING}`, { headers: ADMIN })).status).toBe(400);
  });
});
