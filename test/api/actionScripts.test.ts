// sync.json policy action scripts (src/recon/policyScript.ts) in a real server with a project
// folder: OpenIDM's Policy.getAction runs the policy's script with source, target, sourceAction,
// linkQualifier and recon.actionParam, and the run applies the action it answers. A project's own
// workflow/triggerWorkflowFromSync.js (here: reconflow's built-in text copied into script/) runs as
// a script, and its openidm.create('workflow/processinstance') for the row goes through the
// approval trigger (snapshot, one open request per row); other scripts answer IGNORE, EXCEPTION, LINK.
import fs from 'node:fs';
import path from 'node:path';
import { BUILT_IN_SCRIPT_DIR } from '../../src/config/scriptPath';
import { createTestDb, TestDb } from '../helpers/db';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { runRecon } from '../helpers/recon';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { auditOf, tasksWhere } from '../helpers/calls';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const TRIGGER = 'workflow/triggerWorkflowFromSync.js';

// FOUND rows: the answer depends on the row; `target` is the correlated user, `recon.actionParam` IDM's.
const FOUND_SCRIPT = `
  if (source.description === 'throw') throw new Error('no way');
  var p = recon.actionParam;
  // openidm.action: a recon of the running mapping is refused (409); sync performAction links the row now.
  if (source.description === 'recon') {
    try { openidm.action('recon', 'recon', {}, { mapping: p.mapping, waitForCompletion: true }); 'REPORT' } catch (e) { e.code === 409 && /already running/.test(e.message) ? 'IGNORE' : 'REPORT' }
  } else if (source.description === 'sync') {
    var done = openidm.action('sync', 'performAction', {}, { mapping: p.mapping, sourceId: p.sourceId, action: 'LINK', situation: 'FOUND' });
    done.status === 'OK' && done.targetId === target._id ? 'NOREPORT' : 'REPORT'
  } else {
  var wrong = [p.situation === 'FOUND', p.action === 'UPDATE', p.sourceId === source._id, p.targetId === target._id, p.mapping === '${MAPPING}', sourceAction === true, linkQualifier === 'default', p.linkQualifier === 'default'].indexOf(false);
  if (wrong >= 0) 'wrong' + wrong;
  else ({ ignore: 'IGNORE', bad: 'EXCEPTION', link: 'LINK', merge: 'MERGE', nothing: null })[source.description] + (greeting === 'hi' ? '' : '?')
  }
`;

describe('policy action scripts', () => {
  let project: TestProject;
  let db: TestDb;
  let t: TestServer;

  beforeAll(async () => {
    project = makeProject();
    fs.mkdirSync(path.join(project.dir, 'script/workflow'), { recursive: true });
    fs.copyFileSync(path.join(BUILT_IN_SCRIPT_DIR, TRIGGER), path.join(project.dir, 'script', TRIGGER));
    project.editSync((sync) => {
      const m = sync.mappings[0];
      m.policies = m.policies.filter((p: { situation: string }) => p.situation !== 'FOUND');
      m.policies.push({ situation: 'FOUND', action: { type: 'text/javascript', source: FOUND_SCRIPT, greeting: 'hi' } });
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
  const audit = async (reconId: string) => Object.fromEntries((await auditOf(t, reconId)).map((e) => [e.sourceObjectId, e]));
  const openTasks = (sourceId: string) => tasksWhere(t, (v) => v.sourceId === sourceId);

  it("runs the project's triggerWorkflowFromSync.js: the approval starts through the trigger, once per row", async () => {
    const found = ['ignore', 'bad', 'link', 'merge', 'nothing', 'throw', 'recon', 'sync'];
    for (const d of found) {
      const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: `user-${d}`, userName: `found-${d}`, sn: 'X', mail: `${d}@example.com` } });
      expect(r.status).toBe(201);
    }
    project.writeCsv([csvRow('newbie'), ...found.map((d) => csvRow(`found-${d}`, { description: d }))]);
    const first = await recon();
    expect(first.state).toBe('SUCCESS');
    const a = await audit(first._id);
    expect(a.newbie).toMatchObject({ situation: 'ABSENT', action: 'ASYNC', status: 'SUCCESS', message: expect.stringMatching(/^Started managedUserApproval instance \d+$/) });
    const [task] = await openTasks('newbie');
    expect(task).toBeDefined();
    // The trigger's start: the approval's snapshot is bound to the instance, started by the run's starter.
    const read = await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN });
    expect(read.body.approval).toMatchObject({ sourceId: 'newbie', mapping: MAPPING });
    const inst = await t.call('GET', `/workflow/processinstance/${task.processInstanceId}`, { headers: ADMIN });
    expect(inst.body.startUserId).toBe('openidm-admin');

    // A second run: the script finds the open instance and starts nothing (one open request per row).
    const second = await recon();
    const b = await audit(second._id);
    expect(b.newbie).toMatchObject({ situation: 'ABSENT', action: 'ASYNC', status: 'SUCCESS', message: `${path.join(project.dir, 'script', TRIGGER)} answered ASYNC` });
    expect(await openTasks('newbie')).toHaveLength(1);
  });

  it('applies and audits what other action scripts answer: IGNORE, EXCEPTION, LINK; a wrong answer or a throw is a failure', async () => {
    const last = await recon();
    const a = await audit(last._id);
    expect(a['found-ignore']).toMatchObject({ situation: 'FOUND', action: 'IGNORE', status: 'SUCCESS' });
    // An answered EXCEPTION is recorded as IDM's recon records it (SyncOperation.performAction's message, status SUCCESS).
    expect(a['found-bad']).toMatchObject({ situation: 'FOUND', action: 'EXCEPTION', status: 'SUCCESS', message: 'Situation FOUND marked as EXCEPTION' });
    expect(a['found-merge']).toMatchObject({ situation: 'FOUND', action: 'EXCEPTION', status: 'FAILURE', message: expect.stringContaining('action script returned invalid action "MERGE"') });
    expect(a['found-nothing']).toMatchObject({ action: 'EXCEPTION', status: 'FAILURE', message: expect.stringContaining('action script returned invalid action "null"') });
    expect(a['found-throw']).toMatchObject({ action: 'EXCEPTION', status: 'FAILURE', message: expect.stringContaining('no way') });
    expect(a['found-recon']).toMatchObject({ situation: 'FOUND', action: 'IGNORE', status: 'SUCCESS' });
    // performAction linked the row in the first run (its NOREPORT left no entry there): now CONFIRMED.
    expect(a['found-sync']).toMatchObject({ situation: 'CONFIRMED', targetObjectId: 'user-sync' });
    // LINK was applied in the earlier runs: this row is now linked (CONFIRMED, whose policy is UPDATE).
    expect(a['found-link']).toMatchObject({ situation: 'CONFIRMED', targetObjectId: 'user-link' });
  });
});

