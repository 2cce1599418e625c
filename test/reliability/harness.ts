// What every reliability test needs: real server processes (node dist/src/cli/start.js) on free
// ports, throw-away project folders and databases, a raw HTTP client, SQL access to the data the
// servers write, a TCP proxy that can cut PostgreSQL away, and the artifact each test records.
import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { migrate, openDb } from '../../src/repo/db';

export const ROOT = path.resolve(__dirname, '../..');
export const START_JS = path.join(ROOT, 'dist', 'src', 'cli', 'start.js');
/** Where CREATE/DROP DATABASE are sent; each PostgreSQL test makes its own database there. */
export const PG_ADMIN_URL = process.env.RELIABILITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** MariaDB for RELIABILITY_BACKEND=mysql (a database per scenario is created beside the URL's). */
export const MYSQL_URL = process.env.RELIABILITY_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/reconflow_rel';
export const ARTIFACT_DIR = path.join(ROOT, 'test', 'artifacts');
export const FRAGMENT_DIR = path.join(ARTIFACT_DIR, 'reliability');

export const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' };
export const ASYNC_ADMIN = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };
export const MAPPING = 'systemCsvfileAccounts_managedUser';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `reconflow-rel-${label}-`));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Project folders and CSV data

const HEADER = '"description", "uid", "username", "firstname", "lastname", "email", "mobileTelephoneNumber", "roles"';

/** The sample's CSV shape, one row per id. */
export function csvRow(uid: string): string {
  return `"Created By CSV", "${uid}", "${uid}@example.com", "First ${uid}", "Last ${uid}", "${uid}@example.com", "555${uid.length}", "internal/role/openidm-authorized"`;
}

export function sourceIds(n: number, prefix = 'user'): string[] {
  const width = String(n - 1).length;
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
}

export function csvOf(ids: string[], extraLines: string[] = []): string {
  return [HEADER, ...ids.map(csvRow), ...extraLines].join('\n') + '\n';
}

