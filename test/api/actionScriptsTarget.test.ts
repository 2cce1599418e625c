// Policy action scripts on target-phase situations (src/recon/targetPolicyScript.ts) and the
// mapping's result script with IDM's script API, on a real server with a project folder.
// OpenIDM's Policy.getAction run by a TargetSyncOperation: `source` null, `target`, `sourceAction`
// false, `linkQualifier`, `recon.actionParam` = TargetSyncOperation.toJsonValue (target "true",
// targetId, no sourceId) + _action "performAction"; the answer is applied (DELETE within the run's
// deletion budget), and an openidm.create('workflow/processinstance') for the target is the
// target-phase approval request (one open request per target). ObjectMapping.doResults runs the
// result script after the run with openidm, identityServer and logger; its exception fails the run.
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { auditOf, tasksWhere, userOf } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';

// UNASSIGNED targets: the answer depends on the target's description; any wrong binding is an invalid answer.
const UNASSIGNED_SCRIPT = `
  var p = recon.actionParam;
  var wrong = [source === null, sourceAction === false, linkQualifier === 'default', p._action === 'performAction', p.target === 'true',
    p.targetId === target._id, p.sourceId === undefined, p.situation === 'UNASSIGNED', p.action === 'EXCEPTION', p.mapping === '${MAPPING}',
    typeof p.reconId === 'string', p.linkQualifier === 'default'].indexOf(false);
  if (wrong >= 0) 'wrong' + wrong;
  else if (target.description === 'drop') 'DELETE';
  else if (target.description === 'create') 'CREATE';
  else if (target.description === 'ask') {
    // No check for an open instance here: the approval path keeps one open request per target.
    openidm.create('workflow/processinstance', null, { _key: workflowName, reconId: p.reconId, mapping: p.mapping, situation: p.situation, action: p.action, target: p.target, targetId: p.targetId });
    'ASYNC'
  } else 'IGNORE'
`;

// The result script: openidm.read / create, identityServer, logger; an unsupported resource when result-boom exists.
const RESULT_SCRIPT = `
  if (openidm.read('managed/user/result-boom') !== null) openidm.create('system/ldap/account', null, { uid: 'x' });
  var tag = identityServer.getProperty('reconflow.test.no.such.property', 'dflt', true);
  logger.info('result of {}: {} unassigned', global.reconId, target.UNASSIGNED ? target.UNASSIGNED.count : 0);
  openidm.create('managed/user', 'result-' + global.reconId, { userName: 'result-' + global.reconId, sn: 'Result', mail: 'result-' + global.reconId + '@example.com',
    description: [tag, source.processed, target.UNASSIGNED ? target.UNASSIGNED.ids.sort().join(',') : ''].join('|') });
`;

