// 1. Crash during recon: SIGKILL while a reconciliation of 20,000 ABSENT rows is starting its
// approvals; after the restart the run is FAILED (not left ACTIVE), and a new reconciliation
// leaves exactly one open approval per ABSENT account: none missing, none doubled.
import fs from 'node:fs';
import {
  ADMIN, csvOf, makeProject, openTaskIds, record, reproduce, request, rows, count, ServerProc, sourceIds, testDb, startRecon, startServer, TestDatabase, until,
  varExpr, waitRecon,
} from './harness';

const ROWS = Number(process.env.RELIABILITY_RECON_ROWS ?? 20_000);

describe('crash during a reconciliation', () => {
  let db: TestDatabase;
  let project: string;
  const servers: ServerProc[] = [];
  const ids = sourceIds(ROWS);

  beforeAll(async () => {
    db = await testDb('crash-recon');
    project = makeProject('crash-recon', csvOf(ids));
  });
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    await db.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  it(`SIGKILL mid-run: the run is FAILED after restart, and a new run leaves exactly one approval per ABSENT row (${ROWS} rows)`, async () => {
    const first = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-recon-node' });
    servers.push(first);
    const reconId = await startRecon(first.base);

    // Kill once a good share (but not all) of the approvals exist.
    const threshold = Math.floor(ROWS * 0.15);
    const atKill = await until('approvals to start', async () => {
      const n = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
      return n >= threshold && n;
    }, 120_000, 20);
    first.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const tasksAfterKill = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
    const runAfterKill = (await rows<{ state: string }>(db.knex, 'SELECT state FROM recon_run WHERE id = ?', [reconId]))[0];
    // The kill landed mid-run: the row is still ACTIVE and not every approval exists.
    expect(runAfterKill.state).toBe('ACTIVE');
    expect(tasksAfterKill).toBeLessThan(ROWS);

    // What the crash left is consistent: every instance it started has exactly one task, no doubles.
    const doubledAtCrash = await count(db.knex, `SELECT COALESCE(SUM(c - 1), 0) AS n FROM (SELECT COUNT(*) AS c FROM process_instance WHERE status = 'active' GROUP BY ${varExpr(db, 'sourceId')}) x`);
    const instancesWithoutTask = await count(db.knex, "SELECT COUNT(*) AS n FROM process_instance p WHERE p.status = 'active' AND NOT EXISTS (SELECT 1 FROM task t WHERE t.process_instance_id = p.id)");
    expect(doubledAtCrash).toBe(0);
    expect(instancesWithoutTask).toBe(0);

    const second = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-recon-node' });
    servers.push(second);
    const failed = await until('the interrupted run to be FAILED', async () => {
      const r = await request(second.base, 'GET', `/recon/${reconId}`, { headers: ADMIN });
      return r.status === 200 && r.body.state !== 'ACTIVE' && r.body;
    }, 30_000, 200);
    expect(failed.state).toBe('FAILED');
    expect(failed.stage).toBe('COMPLETED_FAILED');

    const again = await startRecon(second.base);
    const run = await waitRecon(second.base, again, 240_000);
    expect(run.state).toBe('SUCCESS');
    expect(run.situationSummary.ABSENT).toBe(ROWS);
    expect(run.statusSummary.FAILURE).toBe(0);

    // Exactly one open approval per ABSENT row: in SQL …
    const sourceExpr = varExpr(db, 'sourceId');
    const perSource = await rows<{ s: string; c: number }>(db.knex, `SELECT ${sourceExpr} AS s, COUNT(*) AS c FROM process_instance p JOIN task t ON t.process_instance_id = p.id WHERE p.status = 'active' GROUP BY ${sourceExpr}`);
    const seen = new Map(perSource.map((r) => [r.s, Number(r.c)]));
    const missing = ids.filter((id) => !seen.has(id));
    const doubled = [...seen.values()].reduce((a, c) => a + (c - 1), 0);
    const strangers = [...seen.keys()].filter((s) => !ids.includes(s));
    const openTasks = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
    const activeInstances = await count(db.knex, "SELECT COUNT(*) AS n FROM process_instance WHERE status = 'active'");
    // … and over REST, as an approver would see them.
    const restTasks = await openTaskIds(second.base);

    record({
      id: '1-crash-recon',
      scenario: 'Crash during recon',
      backend: db.backend,
      injected: `SIGKILL of the server mid-recon (after ${atKill} of ${ROWS} approvals had started), restart, new recon`,
      tried: `${ROWS} ABSENT rows`,
      lost: missing.length,
      doubled: doubled + strangers.length,
      measured: { approvalsAtKill: tasksAfterKill, interruptedRunState: failed.state, secondRun: run.state, openTasks, activeInstances, restTasks: restTasks.length, distinctSourceIds: seen.size },
      command: reproduce('test/reliability/crash-recon.rel.ts'),
    });
    expect({ missing: missing.slice(0, 5), doubled, strangers: strangers.slice(0, 5) }).toEqual({ missing: [], doubled: 0, strangers: [] });
    expect(openTasks).toBe(ROWS);
    expect(activeInstances).toBe(ROWS);
    expect(seen.size).toBe(ROWS);
    expect(new Set(restTasks).size).toBe(ROWS);
    await second.stop();
  });
});
