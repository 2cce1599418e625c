// What metrics add per event, measured in one process with the real code (src/metrics over a real
// SQLite repository), alternating off and on so that the machine's load falls on both alike:
// a statement through knex with and without the query observer, and the calls the HTTP middleware,
// the worker and the reconciler make per request, attempt and row.
//
//   npm run build && node dist/bench/metricsOverhead.js [--queries 20000] [--rounds 4]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quietLogger } from '../src/log';
import { Metrics } from '../src/metrics';
import { migrate, openDb } from '../src/repo/db';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const QUERIES = arg('queries', 20_000);
const ROUNDS = arg('rounds', 4);
const CALLS = 200_000;

const usSince = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e3;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-metrics-overhead-'));
  const db = openDb({ url: path.join(dir, 'o.sqlite'), projectDir: dir });
  try {
    await migrate(db);
    await db.knex.schema.createTable('t', (t) => {
      t.integer('id').primary();
      t.string('v');
    });
    await db.knex('t').insert(Array.from({ length: 500 }, (_, i) => ({ id: i, v: `v${i}` })));
    const metrics = new Metrics(db, quietLogger);
    const query = async () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < QUERIES; i++) await db.knex('t').where({ id: i % 500 }).first();
      return usSince(t0) / QUERIES;
    };
    const off: number[] = [];
    const on: number[] = [];
    await query(); // warm up the statement cache and the JIT
    for (let r = 0; r < ROUNDS; r++) {
      off.push(await query());
      metrics.observeDatabase();
      on.push(await query());
      metrics.stop();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`statement (SELECT by primary key, ${QUERIES} per round, ${ROUNDS} rounds): off ${off.map((x) => x.toFixed(1)).join(' / ')} µs, on ${on.map((x) => x.toFixed(1)).join(' / ')} µs; median +${(median(on) - median(off)).toFixed(2)} µs`);

    const perCall = (fn: (i: number) => void) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) fn(i);
      return (usSince(t0) * 1000) / CALLS;
    };
    const routes = ['/openidm/workflow/taskinstance/:id', '/openidm/recon/:id', '/openidm/managed/user'];
    perCall((i) => metrics.httpRequest('POST', routes[i % 3], 200, 0.01)); // warm-up
    console.log(`httpRequest (counter + histogram): ${perCall((i) => metrics.httpRequest('POST', routes[i % 3], 200, 0.01)).toFixed(0)} ns per request`);
    console.log(`jobAttempt: ${perCall(() => metrics.jobAttempt('createUser', 'done', 0.002, false)).toFixed(0)} ns per attempt`);
    console.log(`instanceFinished: ${perCall(() => metrics.instanceFinished('managedUserApproval', 1, 'ended')).toFixed(0)} ns per instance`);
    console.log(`reconRows (one call per situation per 0.5 s flush; per call): ${perCall(() => metrics.reconRows('m', 'ABSENT', 500, 0)).toFixed(0)} ns`);
    let text = await metrics.scrape();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const SCRAPES = 20;
    for (let i = 0; i < SCRAPES; i++) text = await metrics.scrape();
    const cpu = process.cpuUsage(cpu0);
    console.log(`a scrape of an empty, migrated repository: ${(usSince(t0) / 1000 / SCRAPES).toFixed(1)} ms, ${((cpu.user + cpu.system) / 1000 / SCRAPES).toFixed(1)} ms CPU, ${text.length} bytes`);
  } finally {
    await db.knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