/** A copy of the sample project (conf/, processes/) with its own data/csvConnectorData.csv. */
export function makeProject(label: string, csv: string | Buffer | null): string {
  const dir = tmpDir(label);
  fs.cpSync(path.join(ROOT, 'conf'), path.join(dir, 'conf'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'processes'), path.join(dir, 'processes'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'csvConnectorData.csv'), csv ?? fs.readFileSync(path.join(ROOT, 'data', 'csvConnectorData.csv')));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Server processes

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface ServerOptions {
  projectDir: string;
  databaseUrl: string;
  /** NODE_ID; omitted: unset, so the server takes its default (stable per host, project and database). */
  nodeId?: string;
  workers?: boolean;
  port?: number;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Called right after the spawn, before the server answers: to act on it while it starts. */
  onSpawn?: (s: ServerProc) => void;
}

export interface ServerProc {
  /** NODE_ID as set, or "(default)". */
  nodeId: string;
  port: number;
  /** http://127.0.0.1:PORT/openidm */
  base: string;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then wait for the exit (SIGKILL after `ms`). */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the process printed (for failure messages). */
  log(lines?: number): string;
}

export async function startServer(o: ServerOptions): Promise<ServerProc> {
  if (!fs.existsSync(START_JS)) throw new Error(`${START_JS} is missing: run npm run build`);
  const port = o.port ?? (await freePort());
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !['DATABASE_URL', 'DATABASE_SCHEMA', 'PORT', 'PROJECT_DIR', 'NODE_ID', 'WORKERS', 'HOST'].includes(k)) env[k] = v;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: o.databaseUrl,
    PROJECT_DIR: o.projectDir,
    ...(o.nodeId !== undefined ? { NODE_ID: o.nodeId } : {}),
    WORKERS: o.workers === false ? '0' : '1',
    ...(o.env ?? {}),
  });
  const proc = spawn(process.execPath, [START_JS], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l.length > 2000 ? l.slice(0, 2000) + '…' : l);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    }),
  );
  const base = `http://127.0.0.1:${port}/openidm`;
  const s: ServerProc = {
    nodeId: o.nodeId ?? '(default)',
    port,
    base,
    pid: proc.pid!,
    exited,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    async stop(ms = 20_000) {
      s.kill('SIGTERM');
      const t = setTimeout(() => s.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    log: (n = 60) => lines.slice(-n).join('\n'),
  };
  o.onSpawn?.(s);
  const until = Date.now() + (o.readyTimeoutMs ?? 60_000);
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < until) {
    if (gone) throw new Error(`server ${o.nodeId} exited during start-up:\n${s.log()}`);
    const r = await request(base, 'GET', '/info/ping', { timeoutMs: 2_000 }).catch(() => null);
    if (r?.status === 200) return s;
    await sleep(100);
  }
  s.kill('SIGKILL');
  throw new Error(`server ${o.nodeId} did not answer info/ping:\n${s.log()}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** JSON-encoded, with Content-Type application/json unless headers say otherwise. */
  body?: unknown;
  /** Sent as is. */
  raw?: string | Buffer;
  /** Source address of the connection (any of 127.0.0.0/8), to look like another client. */
  localAddress?: string;
  timeoutMs?: number;
}

/** One request on its own connection; rejects on a connection error or after timeoutMs. */
export function request(base: string, method: string, p: string, o: RequestOptions = {}): Promise<Reply> {
  const url = new URL(base + p);
  const headers: Record<string, string | number> = { 'Accept-API-Version': 'resource=1.0', ...(o.headers ?? {}) };
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    payload = Buffer.from(JSON.stringify(o.body));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  } else if (o.raw !== undefined) payload = Buffer.isBuffer(o.raw) ? o.raw : Buffer.from(o.raw);
  if (payload) headers['Content-Length'] = payload.length;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: false, localAddress: o.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(e));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          finish(null, { status: res.statusCode ?? 0, body, text, headers: res.headers, ms: Date.now() - started });
        });
      },
    );
    const timer = setTimeout(() => {
      finish(Object.assign(new Error(`${method} ${p.slice(0, 80)} timed out after ${o.timeoutMs ?? 60_000} ms`), { code: 'CLIENT_TIMEOUT' }));
      req.destroy();
    }, o.timeoutMs ?? 60_000);
    function finish(err: Error | null, reply?: Reply) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(reply!);
    }
    // A server may answer (413, 401) before it has read a large body, then close: keep the answer.
    req.on('error', (e) => setTimeout(() => finish(e), 50));
    if (payload) req.end(payload);
    else req.end();
  });
}

/** Like request, but a connection error or timeout comes back as status 0 with its code. */
export async function attempt(base: string, method: string, p: string, o: RequestOptions = {}): Promise<Reply & { error?: string }> {
  try {
    return await request(base, method, p, o);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { status: 0, body: null, text: '', headers: {}, ms: 0, error: err.code ?? err.message };
  }
}

export function isCrestError(body: unknown, code?: number): boolean {
  const b = body as { code?: unknown; reason?: unknown; message?: unknown };
  return !!b && typeof b === 'object' && typeof b.code === 'number' && typeof b.reason === 'string' && typeof b.message === 'string' && (code === undefined || b.code === code);
}

/** Polls until fn returns a truthy value; fails after `ms` with the last value seen. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`${what} did not happen within ${ms} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 300)})`);
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

// --- the sample's REST steps ---

export async function startRecon(base: string): Promise<string> {
  const r = await request(base, 'POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
  if (r.status !== 200 || typeof r.body?._id !== 'string') throw new Error(`recon answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body._id;
}

export async function waitRecon(base: string, id: string, ms = 120_000): Promise<any> {
  return until(`recon ${id} to end`, async () => {
    const r = await request(base, 'GET', `/recon/${id}`, { headers: ADMIN, timeoutMs: 10_000 });
    return r.status === 200 && r.body.state !== 'ACTIVE' && r.body;
  }, ms, 250);
}