describe('action scripts on target-phase situations and the result script with the script API (OpenIDM TargetSyncOperation, ObjectMapping.doResults)', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    project.addProcess('target-approval.bpmn', 'targetApproval.bpmn');
    project.editSync((sync) => {
      const m = sync.mappings[0];
      const set = (situation: string, action: unknown) => {
        m.policies = m.policies.filter((p: { situation: string }) => p.situation !== situation).concat([{ situation, action }]);
      };
      set('ABSENT', 'CREATE');
      set('UNASSIGNED', { type: 'text/javascript', source: UNASSIGNED_SCRIPT, workflowName: 'targetApproval', approvedAction: 'DELETE' });
      m.result = { type: 'text/javascript', source: RESULT_SCRIPT };
      // The synchronous sandbox's identityServer (a snapshot of the properties it names) and logger (written after the call).
      m.onCreate = { type: 'text/javascript', source: "logger.info('onCreate {}', source._id); target.description = identityServer.getProperty('launcher.project.location') + '|' + identityServer.getProperty('no.such.property', 'd', true);" };
    });
    db = await createTestDb();
    t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
  });
  afterAll(async () => {
    await t.close();
    await db.destroy();
    project.remove();
  });

  const recon = () => runRecon(t, MAPPING);
  const audit = async (reconId: string) => Object.fromEntries((await auditOf(t, reconId)).filter((e) => e.targetObjectId).map((e) => [e.targetObjectId, e]));
  const tasksFor = (targetId: string) => tasksWhere(t, (v) => v.targetId === targetId);
  const user = (id: string) => userOf(t, id);
  const createUser = async (id: string, description?: string) => {
    const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn: 'T', mail: `${id}@example.com`, ...(description && { description }) } });
    expect(r.status).toBe(201);
  };

  it('UNASSIGNED: DELETE deletes; ASYNC after openidm.create(workflow/processinstance) asks one approval per target, and a second run asks none', async () => {
    await createUser('drop-me', 'drop');
    await createUser('ask-me', 'ask');
    await createUser('ask-too', 'ask');
    await createUser('keep-me');
    await createUser('create-me', 'create');
    project.writeCsv([csvRow('alice')]);

    const first = await recon();
    expect(first.state).toBe('SUCCESS');
    expect((await user('alice')).body.description).toBe(`${path.resolve(project.dir)}|d`);
    const a = await audit(first._id);
    expect(a['drop-me']).toMatchObject({ situation: 'UNASSIGNED', action: 'DELETE', status: 'SUCCESS', sourceObjectId: null });
    expect((await user('drop-me')).status).toBe(404);
    expect(a['keep-me']).toMatchObject({ situation: 'UNASSIGNED', action: 'IGNORE', status: 'SUCCESS' });
    expect((await user('keep-me')).status).toBe(200);
    // CREATE needs a source object (ObjectMapping.performAction with a TargetSyncOperation): a failure naming the script.
    expect(a['create-me']).toMatchObject({ situation: 'UNASSIGNED', action: 'CREATE', status: 'FAILURE', message: expect.stringContaining('answered CREATE, which needs a source object; UNASSIGNED has none') });
    for (const id of ['ask-me', 'ask-too']) {
      expect(a[id]).toMatchObject({ situation: 'UNASSIGNED', action: 'ASYNC', status: 'SUCCESS', message: expect.stringMatching(/^Started targetApproval instance \d+$/) });
      const tasks = await tasksFor(id);
      expect(tasks).toHaveLength(1);
      // The target-phase request: no sourceId, the target's id, the policy's approvedAction.
      expect(tasks[0].processVariables).toMatchObject({ reconId: first._id, mapping: MAPPING, situation: 'UNASSIGNED', action: 'DELETE', targetId: id, target: 'true' });
      expect(tasks[0].processVariables.sourceId ?? null).toBeNull();
      const read = await t.call('GET', `/workflow/taskinstance/${tasks[0]._id}`, { headers: ADMIN });
      expect(read.body.approval).toMatchObject({ mapping: MAPPING, sourceId: null, action: 'DELETE', situation: 'UNASSIGNED', targetId: id });
    }

    // The script creates again; the approval path starts nothing (one open request per target).
    const second = await recon();
    expect(second.state).toBe('SUCCESS');
    const b = await audit(second._id);
    expect(b['ask-me']).toMatchObject({ situation: 'UNASSIGNED', action: 'ASYNC', status: 'SUCCESS' });
    expect(b['ask-me'].message).not.toMatch(/^Started/);
    expect(await tasksFor('ask-me')).toHaveLength(1);
    expect(await tasksFor('ask-too')).toHaveLength(1);
  });

  it('the result script calls openidm (read, create), identityServer and logger after the run', async () => {
    const runs = (await t.call('GET', '/recon', { headers: ADMIN })).body.reconciliations as any[];
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs) {
      const created = await user(`result-${r._id}`);
      expect(created.status).toBe(200);
      expect(created.body.description).toMatch(/^dflt\|1\|/);
    }
    // The first run's statistics: its UNASSIGNED targets, by id.
    const first = runs.reduce((x, y) => (x.started < y.started ? x : y));
    expect((await user(`result-${first._id}`)).body.description).toBe('dflt|1|ask-me,ask-too,create-me,drop-me,keep-me');
  });

  it('a result script calling an unsupported resource fails the run, naming the call', async () => {
    await createUser('result-boom');
    const run = await recon();
    expect(run.state).toBe('FAILED');
    expect(run.message).toContain('result script encountered exception');
    expect(run.message).toContain("openidm.create('system/ldap/account') is not supported by reconflow");
  });
});

