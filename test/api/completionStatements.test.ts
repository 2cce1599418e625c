// What an approved completion writes, and in how many statements (issue 19: each statement is a
// round trip to PostgreSQL, where the database shares the machine's cores with the server).
// The effects are those of every completion before (task gone, its history "completed", the other
// open tasks' "deleted", the decision, the createUser job, no failed request for a requested
// approval); the statements are fewer: no internal_user read (src/auth/accounts.ts keeps it), the
// task delete and both history closes in one statement on PostgreSQL, the decision and the
// unrequested-approval insert in one.
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { startTestServer, TestServer } from '../helpers/server';
import { completeTask, runJobs, tasksWhere } from '../helpers/calls';
import { runRecon } from '../helpers/recon';

jest.setTimeout(120_000);
const MAPPING = 'systemCsvfileAccounts_managedUser';

describe('an approved completion', () => {
  let project: TestProject;
  let t: TestServer;
  beforeAll(async () => {
    project = makeProject();
    t = await startTestServer({ projectDir: project.dir, workers: false });
    project.writeCsv([csvRow('first.one', {}), csvRow('second.one', {})]);
    await runRecon(t, MAPPING);
  });
  afterAll(async () => {
    await t.close();
    project.remove();
  });

  it('writes what it wrote before in fewer statements', async () => {
    const tasks = await tasksWhere(t, () => true);
    expect(tasks).toHaveLength(2);
    // The first call reads the administrator into the cache; count the second.
    expect((await completeTask(t, tasks[0]._id, { requestApproved: 'true' })).status).toBe(200);
    const sql: string[] = [];
    t.server.ctx.db.knex.on('query', (q: { sql: string }) => sql.push(q.sql));
    const task = tasks[1];
    expect((await completeTask(t, task._id, { requestApproved: 'true' })).status).toBe(200);
    t.server.ctx.db.knex.removeAllListeners('query');

    const db = t.db.knex;
    expect(await db('task').where({ process_instance_id: Number(task.processInstanceId) })).toEqual([]);
    const history = await db('task_history').where({ id: Number(task._id) }).first();
    expect(history.delete_reason).toBe('completed');
    expect(history.end_time).toEqual(expect.any(String));
    const decision = await db('decision').where({ process_instance_id: Number(task.processInstanceId) }).first();
    expect(decision).toMatchObject({ decision: 'approved', decided_by: 'openidm-admin' });
    // The reconciliation asked for it: its request stays, not replaced by a failed one.
    const request = await db('approval_request').where({ process_instance_id: Number(task.processInstanceId) }).first();
    expect(request.outcome).toBeNull();
    expect(request.target).not.toBeNull();
    expect(await db('job').where({ key: `createUser:${task.processInstanceId}` })).toHaveLength(1);

    const pg = t.db.env.DATABASE_URL.startsWith('postgres');
    expect(sql.filter((s) => /internal_user/i.test(s))).toEqual([]);
    const writes = sql.filter((s) => /^\s*(insert|update|delete|with)\b/i.test(s));
    // instance update, activity history, tasks and their history, job, decision (+ request):
    // PostgreSQL 5 statements (was 8), SQLite 7 (was 8).
    expect(writes).toHaveLength(pg ? 5 : 7);
    await runJobs(t);
    expect((await db('approval_request').where({ process_instance_id: Number(task.processInstanceId) }).first()).outcome).toBe('created');
  });

  it('an approval no reconciliation asked for still records its decision and a failed request', async () => {
    // Start the approval process directly, as a script could: no approval_request row exists.
    const started = await t.call('POST', '/workflow/processinstance?_action=create', {
      headers: { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' },
      body: { _key: 'managedUserApproval', sourceId: 'nobody', mapping: MAPPING, reconId: 'r-rest' },
    });
    expect(started.status).toBe(201);
    const [task] = await tasksWhere(t, (v) => v.sourceId === 'nobody');
    expect((await completeTask(t, task._id, { requestApproved: 'true' })).status).toBe(200);
    const db = t.db.knex;
    const id = Number(task.processInstanceId);
    expect((await db('decision').where({ process_instance_id: id }).first()).decision).toBe('approved');
    expect(await db('approval_request').where({ process_instance_id: id }).first()).toMatchObject({ outcome: 'failed', target: null });
  });
});
