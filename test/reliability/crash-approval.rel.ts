// 2. Crash after approval: (a) SIGKILL right after completes answered 200, before any createUser
// job could run (the first server has no worker); (b) SIGKILL while the worker is in the middle of
// the queued createUser jobs. After a restart every approved user exists exactly once, with
// exactly one link, one CREATE audit entry and one done job.
import fs from 'node:fs';
import {
  ASYNC_ADMIN, completeTask, count, createApprover, csvOf, ledger, makeProject, openTaskIds, pool, record, reproduce, rows, ServerProc, sourceIds, testDb,
  startRecon, startServer, TestDatabase, until, waitRecon,
} from './harness';

describe('crash after approval', () => {
  const servers: ServerProc[] = [];

  /**
   * Starts a worker on the backlog and SIGKILLs it once `fraction` of the n jobs more are done and one
   * is claimed and not yet committed. A job is a few ms, so the kill may land between two jobs: then
   * start and kill again (at most 5 times). The worker runs jobs before the server answers HTTP, so
   * the jobs are watched from the spawn on, not from the first answer.
   */
  async function killWithJobInHand(db: { knex: Parameters<typeof count>[0]; url: string }, project: string, n: number, fraction: number, nodeId?: string) {
    let doneAtKill = 0;
    let byState: Record<string, number> = {};
    let kills = 0;
    while (kills < 5 && !(byState.running > 0)) {
      let s: ServerProc | undefined;
      const starting = startServer({ projectDir: project, databaseUrl: db.url, ...(nodeId ? { nodeId } : {}), onSpawn: (p) => servers.push((s = p)) }).catch(() => undefined);
      const doneBefore = await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state = 'done'");
      doneAtKill = await until('the worker to be part-way through, with a job in hand', async () => {
        const [{ done, running }] = await rows<{ done: number; running: number }>(db.knex, "SELECT SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done, SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running FROM job");
        return Number(done) >= doneBefore + n * fraction && Number(running) > 0 && Number(done);
      }, 60_000, 1);
      s!.kill('SIGKILL');
      await s!.exited;
      await starting;
      kills++;
      const states = await rows<{ state: string; n: number }>(db.knex, 'SELECT state, COUNT(*) AS n FROM job GROUP BY state');
      byState = Object.fromEntries(states.map((r) => [r.state, Number(r.n)]));
    }
    return { doneAtKill, byState, kills };
  }
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    for (const c of cleanup) await c();
  });

  async function approvedBacklog(label: string, n: number) {
    const db = await testDb(label);
    const ids = sourceIds(n, `${label.slice(0, 3)}`);
    const project = makeProject(label, csvOf(ids));
    cleanup.push(() => db.drop(), () => fs.rmSync(project, { recursive: true, force: true }));
    // No worker: nothing can run the createUser jobs that the approvals enqueue.
    const s = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: `rel-${label}`, workers: false });
    servers.push(s);
    await createApprover(s.base);
    expect((await waitRecon(s.base, await startRecon(s.base))).state).toBe('SUCCESS');
    const tasks = await openTaskIds(s.base);
    expect(tasks).toHaveLength(n);
    const replies = await pool(tasks, 8, (id) => completeTask(s.base, id, ASYNC_ADMIN));
    // SIGKILL right after the last 200, before anything else can happen.
    s.kill('SIGKILL');
    await s.exited;
    expect(replies.map((r) => r.status)).toEqual(tasks.map(() => 200));
    return { db, ids, project };
  }

  it('SIGKILL right after the completes answered 200: after restart each user is created exactly once', async () => {
    const n = 50;
    const { db, ids, project } = await approvedBacklog('after-200', n);
    expect(await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE type = 'createUser' AND state = 'queued'")).toBe(n);
    expect(await count(db.knex, 'SELECT COUNT(*) AS n FROM managed_user')).toBe(1); // async.admin only
    expect(await count(db.knex, 'SELECT COUNT(*) AS n FROM task')).toBe(0);

    const s = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-after-200' });
    servers.push(s);
    await until('every createUser job to be done', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0, 60_000);
    const l = await ledger(db, ids);
    record({
      id: '2a-crash-after-complete',
      scenario: 'Crash after approval (before the job ran)',
      backend: db.backend,
      injected: 'SIGKILL right after the last of the completes answered 200, with the job worker off; restart with the worker',
      tried: `${n} approvals`,
      lost: l.lost,
      doubled: l.doubled,
      measured: { users: l.users - 1, links: l.links, jobs: l.jobs, jobStates: l.jobStates, attempts: l.attempts },
      command: reproduce('test/reliability/crash-approval.rel.ts', 'right after'),
    });
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, links: l.links, users: l.users }).toEqual({ lost: 0, doubled: 0, links: n, users: n + 1 });
    expect(l.attempts).toEqual({ 1: n });
    await s.stop();
  });

  it('default NODE_ID: a restarted server takes back at once the jobs its SIGKILLed predecessor held (not after the 60 s lock)', async () => {
    const n = 600;
    const db = await testDb('default-id');
    const ids = sourceIds(n, 'dfl');
    const project = makeProject('default-id', csvOf(ids));
    cleanup.push(() => db.drop(), () => fs.rmSync(project, { recursive: true, force: true }));
    // Every server here runs with NODE_ID unset: the default identity, as a plain `npm start`.
    const first = await startServer({ projectDir: project, databaseUrl: db.url, workers: false });
    servers.push(first);
    await createApprover(first.base);
    expect((await waitRecon(first.base, await startRecon(first.base))).state).toBe('SUCCESS');
    const tasks = await openTaskIds(first.base);
    const replies = await pool(tasks, 8, (id) => completeTask(first.base, id, ASYNC_ADMIN));
    first.kill('SIGKILL'); // right after the last 200
    await first.exited;
    expect(replies.map((r) => r.status)).toEqual(tasks.map(() => 200));

    // A worker with the default identity, SIGKILLed while it holds a claimed, uncommitted job.
    const { byState, kills } = await killWithJobInHand(db, project, n, 0.05);
    expect(byState.running).toBeGreaterThan(0);
    const heldAtKill = byState.running;

    const started = Date.now();
    const again = await startServer({ projectDir: project, databaseUrl: db.url });
    servers.push(again);
    await until('every createUser job to be done', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0, 90_000, 100);
    const recoveryMs = Date.now() - started;
    const l = await ledger(db, ids);
    const nodeIds = await rows<{ id: string }>(db.knex, 'SELECT id FROM node');
    record({
      id: '2c-restart-default-node-id',
      scenario: 'Restart with the default NODE_ID after a SIGKILL with jobs in hand',
      backend: db.backend,
      injected: `SIGKILL right after the last approval answered 200, then SIGKILL of a worker holding ${heldAtKill} claimed job(s) (${kills} kill(s)); restart, NODE_ID unset throughout`,
      tried: `${n} approved users`,
      lost: l.lost,
      doubled: l.doubled,
      measured: { jobStatesAtKill: byState, recoveryMs, lockMs: 60_000, nodeIds: nodeIds.map((r) => r.id), attempts: l.attempts },
      command: reproduce('test/reliability/crash-approval.rel.ts', 'default NODE_ID'),
    });
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, users: l.users }).toEqual({ lost: 0, doubled: 0, users: n + 1 });
    // Every start was the same node, so the held jobs were re-queued at start, not after their 60 s lock.
    expect(nodeIds).toHaveLength(1);
    expect(recoveryMs).toBeLessThan(20_000);
    await again.stop();
  });

  it('SIGKILL while the worker is in the middle of the createUser jobs: each job done once, each user once', async () => {
    const n = 1000;
    const { db, ids, project } = await approvedBacklog('mid-job', n);
    const { doneAtKill, byState, kills } = await killWithJobInHand(db, project, n, 0.1, 'rel-mid-job');
    expect(byState.done ?? 0).toBeLessThan(n); // the kill landed mid-way
    expect(byState.running).toBeGreaterThan(0); // … with a job claimed and not committed
    const usersAtKill = await count(db.knex, 'SELECT COUNT(*) AS n FROM managed_user') - 1;
    // Effects and "done" commit together: as many users as done jobs, even at a SIGKILL.
    expect(usersAtKill).toBe(byState.done ?? 0);

    const started = Date.now();
    const again = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-mid-job' });
    servers.push(again);
    await until('every createUser job to be done', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0, 120_000, 200);
    const recoveryMs = Date.now() - started;
    const l = await ledger(db, ids);
    record({
      id: '2b-crash-mid-job',
      scenario: 'Crash in the middle of the createUser jobs',
      backend: db.backend,
      injected: `SIGKILL of the worker's process while a job was running (${doneAtKill} of ${n} done; ${kills} kill(s) to catch a job in hand); restart`,
      tried: `${n} approved users`,
      lost: l.lost,
      doubled: l.doubled,
      measured: { jobStatesAtKill: byState, kills, usersAtKill, users: l.users - 1, links: l.links, jobs: l.jobs, attempts: l.attempts, recoveryMs },
      command: reproduce('test/reliability/crash-approval.rel.ts', 'middle'),
    });
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, links: l.links, users: l.users, jobs: l.jobStates }).toEqual({ lost: 0, doubled: 0, links: n, users: n + 1, jobs: { done: n } });
    await again.stop();
  });
});