describe('a target-phase action script answering DELETE past the deletion threshold', () => {
  it('stops the run before the removal (deletionThreshold), the target kept', async () => {
    const project = makeProject();
    const db = await createTestDb();
    const t = await startTestServer({
      projectDir: (project.editSync((sync) => {
        const m = sync.mappings[0];
        m.policies = m.policies.filter((p: { situation: string }) => p.situation !== 'UNASSIGNED' && p.situation !== 'ABSENT')
          .concat([{ situation: 'ABSENT', action: 'CREATE' }, { situation: 'UNASSIGNED', action: { type: 'text/javascript', source: "'DELETE'" } }]);
        m.deletionThreshold = { percent: 0, minimum: 0 };
      }), project.dir),
      db, keepDb: true, workers: false,
    });
    try {
      const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'lonely', userName: 'lonely', sn: 'T', mail: 'lonely@example.com' } });
      expect(r.status).toBe(201);
      project.writeCsv([csvRow('alice')]);
      const started = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}&waitForCompletion=true`, { headers: ADMIN });
      const run = (await t.call('GET', `/recon/${started.body._id}`, { headers: ADMIN })).body;
      expect(run.state).toBe('FAILED');
      expect(run.message).toContain('UNASSIGNED → DELETE: 1');
      expect((await t.call('GET', '/managed/user/lonely', { headers: ADMIN })).status).toBe(200);
    } finally {
      await t.close();
      await db.destroy();
      project.remove();
    }
  });
});

// SyncOperation.performAction runs the policy's postAction (Policy.evaluatePostAction) after the
// action a TargetSyncOperation's script chose too, with `sourceAction` false; not after IGNORE.
describe('a postAction after a target-phase action script', () => {
  it('runs after the answered action (its exception fails the entry), and not after IGNORE', async () => {
    const project = makeProject();
    const db = await createTestDb();
    const t = await startTestServer({
      projectDir: (project.editSync((sync) => {
        const m = sync.mappings[0];
        m.policies = m.policies.filter((p: { situation: string }) => p.situation !== 'UNASSIGNED').concat([{
          situation: 'UNASSIGNED',
          action: { type: 'text/javascript', source: "target.userName.indexOf('ignore') === 0 ? 'IGNORE' : 'REPORT'" },
          postAction: { type: 'text/javascript', source: "if (target.description === 'fail') throw new Error('postAction after ' + action + ' ' + situation + ' sourceAction=' + sourceAction)" },
        }]);
      }), project.dir),
      db, keepDb: true, workers: false,
    });
    try {
      for (const [id, description] of [['report-ok', 'fine'], ['report-fail', 'fail'], ['ignore-fail', 'fail']]) {
        const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: id, userName: id, sn: 'T', mail: `${id}@example.com`, description } });
        expect(r.status).toBe(201);
      }
      project.writeCsv([csvRow('alice')]);
      const run = await runRecon(t, MAPPING);
      const r = await t.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${run._id}"`)}`, { headers: ADMIN });
      const a = Object.fromEntries((r.body.result as any[]).filter((e) => e.targetObjectId).map((e) => [e.targetObjectId, e]));
      expect(a['report-ok']).toMatchObject({ situation: 'UNASSIGNED', action: 'REPORT', status: 'SUCCESS' });
      expect(a['report-fail']).toMatchObject({ situation: 'UNASSIGNED', action: 'REPORT', status: 'FAILURE', message: expect.stringMatching(/postAction script of the UNASSIGNED policy encountered exception: .*postAction after REPORT UNASSIGNED sourceAction=false/) });
      expect(a['ignore-fail']).toMatchObject({ situation: 'UNASSIGNED', action: 'IGNORE', status: 'SUCCESS' });
    } finally {
      await t.close();
      await db.destroy();
      project.remove();
    }
  });
});
