// 5. Database outage under load. The machine's PostgreSQL is shared, so it is never stopped: a TCP
// proxy sits between the server and PostgreSQL and cuts it away, twice:
//   - "cut": every connection reset, new ones refused (PostgreSQL crashed or restarting);
//   - "blackhole": connections accepted but nothing moves (a network partition).
// While it is away, requests answer 503 with the {code, reason, message} shape, in bounded time,
// and the process stays up; approvals enqueued before the outage are retried; once the proxy is
// back, every approval completes and every user is created exactly once.
import {
  ADMIN, ASYNC_ADMIN, attempt, completeTask, count, createApprover, isCrestError, ledger, openTaskIds, proxiedPg, record, reproduce, request,
  ServerProc, sleep, sourceIds, startRecon, until, waitRecon,
} from './harness';

const N = 240;
const CUT_MS = 4_000;
const BLACKHOLE_MS = Number(process.env.RELIABILITY_BLACKHOLE_MS ?? 20_000);
/** The server's pg query timeout in this test (the default is 30 s); connecting times out after 10 s. */
const QUERY_TIMEOUT_MS = 5_000;
/** A request sent during an outage must be answered within this (no hanging on a dead database). */
const ANSWER_WITHIN_MS = 15_000;

interface Outcome {
  phase: string;
  kind: 'complete' | 'read';
  status: number;
  error?: string;
  ms: number;
  shapeOk: boolean;
}

