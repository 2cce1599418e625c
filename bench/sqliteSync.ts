// What one commit costs at each conf/repo.json sqlite.synchronous level, on this disk, without
// the rest of reconflow: N small transactions (one insert each, as a completion's commit) into a
// WAL database, per level, alternated over --rounds so a busy neighbour hits each alike.
// bench/run.ts --only c --sqlite-synchronous FULL measures the same end to end.
//
//   node dist/bench/sqliteSync.js [--commits 5000] [--rounds 3] [--dir /tmp]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const COMMITS = Number(arg('commits') ?? 5000);
const ROUNDS = Number(arg('rounds') ?? 3);
const DIR = fs.mkdtempSync(path.join(arg('dir') ?? os.tmpdir(), 'reconflow-sync-'));
const LEVELS = ['NORMAL', 'FULL', 'EXTRA'] as const;

function run(level: string, round: number): number {
  const file = path.join(DIR, `${level}-${round}.sqlite`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${level}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const one = db.transaction((v: string) => insert.run(v));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < COMMITS; i++) one(`value ${i} ${'x'.repeat(200)}`);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  return COMMITS / s;
}

const results: Record<string, number[]> = Object.fromEntries(LEVELS.map((l) => [l, []]));
for (let r = 0; r < ROUNDS; r++) for (const l of LEVELS) results[l].push(run(l, r));
fs.rmSync(DIR, { recursive: true, force: true });
console.log(`\`node dist/bench/sqliteSync.js ${process.argv.slice(2).join(' ')}\` — ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| synchronous | commits/s per round | ms per commit (median round) |\n| --- | --- | ---: |');
for (const l of LEVELS) {
  const xs = results[l];
  const med = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`| ${l} | ${xs.map((x) => x.toFixed(0)).join(', ')} | ${(1000 / med).toFixed(3)} |`);
}
