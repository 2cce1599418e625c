// Reconciliation as OpenIDM's sync engine does it (issue 16): situations (SourceSyncOperation),
// EXCEPTION and AMBIGUOUS audit (SourceRecon / SyncOperation.performAction / ReconAuditEventLogger),
// progress counters (ReconciliationStatistic, ReconciliationContext.getProgress), REST answers
// (ReconciliationService.handleAction), runTargetPhase (ReconTypeBase, ObjectMapping.doRecon) and
// two sources racing for one target. Each describe runs a real server over its own project.
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { auditOf as audit } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';

/** Correlation on mail, a validSource rejecting description "invalid", and the given policies (the rest IDM's defaults). */
function setUp(policies: Record<string, string>, mappingExtra: Record<string, unknown> = {}) {
  const ctx = {} as { project: TestProject; t: TestServer };
  beforeAll(async () => {
    ctx.project = makeProject();
    ctx.project.editSync((sync) => {
      const m = sync.mappings[0];
      m.correlation = { targetField: 'mail', sourceField: 'email' };
      delete m.correlationQuery;
      m.validSource = { type: 'text/javascript', source: "source.description !== 'invalid'" };
      m.policies = Object.entries(policies).map(([situation, action]) => ({ situation, action }));
      Object.assign(m, mappingExtra);
    });
    ctx.t = await startTestServer({ projectDir: ctx.project.dir, workers: false });
  });
  afterAll(async () => {
    await ctx.t.close();
    ctx.project.remove();
  });
  return ctx;
}

const createUser = (t: TestServer, id: string, mail: string) =>
  t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn: 'X', mail } });

describe('SourceSyncOperation.assessSituation: an invalid source is correlated', () => {
  const ctx = setUp({ UNQUALIFIED: 'REPORT', UNASSIGNED: 'REPORT', SOURCE_IGNORED: 'IGNORE', ABSENT: 'IGNORE' });

  it('an unlinked invalid source correlating to one target is UNQUALIFIED, and its target is not UNASSIGNED', async () => {
    const { t, project } = ctx;
    await createUser(t, 'inv1-user', 'inv1@example.com');
    await createUser(t, 'twin-a', 'twin@example.com');
    await createUser(t, 'twin-b', 'twin@example.com');
    project.writeCsv([
      csvRow('inv1', { description: 'invalid' }),
      csvRow('inv2', { description: 'invalid', email: 'twin@example.com' }),
      csvRow('inv3', { description: 'invalid' }), // correlates to nothing: SOURCE_IGNORED
    ]);
    const run = await runRecon(t, MAPPING);
    expect(run.situationSummary).toMatchObject({ UNQUALIFIED: 2, SOURCE_IGNORED: 1, UNASSIGNED: 0 });
    const entries = await audit(t, run._id);
    expect(entries.find((e) => e.sourceObjectId === 'inv1')).toMatchObject({ situation: 'UNQUALIFIED', action: 'REPORT', targetObjectId: 'inv1-user' });
    // SourceSyncOperation: several correlated targets of an invalid source are its ambiguous ids too.
    expect(entries.find((e) => e.sourceObjectId === 'inv2')).toMatchObject({ situation: 'UNQUALIFIED', targetObjectId: null, ambiguousTargetObjectIds: 'twin-a, twin-b' });
    expect(entries.filter((e) => e.situation === 'UNASSIGNED')).toEqual([]);
  });
});

describe('EXCEPTION and AMBIGUOUS as SourceRecon audits them', () => {
  const ctx = setUp({ AMBIGUOUS: 'EXCEPTION', ABSENT: 'IGNORE', UNASSIGNED: 'IGNORE' });

  it('EXCEPTION: SyncOperation.performAction\'s "Situation X marked as EXCEPTION", status SUCCESS (not a FAILURE)', async () => {
    const { t, project } = ctx;
    await createUser(t, 'a1', 'shared@example.com');
    await createUser(t, 'a2', 'shared@example.com');
    project.writeCsv([csvRow('ambig1', { email: 'shared@example.com' })]);
    const run = await runRecon(t, MAPPING);
    expect(run.situationSummary.AMBIGUOUS).toBe(1);
    expect(run.statusSummary).toEqual({ SUCCESS: 1, FAILURE: 0 });
    const [entry] = (await audit(t, run._id)).filter((e) => e.sourceObjectId === 'ambig1');
    expect(entry).toMatchObject({
      situation: 'AMBIGUOUS', action: 'EXCEPTION', status: 'SUCCESS', message: 'Situation AMBIGUOUS marked as EXCEPTION', ambiguousTargetObjectIds: 'a1, a2',
    });
    // The field can be queried like the entry's other fields.
    const q = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent('ambiguousTargetObjectIds eq "a1, a2"')}`, { headers: ADMIN });
    expect(q.body.result.map((e: any) => e.sourceObjectId)).toEqual(['ambig1']);
  });

  it('sync performAction of EXCEPTION fails as IDM\'s SynchronizationException does (409)', async () => {
    const r = await ctx.t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=ambig1&action=EXCEPTION`, { headers: ADMIN });
    expect(r.status).toBe(409);
    expect(r.body.message).toBe('Situation AMBIGUOUS marked as EXCEPTION');
  });
});

