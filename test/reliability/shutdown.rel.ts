// 7. Graceful shutdown: SIGTERM while 100 completes are in flight (and the job worker is busy).
// Every complete either got 200 (its instance ended, its job enqueued) or did not happen at all
// (connection refused/reset, or 503: its task is still open): nothing in between. The process
// exits 0 by itself; the next start picks up what remained and creates every approved user once.
import fs from 'node:fs';
import {
  ASYNC_ADMIN, completeTask, count, createApprover, csvOf, ledger, makeProject, openTaskIds, record, reproduce, rows, ServerProc, sleep, sourceIds, testDb, varExpr,
  request, startRecon, startServer, TestDatabase, until, waitRecon,
} from './harness';

const N = 100;

describe('graceful shutdown', () => {
  let db: TestDatabase;
  let project: string;
  const servers: ServerProc[] = [];
  const ids = sourceIds(N, 'term');

  beforeAll(async () => {
    db = await testDb('shutdown');
    project = makeProject('shutdown', csvOf(ids));
  });
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    await db.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it(`SIGTERM in the middle of ${N} concurrent completes: each one all or nothing; the next start finishes the rest`, async () => {
    const s = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-shutdown' });
    servers.push(s);
    await createApprover(s.base);
    expect((await waitRecon(s.base, await startRecon(s.base))).state).toBe('SUCCESS');
    const tasks = await openTaskIds(s.base);
    expect(tasks).toHaveLength(N);
    const taskToSource = new Map(
      (await rows<{ id: number; s: string }>(db.knex, `SELECT t.id AS id, ${varExpr(db, 'sourceId')} AS s FROM task t JOIN process_instance p ON p.id = t.process_instance_id`)).map((r) => [String(r.id), r.s]),
    );

    // Sent 10 ms apart (a second for all); SIGTERM once half of them are sent: those are in flight
    // (or answered), the other half meet a closed port. The approver signs in once first, so the
    // answers are not held up by password hashing.
    expect((await request(s.base, 'GET', '/info/login', { headers: ASYNC_ADMIN })).status).toBe(200);
    let sent = 0;
    let answered = 0;
    let answeredAtTerm = -1;
    const inflight = tasks.map(async (id, i) => {
      await sleep(i * 10);
      sent++;
      const r = await completeTask(s.base, id, ASYNC_ADMIN, true, { timeoutMs: 60_000 });
      answered++;
      return { id, ...r };
    });
    await until('half of the completes to be sent', async () => sent >= N / 2, 30_000, 1);
    const termAt = Date.now();
    answeredAtTerm = answered;
    s.kill('SIGTERM');
    const replies = await Promise.all(inflight);
    const exit = await s.exited;
    const exitMs = Date.now() - termAt;

    const byStatus: Record<string, number> = {};
    for (const r of replies) {
      const k = r.status ? String(r.status) : `conn:${r.error}`;
      byStatus[k] = (byStatus[k] ?? 0) + 1;
    }
    // Check each task against the database the stopped server left.
    const openTasks = new Set((await rows<{ id: number }>(db.knex, 'SELECT id FROM task')).map((r) => String(r.id)));
    const jobsBySource = new Map((await rows<{ payload: string; state: string }>(db.knex, "SELECT payload, state FROM job WHERE type = 'createUser'")).map((j) => [JSON.parse(j.payload).variables.sourceId as string, j.state]));
    const ended = new Set((await rows<{ s: string }>(db.knex, `SELECT ${varExpr(db, 'sourceId')} AS s FROM process_instance WHERE status = 'ended'`)).map((r) => r.s));
    const halfway: string[] = [];
    let ok200 = 0;
    let notDone = 0;
    let unknown = 0;
    for (const r of replies) {
      const sid = taskToSource.get(r.id)!;
      const done = !openTasks.has(r.id) && ended.has(sid) && jobsBySource.has(sid);
      const untouched = openTasks.has(r.id) && !ended.has(sid) && !jobsBySource.has(sid);
      if (r.status === 200) {
        ok200++;
        if (!done) halfway.push(`${r.id}: 200 but task open ${openTasks.has(r.id)}, ended ${ended.has(sid)}, job ${jobsBySource.get(sid)}`);
      } else if (r.status === 503 || r.status === 0) {
        if (untouched) notDone++;
        else if (done) unknown++; // the answer was lost on the way, the work was done: still whole
        else halfway.push(`${r.id}: ${r.status || r.error}, task open ${openTasks.has(r.id)}, ended ${ended.has(sid)}, job ${jobsBySource.get(sid)}`);
      } else halfway.push(`${r.id}: unexpected ${r.status} ${r.text.slice(0, 100)}`);
    }
    // What was half-written? Instances ended without a job, tasks whose instance is gone, etc.
    const endedWithoutJob = [...ended].filter((sid) => !jobsBySource.has(sid)).length;
    const activeWithoutTask = await count(db.knex, "SELECT COUNT(*) AS n FROM process_instance p WHERE p.status = 'active' AND NOT EXISTS (SELECT 1 FROM task t WHERE t.process_instance_id = p.id)");
    const runningJobs = await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state = 'running'");
    const usersAtStop = (await count(db.knex, 'SELECT COUNT(*) AS n FROM managed_user')) - 1;
    const doneAtStop = await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state = 'done'");

    // The next start: finish the rest of the approvals, and every job runs.
    const again = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-shutdown' });
    servers.push(again);
    const rest = await openTaskIds(again.base);
    const restReplies = await Promise.all(rest.map((id) => completeTask(again.base, id, ASYNC_ADMIN)));
    await until('every createUser job to be done', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0 && (await count(db.knex, 'SELECT COUNT(*) AS n FROM job')) === N, 60_000, 200);
    const l = await ledger(db, ids);
    record({
      id: '7-graceful-shutdown',
      scenario: 'Graceful shutdown (SIGTERM)',
      backend: db.backend,
      injected: `SIGTERM once ${N / 2} of ${N} completes (sent 10 ms apart) were sent (${answeredAtTerm} answered, the rest in flight), the other half still to come, the job worker running; restart`,
      tried: `${N} completes`,
      lost: l.lost,
      doubled: l.doubled + halfway.length,
      notes: 'doubled includes any complete left half-done (answered 200 without its effects, or effects without a whole transaction)',
      measured: {
        replies: byStatus, answeredBeforeTerm: answeredAtTerm, answered200: ok200, refusedAndUntouched: notDone, answerLostButDone: unknown, halfway, exit, exitMs, endedWithoutJob, activeWithoutTask,
        runningJobsAtStop: runningJobs, jobsDoneAtStop: doneAtStop, usersAtStop, completedAfterRestart: restReplies.filter((r) => r.status === 200).length, users: l.users - 1, attempts: l.attempts,
      },
      command: reproduce('test/reliability/shutdown.rel.ts'),
    });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(halfway).toEqual([]);
    expect({ endedWithoutJob, activeWithoutTask, runningJobs }).toEqual({ endedWithoutJob: 0, activeWithoutTask: 0, runningJobs: 0 });
    expect(ok200).toBeGreaterThan(0);
    expect(ok200 + notDone + unknown).toBe(N);
    expect(restReplies.map((r) => r.status)).toEqual(rest.map(() => 200));
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, users: l.users }).toEqual({ lost: 0, doubled: 0, users: N + 1 });
    await again.stop();
  });

  it('SIGTERM during a recon: the run ends CANCELED (not left ACTIVE), exit 0; a new recon leaves one approval per row', async () => {
    const rows5k = sourceIds(5_000, 'rterm');
    const db2 = await testDb('shutdown-recon');
    const project2 = makeProject('shutdown-recon', csvOf(rows5k));
    try {
      const s = await startServer({ projectDir: project2, databaseUrl: db2.url, nodeId: 'rel-shutdown-recon' });
      servers.push(s);
      const reconId = await startRecon(s.base);
      await until('approvals to start', async () => (await count(db2.knex, 'SELECT COUNT(*) AS n FROM task')) >= 500, 60_000, 10);
      const termAt = Date.now();
      s.kill('SIGTERM');
      const exit = await s.exited;
      const exitMs = Date.now() - termAt;
      const [run] = await rows<{ state: string; stage: string; status_summary: string }>(db2.knex, 'SELECT state, stage, status_summary FROM recon_run WHERE id = ?', [reconId]);
      const tasksAtStop = await count(db2.knex, 'SELECT COUNT(*) AS n FROM task');
      const again = await startServer({ projectDir: project2, databaseUrl: db2.url, nodeId: 'rel-shutdown-recon' });
      servers.push(again);
      const second = await waitRecon(again.base, await startRecon(again.base), 120_000);
      const perSource = await rows<{ c: number }>(db2.knex, `SELECT COUNT(*) AS c FROM process_instance p JOIN task t ON t.process_instance_id = p.id WHERE p.status = 'active' GROUP BY ${varExpr(db2, 'sourceId')}`);
      const doubled = perSource.reduce((a, r) => a + Number(r.c) - 1, 0);
      const missing = rows5k.length - perSource.length;
      record({
        id: '7b-sigterm-during-recon',
        scenario: 'Graceful shutdown during recon',
        backend: db.backend,
        injected: `SIGTERM mid-recon (after ${tasksAtStop} of ${rows5k.length} approvals had started); restart, new recon`,
        tried: `${rows5k.length} ABSENT rows`,
        lost: missing,
        doubled,
        measured: { exit, exitMs, interruptedRun: run.state, stage: run.stage, statusSummaryAtStop: JSON.parse(run.status_summary), tasksAtStop, secondRun: second.state },
        command: reproduce('test/reliability/shutdown.rel.ts', 'during a recon'),
      });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(15_000);
      expect(run.state).toBe('CANCELED');
      expect(tasksAtStop).toBeLessThan(rows5k.length);
      expect(second.state).toBe('SUCCESS');
      expect({ missing, doubled }).toEqual({ missing: 0, doubled: 0 });
      await again.stop();
    } finally {
      await db2.drop();
      fs.rmSync(project2, { recursive: true, force: true });
    }
  });
});