/** Every open task's id, paged through the REST API. */
export async function openTaskIds(base: string): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 5000) {
    const r = await request(base, 'GET', `/workflow/taskinstance?_queryFilter=true&_fields=_id&_pageSize=5000&_pagedResultsOffset=${offset}`, { headers: ADMIN });
    if (r.status !== 200) throw new Error(`task query answered ${r.status}: ${r.text.slice(0, 300)}`);
    ids.push(...r.body.result.map((t: { _id: string }) => t._id));
    if (!r.body.pagedResultsCookie) return ids;
  }
}

export function completeTask(base: string, id: string, headers: Record<string, string> = ADMIN, approved = true, o: RequestOptions = {}) {
  return attempt(base, 'POST', `/workflow/taskinstance/${id}?_action=complete`, { headers, body: { requestApproved: approved ? 'true' : 'false' }, ...o });
}

export async function createApprover(base: string): Promise<void> {
  const r = await request(base, 'POST', '/managed/user?_action=create', {
    headers: ADMIN,
    body: {
      userName: 'async.admin', givenName: 'async', sn: 'admin', password: 'Passw0rd', displayName: 'async admin', mail: 'async.admin@example.com',
      authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }], _id: 'asyncadmin',
    },
  });
  if (r.status !== 201) throw new Error(`creating async.admin answered ${r.status}: ${r.text}`);
}

// ---------------------------------------------------------------------------------------------
// Databases

export interface TestDatabase {
  backend: 'sqlite' | 'pg' | 'mysql';
  /** DATABASE_URL for a server. */
  url: string;
  /** Direct SQL access for the checks. */
  knex: Knex;
  /** The database name (PostgreSQL). */
  name?: string;
  drop(): Promise<void>;
}