describe('AMBIGUOUS under another policy', () => {
  const ctx = setUp({ AMBIGUOUS: 'REPORT', ABSENT: 'IGNORE', UNASSIGNED: 'IGNORE' });

  it('carries ambiguousTargetObjectIds (ReconAuditEventLogger.setAmbiguousTargetIds)', async () => {
    const { t, project } = ctx;
    await createUser(t, 'b1', 'dup@example.com');
    await createUser(t, 'b2', 'dup@example.com');
    project.writeCsv([csvRow('ambig2', { email: 'dup@example.com' }), csvRow('plain')]);
    const run = await runRecon(t, MAPPING);
    const entries = await audit(t, run._id);
    expect(entries.find((e) => e.sourceObjectId === 'ambig2')).toMatchObject({ situation: 'AMBIGUOUS', action: 'REPORT', status: 'SUCCESS', message: null, ambiguousTargetObjectIds: 'b1, b2' });
    expect(entries.find((e) => e.sourceObjectId === 'plain')).toMatchObject({ situation: 'ABSENT', ambiguousTargetObjectIds: null });
  });
});

describe('ReconciliationStatistic counters', () => {
  const ctx = setUp({ ABSENT: 'CREATE', FOUND: 'LINK', CONFIRMED: 'UPDATE', UNASSIGNED: 'REPORT', SOURCE_MISSING: 'UNLINK' });

  it('target.existing counts existing targets, not those created in the run; links.existing counts both phases', async () => {
    const { t, project } = ctx;
    await createUser(t, 'found1-user', 'found1@example.com');
    await createUser(t, 'orphan', 'orphan@example.com');
    project.writeCsv([csvRow('new1'), csvRow('found1')]);
    const first = await runRecon(t, MAPPING);
    expect(first.situationSummary).toMatchObject({ ABSENT: 1, FOUND: 1, UNASSIGNED: 1 });
    // found1-user (source phase, LINK) and orphan (target phase); new1 was created: target.created.
    expect(first.progress.target).toEqual({ existing: { processed: 2, total: '2' }, created: 1 });
    expect(first.progress.links).toEqual({ existing: { processed: 0, total: '0' }, created: 2 });

    project.writeCsv([csvRow('new1')]); // found1's source row is gone: its link is SOURCE_MISSING in the target phase
    const second = await runRecon(t, MAPPING);
    expect(second.situationSummary).toMatchObject({ CONFIRMED: 1, SOURCE_MISSING: 1, UNASSIGNED: 1 });
    expect(second.progress.links.existing).toEqual({ processed: 2, total: '2' });
    expect(second.progress.target).toEqual({ existing: { processed: 3, total: '3' }, created: 0 });
  });
});

