// Issue 19 "Unpaged queries cost constant memory": the server's peak RSS while it answers an
// unpaged CREST query (no _pageSize) over N open tasks (each with its active instance).
// A temp project and repository; test/helpers/seedScale.ts clones two real approvals into N open
// ones (set-based SQL); then, for each query, a fresh server (dist/src/cli/start.js, bench/server.ts)
// answers it once, read by this process as a stream (counted, never held), and its VmHWM
// (/proc/<pid>/status: the peak resident set since it started) is read before and after.
//
//   npm run bench:unpaged -- --backend sqlite|pg [--tasks 1000000] [--pg-url postgres://…] [--keep]
//                            [--server-js /path/to/other/dist/src/cli/start.js]   # e.g. a build of main, for "before"
//
// Output: the table on stdout and bench/out/unpaged-<backend>-<N>.md.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { HEADER_LINE, makeTemplates, seedScale, TEMPLATE_ROWS } from '../test/helpers/seedScale';
import { BenchServer, startBenchServer } from './server';

const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const BACKEND = (arg('backend') ?? 'sqlite') as 'sqlite' | 'pg';
const TASKS = Number(arg('tasks') ?? 1_000_000);
const PG_URL = arg('pg-url') ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres');
const KEEP = process.argv.includes('--keep');
const SERVER_JS = arg('server-js');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const TARGET_MB = 300;
if (!['sqlite', 'pg'].includes(BACKEND)) throw new Error('--backend must be sqlite or pg');
if (!Number.isInteger(TASKS) || TASKS < 1) throw new Error('--tasks must be a positive integer');

const log = (msg: string) => console.error(`[unpaged ${new Date().toISOString().slice(11, 19)}] ${msg}`);

const QUERIES = [
  '/workflow/taskinstance?_queryFilter=true',
  '/workflow/taskinstance?_queryFilter=true&_sortKeys=-createTime',
  '/workflow/taskinstance?_queryId=query-all-ids',
  '/workflow/processinstance?_queryFilter=true',
  '/workflow/processinstance/history?_queryFilter=true&_sortKeys=-startTime',
];

interface Repo { env: Record<string, string>; knex: Knex; drop(): Promise<void> }

function makeRepo(work: string): Repo {
  if (BACKEND === 'pg') {
    const schema = `unpagedbench_${process.pid}`;
    const knex = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 2 } });
    return { env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }, knex, drop: async () => { if (!KEEP) await knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); await knex.destroy(); } };
  }
  const file = path.join(work, 'unpaged.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 1, max: 1, afterCreate: (c: { pragma(s: string): void }, done: (e: Error | null, c: unknown) => void) => { c.pragma('busy_timeout = 30000'); done(null, c); } } });
  return { env: { DATABASE_URL: file }, knex, drop: () => knex.destroy() };
}