export function sqliteDb(label: string): TestDatabase {
  const dir = tmpDir(`${label}-db`);
  const file = path.join(dir, 'reconflow.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 0, max: 1 } });
  return {
    backend: 'sqlite',
    url: file,
    knex,
    async drop() {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL database, dropped (with its connections) by drop(). */
export async function pgDb(label: string): Promise<TestDatabase> {
  const name = `reconflow_rel_${label.replace(/\W/g, '_').toLowerCase()}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 4 } });
  return {
    backend: 'pg',
    url: url.toString(),
    knex,
    name,
    async drop() {
      await knex.destroy();
      const a = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.destroy();
      }
    },
  };
}

/** A fresh MariaDB database (the checks' connection runs the server's session settings: src/repo/mysqlClient.ts), dropped by drop(). */
export async function mysqlDb(label: string): Promise<TestDatabase> {
  const name = `reconflow_rel_${label.replace(/\W/g, '_').toLowerCase()}_${crypto.randomBytes(4).toString('hex')}`;
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const db = openDb({ url: url.toString(), projectDir: os.tmpdir() });
  await migrate(db); // creates the database (the server finds it migrated)
  return {
    backend: 'mysql',
    url: url.toString(),
    knex: db.knex,
    name,
    async drop() {
      await db.knex.raw('DROP DATABASE IF EXISTS ??', [name]);
      await db.knex.destroy();
    },
  };
}

/**
 * The database of a scenario that is not PostgreSQL-specific: SQLite (the default backend), or a
 * fresh PostgreSQL database when RELIABILITY_BACKEND=pg (MariaDB when mysql).
 */
export async function testDb(label: string): Promise<TestDatabase> {
  if (process.env.RELIABILITY_BACKEND === 'mysql') return mysqlDb(label);
  return process.env.RELIABILITY_BACKEND === 'pg' ? pgDb(label) : sqliteDb(label);
}

/** A raw statement's rows: better-sqlite3 answers with them, node-pg with { rows }, mysql2 with [rows, fields]. */
function rawRows(knex: Knex, res: unknown): Record<string, unknown>[] {
  if ((knex.client as { dialect: string }).dialect === 'mysql') return (res as [Record<string, unknown>[]])[0];
  return (Array.isArray(res) ? res : (res as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
}

/** The same URL with host:port replaced (to go through a proxy). */
export function viaPort(pgUrl: string, port: number): string {
  const u = new URL(pgUrl);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

export async function count(knex: Knex, sql: string, bindings: unknown[] = []): Promise<number> {
  const rows = rawRows(knex, await knex.raw(sql, bindings as Knex.RawBinding[]));
  return Number(Object.values(rows[0] ?? { n: 0 })[0]);
}

export async function rows<T = Record<string, unknown>>(knex: Knex, sql: string, bindings: unknown[] = []): Promise<T[]> {
  return rawRows(knex, await knex.raw(sql, bindings as Knex.RawBinding[])) as T[];
}

/** SQL for a process variable, on either backend. */
export function varExpr(db: TestDatabase, name: string): string {
  if (db.backend === 'mysql') return `JSON_UNQUOTE(JSON_EXTRACT(variables, '$.${name}'))`;
  return db.backend === 'pg' ? `(variables::jsonb ->> '${name}')` : `json_extract(variables, '$.${name}')`;
}

/**
 * The exactly-once ledger after approvals: for the given source ids, how many users, links,
 * CREATE audit entries and done jobs each has. `lost` counts ids with none, `doubled` the extras.
 */
export async function ledger(db: TestDatabase, ids: string[]) {
  const k = db.knex;
  const users = new Map((await rows<{ id: string }>(k, 'SELECT id FROM managed_user')).map((r) => [r.id, 1]));
  const linkCounts = new Map<string, number>();
  for (const r of await rows<{ first_id: string }>(k, 'SELECT first_id FROM link')) linkCounts.set(r.first_id, (linkCounts.get(r.first_id) ?? 0) + 1);
  const creates = new Map<string, number>();
  for (const r of await rows<{ s: string }>(k, "SELECT source_object_id AS s FROM recon_audit WHERE action = 'CREATE' AND status = 'SUCCESS'")) creates.set(r.s, (creates.get(r.s) ?? 0) + 1);
  const jobs = await rows<{ state: string; attempts: number; payload: string }>(k, "SELECT state, attempts, payload FROM job WHERE type = 'createUser'");
  const jobsBySource = new Map<string, { state: string; attempts: number }[]>();
  for (const j of jobs) {
    const sid = String(JSON.parse(j.payload)?.variables?.sourceId);
    jobsBySource.set(sid, [...(jobsBySource.get(sid) ?? []), { state: j.state, attempts: Number(j.attempts) }]);
  }
  let lost = 0;
  let doubled = 0;
  const problems: string[] = [];
  for (const id of ids) {
    const u = users.get(id) ?? 0;
    const l = linkCounts.get(id) ?? 0;
    const c = creates.get(id) ?? 0;
    const js = jobsBySource.get(id) ?? [];
    const done = js.filter((j) => j.state === 'done').length;
    if (!u || !l || !c || !done) {
      lost++;
      if (problems.length < 10) problems.push(`${id}: user ${u}, links ${l}, CREATE audits ${c}, jobs ${JSON.stringify(js)}`);
    }
    const extra = Math.max(0, l - 1) + Math.max(0, c - 1) + Math.max(0, js.length - 1);
    if (extra) {
      doubled += extra;
      if (problems.length < 10) problems.push(`${id}: links ${l}, CREATE audits ${c}, jobs ${JSON.stringify(js)}`);
    }
  }
  const attempts = jobs.reduce<Record<string, number>>((acc, j) => ((acc[String(j.attempts)] = (acc[String(j.attempts)] ?? 0) + 1), acc), {});
  return { lost, doubled, problems, users: users.size, links: [...linkCounts.values()].reduce((a, b) => a + b, 0), jobs: jobs.length, jobStates: jobs.reduce<Record<string, number>>((acc, j) => ((acc[j.state] = (acc[j.state] ?? 0) + 1), acc), {}), attempts };
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy between a server and PostgreSQL that can cut the database away

export type ProxyMode = 'up' | 'down' | 'blackhole';

export class TcpProxy {
  private server: net.Server;
  private pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  mode: ProxyMode = 'up';
  port = 0;
  /** Connections accepted in each mode. */
  accepted: Record<ProxyMode, number> = { up: 0, down: 0, blackhole: 0 };

  constructor(private targetHost: string, private targetPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    this.accepted[this.mode]++;
    client.on('error', () => undefined);
    client.setNoDelay(true); // no Nagle delay on each small protocol message
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const pair = { client, upstream: null as net.Socket | null };
    this.pairs.add(pair);
    client.once('close', () => {
      this.pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (this.mode === 'blackhole') {
      client.pause(); // accepted, never answered
      return;
    }
    this.connect(pair);
  }

  private connect(pair: { client: net.Socket; upstream: net.Socket | null }): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.once('close', () => pair.client.destroy());
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  /** Resets every open connection and refuses new ones (a crashed or restarted database). */
  cut(): void {
    this.mode = 'down';
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  /** Open connections stop moving; new ones are accepted and never answered (a network partition). */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const p of this.pairs) {
      // unpipe first: a pipe resumes its paused source whenever the destination drains.
      p.client.unpipe();
      p.upstream?.unpipe();
      p.client.pause();
      p.upstream?.pause();
    }
  }

  /** Traffic flows again; connections stalled by a blackhole are reset (as after a partition heals on a restarted peer). */
  restore(): void {
    this.mode = 'up';
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A scenario's PostgreSQL database reached only through its own TcpProxy, and its project. */
export interface ProxiedPg {
  db: TestDatabase;
  project: string;
  proxy: TcpProxy;
  /** The one server of the scenario, on the project and through the proxy (killed after the file). */
  start(nodeId: string, env?: Record<string, string>): Promise<ServerProc>;
}

/** Sets up (beforeAll) and tears down (afterAll) a ProxiedPg over a CSV of these ids. */
export function proxiedPg(label: string, ids: string[]): ProxiedPg {
  let server: ServerProc | undefined;
  const f = {
    async start(nodeId: string, env?: Record<string, string>) {
      server = await startServer({ projectDir: f.project, databaseUrl: viaPort(f.db.url, f.proxy.port), nodeId, env });
      return server;
    },
  } as ProxiedPg;
  beforeAll(async () => {
    f.db = await pgDb(label);
    f.project = makeProject(label, csvOf(ids));
    const pg = new URL(f.db.url);
    f.proxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));
    await f.proxy.listen();
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await server?.exited;
    await f.proxy?.close();
    await f.db?.drop();
    if (f.project) fs.rmSync(f.project, { recursive: true, force: true });
  });
  return f;
}

// ---------------------------------------------------------------------------------------------
// Artifacts: each scenario writes its measured counts; the global teardown merges them into
// test/artifacts/reliability.json and a markdown table.

export interface ReliabilityRow {
  id: string;
  scenario: string;
  backend: 'sqlite' | 'pg' | 'mysql';
  injected: string;
  tried: string;
  lost: number;
  doubled: number;
  notes?: string;
  measured?: Record<string, unknown>;
  command?: string;
  /** A scenario that always runs on this backend (two nodes, outage): never suffixed. */
  fixedBackend?: boolean;
}

export function record(row: ReliabilityRow): void {
  // Scenarios run on PostgreSQL by RELIABILITY_BACKEND=pg get rows of their own.
  if (process.env.RELIABILITY_BACKEND === 'pg' && row.backend === 'pg' && !row.fixedBackend && !/-(pg|sqlite)$/.test(row.id)) row = { ...row, id: `${row.id}-pg` };
  if (row.backend === 'mysql' && !/-mysql$/.test(row.id)) row = { ...row, id: `${row.id}-mysql` };
  fs.mkdirSync(FRAGMENT_DIR, { recursive: true });
  const file = path.join(FRAGMENT_DIR, `${row.id}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...row, recordedAt: new Date().toISOString() }, null, 2));
}

export function reproduce(testFile: string, name?: string): string {
  const env = process.env.RELIABILITY_BACKEND === 'pg' || process.env.RELIABILITY_BACKEND === 'mysql' ? `RELIABILITY_BACKEND=${process.env.RELIABILITY_BACKEND} ` : '';
  // -t is a regular expression: escape the name's parentheses and the like.
  return `${env}npx jest -c jest.reliability.config.js ${testFile}${name ? ` -t '${name.replace(/[()[\]{}.*+?^$|\\]/g, '\\$&')}'` : ''}`;
}