describe('an action script whose workflowName is not deployed', () => {
  it('stops the start, naming the mapping, the situation and the key (a failure per row otherwise)', async () => {
    const project = makeProject();
    const db = await createTestDb();
    try {
      fs.mkdirSync(path.join(project.dir, 'script/workflow'), { recursive: true });
      fs.copyFileSync(path.join(BUILT_IN_SCRIPT_DIR, TRIGGER), path.join(project.dir, 'script', TRIGGER));
      project.editSync((sync) => {
        const absent = sync.mappings[0].policies.find((p: { situation: string }) => p.situation === 'ABSENT');
        absent.action.workflowName = 'noSuchProcess';
      });
      await expect(startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false })).rejects.toThrow(
        /mapping systemCsvfileAccounts_managedUser policy ABSENT starts workflow "noSuchProcess", but no process definition has that key/,
      );
    } finally {
      await db.destroy();
      project.remove();
    }
  });
});

// OpenIDM's SyncOperation.performAction runs the policy's postAction (Policy.evaluatePostAction)
// after the action the script chose, unless that is IGNORE/ASYNC/EXCEPTION; its exception fails the entry.
describe('a postAction after an action script', () => {
  it('runs after the answered action in its savepoint (an exception undoes the link), and not after IGNORE', async () => {
    const project = makeProject();
    const db = await createTestDb();
    let t: TestServer | undefined;
    try {
      project.editSync((sync) => {
        const m = sync.mappings[0];
        m.policies = m.policies.filter((p: { situation: string }) => p.situation !== 'FOUND');
        m.policies.push({
          situation: 'FOUND',
          action: { type: 'text/javascript', source: "({ 'post-ok': 'LINK', 'post-fail': 'LINK', 'post-ignore': 'IGNORE' })[source.description]" },
          postAction: { type: 'text/javascript', source: "if (source.description !== 'post-ok' || target.userName !== 'found-post-ok') throw new Error('postAction after ' + action + ' ' + situation + ' sourceAction=' + sourceAction)" },
        });
      });
      t = await startTestServer({ projectDir: project.dir, db, keepDb: true, workers: false });
      const rows = ['post-ok', 'post-fail', 'post-ignore'];
      for (const d of rows) {
        const r = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: `user-${d}`, userName: `found-${d}`, sn: 'X', mail: `${d}@example.com` } });
        expect(r.status).toBe(201);
      }
      project.writeCsv(rows.map((d) => csvRow(`found-${d}`, { description: d })));
      const audit = async (reconId: string) => {
        const r = await t!.call('GET', `/audit/recon?_queryFilter=${encodeURIComponent(`reconId eq "${reconId}"`)}`, { headers: ADMIN });
        return Object.fromEntries((r.body.result as any[]).map((e) => [e.sourceObjectId, e]));
      };
      const first = await audit((await runRecon(t, MAPPING))._id);
      expect(first['found-post-ok']).toMatchObject({ situation: 'FOUND', action: 'LINK', status: 'SUCCESS', targetObjectId: 'user-post-ok' });
      expect(first['found-post-fail']).toMatchObject({ situation: 'FOUND', action: 'LINK', status: 'FAILURE', message: expect.stringMatching(/postAction script of the FOUND policy encountered exception: .*postAction after LINK FOUND sourceAction=true/) });
      expect(first['found-post-ignore']).toMatchObject({ situation: 'FOUND', action: 'IGNORE', status: 'SUCCESS' });
      // The failed postAction undid its LINK: that row is FOUND again; the other is linked.
      const second = await audit((await runRecon(t, MAPPING))._id);
      expect(second['found-post-ok']).toMatchObject({ situation: 'CONFIRMED', targetObjectId: 'user-post-ok' });
      expect(second['found-post-fail']).toMatchObject({ situation: 'FOUND', action: 'LINK', status: 'FAILURE' });
    } finally {
      await t?.close();
      await db.destroy();
      project.remove();
    }
  });
});
