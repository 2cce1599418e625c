// linkQualifiers (issue 16): one source mapped to several targets, one link per qualifier, as
// OpenIDM's ObjectMapping.getLinkQualifiers / SourceSyncOperation / TargetRecon do it (PingIDM
// "Mapping a single source object to multiple target objects"). Each describe runs a real server
// over its own project folder (SQLite, or PostgreSQL with DATABASE_URL).
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { auditOf as audit, runJobs, tasksWhere, userOf } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';

/**
 * userName is the source name with the qualifier appended (a transform binding linkQualifier), the
 * correlationQuery looks for that userName, and description is mapped for "staff" only (a property
 * condition binding linkQualifier).
 */
function setUp(linkQualifiers: unknown, absent: unknown = 'CREATE') {
  const ctx = {} as { project: TestProject; t: TestServer };
  beforeAll(async () => {
    ctx.project = makeProject();
    ctx.project.editSync((sync) => {
      const m = sync.mappings[0];
      m.linkQualifiers = linkQualifiers;
      m.correlationQuery = { type: 'text/javascript', source: "({_queryFilter: 'userName eq \"' + source.name + '-' + linkQualifier + '\"'})" };
      m.properties = [
        { source: 'name', target: 'userName', transform: { type: 'text/javascript', source: "source + '-' + linkQualifier" } },
        { source: 'description', target: 'description', condition: { type: 'text/javascript', source: "linkQualifier === 'staff'" } },
        { source: 'lastname', target: 'sn' },
        { source: 'firstname', target: 'givenName' },
        { source: 'email', target: 'mail' },
      ];
      m.policies = [
        { situation: 'ABSENT', action: absent },
        { situation: 'CONFIRMED', action: 'UPDATE' },
        { situation: 'SOURCE_MISSING', action: 'REPORT' },
        { situation: 'UNASSIGNED', action: 'IGNORE' },
      ];
    });
    ctx.t = await startTestServer({ projectDir: ctx.project.dir, workers: false });
  });
  afterAll(async () => {
    await ctx.t.close();
    ctx.project.remove();
  });
  return ctx;
}


async function linksOf(t: TestServer): Promise<{ linkQualifier: string; firstId: string; secondId: string }[]> {
  const r = await t.call('GET', `/repo/link?_queryFilter=${encodeURIComponent(`linkType eq "${MAPPING}"`)}&_sortKeys=firstId,linkQualifier`, { headers: ADMIN });
  expect(r.status).toBe(200);
  return r.body.result;
}

const user = async (t: TestServer, id: string) => (await userOf(t, id)).body;

/** The entries of the sources (the project's own managed users are UNASSIGNED per qualifier). */
const brief = (entries: any[]) => entries.filter((e) => e.sourceObjectId).map((e) => `${e.sourceObjectId ?? '-'} ${e.linkQualifier} ${e.situation} ${e.action}`).sort();

