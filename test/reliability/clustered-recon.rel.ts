// 8. Clustered reconciliation (clusteredSourceReconEnabled, src/recon/clustered.ts): two server
// processes on one PostgreSQL share a run's source pages. Node A is killed (SIGKILL) while it holds
// a page; its page job's lock expires, node B claims it and runs it again from the start. A page
// commits as one transaction with its job, so the killed attempt left nothing: every row ends
// with exactly one approval and one audit entry, and the run ends SUCCESS on B.
import fs from 'node:fs';
import path from 'node:path';
import { count, csvOf, makeProject, pgDb, record, reproduce, rows, ServerProc, sourceIds, startRecon, startServer, until, waitRecon } from './harness';

const ROWS = Number(process.env.RELIABILITY_CLUSTER_ROWS ?? 20_000);
const PAGE = 500;

describe('clustered reconciliation on two nodes', () => {
  it('node A is killed while it holds a page: B re-claims it after the lock expires; 0 lost, 0 doubled', async () => {
    const ids = sourceIds(ROWS, 'cl');
    const db = await pgDb('clustered-kill');
    const project = makeProject('clustered-kill', csvOf(ids));
    const syncFile = path.join(project, 'conf', 'sync.json');
    const sync = JSON.parse(fs.readFileSync(syncFile, 'utf8'));
    Object.assign(sync.mappings[0], { clusteredSourceReconEnabled: true, reconSourceQueryPageSize: PAGE });
    fs.writeFileSync(syncFile, JSON.stringify(sync, null, 2));
    let a: ServerProc | undefined;
    let b: ServerProc | undefined;
    try {
      [a, b] = await Promise.all([
        startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-cluster-A' }),
        startServer({ projectDir: project, databaseUrl: db.url, nodeId: 'rel-cluster-B' }),
      ]);
      const t0 = Date.now();
      const reconId = await startRecon(a.base);
      // Mid-run and mid-page: some pages committed, and A holds one right now.
      const held = await until('node A to hold a page after others committed', async () => {
        const done = await count(db.knex, "SELECT COUNT(*) AS n FROM job WHERE type = 'reconPage' AND state = 'done'");
        const mine = await rows<{ id: number }>(db.knex, "SELECT id FROM job WHERE type = 'reconPage' AND state = 'running' AND locked_by LIKE 'rel-cluster-A/%'");
        return done >= 2 && mine.length > 0 && mine;
      }, 60_000, 10);
      a.kill('SIGKILL');
      await a.exited;
      const killedAt = Date.now();
      const heldIds = held.map((r) => Number(r.id));
      const tasksAtKill = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
      const run = await waitRecon(b.base, reconId, 170_000);
      const endedAfterKillMs = Date.now() - killedAt;
      expect(run.state).toBe('SUCCESS');
      const perSource = await rows<{ s: string; c: string }>(db.knex, 'SELECT source_id AS s, COUNT(*) AS c FROM approval_request GROUP BY 1');
      const auditPerSource = await rows<{ s: string; c: string }>(db.knex, 'SELECT source_object_id AS s, COUNT(*) AS c FROM recon_audit WHERE recon_id = ? GROUP BY 1', [reconId]);
      const doubled = perSource.reduce((acc, r) => acc + Number(r.c) - 1, 0) + auditPerSource.reduce((acc, r) => acc + Number(r.c) - 1, 0);
      const approved = new Set(perSource.map((r) => r.s));
      const audited = new Set(auditPerSource.map((r) => r.s));
      const lost = ids.filter((id) => !approved.has(id) || !audited.has(id)).length;
      const openTasks = await count(db.knex, 'SELECT COUNT(*) AS n FROM task');
      // The killed pages ran again, on B, once the lock had expired.
      const rerun = await rows<{ id: number; attempts: number; result: string }>(db.knex, `SELECT id, attempts, result FROM job WHERE id IN (${heldIds.join(', ')})`);
      const byNode = await rows<{ node: string; n: string }>(db.knex, "SELECT (result::jsonb ->> 'node') AS node, COUNT(*) AS n FROM job WHERE type = 'reconPage' GROUP BY 1");
      record({
        id: '8-clustered-recon-node-dies',
        scenario: 'Clustered recon: a node dies mid-page',
        backend: 'pg',
        fixedBackend: true,
        injected: `SIGKILL of node A while it held ${heldIds.length} page job(s) of ${PAGE} rows (${tasksAtKill} approvals committed at the kill); B claims them again after the 60 s lock`,
        tried: `${ROWS} ABSENT rows in ${Math.ceil(ROWS / PAGE)} pages`,
        lost,
        doubled,
        measured: {
          runState: run.state, situationAbsent: run.situationSummary.ABSENT, openTasks, runMs: Date.now() - t0, endedAfterKillMs,
          pagesByNode: Object.fromEntries(byNode.map((r) => [r.node, Number(r.n)])), killedPages: rerun.map((r) => ({ attempts: Number(r.attempts), node: JSON.parse(r.result).node })),
        },
        command: reproduce('test/reliability/clustered-recon.rel.ts'),
      });
      expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
      expect(run.situationSummary.ABSENT).toBe(ROWS);
      expect(run.progress.source.existing.processed).toBe(ROWS);
      expect(openTasks).toBe(ROWS);
      for (const r of rerun) expect(JSON.parse(r.result).node).toBe('rel-cluster-B');
      await b.stop();
    } finally {
      a?.kill('SIGKILL');
      b?.kill('SIGKILL');
      await Promise.all([a?.exited, b?.exited]);
      await db.drop();
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 300_000);
});
