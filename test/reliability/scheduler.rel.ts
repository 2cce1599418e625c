// Issue 18's proof for the scheduler: two server processes on one repository run the same conf
// schedules (a script every second with fireAndProceed, one with doNothing, a reconciliation every
// 2 s). Every due time is claimed exactly once across both nodes, including across a stop of both
// nodes past several due times: at restart the missed ones are fired once (fireAndProceed) or
// recorded as missed (doNothing), and firing goes on. The assertions are on the recorded fire rows
// (schedule_fire), never on how fast anything ran. SQLite by default; RELIABILITY_BACKEND=pg for PostgreSQL.
import fs from 'node:fs';
import path from 'node:path';
import { count, csvOf, makeProject, MAPPING, record, reproduce, rows, ServerProc, sleep, sourceIds, startServer, testDb, TestDatabase, until } from './harness';

/** src/scheduler/scheduler.ts MISFIRE_THRESHOLD_MS is 5 s: a downtime longer than that is a misfire. */
const DOWNTIME_MS = 8_000;

interface Fire {
  fire_time: string | number;
  last_fire_time: string | number;
  covers: string | number;
  kind: string;
  status: string;
  node: string;
  recon_id: string | null;
  claimed_at: string | number;
  message: string | null;
}

/**
 * The fires of a schedule against its due times: every due time from the first to the last is
 * covered by exactly one row (an on-time fire, or a misfire/missed row standing for a span).
 */
function coverage(fires: Fire[], stepMs: number) {
  const problems: string[] = [];
  const times = fires.map((f) => Number(f.fire_time));
  const duplicates = times.length - new Set(times).size;
  if (duplicates) problems.push(`${duplicates} due time(s) recorded twice`);
  let covered = 0;
  for (let i = 0; i < fires.length; i++) {
    const f = fires[i];
    const first = Number(f.fire_time);
    const last = Number(f.last_fire_time);
    if (first % stepMs !== 0) problems.push(`fire at ${first} is not a due time`);
    if ((last - first) / stepMs + 1 !== Number(f.covers)) problems.push(`row at ${first} covers ${f.covers} but spans ${first}..${last}`);
    covered += Number(f.covers);
    if (i > 0) {
      const gap = first - Number(fires[i - 1].last_fire_time);
      if (gap !== stepMs) problems.push(`after ${fires[i - 1].last_fire_time} the next recorded due time is ${first} (${gap} ms later, expected ${stepMs})`);
    }
  }
  const span = fires.length ? (Number(fires[fires.length - 1].last_fire_time) - Number(fires[0].fire_time)) / stepMs + 1 : 0;
  return { problems, duplicates, covered, span };
}