describe('database outage under load (PostgreSQL through a TCP proxy)', () => {
  const ids = sourceIds(N, 'out');
  const pg = proxiedPg('outage', ids);
  let s: ServerProc;

  it('cut and blackholed under load: 503 in the error shape, process up, jobs retried, everything completes after', async () => {
    s = await pg.start('rel-outage', { DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) });
    await createApprover(s.base);
    expect((await waitRecon(s.base, await startRecon(s.base))).state).toBe('SUCCESS');
    const pending = await openTaskIds(s.base);
    expect(pending).toHaveLength(N);

    const outcomes: Outcome[] = [];
    let phase = 'before';
    let stop = false;
    const completed = new Set<string>();
    const failedOnce = new Set<string>();
    let resolvedByCheck = 0;

    // Approvers: complete tasks one after another; what fails is put back to be retried later.
    const approver = async () => {
      while (!stop && pending.length) {
        const id = pending.shift()!;
        const p = phase;
        const r = await completeTask(s.base, id, ASYNC_ADMIN, true, { timeoutMs: 90_000 });
        outcomes.push({ phase: p, kind: 'complete', status: r.status, error: r.error, ms: r.ms, shapeOk: r.status === 200 || isCrestError(r.body, r.status) });
        if (r.status === 200) completed.add(id);
        else if (r.status === 404 && failedOnce.has(id) && (await approvedInSql(id))) {
          // An earlier attempt's 503 had an unknown outcome (its commit went through): it is done.
          completed.add(id);
          resolvedByCheck++;
        } else {
          // 503 or a connection error: nothing happened, or (unknown outcome) it did; a retry tells.
          failedOnce.add(id);
          pending.push(id);
          await sleep(100);
        }
      }
    };
    // Readers: the user list, over and over.
    const reader = async () => {
      while (!stop) {
        const p = phase;
        const r = await attempt(s.base, 'GET', '/managed/user?_queryFilter=true&_pageSize=5&_fields=_id', { headers: ADMIN, timeoutMs: 90_000 });
        outcomes.push({ phase: p, kind: 'read', status: r.status, error: r.error, ms: r.ms, shapeOk: r.status === 200 || isCrestError(r.body, r.status) });
        await sleep(50);
      }
    };
    const approvedInSql = async (taskId: string) =>
      (await count(pg.db.knex, "SELECT COUNT(*) AS n FROM decision WHERE task_id = ? AND decision = 'approved'", [Number(taskId)])) === 1;
    const load = Promise.all([approver(), approver(), approver(), reader(), reader()]);

    let alive = true;
    let restoredAt = 0;
    let approvalsDoneMs = 0;
    const watch = setInterval(() => (alive &&= s.alive()), 100);
    try {
      await until('some approvals before the outage', async () => completed.size >= 20, 30_000, 20);
      phase = 'cut';
      pg.proxy.cut();
      await sleep(CUT_MS);
      phase = 'after-cut';
      pg.proxy.restore();
      await until('approvals to flow again after the cut', async () => outcomes.some((o) => o.phase === 'after-cut' && o.kind === 'complete' && o.status === 200), 30_000, 50);
      await sleep(500);
      phase = 'blackhole';
      pg.proxy.blackhole();
      await sleep(BLACKHOLE_MS);
      phase = 'after-blackhole';
      pg.proxy.restore();
      restoredAt = Date.now();
      await until('every approval to be completed', async () => pending.length === 0 && completed.size === N, 120_000, 200);
      approvalsDoneMs = Date.now() - restoredAt;
    } finally {
      stop = true;
      clearInterval(watch);
      await load;
    }
    await until('every createUser job to be done', async () => (await count(pg.db.knex, "SELECT COUNT(*) AS n FROM job WHERE state <> 'done'")) === 0 && (await count(pg.db.knex, 'SELECT COUNT(*) AS n FROM job')) === N, 150_000, 500);

    const jobsDoneMs = Date.now() - restoredAt;
    const l = await ledger(pg.db, ids);
    const byPhase: Record<string, Record<string, number>> = {};
    for (const o of outcomes) {
      const k = o.status ? String(o.status) : `conn:${o.error}`;
      byPhase[o.phase] ??= {};
      byPhase[o.phase][k] = (byPhase[o.phase][k] ?? 0) + 1;
    }
    const duringOutage = outcomes.filter((o) => o.phase === 'cut' || o.phase === 'blackhole');
    const unavailable = duringOutage.filter((o) => o.status === 503);
    const badShape = outcomes.filter((o) => !o.shapeOk && o.status !== 0);
    const server5xx = outcomes.filter((o) => o.status >= 500 && o.status !== 503);
    const connErrors = outcomes.filter((o) => o.status === 0);
    const slowest = Math.max(0, ...duringOutage.map((o) => o.ms));
    const retried = l.attempts;
    const ping = await request(s.base, 'GET', '/info/ping');
    const read = await request(s.base, 'GET', '/managed/user/asyncadmin', { headers: ADMIN });
    const unhandled = (s.log(400).match(/unhandled rejection/g) ?? []).length;

    record({
      id: '5-db-outage',
      scenario: 'Database outage under load',
      backend: 'pg',
      fixedBackend: true,
      injected: `PostgreSQL cut away by a TCP proxy under load: connections reset and refused for ${CUT_MS / 1000} s, then blackholed (accepted, silent) for ${BLACKHOLE_MS / 1000} s`,
      tried: `${outcomes.length} requests (${outcomes.filter((o) => o.kind === 'complete').length} completes, ${outcomes.filter((o) => o.kind === 'read').length} reads), ${N} approvals`,
      lost: l.lost,
      doubled: l.doubled,
      measured: {
        statusesByPhase: byPhase, answered503DuringOutage: unavailable.length, slowestAnswerDuringOutageMs: slowest, other5xx: server5xx.length, connectionErrors: connErrors.length,
        errorsWithoutCrestShape: badShape.length, processStayedUp: alive, unknownOutcomesResolvedAsDone: resolvedByCheck, queryTimeoutMs: QUERY_TIMEOUT_MS, approvalsDoneAfterRestoreMs: approvalsDoneMs, jobsDoneAfterRestoreMs: jobsDoneMs, jobAttempts: retried, users: l.users - 1, links: l.links, unhandledRejectionsLogged: unhandled,
      },
      command: reproduce('test/reliability/outage.rel.ts'),
    });
    expect(alive).toBe(true);
    expect(s.alive()).toBe(true);
    expect(ping.status).toBe(200);
    expect(read.status).toBe(200);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const o of unavailable) expect(o.shapeOk).toBe(true);
    expect(badShape.map((o) => `${o.phase} ${o.kind} ${o.status}`)).toEqual([]);
    expect(server5xx.map((o) => `${o.phase} ${o.kind} ${o.status}`)).toEqual([]);
    expect(slowest).toBeLessThan(ANSWER_WITHIN_MS);
    expect(l.problems).toEqual([]);
    expect({ lost: l.lost, doubled: l.doubled, users: l.users, links: l.links }).toEqual({ lost: 0, doubled: 0, users: N + 1, links: N });
    await s.stop();
  });
});
