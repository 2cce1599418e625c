// 3. Concurrency: 50 concurrent completes of one task → exactly one 200, the rest 409/404, one
// user; two administrators claiming the same (unassigned) task at once → exactly one wins.
import fs from 'node:fs';
import {
  ADMIN, ASYNC_ADMIN, completeTask, count, createApprover, csvOf, isCrestError, ledger, makeProject, openTaskIds, record, reproduce, request, attempt, ServerProc,
  sourceIds, testDb, startRecon, startServer, TestDatabase, until, waitRecon,
} from './harness';

const TASKS = 10;
const RACERS = 50;
const CLAIM_ROUNDS = 20;

describe('concurrency on one server', () => {
  let db: TestDatabase;
  let project: string;
  let s: ServerProc;
  const ids = sourceIds(TASKS + CLAIM_ROUNDS, 'race');

  beforeAll(async () => {
    db = await testDb('concurrency');
    project = makeProject('concurrency', csvOf(ids));
    s = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-concurrency' });
    await createApprover(s.base);
    for (const n of ['admin1', 'admin2']) {
      const r = await request(s.base, 'POST', '/managed/user?_action=create', {
        headers: ADMIN,
        body: { _id: n, userName: n, givenName: n, sn: 'admin', mail: `${n}@example.com`, password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }] },
      });
      expect(r.status).toBe(201);
    }
    expect((await waitRecon(s.base, await startRecon(s.base))).state).toBe('SUCCESS');
  });
  afterAll(async () => {
    await s?.stop();
    await db.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  const taskOf = async (sourceId: string): Promise<string> => {
    const f = encodeURIComponent(`processVariables/sourceId eq "${sourceId}"`);
    const r = await request(s.base, 'GET', `/workflow/taskinstance?_queryFilter=${f}&_fields=_id`, { headers: ADMIN });
    expect(r.body.result).toHaveLength(1);
    return r.body.result[0]._id;
  };

  it(`${RACERS} concurrent completes of one task: exactly one 200, the rest 409/404, one user (x${TASKS} tasks)`, async () => {
    const raced = ids.slice(0, TASKS);
    const statuses: Record<string, number> = {};
    let winnersTotal = 0;
    let badShape = 0;
    for (const sid of raced) {
      const task = await taskOf(sid);
      // Half as the assignee, half as openidm-admin; all released at once.
      const replies = await Promise.all(Array.from({ length: RACERS }, (_, i) => completeTask(s.base, task, i % 2 ? ASYNC_ADMIN : ADMIN)));
      for (const r of replies) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const winners = replies.filter((r) => r.status === 200).length;
      winnersTotal += winners;
      badShape += replies.filter((r) => r.status !== 200 && !isCrestError(r.body, r.status)).length;
      expect(winners).toBe(1);
      expect(replies.filter((r) => r.status !== 200 && r.status !== 409 && r.status !== 404).map((r) => [r.status, r.text])).toEqual([]);
    }
    await until('the created users', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0 && (await count(db.knex, 'SELECT COUNT(*) AS n FROM job')) === TASKS, 30_000);
    const l = await ledger(db, raced);
    const decisions = await count(db.knex, 'SELECT COUNT(*) AS n FROM decision');
    record({
      id: '3a-concurrent-completes',
      scenario: 'Concurrent completes of one task',
      backend: db.backend,
      injected: `${RACERS} simultaneous completes of the same task (half by the assignee, half by openidm-admin), on ${TASKS} tasks`,
      tried: `${RACERS * TASKS} requests`,
      lost: l.lost,
      doubled: l.doubled + (winnersTotal - TASKS) + (decisions - TASKS),
      measured: { statuses, winners: winnersTotal, decisions, users: l.users, links: l.links, jobs: l.jobStates, attempts: l.attempts, errorsWithoutCrestShape: badShape },
      command: reproduce('test/reliability/concurrency.rel.ts', 'concurrent completes'),
    });
    expect(badShape).toBe(0);
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, decisions }).toEqual({ lost: 0, doubled: 0, decisions: TASKS });
  });

  it(`two administrators claiming the same unassigned task: exactly one wins (x${CLAIM_ROUNDS})`, async () => {
    const A1 = { 'X-OpenIDM-Username': 'admin1', 'X-OpenIDM-Password': 'Passw0rd' };
    const A2 = { 'X-OpenIDM-Username': 'admin2', 'X-OpenIDM-Password': 'Passw0rd' };
    let doubleWins = 0;
    let noWinner = 0;
    const statuses: Record<string, number> = {};
    for (const sid of ids.slice(TASKS)) {
      const task = await taskOf(sid);
      // Unassign it (it starts assigned to async.admin), then both claim it for themselves at once.
      expect((await request(s.base, 'PUT', `/workflow/taskinstance/${task}`, { headers: ADMIN, body: { assignee: null } })).status).toBe(200);
      const [r1, r2] = await Promise.all([
        attempt(s.base, 'POST', `/workflow/taskinstance/${task}?_action=claim`, { headers: A1, body: {} }),
        attempt(s.base, 'POST', `/workflow/taskinstance/${task}?_action=claim`, { headers: A2, body: {} }),
      ]);
      for (const r of [r1, r2]) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const wins = [r1, r2].filter((r) => r.status === 200).length;
      if (wins > 1) doubleWins++;
      if (wins === 0) noWinner++;
      const loser = r1.status === 200 ? r2 : r1;
      expect(loser.status).toBe(409);
      expect(isCrestError(loser.body, 409)).toBe(true);
      const detail = await request(s.base, 'GET', `/workflow/taskinstance/${task}`, { headers: ADMIN });
      expect(detail.body.assignee).toBe(r1.status === 200 ? 'admin1' : 'admin2');
    }
    record({
      id: '3b-concurrent-claims',
      scenario: 'Two admins claim one task',
      backend: db.backend,
      injected: 'two administrators claim the same unassigned task at the same moment',
      tried: `${CLAIM_ROUNDS} tasks x 2 claims`,
      lost: noWinner,
      doubled: doubleWins,
      measured: { statuses },
      command: reproduce('test/reliability/concurrency.rel.ts', 'claiming'),
    });
    expect({ doubleWins, noWinner }).toEqual({ doubleWins: 0, noWinner: 0 });
  });
});
