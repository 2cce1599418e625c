// sync.json's script hooks in real reconciliation runs (real server, repository and CSV): onCreate,
// onUpdate, onDelete, onLink (OpenIDM SyncOperation.performAction / execScript), a policy's condition
// and postAction (SyncOperation.determineAction, Policy.evaluatePostAction), the result script
// (ObjectMapping.doResults), correlationQuery / correlationScript scripts (Correlation.correlate), and
// onCreate on an approval's snapshot. PingIDM "Synchronization reference" and "Scripting reference".
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { auditOf as audit, runJobs, userOf as user } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const js = (source: string) => ({ type: 'text/javascript', source });

const recon = (t: TestServer) => runRecon(t, MAPPING);


const entry = (entries: any[], id: string) => entries.find((e) => e.sourceObjectId === id || e.targetObjectId === id);

async function serverWith(edit: (m: any) => void): Promise<{ project: TestProject; db: TestDb; t: TestServer }> {
  const project = makeProject();
  project.editSync((sync) => edit(sync.mappings[0]));
  const db = await createTestDb();
  const t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  return { project, db, t };
}

describe('hooks, policy conditions, postAction and the result script in a run', () => {
  let s: Awaited<ReturnType<typeof serverWith>>;
  beforeAll(async () => {
    s = await serverWith((m) => {
      m.policies = [
        { situation: 'CONFIRMED', action: 'UPDATE' },
        // Two ABSENT policies: the first applies only where its condition (a queryFilter over `object`) holds.
        { situation: 'ABSENT', action: 'IGNORE', condition: '/object/description eq "skip"' },
        { situation: 'ABSENT', action: 'CREATE', postAction: js("if (source._id === 'postfail') throw new Error('postAction refuses ' + action + ' ' + situation + ' of ' + target.userName)") },
        { situation: 'SOURCE_MISSING', action: 'DELETE' },
      ];
      m.onCreate = js("if (source._id === 'createfail') throw new Error('onCreate refuses ' + source._id); target.description = 'onCreate ' + situation + ' ' + linkQualifier + ' ' + mappingConfig.name; 'ignored value'");
      m.onLink = js("if (source._id === 'linkfail') throw new Error('onLink refuses ' + targetId)");
      m.onUpdate = js("target.description = 'was ' + oldTarget.givenName");
      m.onDelete = js("if (targetId === 'keep') throw new Error('keep is protected')");
      m.result = js(
        "if (source.ABSENT && source.ABSENT.ids.indexOf('resultfail') >= 0) throw new Error('result ' + JSON.stringify({ reconId: global.reconId, mappingName: global.mappingName, absent: source.ABSENT.ids.sort(), processed: source.processed, missing: target.SOURCE_MISSING ? target.SOURCE_MISSING.ids : [] }))",
      );
    });
  });
  afterAll(async () => {
    await s.t.close();
    await s.db.destroy();
    s.project.remove();
  });

  it('onCreate shapes the created user; an exception in onCreate, onLink or postAction fails that entry and creates nothing; a condition picks the policy', async () => {
    const { t, project } = s;
    project.writeCsv([csvRow('alice'), csvRow('skip1', { description: 'skip' }), csvRow('postfail'), csvRow('createfail'), csvRow('linkfail'), csvRow('keep'), csvRow('gone')]);
    const run = await recon(t);
    expect(run.state).toBe('SUCCESS');
    expect((await user(t, 'alice')).body).toMatchObject({ givenName: 'alice', description: `onCreate ABSENT default ${MAPPING}` });
    for (const id of ['skip1', 'postfail', 'createfail', 'linkfail']) expect((await user(t, id)).status).toBe(404);
    const entries = await audit(t, run._id);
    expect(entry(entries, 'alice')).toMatchObject({ situation: 'ABSENT', action: 'CREATE', status: 'SUCCESS' });
    expect(entry(entries, 'skip1')).toMatchObject({ situation: 'ABSENT', action: 'IGNORE', status: 'SUCCESS' });
    expect(entry(entries, 'postfail')).toMatchObject({ action: 'CREATE', status: 'FAILURE', message: expect.stringMatching(/postAction script of the ABSENT policy encountered exception: .*postAction refuses CREATE ABSENT of postfail/) });
    expect(entry(entries, 'createfail')).toMatchObject({ action: 'CREATE', status: 'FAILURE', message: expect.stringMatching(new RegExp(`${MAPPING} onCreate script encountered exception: .*onCreate refuses createfail`)) });
    expect(entry(entries, 'linkfail')).toMatchObject({ action: 'CREATE', status: 'FAILURE', message: expect.stringMatching(/onLink script encountered exception: .*onLink refuses linkfail/) });
  });

  it('onUpdate sees oldTarget and its change is written; onDelete refusing keeps that target; a failing result script fails the run with its message', async () => {
    const { t, project } = s;
    project.writeCsv([csvRow('alice', { firstname: 'Alicia' }), csvRow('resultfail')]);
    const run = await recon(t);
    expect((await user(t, 'alice')).body).toMatchObject({ givenName: 'Alicia', description: 'was alice' });
    // keep's onDelete threw: keep is still there, its entry a FAILURE; gone was deleted.
    expect((await user(t, 'keep')).status).toBe(200);
    expect((await user(t, 'gone')).status).toBe(404);
    const entries = await audit(t, run._id);
    expect(entry(entries, 'keep')).toMatchObject({ situation: 'SOURCE_MISSING', action: 'DELETE', status: 'FAILURE', message: expect.stringMatching(/onDelete script encountered exception: .*keep is protected/) });
    expect(entry(entries, 'gone')).toMatchObject({ situation: 'SOURCE_MISSING', action: 'DELETE', status: 'SUCCESS' });
    // ObjectMapping.doResults: `global`, `source` and `target` statistics; its exception fails the reconciliation.
    expect(run.state).toBe('FAILED');
    const reported = JSON.parse(/result (\{.*\})/.exec(run.message)![1]);
    expect(reported).toEqual({ reconId: run._id, mappingName: MAPPING, absent: ['resultfail'], processed: 2, missing: expect.arrayContaining(['keep', 'gone']) });
  });

  it('sync performAction runs the hooks too: onCreate shapes the user, its exception is the 409 with its message and nothing is created', async () => {
    const { t, project } = s;
    project.writeCsv([csvRow('pa1'), csvRow('createfail')]);
    const perform = (id: string) => t.call('POST', `/sync?_action=performAction&mapping=${MAPPING}&sourceId=${id}&action=CREATE`, { headers: ADMIN });
    expect((await perform('pa1')).status).toBe(200);
    expect((await user(t, 'pa1')).body).toMatchObject({ description: `onCreate ABSENT default ${MAPPING}` });
    const refused = await perform('createfail');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/onCreate script encountered exception: .*onCreate refuses createfail/);
    expect((await user(t, 'createfail')).status).toBe(404);
  });
});