describe('scheduler on two nodes', () => {
  let db: TestDatabase;
  let project: string;
  const servers: ServerProc[] = [];
  beforeAll(async () => {
    db = await testDb('scheduler');
    project = makeProject('scheduler', csvOf(sourceIds(5, 'sched')));
    const conf = (name: string, json: unknown) => fs.writeFileSync(path.join(project, 'conf', `schedule-${name}.json`), JSON.stringify(json, null, 2));
    conf('tick', { enabled: true, persisted: true, type: 'cron', schedule: '* * * * * ?', misfirePolicy: 'fireAndProceed', invokeService: 'script', invokeContext: { script: { type: 'text/javascript', source: "input['scheduled-fire-time']" } } });
    conf('quiet', { enabled: true, persisted: true, type: 'cron', schedule: '* * * * * ?', misfirePolicy: 'doNothing', invokeService: 'script', invokeContext: { script: { type: 'text/javascript', source: '1' } } });
    conf('recon', { enabled: true, persisted: true, type: 'cron', schedule: '0/2 * * * * ?', concurrentExecution: false, invokeService: 'org.forgerock.openidm.sync', invokeContext: { action: 'reconcile', mapping: MAPPING } });
  });
  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await db?.drop();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  const fires = (id: string) => rows<Fire>(db.knex, 'SELECT fire_time, last_fire_time, covers, kind, status, node, recon_id, claimed_at, message FROM schedule_fire WHERE schedule_id = ? ORDER BY fire_time', [id]);
  const startBoth = async () => {
    // One after the other: on SQLite two processes migrating one file at once would only wait on each other.
    // Each is killed after the file even if the other fails to start.
    const a = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-sched-A', readyTimeoutMs: 150_000, onSpawn: (s) => servers.push(s) });
    const b = await startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-sched-B', readyTimeoutMs: 150_000, onSpawn: (s) => servers.push(s) });
    return [a, b];
  };

  it('fires every due time exactly once across both nodes, and after both were down applies the misfire policy once', async () => {
    // (Generous limits: a machine under load starts servers slowly; nothing here asserts speed.)
    let [a, b] = await startBoth();
    // Both nodes up: each passes every 250 ms, and whichever claims a due time first fires it.
    const bothUp = (await fires('tick')).length;
    await until('10 fires of tick with both nodes up, claimed by each of them', async () => {
      const since = (await fires('tick')).slice(bothUp);
      return since.length >= 10 && new Set(since.map((f) => f.node)).size === 2;
    }, 150_000, 200);
    await Promise.all([a.stop(), b.stop()]);
    const beforeDown = (await fires('tick')).length;
    // Both nodes down past several due times: no node runs from downFrom to downTo.
    const downFrom = Date.now();
    await sleep(DOWNTIME_MS);
    const downTo = Date.now();
    [a, b] = await startBoth();
    await until('8 fires of tick after the restart', async () => (await count(db.knex, "SELECT COUNT(*) AS n FROM schedule_fire WHERE schedule_id = 'tick'")) >= beforeDown + 8, 150_000, 200);
    await Promise.all([a.stop(), b.stop()]);

    const tick = await fires('tick');
    const quiet = await fires('quiet');
    const recon = await fires('recon');
    const cTick = coverage(tick, 1000);
    const cQuiet = coverage(quiet, 1000);
    const cRecon = coverage(recon, 2000);
    // The rows that stand for a due time of the downtime (a loaded node may misfire at other times too).
    const overDowntime = (fs2: Fire[]) => fs2.filter((f) => Number(f.fire_time) <= downTo && Number(f.last_fire_time) >= downFrom);
    const misfires = overDowntime(tick);
    const missed = overDowntime(quiet);
    const nodes = [...new Set([...tick, ...quiet, ...recon].map((f) => f.node))].sort();
    const runs = await rows<{ id: string; state: string; parameters: string | Record<string, unknown> }>(db.knex, 'SELECT id, state, parameters FROM recon_run');
    const byId = new Map(runs.map((r) => [r.id, r]));
    const started = recon.filter((f) => f.status === 'started');
    const startedWithoutRun = started.filter((f) => !byId.has(f.recon_id!)).length;
    const scheduledRuns = runs.filter((r) => (typeof r.parameters === 'string' ? JSON.parse(r.parameters) : r.parameters).startedBy === 'scheduler/recon').length;
    const statuses = (fs2: Fire[]) => fs2.reduce<Record<string, number>>((acc, f) => ((acc[`${f.kind}/${f.status}`] = (acc[`${f.kind}/${f.status}`] ?? 0) + 1), acc), {});
    record({
      id: '8-scheduler-two-nodes',
      scenario: 'Scheduler: two nodes, both stopped past due times',
      backend: db.backend,
      injected: `two server processes run the same conf schedules (1 s script fireAndProceed, 1 s script doNothing, 2 s reconciliation); both stopped for ${DOWNTIME_MS} ms, then started again`,
      tried: `${cTick.span + cQuiet.span + cRecon.span} due times`,
      lost: cTick.span - cTick.covered + (cQuiet.span - cQuiet.covered) + (cRecon.span - cRecon.covered),
      doubled: cTick.duplicates + cQuiet.duplicates + cRecon.duplicates,
      measured: { tick: statuses(tick), quiet: statuses(quiet), recon: statuses(recon), misfireCovers: misfires.map((f) => Number(f.covers)), missedCovers: missed.map((f) => Number(f.covers)), claimsByNode: [...tick, ...quiet, ...recon].reduce<Record<string, number>>((acc, f) => ((acc[f.node] = (acc[f.node] ?? 0) + 1), acc), {}), reconRuns: runs.length, failures: [...new Set([...tick, ...quiet, ...recon].filter((f) => f.status === 'failed').map((f) => String(f.message).slice(0, 200)))].slice(0, 5) },
      command: reproduce('test/reliability/scheduler.rel.ts'),
    });

    // Each due time once: no gap, no overlap, no duplicate, on each schedule.
    expect({ tick: cTick.problems, quiet: cQuiet.problems, recon: cRecon.problems }).toEqual({ tick: [], quiet: [], recon: [] });
    expect(nodes).toEqual(['rel-sched-A', 'rel-sched-B']);
    // The downtime: one catch-up fire standing for all its due times (fireAndProceed) ...
    expect(misfires.map((f) => f.kind)).toEqual(['misfire']);
    expect(['succeeded', 'failed']).toContain(misfires[0].status); // it ran (a loaded machine may stop a script at its time limit)
    expect(Number(misfires[0].covers)).toBeGreaterThanOrEqual(DOWNTIME_MS / 1000 - 1);
    // ... and, for doNothing, one record of the missed ones and no run.
    expect(missed.map((f) => `${f.kind}/${f.status}`)).toEqual(['missed/missed']);
    expect(Number(missed[0].covers)).toBeGreaterThanOrEqual(DOWNTIME_MS / 1000 - 1);
    // Firing went on after the restart (on time, or, when a loaded node was more than 5 s late, as further misfires).
    expect(tick.filter((f) => Number(f.fire_time) > Number(misfires[0].last_fire_time)).length).toBeGreaterThanOrEqual(5);
    // Every fire ended (a graceful stop lets the one in progress finish): run, or, on a loaded
    // machine, a script past its time limit (failed) or one overlapping the other node's (skipped).
    expect([...tick, ...quiet].filter((f) => !['succeeded', 'failed', 'skipped', 'missed'].includes(f.status))).toEqual([]);
    expect(tick.filter((f) => f.status === 'succeeded').length).toBeGreaterThanOrEqual(5);
    // The recon schedule started real runs, each recorded.
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(startedWithoutRun).toBe(0);
    expect(scheduledRuns).toBe(started.length);
    expect(recon.every((f) => ['started', 'skipped', 'missed'].includes(f.status) || f.kind === 'misfire')).toBe(true);
  }, 600_000);
});
