// 4. Two nodes: two server processes on one PostgreSQL database (distinct NODE_IDs, started at the
// same moment, so their migrations race too). Recon on A, completions on B (and the same
// completion raced on A), job workers on both: no duplicate users, no lost tasks, no job run twice
// to completion.
import fs from 'node:fs';
import {
  ADMIN, ASYNC_ADMIN, attempt, completeTask, count, createApprover, csvOf, isCrestError, ledger, makeProject, openTaskIds, pgDb, pool, record, reproduce, rows,
  ServerProc, request, sourceIds, startRecon, startServer, TestDatabase, until, waitRecon, MAPPING,
} from './harness';

const N = Number(process.env.RELIABILITY_TWO_NODE_ROWS ?? 600);

describe('two nodes on one PostgreSQL database', () => {
  let db: TestDatabase;
  let project: string;
  let a: ServerProc;
  let b: ServerProc;
  const ids = sourceIds(N, 'pair');

  beforeAll(async () => {
    db = await pgDb('two-nodes');
    project = makeProject('two-nodes', csvOf(ids));
  });
  afterAll(async () => {
    a?.kill('SIGKILL');
    b?.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited]);
    await db?.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it(`recon on A, completes on B and raced on A, workers on both (${N} approvals)`, async () => {
    // Both start on the empty database at once: one migrates, the other must wait, not fail.
    [a, b] = await Promise.all([
      startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-node-A' }),
      startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-node-B' }),
    ]);
    await createApprover(a.base);

    // One recon per mapping across nodes: starting it on both at once, one of them is refused.
    // Both nodes verify the admin's password first (scrypt at OWASP's cost takes a few hundred ms
    // once per node), so that the two starts really race instead of one arriving after the run.
    for (const n of [a, b]) expect((await attempt(n.base, 'GET', '/recon', { headers: ADMIN })).status).toBe(200);
    const [ra, rb] = await Promise.all([
      attempt(a.base, 'POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN }),
      attempt(b.base, 'POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN }),
    ]);
    const started = [ra, rb].filter((r) => r.status === 200);
    expect(started).toHaveLength(1);
    expect([ra, rb].filter((r) => r.status === 409)).toHaveLength(1);
    const run = await waitRecon(a.base, started[0].body._id, 120_000);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.ABSENT).toBe(N);

    // B lists every task that A's recon started.
    const tasks = await openTaskIds(b.base);
    expect(tasks).toHaveLength(N);
    expect(new Set(tasks).size).toBe(N);

    // Each task is completed on B and, at the same moment, on A: exactly one of the two wins.
    const statuses: Record<string, number> = {};
    let badShape = 0;
    const winners = await pool(tasks, 12, async (id) => {
      const [onB, onA] = await Promise.all([completeTask(b.base, id, ASYNC_ADMIN), completeTask(a.base, id, ADMIN)]);
      for (const r of [onB, onA]) {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status !== 200 && !isCrestError(r.body, r.status)) badShape++;
      }
      return [onB, onA].filter((r) => r.status === 200).length;
    });
    const doubleWins = winners.filter((w) => w > 1).length;
    const noWins = winners.filter((w) => w === 0).length;
    expect(Object.keys(statuses).filter((k) => !['200', '404', '409'].includes(k))).toEqual([]);

    await until('every createUser job to be done', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0 && (await count(db.knex, 'SELECT COUNT(*) AS n FROM job')) === N, 120_000, 250);
    const l = await ledger(db, ids);
    const openTasks = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
    const ended = await count(db.knex, "SELECT COUNT(*) AS n FROM process_instance WHERE status = 'ended'");
    const decisions = await count(db.knex, "SELECT COUNT(*) AS n FROM decision WHERE decision = 'approved'");
    const createAudits = await rows<{ s: string; c: string }>(db.knex, "SELECT source_object_id AS s, COUNT(*) AS c FROM recon_audit WHERE action = 'CREATE' GROUP BY source_object_id HAVING COUNT(*) > 1");
    // Which node ran the jobs is in the server logs only; the lock columns are cleared when done.
    record({
      id: '4-two-nodes',
      scenario: 'Two nodes, one PostgreSQL',
      backend: 'pg',
      fixedBackend: true,
      injected: 'two server processes on one database (simultaneous start and migration, simultaneous recon start); recon on A; every task completed on B and raced on A at the same moment; job workers on both',
      tried: `${N} approvals, ${2 * N} completes`,
      lost: l.lost + noWins,
      doubled: l.doubled + doubleWins + createAudits.length,
      measured: { completeStatuses: statuses, doubleWins, noWins, users: l.users - 1, links: l.links, jobs: l.jobStates, attempts: l.attempts, openTasks, endedInstances: ended, decisions, errorsWithoutCrestShape: badShape, reconStarts: [ra.status, rb.status] },
      command: reproduce('test/reliability/two-nodes.rel.ts'),
    });
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, doubleWins, noWins, badShape, duplicateAudits: createAudits.length }).toEqual({ lost: 0, doubled: 0, doubleWins: 0, noWins: 0, badShape: 0, duplicateAudits: 0 });
    expect({ openTasks, ended, decisions, users: l.users }).toEqual({ openTasks: 0, ended: N, decisions: N, users: N + 1 });
    await Promise.all([a.stop(), b.stop()]);
  });

  it("a node whose clock runs 30 s ahead neither fails another node's live recon nor steals its live job", async () => {
    const rowsN = 60_000; // long enough (≈10 s) for several of B's sweeps (every 5 s)
    const db3 = await pgDb('two-nodes-skew');
    const project3 = makeProject('two-nodes-skew', csvOf(sourceIds(rowsN, 'skew')));
    let na: ServerProc | undefined;
    let nb: ServerProc | undefined;
    try {
      na = await startServer({ projectDir: project3, databaseUrl: db3.url, nodeId: 'rel-skew-A' });
      // B's own clock is 30 s ahead (a test-only setting: RECONFLOW_TEST_CLOCK_OFFSET_MS, see src/cli/start.ts).
      nb = await startServer({ projectDir: project3, databaseUrl: db3.url, nodeId: 'rel-skew-B', env: { RECONFLOW_TEST_CLOCK_OFFSET_MS: '30000' } });
      // A job A's worker holds for 20 s more by the database's clock: B, 30 s ahead, would find its lock expired.
      await db3.knex.raw(
        `INSERT INTO job (key, type, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, created_at, updated_at)
         VALUES ('held-by-A', 'createUser', '{}', 'running', 1, 8, 0, 'rel-skew-A/live', (extract(epoch from clock_timestamp()) * 1000)::bigint + 20000, '', '')`,
      );
      const reconId = await startRecon(na.base);
      const heldSeen: string[] = [];
      const run = await until('the recon on A to end', async () => {
        const [job] = await rows<{ locked_by: string; attempts: number }>(db3.knex, "SELECT locked_by, attempts FROM job WHERE key = 'held-by-A'");
        heldSeen.push(`${job.locked_by}/${job.attempts}`);
        const r = await request(na!.base, 'GET', `/recon/${reconId}`, { headers: ADMIN });
        return r.body.state !== 'ACTIVE' && r.body;
      }, 180_000, 500);
      const [job] = await rows<{ locked_by: string | null; attempts: number }>(db3.knex, "SELECT locked_by, attempts FROM job WHERE key = 'held-by-A'");
      const durationMs = run.duration;
      record({
        id: '4c-two-nodes-clock-skew',
        scenario: 'Two nodes: one clock 30 s ahead',
        backend: 'pg',
        fixedBackend: true,
        injected: "node B's clock 30 s ahead (RECONFLOW_TEST_CLOCK_OFFSET_MS=30000) while node A runs a recon and holds a job locked for 20 s",
        tried: `${rowsN}-row recon on A (${durationMs} ms) under B's sweeper; a job held by A`,
        lost: run.state === 'SUCCESS' ? 0 : 1,
        doubled: 0,
        measured: { reconState: run.state, reconMessage: run.message ?? null, heldJobSeen: [...new Set(heldSeen)].slice(0, 5), heldJobAfter: job },
        command: reproduce('test/reliability/two-nodes.rel.ts', 'clock runs 30 s ahead'),
      });
      expect(run.state).toBe('SUCCESS');
      expect(run.situationSummary.ABSENT).toBe(rowsN);
      // Until its 20 s lock ran out (by the database's clock) nobody took A's job; the run outlasted B's sweeps (every 5 s).
      expect(durationMs).toBeGreaterThan(6_000);
      const takenEarly = heldSeen.slice(0, Math.floor(15_000 / 500)).filter((h) => h !== 'rel-skew-A/live/1');
      expect(takenEarly).toEqual([]);
      await Promise.all([na.stop(), nb.stop()]);
    } finally {
      na?.kill('SIGKILL');
      nb?.kill('SIGKILL');
      await Promise.all([na?.exited, nb?.exited]);
      await db3.drop();
      fs.rmSync(project3, { recursive: true, force: true });
    }
  });

  it('two live servers with the default NODE_ID on one host and project get distinct ids: the second steals nothing', async () => {
    const rowsN = 10_000;
    const db4 = await pgDb('two-nodes-default');
    const project4 = makeProject('two-nodes-default', csvOf(sourceIds(rowsN, 'dflt')));
    let na: ServerProc | undefined;
    let nb: ServerProc | undefined;
    try {
      na = await startServer({ projectDir: project4, databaseUrl: db4.url });
      const reconId = await startRecon(na.base);
      await until('approvals to start', async () => (await count(db4.knex, 'SELECT COUNT(*) AS n FROM task')) >= 500, 60_000, 20);
      // A claimed job of A's, as its worker holds it (its lock owner is "<A's node id>/<tag>").
      const [aNode] = await rows<{ id: string }>(db4.knex, 'SELECT id FROM node');
      await db4.knex.raw(
        `INSERT INTO job (key, type, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, created_at, updated_at)
         VALUES ('held-by-A', 'createUser', '{}', 'running', 1, 8, 0, ?, (extract(epoch from clock_timestamp()) * 1000)::bigint + 60000, '', '')`,
        [`${aNode.id}/live`],
      );
      nb = await startServer({ projectDir: project4, databaseUrl: db4.url });
      const nodes = await rows<{ id: string; pid: number }>(db4.knex, 'SELECT id, pid FROM node ORDER BY id');
      const run = await waitRecon(na.base, reconId, 180_000);
      const [job] = await rows<{ locked_by: string; state: string }>(db4.knex, "SELECT locked_by, state FROM job WHERE key = 'held-by-A'");
      record({
        id: '4d-two-nodes-default-id',
        scenario: 'Two live servers, default NODE_ID, one host and project',
        backend: 'pg',
        fixedBackend: true,
        injected: "a second server started with NODE_ID unset while the first (also unset) runs a recon and holds a job",
        tried: `${rowsN}-row recon on A; B starts mid-run`,
        lost: run.state === 'SUCCESS' && job.locked_by === `${aNode.id}/live` ? 0 : 1,
        doubled: 0,
        measured: { nodeIds: nodes.map((r) => r.id), reconState: run.state, heldJob: job },
        command: reproduce('test/reliability/two-nodes.rel.ts', 'default NODE_ID'),
      });
      expect(nodes.map((r) => r.id)).toEqual([aNode.id, `${aNode.id}~2`]);
      expect(nodes.map((r) => r.pid).sort()).toEqual([na.pid, nb.pid].sort());
      expect(run.state).toBe('SUCCESS');
      expect(job).toEqual({ locked_by: `${aNode.id}/live`, state: 'running' });
      await Promise.all([na.stop(), nb.stop()]);
    } finally {
      na?.kill('SIGKILL');
      nb?.kill('SIGKILL');
      await Promise.all([na?.exited, nb?.exited]);
      await db4.drop();
      fs.rmSync(project4, { recursive: true, force: true });
    }
  });

  it('node A dies mid-recon: node B marks the run FAILED (stale heartbeat) and a recon on B leaves one approval per row', async () => {
    const rowsN = 10_000;
    const big = sourceIds(rowsN, 'solo');
    const db2 = await pgDb('two-nodes-crash');
    const project2 = makeProject('two-nodes-crash', csvOf(big));
    let na: ServerProc | undefined;
    let nb: ServerProc | undefined;
    try {
      [na, nb] = await Promise.all([
        startServer({ projectDir: project2, databaseUrl: db2.url, nodeId: 'rel-crash-A' }),
        startServer({ projectDir: project2, databaseUrl: db2.url, nodeId: 'rel-crash-B' }),
      ]);
      const reconId = await startRecon(na.base);
      await until('approvals to start', async () => (await count(db2.knex, 'SELECT COUNT(*) AS n FROM task')) >= 1_000, 60_000, 20);
      na.kill('SIGKILL');
      await na.exited;
      const killedAt = Date.now();
      const atKill = await count(db2.knex, 'SELECT COUNT(*) AS n FROM task');
      expect(atKill).toBeLessThan(rowsN);
      // While the run looks ACTIVE, B refuses a second one; once B's sweeper sees the heartbeat go stale, it is FAILED.
      expect((await attempt(nb.base, 'POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN })).status).toBe(409);
      const failed = await until('node B to mark the run FAILED', async () => {
        const r = await request(nb!.base, 'GET', `/recon/${reconId}`, { headers: ADMIN });
        return r.body.state !== 'ACTIVE' && r.body;
      }, 60_000, 500);
      const sweptAfterMs = Date.now() - killedAt;
      expect(failed.state).toBe('FAILED');
      const run = await waitRecon(nb.base, await startRecon(nb.base), 180_000);
      expect(run.state).toBe('SUCCESS');
      const perSource = await rows<{ s: string; c: string }>(db2.knex, "SELECT (variables::jsonb ->> 'sourceId') AS s, COUNT(*) AS c FROM process_instance p JOIN task t ON t.process_instance_id = p.id WHERE p.status = 'active' GROUP BY 1");
      const doubled = perSource.reduce((acc, r) => acc + Number(r.c) - 1, 0);
      const seen = new Set(perSource.map((r) => r.s));
      const missing = big.filter((id) => !seen.has(id)).length;
      record({
        id: '4b-two-nodes-node-dies',
        scenario: 'Two nodes: one dies mid-recon',
        backend: 'pg',
        fixedBackend: true,
        injected: `SIGKILL of node A mid-recon (after ${atKill} of ${rowsN} approvals); node B sweeps the run (stale heartbeat) and reconciles again`,
        tried: `${rowsN} ABSENT rows`,
        lost: missing,
        doubled,
        measured: { approvalsAtKill: atKill, interruptedRun: failed.state, sweptAfterMs, secondRun: run.state, openTasks: await count(db2.knex, 'SELECT COUNT(*) AS n FROM task') },
        command: reproduce('test/reliability/two-nodes.rel.ts', 'dies mid-recon'),
      });
      expect({ missing, doubled }).toEqual({ missing: 0, doubled: 0 });
      await nb.stop();
    } finally {
      na?.kill('SIGKILL');
      nb?.kill('SIGKILL');
      await Promise.all([na?.exited, nb?.exited]);
      await db2.drop();
      fs.rmSync(project2, { recursive: true, force: true });
    }
  });
});