describe('correlation by script (Correlation.correlate)', () => {
  it('a correlationQuery other than `field eq source.x` is run against managed users per entry', async () => {
    const s = await serverWith((m) => {
      delete m.correlation;
      m.correlationQuery = js("({ _queryFilter: 'mail eq \"' + source.email + '\" and sn eq \"' + source.lastname + '\"' })");
      m.policies = [{ situation: 'FOUND', action: 'LINK' }, { situation: 'ABSENT', action: 'CREATE' }, { situation: 'AMBIGUOUS', action: 'EXCEPTION' }];
    });
    try {
      const { t, project } = s;
      const create = (id: string, sn: string, mail: string) => t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn, mail } });
      expect((await create('m1', 'Test', 'found1@example.com')).status).toBe(201);
      expect((await create('m2', 'Other', 'found1@example.com')).status).toBe(201);
      project.writeCsv([csvRow('found1'), csvRow('new1')]);
      const run = await recon(t);
      const entries = await audit(t, run._id);
      expect(entry(entries, 'found1')).toMatchObject({ situation: 'FOUND', action: 'LINK', targetObjectId: 'm1', status: 'SUCCESS' });
      expect(entry(entries, 'new1')).toMatchObject({ situation: 'ABSENT', action: 'CREATE', status: 'SUCCESS' });
    } finally {
      await s.t.close();
      await s.db.destroy();
      s.project.remove();
    }
  });

  it('a correlationScript returns the candidates; a _queryId for-userName query is run too', async () => {
    const s = await serverWith((m) => {
      delete m.correlation;
      delete m.correlationQuery;
      m.correlationScript = js("source._id === 'byquery' ? ({ _queryId: 'for-userName', uid: 'taken-' + source._id }) : [{ _id: 'pre-' + source._id }]");
      m.policies = [{ situation: 'FOUND', action: 'LINK' }, { situation: 'ABSENT', action: 'IGNORE' }];
    });
    try {
      const { t, project } = s;
      expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'pre-x1', userName: 'whatever', sn: 'S', mail: 'a@example.com' } })).status).toBe(201);
      expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'q1', userName: 'taken-byquery', sn: 'S', mail: 'b@example.com' } })).status).toBe(201);
      project.writeCsv([csvRow('x1'), csvRow('byquery'), csvRow('none')]);
      const run = await recon(t);
      const entries = await audit(t, run._id);
      expect(entry(entries, 'x1')).toMatchObject({ situation: 'FOUND', action: 'LINK', targetObjectId: 'pre-x1' });
      expect(entry(entries, 'byquery')).toMatchObject({ situation: 'FOUND', action: 'LINK', targetObjectId: 'q1' });
      expect(entry(entries, 'none')).toMatchObject({ situation: 'ABSENT', action: 'IGNORE' });
    } finally {
      await s.t.close();
      await s.db.destroy();
      s.project.remove();
    }
  });
});