/** kB of a /proc/<pid>/status line (VmHWM: peak resident set; VmRSS: now). */
function procKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${key} for ${pid}`);
  return Number(m[1]);
}

async function call(base: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + p, { method, headers: { 'Accept-API-Version': 'resource=1.0', ...ADMIN, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, body: parsed };
}

interface Answer { status: number; bytes: number; ms: number; complete: boolean; etag: string | null; chunked: boolean; resultCount?: number; head: string; tail: string }

/** One GET read as a stream: bytes counted, the first and last 200 kept (the envelope's ends). */
function stream(base: string, p: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(base + p, { headers: { 'Accept-API-Version': 'resource=1.0', ...ADMIN } }, (res) => {
      let bytes = 0;
      let head = '';
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        bytes += Buffer.byteLength(c);
        if (head.length < 200) head += c.slice(0, 200 - head.length);
        tail = (tail + c).slice(-400);
      });
      const done = () => {
        const m = /"resultCount":(\d+),"pagedResultsCookie":null,"totalPagedResultsPolicy":"NONE","totalPagedResults":-1,"remainingPagedResults":-1\}$/.exec(tail);
        resolve({
          status: res.statusCode ?? 0, bytes, ms: performance.now() - t0, complete: res.complete, etag: (res.headers.etag as string) ?? null,
          chunked: res.headers['transfer-encoding'] === 'chunked', resultCount: m ? Number(m[1]) : undefined, head, tail: tail.slice(-200),
        });
      };
      res.on('end', done);
      res.on('aborted', done);
    });
    req.on('error', reject);
  });
}

interface Row { query: string; startPeakMb: number; idleMb: number; peakMb: number; ms: number; mb: number; resultCount?: number; ok: boolean; note: string }

async function measure(project: string, repo: Repo, q: string, i: number): Promise<Row> {
  const server: BenchServer = await startBenchServer(project, repo.env, `q${i}`, [], SERVER_JS);
  try {
    await call(server.base, 'GET', '/workflow/taskinstance?_queryFilter=true&_pageSize=1');
    const pid = server.proc.pid!;
    const startPeak = procKb(pid, 'VmHWM');
    // The peak is reset to the resident set now (proc(5) clear_refs 5), so that VmHWM after the
    // query is the peak while answering it, not the start-up's (engine pool, script hosts).
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const idle = procKb(pid, 'VmHWM');
    const a = await stream(server.base, q);
    const peak = procKb(pid, 'VmHWM');
    const ok = a.status === 200 && a.complete && a.head.startsWith('{"result":[') && a.resultCount !== undefined;
    const note = a.status !== 200 ? `${a.status} ${a.head.slice(0, 150)}` : `${a.chunked ? 'streamed' : 'one body'}${a.etag ? ', ETag' : ', no ETag'}${a.complete ? '' : ', INCOMPLETE'}`;
    log(`${q}: ${a.status}, ${(a.bytes / 2 ** 20).toFixed(0)} MB in ${(a.ms / 1000).toFixed(1)} s, ${a.resultCount ?? '?'} results; VmHWM ${(idle / 1024).toFixed(0)} → ${(peak / 1024).toFixed(0)} MB (start-up peak ${(startPeak / 1024).toFixed(0)} MB)`);
    return { query: q, startPeakMb: startPeak / 1024, idleMb: idle / 1024, peakMb: peak / 1024, ms: a.ms, mb: a.bytes / 2 ** 20, resultCount: a.resultCount, ok, note };
  } finally {
    await server.stop();
  }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-unpaged-'));
  const started = new Date().toISOString();
  log(`work dir ${work}; backend ${BACKEND}; ${TASKS} open tasks${SERVER_JS ? `; server ${SERVER_JS}` : ''}`);
  const project = path.join(work, 'project');
  for (const sub of ['conf', 'processes']) fs.cpSync(path.join(ROOT, sub), path.join(project, sub), { recursive: true });
  fs.mkdirSync(path.join(project, 'data'), { recursive: true });
  const csv = path.join(project, 'data', 'csvConnectorData.csv');
  fs.writeFileSync(csv, [HEADER_LINE, ...TEMPLATE_ROWS].join('\n') + '\n');
  const repo = makeRepo(work);
  const rows: Row[] = [];
  let seconds = 0;
  try {
    const seeder = await startBenchServer(project, repo.env, 'seed', [], SERVER_JS);
    try {
      const source = await makeTemplates(async (method, p, body) => call(seeder.base, method, p, body));
      log(`seeding ${TASKS.toLocaleString('en')} open tasks`);
      const seeded = await seedScale(repo.knex, { tasks: TASKS, ended: 0, csv: { file: csv, source } });
      seconds = seeded.seconds;
      log(`seeded in ${seeded.seconds.toFixed(1)} s`);
    } finally {
      await seeder.stop();
    }
    for (const [i, q] of QUERIES.entries()) rows.push(await measure(project, repo, q, i));
  } finally {
    await repo.drop();
    if (!KEEP) fs.rmSync(work, { recursive: true, force: true });
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  const md = [
    `### ${BACKEND === 'pg' ? 'PostgreSQL' : 'SQLite'}: unpaged queries over ${TASKS.toLocaleString('en')} open tasks${SERVER_JS ? ` (server ${SERVER_JS})` : ''}`,
    '',
    `\`node dist/bench/unpaged.js ${process.argv.slice(2).join(' ')}\` — ${started}; ${machine}. Seeding ${seconds.toFixed(0)} s. Each query on a fresh server: its peak resident set (VmHWM) reset (\`/proc/<pid>/clear_refs\` 5) after one warm-up request, read after the answer's last byte; the start-up's own peak beside it.`,
    '',
    '| query | results | body MB | s | server RSS before → peak while answering (MB) | start-up peak (MB) | target | met | answer |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.query}\` | ${r.resultCount?.toLocaleString('en') ?? '—'} | ${r.mb.toFixed(0)} | ${(r.ms / 1000).toFixed(1)} | ${r.idleMb.toFixed(0)} → ${r.peakMb.toFixed(0)} | ${r.startPeakMb.toFixed(0)} | ≤ ${TARGET_MB} | ${r.ok && r.peakMb <= TARGET_MB ? 'yes' : '**no**'} | ${r.note} |`),
    '',
  ].join('\n');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const out = path.join(OUT_DIR, `unpaged-${BACKEND}-${TASKS}${SERVER_JS ? '-other' : ''}.md`);
  fs.writeFileSync(out, md);
  console.log(md);
  log(`written ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
