// Timers that outlive memory: the escalation timer of managedUserApproval is stored with its
// instance (process_instance.wake_at), fired by whichever server runs the scheduler when it is due,
// after a restart too, and exactly once when several nodes scan at the same moment.
import path from 'node:path';
import { crestErrorOf } from '../../src/api/errors';
import { DomainError } from '../../src/errors';
import { quietLogger } from '../../src/log';
import { Db, openDb } from '../../src/repo/db';
import { Definitions } from '../../src/workflow/definitions';
import { WorkflowRuntime } from '../../src/workflow/runtime';
import { createTestDb, TestDb } from '../helpers/db';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';

const ROOT = path.resolve(__dirname, '..', '..');

async function openTasks(t: TestServer, instanceId: string) {
  const r = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq ${instanceId}`)}`, { headers: ADMIN });
  expect(r.status).toBe(200);
  return r.body.result as { _id: string; taskDefinitionKey: string; assignee: string | null }[];
}

describe('escalation timer across a restart', () => {
  let db: TestDb;
  let t: TestServer | undefined;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await t?.close();
    await db.destroy();
  });

  it('is stored with the instance, fired by the next server, and the escalated task completes the process', async () => {
    t = await startTestServer({ db, keepDb: true, workers: false });
    const startedAt = Date.now();
    const created = await t.call('POST', '/workflow/processinstance?_action=create', {
      headers: ADMIN,
      body: { _key: 'managedUserApproval', sourceId: 'bjensen', mapping: 'systemCsvfileAccounts_managedUser', reconId: 'r1', escalationDuration: 'PT2S' },
    });
    expect(created.status).toBe(201);
    const id = created.body._id as string;
    expect((await openTasks(t, id)).map((x) => [x.taskDefinitionKey, x.assignee])).toEqual([['evaluateRequest', 'async.admin']]);

    const row = await db.knex('process_instance').where({ id: Number(id) }).first();
    const wakeAt = Number(row.wake_at);
    expect(wakeAt).toBeGreaterThanOrEqual(startedAt + 2000);
    expect(wakeAt).toBeLessThanOrEqual(Date.now() + 2000);

    // Stop before the timer is due: nothing in memory survives; only the row knows about the timer.
    await t.close();
    t = undefined;
    expect(Date.now()).toBeLessThan(wakeAt);

    t = await startTestServer({ db, keepDb: true, workers: false });
    const server = t;
    const escalated = await eventually(
      async () => {
        const open = await openTasks(server, id);
        return open.length === 1 && open[0].taskDefinitionKey === 'escalatedReview' ? open[0] : undefined;
      },
      5_000,
      'the escalation',
    );
    expect(escalated.assignee).toBe('openidm-admin');
    expect(Date.now()).toBeGreaterThanOrEqual(wakeAt);
    expect(Number((await db.knex('process_instance').where({ id: Number(id) }).first()).wake_at ?? 0)).toBe(0);

    const full = await t.call('GET', `/workflow/taskinstance/${escalated._id}`, { headers: ADMIN });
    expect(full.body.form.map((f: { _id: string }) => f._id)).toEqual(['requesterName', 'requestApproved']);
    expect(full.body.form[0]).toMatchObject({ value: 'bjensen', writable: false });

    const done = await t.call('POST', `/workflow/taskinstance/${escalated._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } });
    expect(done.status).toBe(200);
    const hist = await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN });
    expect(hist.body).toMatchObject({ status: 'ended', endActivityId: 'approved' });
    const job = await db.knex('job').where({ key: `createUser:${id}` }).first();
    expect(job).toMatchObject({ type: 'createUser', state: 'queued' });
  });
});

describe('on any node, once', () => {
  let db: TestDb;
  // PostgreSQL: a second pool, as a second node has. SQLite: nodes of one file are separate
  // processes; in one process a second better-sqlite3 connection would block the event loop in its
  // busy wait while the first holds the write lock, so both nodes share the one connection here
  // (their reads, engine runs and transactions still interleave).
  let second: Db;
  beforeAll(async () => {
    db = await createTestDb();
    second = db.dialect !== 'sqlite' ? openDb({ url: db.env.DATABASE_URL, schema: db.env.DATABASE_SCHEMA, projectDir: ROOT }) : db;
  });
  afterAll(async () => {
    if (second !== db) await second.knex.destroy();
    await db.destroy();
  });

  it('two runtimes over the same database scanning at the same moment fire each due timer exactly once', async () => {
    let now = Date.UTC(2030, 0, 1);
    const clock = { now: () => now };
    const nodeA = new WorkflowRuntime(db, new Definitions(db, quietLogger), quietLogger, {}, clock);
    const nodeB = new WorkflowRuntime(second, new Definitions(second, quietLogger), quietLogger, {}, clock);
    const report = await nodeA.definitions.deployDirectory(path.join(ROOT, 'processes'));
    expect(report.failed).toEqual([]);

    // One instance, both nodes at once on it: one fires, the other is turned away.
    const { instance: single } = await nodeA.start({ key: 'managedUserApproval', variables: { sourceId: 'solo', mapping: 'm', reconId: 'r1', escalationDuration: 'PT2S' } });
    now += 3_000;
    expect((await Promise.all([nodeA.fireTimers(single.id), nodeB.fireTimers(single.id)])).sort()).toEqual([false, true]);
    expect(await db.knex('task').where({ process_instance_id: single.id }).select('task_definition_key')).toEqual([{ task_definition_key: 'escalatedReview' }]);

    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { instance } = await nodeA.start({ key: 'managedUserApproval', variables: { sourceId: `user${i}`, mapping: 'm', reconId: 'r1', escalationDuration: 'PT2S' } });
      ids.push(instance.id);
    }
    expect(await nodeB.fireDue()).toBe(0); // not due yet
    const versionOf = async () => new Map((await db.knex('process_instance').whereIn('id', ids).select('id', 'version')).map((r) => [Number(r.id), Number(r.version)]));
    const startVersions = await versionOf();

    now += 3_000;
    const [a, b] = await Promise.all([nodeA.fireDue(), nodeB.fireDue()]);
    expect(a + b).toBe(ids.length);
    expect(await nodeA.fireDue()).toBe(0);

    const tasks = await db.knex('task').whereIn('process_instance_id', ids).select('process_instance_id', 'task_definition_key', 'assignee');
    expect(tasks).toHaveLength(ids.length);
    for (const id of ids) {
      expect(tasks.filter((x) => Number(x.process_instance_id) === id)).toEqual([
        { process_instance_id: expect.anything(), task_definition_key: 'escalatedReview', assignee: 'openidm-admin' },
      ]);
    }
    // Exactly one timer run was stored per instance: a double fire would have bumped the version twice.
    const versions = await versionOf();
    expect(ids.map((id) => versions.get(id)! - startVersions.get(id)!)).toEqual(ids.map(() => 1));
    expect((await db.knex('process_instance').whereIn('id', ids).whereNotNull('wake_at')).length).toBe(0);
  });

  it('a completion racing its task\'s interrupting timer: one wins, the other is turned away (409), never a deadlock', async () => {
    let now = Date.UTC(2031, 0, 1);
    const clock = { now: () => now };
    const nodeA = new WorkflowRuntime(db, new Definitions(db, quietLogger), quietLogger, {}, clock);
    const nodeB = new WorkflowRuntime(second, new Definitions(second, quietLogger), quietLogger, {}, clock);
    await nodeA.definitions.deployDirectory(path.join(ROOT, 'processes'));
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push((await nodeA.start({ key: 'managedUserApproval', variables: { sourceId: `race${i}`, mapping: 'm', reconId: 'r2', escalationDuration: 'PT1S' } })).instance.id);
    }
    now += 2_000;
    const admin = { component: 'internal/user' as const, id: 'openidm-admin', userName: 'openidm-admin', roles: ['openidm-admin'] };
    // The HTTP code the API would answer with (domain errors become CREST at the edge).
    const codeOf = (e: unknown) => (e instanceof DomainError ? crestErrorOf(e).code : (e as { code?: unknown }).code);
    const outcomes = await Promise.all(
      ids.map(async (id) => {
        const [task] = await db.knex('task').where({ process_instance_id: id });
        const [timer, completion] = await Promise.allSettled([nodeB.fireTimers(id), nodeA.complete(Number(task.id), { requestApproved: 'true' }, admin)]);
        const inst = await db.knex('process_instance').where({ id }).first();
        const open = (await db.knex('task').where({ process_instance_id: id })).map((t) => t.task_definition_key);
        return {
          timer: timer.status === 'fulfilled' ? timer.value : `error ${codeOf(timer.reason)}`,
          completion: completion.status === 'fulfilled' ? 'done' : `error ${codeOf(completion.reason)}`,
          state: inst.status === 'ended' ? `ended at ${inst.end_activity_id}` : `waits at ${open.join(',')}`,
        };
      }),
    );
    for (const o of outcomes) {
      expect([
        { timer: false, completion: 'done', state: 'ended at approved' },
        { timer: true, completion: 'error 409', state: 'waits at escalatedReview' },
      ]).toContainEqual(o);
    }
  });
});