describe("a script that fails for one entry fails that entry, not the run (SourceSyncOperation: the entry's SynchronizationException)", () => {
  it('correlationScript, validSource and a policy condition throwing for one row: that row is a FAILURE naming the key, the others are reconciled', async () => {
    const s = await serverWith((m) => {
      delete m.correlation;
      delete m.correlationQuery;
      m.correlationScript = js("if (source._id === 'badcorr') throw new Error('no correlation for ' + source._id); []");
      m.validSource = js("if (source._id === 'badvalid') throw new Error('cannot judge ' + source._id); true");
      m.policies = [
        { situation: 'ABSENT', action: 'IGNORE', condition: js("if (object._id === 'badcond') throw new Error('condition broke'); object._id === 'skipme'") },
        { situation: 'ABSENT', action: 'CREATE' },
      ];
    });
    try {
      const { t, project } = s;
      project.writeCsv([csvRow('badcorr'), csvRow('badvalid'), csvRow('badcond'), csvRow('skipme'), csvRow('fine')]);
      const run = await recon(t);
      expect(run.state).toBe('SUCCESS');
      const entries = await audit(t, run._id);
      expect(entry(entries, 'badcorr')).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(/correlationScript failed for source badcorr: .*no correlation for badcorr/) });
      expect(entry(entries, 'badvalid')).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(/validSource.*cannot judge badvalid/) });
      expect(entry(entries, 'badcond')).toMatchObject({ situation: 'ABSENT', status: 'FAILURE', message: expect.stringMatching(/condition broke/) });
      expect(entry(entries, 'skipme')).toMatchObject({ situation: 'ABSENT', action: 'IGNORE', status: 'SUCCESS' });
      expect(entry(entries, 'fine')).toMatchObject({ situation: 'ABSENT', action: 'CREATE', status: 'SUCCESS' });
      expect(run.statusSummary.FAILURE).toBe(3);
      expect((await user(t, 'fine')).status).toBe(200);
      for (const id of ['badcorr', 'badvalid', 'badcond', 'skipme']) expect((await user(t, id)).status).toBe(404);
    } finally {
      await s.t.close();
      await s.db.destroy();
      s.project.remove();
    }
  });
});

describe('refused at start', () => {
  it('a hook that calls openidm stops the start, naming the key', async () => {
    const project = makeProject();
    project.editSync((sync) => (sync.mappings[0].onLink = js("openidm.patch('managed/user/' + targetId, null, [])")));
    const db = await createTestDb();
    try {
      await expect(startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false })).rejects.toThrow(/mappings\[0\]\.onLink: openidm calls are not available in this hook \(it runs inside the entry's transaction/);
    } finally {
      await db.destroy();
      project.remove();
    }
  });
});

describe("onCreate on an approval's snapshot (src/approval/request.ts)", () => {
  it('runs when the approval is asked for: the approver sees its result, and exactly that is created', async () => {
    const s = await serverWith((m) => (m.onCreate = js("target.description = 'approved shape of ' + source._id")));
    try {
      const { t, project } = s;
      project.writeCsv([csvRow('ann')]);
      await recon(t);
      const tasks = (await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN })).body.result.filter((x: any) => x.processVariables.sourceId === 'ann');
      expect(tasks).toHaveLength(1);
      const read = await t.call('GET', `/workflow/taskinstance/${tasks[0]._id}`, { headers: ADMIN });
      expect(read.body.approval.target).toMatchObject({ _id: 'ann', description: 'approved shape of ann' });
      expect((await t.call('POST', `/workflow/taskinstance/${tasks[0]._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
      await runJobs(t); // the createUser job
      expect((await user(t, 'ann')).body).toMatchObject({ description: 'approved shape of ann' });
    } finally {
      await s.t.close();
      await s.db.destroy();
      s.project.remove();
    }
  });
});
