// 5b. Database outage in the middle of a reconciliation (PostgreSQL through the TCP proxy): the
// run does not stay ACTIVE forever (it is FAILED once the database is back), the server stays
// up, and a new reconciliation afterwards leaves exactly one approval per ABSENT row.
import {
  ADMIN, attempt, count, MAPPING, proxiedPg, record, reproduce, request, rows, ServerProc, sleep, sourceIds, startRecon, until, waitRecon,
} from './harness';

const ROWS = 8_000;
const CUT_MS = 3_000;

describe('database outage during a reconciliation (PostgreSQL through a TCP proxy)', () => {
  const ids = sourceIds(ROWS, 'orec');
  const pg = proxiedPg('outage-recon', ids);
  let s: ServerProc;

  it('the interrupted run ends (not ACTIVE forever); a new run after the outage leaves one approval per row', async () => {
    s = await pg.start('rel-outage-recon', { DATABASE_QUERY_TIMEOUT_MS: '5000' });
    const reconId = await startRecon(s.base);
    await until('approvals to start', async () => (await count(pg.db.knex, 'SELECT COUNT(*) AS n FROM task')) >= 1_000, 60_000, 20);
    pg.proxy.cut();
    const cutAt = Date.now();
    const during = await attempt(s.base, 'GET', `/recon/${reconId}`, { headers: ADMIN, timeoutMs: 20_000 });
    await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)));
    pg.proxy.restore();
    const restoredAt = Date.now();
    const ended = await until('the interrupted run to end', async () => {
      const r = await request(s.base, 'GET', `/recon/${reconId}`, { headers: ADMIN });
      return r.status === 200 && r.body.state !== 'ACTIVE' && r.body;
    }, 60_000, 500);
    const endedAfterMs = Date.now() - restoredAt;
    const tasksAtEnd = await count(pg.db.knex, 'SELECT COUNT(*) AS n FROM task');
    // While it was ACTIVE a second run was refused; now one can start, and it completes.
    const second = await waitRecon(s.base, await startRecon(s.base), 180_000);
    const perSource = await rows<{ s: string; c: string }>(pg.db.knex, "SELECT (p.variables::jsonb ->> 'sourceId') AS s, COUNT(*) AS c FROM process_instance p JOIN task t ON t.process_instance_id = p.id WHERE p.status = 'active' GROUP BY 1");
    const seen = new Set(perSource.map((r) => r.s));
    const missing = ids.filter((id) => !seen.has(id)).length;
    const doubled = perSource.reduce((acc, r) => acc + Number(r.c) - 1, 0);
    const failedInstances = await count(pg.db.knex, "SELECT COUNT(*) AS n FROM process_instance WHERE status <> 'active'");
    record({
      id: '5b-db-outage-during-recon',
      scenario: 'Database outage during recon',
      backend: 'pg',
      fixedBackend: true,
      injected: `PostgreSQL connections reset and refused for ${CUT_MS / 1000} s in the middle of a recon of ${ROWS} ABSENT rows; new recon after`,
      tried: `${ROWS} ABSENT rows`,
      lost: missing,
      doubled,
      measured: {
        statusDuringCut: during.status, interruptedRun: ended.state, message: ended.message, endedAfterRestoreMs: endedAfterMs, statusSummaryOfInterrupted: ended.statusSummary,
        tasksWhenItEnded: tasksAtEnd, secondRun: second.state, secondStatus: second.statusSummary, instancesNotActive: failedInstances, processStayedUp: s.alive(),
      },
      command: reproduce('test/reliability/outage-recon.rel.ts'),
    });
    expect([503, 200]).toContain(during.status);
    expect(ended.state).toBe('FAILED');
    expect(s.alive()).toBe(true);
    expect(second.state).toBe('SUCCESS');
    expect(second.statusSummary.FAILURE).toBe(0);
    expect({ missing, doubled, failedInstances }).toEqual({ missing: 0, doubled: 0, failedInstances: 0 });
    // The refused concurrent start is covered in two-nodes; here: one ACTIVE run at most, always.
    expect(await count(pg.db.knex, "SELECT COUNT(*) AS n FROM recon_run WHERE state = 'ACTIVE'")).toBe(0);
    expect(MAPPING).toBeTruthy();
    await s.stop();
  });
});
