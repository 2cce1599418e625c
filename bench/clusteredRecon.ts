// Clustered reconciliation throughput (issue 19): one run of N ABSENT rows (each an approval) on
// PostgreSQL with clusteredSourceReconEnabled, on 1, 2 and 3 real server processes sharing the
// database, plus the same run without clustering on one node. Reports the run's wall time, rows/s,
// each node's CPU seconds (utime + stime from /proc while the run lasted) and pages per node. All
// processes and PostgreSQL share this machine's cores, so the ratio shows contention as much as
// distribution: see BENCHMARKS.md.
//
//   npm run build && node dist/bench/clusteredRecon.js --n 100000 --page 1000 --nodes 1,2,3
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { generateCsv } from './generateCsv';
import { BenchServer, startBenchServer } from './server';

const ROOT = path.resolve(__dirname, '..', '..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('n') ?? 100_000);
const PAGE = Number(arg('page') ?? 1000);
const NODES = (arg('nodes') ?? '1,2,3').split(',').map(Number);
const PG_URL = arg('pg-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin', 'Content-Type': 'application/json' };
const TICK = 100; // USER_HZ
const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14, 15)
}

async function oneRun(nodes: number, clustered: boolean, csv: string) {
  const label = `${clustered ? 'cl' : 'plain'}${nodes}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reconflow-bench-${label}-`));
  for (const sub of ['conf', 'processes']) fs.cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  fs.copyFileSync(csv, path.join(dir, 'data', 'csvConnectorData.csv'));
  const syncFile = path.join(dir, 'conf', 'sync.json');
  const sync = JSON.parse(fs.readFileSync(syncFile, 'utf8'));
  if (clustered) Object.assign(sync.mappings[0], { clusteredSourceReconEnabled: true, reconSourceQueryPageSize: PAGE });
  fs.writeFileSync(syncFile, JSON.stringify(sync, null, 2));
  const schema = `bench_cl_${label}_${process.pid}`;
  const env = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema };
  const servers: BenchServer[] = [];
  const knex = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 2 } });
  try {
    servers.push(await startBenchServer(dir, env, `${label}-1`));
    for (let i = 2; i <= nodes; i++) servers.push(await startBenchServer(dir, env, `${label}-${i}`));
    const cpu0 = servers.map((s) => cpuSeconds(s.proc.pid!));
    const t0 = process.hrtime.bigint();
    const r = await fetch(`${servers[0].base}/recon?_action=recon&mapping=systemCsvfileAccounts_managedUser`, { method: 'POST', headers: ADMIN });
    const id = ((await r.json()) as { _id: string })._id;
    let run: any;
    for (;;) {
      run = await (await fetch(`${servers[0].base}/recon/${id}`, { headers: ADMIN })).json();
      if (run.state !== 'ACTIVE') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = servers.map((s, i) => cpuSeconds(s.proc.pid!) - cpu0[i]);
    const pages = clustered
      ? Object.fromEntries((await knex.raw("SELECT (result::jsonb ->> 'node') AS node, COUNT(*) AS n FROM job WHERE type = 'reconPage' GROUP BY 1")).rows.map((x: any) => [x.node, Number(x.n)]))
      : {};
    const approvals = Number((await knex('approval_request').count({ n: '*' }))[0].n);
    return { label, nodes, clustered, state: run.state, absent: run.situationSummary.ABSENT, approvals, seconds, rowsPerSecond: N / seconds, cpu, pages };
  } finally {
    for (const s of servers) await s.stop();
    await knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-bench-cl-'));
  const csv = path.join(work, 'accounts.csv');
  generateCsv(csv, N);
  const results = [];
  results.push(await oneRun(1, false, csv));
  log(JSON.stringify(results[results.length - 1]));
  for (const n of NODES) {
    results.push(await oneRun(n, true, csv));
    log(JSON.stringify(results[results.length - 1]));
  }
  console.log(`| run | nodes | state | approvals | wall s | rows/s | ratio to plain | CPU s per node | pages per node |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  const base = results[0].rowsPerSecond;
  for (const r of results) {
    console.log(`| ${r.clustered ? 'clustered' : 'not clustered'} | ${r.nodes} | ${r.state} | ${r.approvals} | ${r.seconds.toFixed(1)} | ${Math.round(r.rowsPerSecond)} | ${(r.rowsPerSecond / base).toFixed(2)} | ${r.cpu.map((c) => c.toFixed(1)).join(' / ')} | ${Object.values(r.pages).join(' / ') || '—'} |`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