describe('ReconciliationService.handleAction answers', () => {
  const ctx = setUp({ ABSENT: 'CREATE' });

  it('recon answers {_id, state} at once, and with waitForCompletion=true {_id, state} once ended', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('r1'), csvRow('r2')]);
    const started = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ _id: expect.any(String), state: 'ACTIVE' });
    await eventually(async () => (await t.call('GET', `/recon/${started.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS');
    const waited = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}&waitForCompletion=true`, { headers: ADMIN });
    expect(waited.body).toEqual({ _id: expect.any(String), state: 'SUCCESS' });
  });

  it('reconById does not block unless waitForCompletion=true, and answers the same shapes', async () => {
    const { t } = ctx;
    const started = await t.call('POST', `/recon?_action=reconById&mapping=${MAPPING}&ids=r1`, { headers: ADMIN });
    expect(started.body).toEqual({ _id: expect.any(String), state: 'ACTIVE' });
    await eventually(async () => (await t.call('GET', `/recon/${started.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS');
    const waited = await t.call('POST', `/recon?_action=reconById&mapping=${MAPPING}&ids=r2&waitForCompletion=true`, { headers: ADMIN });
    expect(waited.body).toEqual({ _id: expect.any(String), state: 'SUCCESS' });
    const run = await t.call('GET', `/recon/${waited.body._id}`, { headers: ADMIN });
    expect(run.body).toMatchObject({ state: 'SUCCESS', situationSummary: expect.objectContaining({ CONFIRMED: 1 }), parameters: expect.objectContaining({ sourceIds: ['r2'] }) });
  });
});

describe('two sources racing for one target (SourceSyncOperation: FOUND, then FOUND_ALREADY_LINKED)', () => {
  const ctx = setUp({ FOUND: 'LINK', FOUND_ALREADY_LINKED: 'EXCEPTION', ABSENT: 'IGNORE', SOURCE_IGNORED: 'IGNORE', UNASSIGNED: 'IGNORE' });
  const noSqlText = (m: string | null) => expect(m ?? '').not.toMatch(/UNIQUE|constraint|duplicate key|insert into/i);

  it('within one batch: the first is linked, the second is FOUND_ALREADY_LINKED with a domain message', async () => {
    const { t, project } = ctx;
    await createUser(t, 'shared-user', 'race@example.com');
    project.writeCsv([csvRow('dupA', { email: 'race@example.com' }), csvRow('dupB', { email: 'race@example.com' })]);
    const run = await runRecon(t, MAPPING);
    expect(run.situationSummary).toMatchObject({ FOUND: 1, FOUND_ALREADY_LINKED: 1 });
    const entries = await audit(t, run._id);
    expect(entries.find((e) => e.sourceObjectId === 'dupA')).toMatchObject({ situation: 'FOUND', action: 'LINK', status: 'SUCCESS', targetObjectId: 'shared-user' });
    const second = entries.find((e) => e.sourceObjectId === 'dupB');
    expect(second).toMatchObject({ situation: 'FOUND_ALREADY_LINKED', action: 'EXCEPTION', targetObjectId: 'shared-user' });
    noSqlText(second.message);
    expect((await t.db.knex('link').where({ second_id: 'shared-user' })).map((l: any) => l.first_id)).toEqual(['dupA']);
  });

  it('sync performAction LINK to a target linked to another source: 409 with a domain message', async () => {
    const r = await ctx.t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=dupB&action=LINK`, { headers: ADMIN });
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/already linked/);
    noSqlText(r.body.message);
  });

  it('across batches (500 rows each) as well', async () => {
    const { t, project } = ctx;
    await createUser(t, 'shared-user2', 'race2@example.com');
    const filler = Array.from({ length: 510 }, (_, k) => csvRow(`fill${k}`, { description: 'invalid' }));
    project.writeCsv([csvRow('dupC', { email: 'race2@example.com' }), ...filler, csvRow('dupD', { email: 'race2@example.com' })]);
    const run = await runRecon(t, MAPPING);
    const entries = (await audit(t, run._id)).filter((e) => e.sourceObjectId === 'dupC' || e.sourceObjectId === 'dupD');
    expect(entries.map((e) => [e.sourceObjectId, e.situation])).toEqual([['dupC', 'FOUND'], ['dupD', 'FOUND_ALREADY_LINKED']]);
    noSqlText(entries[1].message);
  });
});

describe('runTargetPhase: false (ReconTypeBase.isRunTargetPhase)', () => {
  const ctx = setUp({ ABSENT: 'CREATE', UNASSIGNED: 'DELETE' }, { runTargetPhase: false });

  it('runs no target phase: an unassigned target is left alone and target totals stay unknown', async () => {
    const { t, project } = ctx;
    await createUser(t, 'lonely', 'lonely@example.com');
    project.writeCsv([csvRow('s1')]);
    const run = await runRecon(t, MAPPING);
    expect(run).toMatchObject({ state: 'SUCCESS', stage: 'COMPLETED_SUCCESS' });
    expect(run.situationSummary).toMatchObject({ ABSENT: 1, UNASSIGNED: 0 });
    expect(run.progress.target.existing).toEqual({ processed: 0, total: '?' });
    expect((await t.call('GET', '/managed/user/lonely', { headers: ADMIN })).status).toBe(200);
  });
});