describe('ObjectMapping linkQualifiers list: SourceSyncOperation per qualifier, TargetRecon per qualifier', () => {
  const ctx = setUp(['staff', 'contractor']);

  it('creates one target per qualifier with its own link; scripts see linkQualifier; audit records it', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('lq1'), csvRow('lq2')]);
    const run = await runRecon(t, MAPPING);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.ABSENT).toBe(4);
    const entries = await audit(t, run._id);
    expect(brief(entries)).toEqual(['lq1 contractor ABSENT CREATE', 'lq1 staff ABSENT CREATE', 'lq2 contractor ABSENT CREATE', 'lq2 staff ABSENT CREATE']);
    const links = await linksOf(t);
    expect(links.map((l) => `${l.firstId} ${l.linkQualifier}`)).toEqual(['lq1 contractor', 'lq1 staff', 'lq2 contractor', 'lq2 staff']);
    for (const e of entries.filter((x) => x.sourceObjectId)) {
      const link = links.find((l) => l.firstId === e.sourceObjectId && l.linkQualifier === e.linkQualifier)!;
      expect(e.targetObjectId).toBe(link.secondId);
      const target = await user(t, link.secondId);
      expect(target.userName).toBe(`${e.sourceObjectId}-${e.linkQualifier}`);
      // The property condition binds linkQualifier: description only for staff.
      expect(target.description ?? null).toBe(e.linkQualifier === 'staff' ? 'Created By CSV' : null);
    }
    expect(new Set(links.map((l) => l.secondId)).size).toBe(4);
    // The field can be queried like the entry's other fields.
    const q = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${run._id}" and linkQualifier eq "contractor" and situation eq "ABSENT"`)}`, { headers: ADMIN });
    expect(q.body.result.map((e: any) => e.sourceObjectId).sort()).toEqual(['lq1', 'lq2']);
  });

  it('a second run is CONFIRMED once per qualifier, through each qualifier\'s link', async () => {
    const { t } = ctx;
    const run = await runRecon(t, MAPPING);
    expect(run.situationSummary).toMatchObject({ CONFIRMED: 4, ABSENT: 0, UNASSIGNED: 0 });
    expect(brief(await audit(t, run._id))).toEqual(['lq1 contractor CONFIRMED UPDATE', 'lq1 staff CONFIRMED UPDATE', 'lq2 contractor CONFIRMED UPDATE', 'lq2 staff CONFIRMED UPDATE']);
    expect(await linksOf(t)).toHaveLength(4);
  });

  it('performAction takes linkQualifier (ObjectMapping.performAction); one the mapping does not have is a 400', async () => {
    const { t } = ctx;
    const ok = await t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=lq1&action=UPDATE&linkQualifier=contractor`, { headers: ADMIN });
    expect(ok.status).toBe(200);
    const link = (await linksOf(t)).find((l) => l.firstId === 'lq1' && l.linkQualifier === 'contractor')!;
    expect(ok.body).toMatchObject({ situation: 'CONFIRMED', targetId: link.secondId });
    const bad = await t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=lq1&action=UPDATE&linkQualifier=nope`, { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('staff, contractor');
    // Absent means "default", which this mapping does not have.
    expect((await t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=lq1&action=UPDATE`, { headers: ADMIN })).status).toBe(400);
  });

  it('a deleted source is SOURCE_MISSING once per qualifier; TargetRecon finds the other qualifier UNASSIGNED', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('lq2')]);
    const links = (await linksOf(t)).filter((l) => l.firstId === 'lq1');
    const run = await runRecon(t, MAPPING);
    const entries = (await audit(t, run._id)).filter((e) => e.sourceObjectId !== 'lq2');
    const missing = entries.filter((e) => e.situation === 'SOURCE_MISSING');
    expect(missing.map((e) => `${e.targetObjectId} ${e.linkQualifier} ${e.sourceObjectId}`).sort()).toEqual(links.map((l) => `${l.secondId} ${l.linkQualifier} lq1`).sort());
    // TargetRecon.recon runs every qualifier on each remaining target: the one it has no link under is UNASSIGNED.
    const unassigned = entries.filter((e) => e.situation === 'UNASSIGNED');
    expect(unassigned.map((e) => `${e.targetObjectId} ${e.linkQualifier}`).sort()).toEqual(
      links.map((l) => `${l.secondId} ${l.linkQualifier === 'staff' ? 'contractor' : 'staff'}`).sort(),
    );
    expect(run.situationSummary).toMatchObject({ SOURCE_MISSING: 2, UNASSIGNED: 2, CONFIRMED: 2 });
  });
});

describe('ObjectMapping linkQualifiers script (bindings object, returnAll)', () => {
  // Contractors get a contractor account only, "both" gets two, everyone else a staff account.
  const ctx = setUp({
    type: 'text/javascript',
    source: "returnAll ? ['staff', 'contractor'] : object.description === 'contractor' ? ['contractor'] : object.description === 'both' ? ['staff', 'contractor'] : ['staff']",
  });

  it('each source is assessed for the qualifiers the script returns for it', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('s1'), csvRow('c1', { description: 'contractor' }), csvRow('b1', { description: 'both' })]);
    const run = await runRecon(t, MAPPING);
    expect(run.state).toBe('SUCCESS');
    expect(brief(await audit(t, run._id))).toEqual(['b1 contractor ABSENT CREATE', 'b1 staff ABSENT CREATE', 'c1 contractor ABSENT CREATE', 's1 staff ABSENT CREATE']);
    expect((await linksOf(t)).map((l) => `${l.firstId} ${l.linkQualifier}`)).toEqual(['b1 contractor', 'b1 staff', 'c1 contractor', 's1 staff']);
    const again = await runRecon(t, MAPPING);
    expect(again.situationSummary).toMatchObject({ CONFIRMED: 4, ABSENT: 0 });
  });

  it('a script answer that is not a list of names fails that entry, naming the key', async () => {
    const { t, project } = ctx;
    project.editSync((sync) => {
      sync.mappings[0].linkQualifiers.source = "object && object.description === 'odd' ? 'staff' : ['staff', 'contractor']";
    });
    // A fresh server reads the edited sync.json.
    await t.close();
    ctx.t = await startTestServer({ projectDir: project.dir, workers: false });
    project.writeCsv([csvRow('s1'), csvRow('o1', { description: 'odd' })]);
    const run = await runRecon(ctx.t, MAPPING);
    const failed = (await audit(ctx.t, run._id)).filter((e) => e.status === 'FAILURE');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ sourceObjectId: 'o1' });
    expect(failed[0].message).toContain('linkQualifiers script must return an array');
  });
});

describe('ObjectMapping linkQualifiers with an action script: recon.actionParam.linkQualifier to openidm.action sync performAction', () => {
  // Policy.getAction per qualifier: the script forwards its qualifier, and performAction creates under it.
  const ctx = setUp(['staff', 'contractor'], {
    type: 'text/javascript',
    source: `var p = recon.actionParam;
      var done = openidm.action('sync', 'performAction', {}, { mapping: p.mapping, sourceId: p.sourceId, action: 'CREATE', situation: 'ABSENT', linkQualifier: p.linkQualifier });
      done.status === 'OK' && p.linkQualifier === linkQualifier ? 'ASYNC' : 'REPORT'`,
  });

  it('each qualifier\'s script creates and links under that qualifier', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('as1')]);
    const run = await runRecon(t, MAPPING);
    expect(brief(await audit(t, run._id))).toEqual(['as1 contractor ABSENT ASYNC', 'as1 staff ABSENT ASYNC']);
    const links = await linksOf(t);
    expect(links.map((l) => `${l.firstId} ${l.linkQualifier}`)).toEqual(['as1 contractor', 'as1 staff']);
    for (const l of links) expect((await user(t, l.secondId)).userName).toBe(`as1-${l.linkQualifier}`);
  });
});

describe('ObjectMapping linkQualifiers with an action script that starts an approval', () => {
  // triggerWorkflowFromSync.js passes recon.actionParam (SyncOperation.toJsonValue: linkQualifier):
  // one approval per (source row, qualifier), each bound to that qualifier's view.
  const ctx = setUp(['staff', 'contractor'], {
    type: 'text/javascript',
    source: `var p = recon.actionParam;
      openidm.create('workflow/processinstance', null, { _key: 'managedUserApproval', reconId: p.reconId, mapping: p.mapping, situation: p.situation, action: p.action, sourceId: p.sourceId, linkQualifier: p.linkQualifier });
      'ASYNC'`,
  });

  it('each qualifier\'s entry starts its own approval (processVariables.linkQualifier), nothing linked yet', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('ap1')]);
    const run = await runRecon(t, MAPPING);
    const entries = await audit(t, run._id);
    expect(entries.map((e) => `${e.linkQualifier} ${e.status}`).sort()).toEqual(['contractor SUCCESS', 'staff SUCCESS']);
    const tasks = await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN });
    expect((tasks.body.result as any[]).map((x) => `${x.processVariables.sourceId} ${x.processVariables.linkQualifier}`).sort()).toEqual(['ap1 contractor', 'ap1 staff']);
    expect(await linksOf(t)).toEqual([]);
  });
});

describe('ObjectMapping linkQualifiers with a workflow policy (triggerWorkflowFromSync.js, recon.actionParam.linkQualifier)', () => {
  const ctx = setUp(['staff', 'contractor'], { workflowName: 'managedUserApproval', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js' });
  const tasks = (t: TestServer) => tasksWhere(t, (v) => v.sourceId === 'wq1');

  it('asks one approval per qualifier; approving one creates and links exactly that qualifier\'s target, once', async () => {
    const { t, project } = ctx;
    project.writeCsv([csvRow('wq1')]);
    const run = await runRecon(t, MAPPING);
    expect(brief(await audit(t, run._id))).toEqual(['wq1 contractor ABSENT ASYNC', 'wq1 staff ABSENT ASYNC']);
    const asked = await tasks(t);
    expect(asked.map((x) => x.processVariables.linkQualifier).sort()).toEqual(['contractor', 'staff']);
    for (const x of asked) expect(x.processVariables).toMatchObject({ reconId: run._id, mapping: MAPPING, situation: 'ABSENT', action: 'CREATE', sourceId: 'wq1' });
    // Each snapshot is mapped by its qualifier's view (userName carries the qualifier).
    const staff = asked.find((x) => x.processVariables.linkQualifier === 'staff');
    const read = await t.call('GET', `/workflow/taskinstance/${staff._id}`, { headers: ADMIN });
    expect(read.body.approval.target).toMatchObject({ userName: 'wq1-staff' });
    expect(read.body.approval.linkQualifier).toBe('staff');

    expect((await t.call('POST', `/workflow/taskinstance/${staff._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
    await runJobs(t);
    const links = await linksOf(t);
    expect(links.map((l) => `${l.firstId} ${l.linkQualifier}`)).toEqual(['wq1 staff']);
    expect((await user(t, links[0].secondId)).userName).toBe('wq1-staff');

    // The staff view is CONFIRMED; the contractor one stays ABSENT and is not asked again while its approval is open.
    const second = await runRecon(t, MAPPING);
    expect(brief(await audit(t, second._id))).toEqual(['wq1 contractor ABSENT ASYNC', 'wq1 staff CONFIRMED UPDATE']);
    const open = await tasks(t);
    expect(open.map((x) => x.processVariables.linkQualifier)).toEqual(['contractor']);
    expect((await audit(t, second._id)).find((e) => e.linkQualifier === 'contractor').message).toContain('already open');
    await runRecon(t, MAPPING);
    expect((await tasks(t)).map((x) => x.processVariables.linkQualifier)).toEqual(['contractor']);
    expect(await linksOf(t)).toHaveLength(1);
  });
});

describe('ObjectMapping linkQualifiers with a target-phase workflow policy (TargetSyncOperation.toJsonValue: linkQualifier)', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    project.addProcess('target-approval.bpmn', 'targetApproval.bpmn');
    project.editSync((sync) => {
      const m = sync.mappings[0];
      m.linkQualifiers = ['staff', 'contractor'];
      m.correlationQuery = { type: 'text/javascript', source: "({_queryFilter: 'userName eq \"' + source.name + '-' + linkQualifier + '\"'})" };
      m.properties = [
        { source: 'name', target: 'userName', transform: { type: 'text/javascript', source: "source + '-' + linkQualifier" } },
        { source: 'lastname', target: 'sn' },
        { source: 'firstname', target: 'givenName' },
        { source: 'email', target: 'mail' },
      ];
      m.policies = [
        { situation: 'ABSENT', action: 'CREATE' },
        { situation: 'CONFIRMED', action: 'UPDATE' },
        { situation: 'SOURCE_MISSING', action: { workflowName: 'targetApproval', type: 'text/javascript', file: 'workflow/triggerWorkflowFromSync.js', approvedAction: 'DELETE' } },
        { situation: 'UNASSIGNED', action: 'IGNORE' },
      ];
    });
    t = await startTestServer({ projectDir: project.dir, workers: false });
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('asks one approval per qualifier\'s target; approving one deletes that target and its link only, once', async () => {
    project.writeCsv([csvRow('tq1'), csvRow('tq2')]);
    await runRecon(t, MAPPING);
    const made = (await linksOf(t)).filter((l) => l.firstId === 'tq1');
    expect(made.map((l) => l.linkQualifier)).toEqual(['contractor', 'staff']);
    project.writeCsv([csvRow('tq2')]);
    const run = await runRecon(t, MAPPING);
    const asked = ((await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN })).body.result as any[]);
    expect(asked.map((x) => `${x.processVariables.linkQualifier} ${x.processVariables.targetId}`).sort()).toEqual(made.map((l) => `${l.linkQualifier} ${l.secondId}`));
    for (const x of asked) expect(x.processVariables).toMatchObject({ reconId: run._id, situation: 'SOURCE_MISSING', action: 'DELETE', target: 'true' });
    const staff = asked.find((x) => x.processVariables.linkQualifier === 'staff');
    expect((await t.call('POST', `/workflow/taskinstance/${staff._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
    await runJobs(t);
    expect((await t.call('GET', `/managed/user/${encodeURIComponent(staff.processVariables.targetId)}`, { headers: ADMIN })).status).toBe(404);
    expect((await linksOf(t)).filter((l) => l.firstId === 'tq1').map((l) => l.linkQualifier)).toEqual(['contractor']);
  });
});
