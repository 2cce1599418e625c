// Issue 17 "Speed": the inbox and the console at 100,000 open tasks and 1,000,000 ended instances.
// Each scale gets its own temp project and repository; a real server (dist/src/cli/start.js, as
// `npm start`) runs over it; test/helpers/seedScale.ts clones two real approvals into N open and
// M ended ones; then
//   - REST: the exact requests the pagers make (public/pager.js: _queryFilter, _sortKeys,
//     _pageSize=50, _pagedResultsCookie, _totalPagedResultsPolicy=EXACT), page 1, page 2 (the
//     cookie page 1 answered), a deep page (page 1,000: the cookie the page before it answered) and
//     a search (plus the middle and the last page by _pagedResultsOffset), as an administrator and as a non-administrator approver, each signed in once with
//     a session cookie as the UI is (header credentials would time a password hash per request):
//     median of --reps runs;
//   - Chromium (Debian's, test/ui/browser.ts): sign-in → first inbox row visible, Next / Previous,
//     each console table's first page and a sort click, by the selectors of the issue-17 UI (a UI
//     without them is reported "no pager", not timed).
// The in-run baseline is the same run at --base-tasks / --base-ended (default 1,000 / 10,000).
//
//   npm run bench:ui -- --backend sqlite|pg [--tasks 100000] [--ended 1000000] [--base-tasks 1000]
//                       [--base-ended 10000] [--reps 5] [--browser on|off] [--pg-url …] [--keep]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import type { Page } from 'playwright-core';
import { HEADER_LINE, makeTemplates, seedScale, TEMPLATE_ROWS } from '../test/helpers/seedScale';
import { launchBrowser, newPage } from '../test/ui/browser';
import { BenchServer as Server, startBenchServer } from './server';

const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN = { 'X-OpenIDM-Username': 'openidm-admin', 'X-OpenIDM-Password': 'openidm-admin' };
const APPROVER_NAME = 'async.admin';
const APPROVER = { 'X-OpenIDM-Username': APPROVER_NAME, 'X-OpenIDM-Password': 'Passw0rd' };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const BACKEND = (arg('backend') ?? 'sqlite') as 'sqlite' | 'pg';
const TASKS = Number(arg('tasks') ?? 100_000);
const ENDED = Number(arg('ended') ?? 1_000_000);
const BASE_TASKS = Number(arg('base-tasks') ?? 1000);
const BASE_ENDED = Number(arg('base-ended') ?? 10_000);
const REPS = Number(arg('reps') ?? 5);
const BROWSER = (arg('browser') ?? 'on') !== 'off';
const PG_URL = arg('pg-url') ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres');
const KEEP = process.argv.includes('--keep');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const DEEP_PAGE = 1000;

const log = (msg: string) => console.error(`[uiScale ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface Repo { env: Record<string, string>; knex: Knex; drop(): Promise<void> }

function makeRepo(work: string, name: string): Repo {
  if (BACKEND === 'pg') {
    const schema = `uibench_${name}_${process.pid}`;
    const knex = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 2 } });
    return { env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }, knex, drop: async () => { if (!KEEP) await knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); await knex.destroy(); } };
  }
  const file = path.join(work, `${name}.sqlite`);
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 1, max: 1, afterCreate: (c: { pragma(s: string): void }, done: (e: Error | null, c: unknown) => void) => { c.pragma('busy_timeout = 30000'); done(null, c); } } });
  return { env: { DATABASE_URL: file }, knex, drop: () => knex.destroy() };
}

const startServer = (project: string, repo: Repo, label: string) => startBenchServer(project, repo.env, `ui-${label}`);

/**
 * fetch, sent again once when a kept-alive socket the server closed while idle (its keep-alive
 * timeout, e.g. during a long seed) fails the request at once.
 */
async function fetchAgain(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if ((e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, init);
  }
}

async function call(base: string, method: string, p: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetchAgain(base + p, { method, headers: { 'Accept-API-Version': 'resource=1.0', ...headers, ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, body: parsed, ms };
}

// ---- the REST requests the pagers make ----

interface Query { id: string; who: 'admin' | 'approver'; path: string; filter: string; sort: string }

const filterFor = (s: string) => `processVariables/sourceId co "${s}" or name co "${s}" or description co "${s}"`;
const QUERIES = (): Query[] => [
  // The inbox (public/inbox.js: newest first by _id; an administrator's own and unassigned tasks).
  { id: 'inbox, approver (non-admin)', who: 'approver', path: '/workflow/taskinstance', filter: 'true', sort: '-_id' },
  { id: 'inbox, approver, by createTime', who: 'approver', path: '/workflow/taskinstance', filter: 'true', sort: '-createTime' },
  { id: 'inbox, admin (own or unassigned)', who: 'admin', path: '/workflow/taskinstance', filter: `assignee eq "${APPROVER_NAME}" or !(assignee pr)`, sort: '-_id' },
  { id: 'inbox search "scale4242", approver', who: 'approver', path: '/workflow/taskinstance', filter: filterFor('scale4242'), sort: '-_id' },
  // The console's tables (public/admin/*.js).
  { id: 'console Tasks', who: 'admin', path: '/workflow/taskinstance', filter: 'true', sort: '-_id' },
  { id: 'console Tasks, by createTime', who: 'admin', path: '/workflow/taskinstance', filter: 'true', sort: '-createTime' },
  { id: 'console Running instances', who: 'admin', path: '/workflow/processinstance', filter: 'true', sort: '-processInstanceId' },
  { id: 'console All instances (history)', who: 'admin', path: '/workflow/processinstance/history', filter: 'true', sort: '-processInstanceId' },
  { id: 'console All instances, by startTime', who: 'admin', path: '/workflow/processinstance/history', filter: 'true', sort: '-startTime' },
  { id: 'console All instances, search "scale4242"', who: 'admin', path: '/workflow/processinstance/history', filter: 'businessKey co "scale4242" or processDefinitionId co "scale4242" or processVariables/sourceId co "scale4242"', sort: '-processInstanceId' },
  { id: 'console All instances, sourceId eq', who: 'admin', path: '/workflow/processinstance/history', filter: 'processVariables/sourceId eq "scale4242"', sort: '-processInstanceId' },
  { id: 'console Jobs', who: 'admin', path: '/jobs', filter: 'true', sort: '-_id' },
  { id: 'console Incidents', who: 'admin', path: '/workflow/incident', filter: 'true', sort: '-time' },
  { id: 'console Users', who: 'admin', path: '/managed/user', filter: 'true', sort: 'userName' },
];

const qs = (o: Record<string, string | number | undefined>) => '?' + Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };

interface Timing { ms: number; first: number; total?: number; status: number; note?: string }

/** A signed-in browser's headers: its session cookie (credentials are checked once, at sign-in, as in the UI). */
async function session(server: Server, user: string, password: string): Promise<Record<string, string>> {
  const res = await fetchAgain(`${server.base}/authentication?_action=login`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' }, body: JSON.stringify({ username: user, password }) });
  await res.text();
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (res.status !== 200 || !cookies.length) throw new Error(`sign-in of ${user}: ${res.status}`);
  return { Cookie: cookies.join('; '), 'X-Requested-With': 'XMLHttpRequest' };
}

async function restTimings(server: Server): Promise<Record<string, Timing>> {
  const out: Record<string, Timing> = {};
  const sessions = { admin: await session(server, 'openidm-admin', 'openidm-admin'), approver: await session(server, APPROVER_NAME, 'Passw0rd') };
  for (const q of QUERIES()) {
    const headers = sessions[q.who];
    const page = (extra: Record<string, string | number | undefined>) => `${q.path}${qs({ _queryFilter: q.filter, _sortKeys: q.sort, _pageSize: 50, _totalPagedResultsPolicy: 'EXACT', ...extra })}`;
    const time = async (key: string, p: string) => {
      const runs: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < REPS; i++) {
        last = await call(server.base, 'GET', p, headers);
        runs.push(last.ms);
      }
      out[key] = { ms: median(runs), first: runs[0], total: last!.body?.totalPagedResults, status: last!.status, ...(last!.status !== 200 && { note: JSON.stringify(last!.body).slice(0, 200) }) };
      return last!;
    };
    const p1 = await time(`${q.id} | page 1`, page({}));
    if (p1.status !== 200) continue;
    if (p1.body.pagedResultsCookie) await time(`${q.id} | page 2`, page({ _pagedResultsCookie: p1.body.pagedResultsCookie }));
    const total = Number(p1.body.totalPagedResults);
    if (total > DEEP_PAGE * 50) {
      // The cookie page 999 answers (reached by offset here; the pager gets it after 999 Nexts).
      const before = await call(server.base, 'GET', page({ _pagedResultsOffset: (DEEP_PAGE - 2) * 50 }), headers);
      if (before.body.pagedResultsCookie) await time(`${q.id} | page ${DEEP_PAGE.toLocaleString('en')}`, page({ _pagedResultsCookie: before.body.pagedResultsCookie }));
      // The worst case since a deep page past the middle is read from the other end (src/repo/tasks.ts pageIds).
      await time(`${q.id} | middle page (offset)`, page({ _pagedResultsOffset: Math.floor(total / 100) * 50 }));
      const lastOffset = Math.floor((total - 1) / 50) * 50;
      await time(`${q.id} | last page (offset)`, page({ _pagedResultsOffset: lastOffset }));
    }
  }
  return out;
}

// ---- Chromium ----

/** ms from `act` until `done` resolves. */
async function timed(act: () => Promise<unknown>, done: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await act();
  await done();
  return performance.now() - t0;
}

const textOf = (p: Page, sel: string) => p.locator(sel).first().textContent({ timeout: 5000 }).catch(() => null);
const changed = (p: Page, sel: string, before: string | null) => p.waitForFunction(([s, b]) => { const el = document.querySelector(s as string); return !!el && el.textContent !== b; }, [sel, before], { timeout: 30_000 });

async function browserTimings(server: Server): Promise<Record<string, Timing>> {
  const out: Record<string, Timing> = {};
  const problems: string[] = [];
  const browser = await launchBrowser();
  try {
    // Inbox: the non-administrator approver.
    const p = await newPage(browser, problems);
    await p.goto(`${server.origin}/ui/`);
    await p.locator('#signin-section').waitFor({ state: 'visible' });
    await p.locator('#signin-username').fill(APPROVER_NAME);
    await p.locator('#signin-password').fill('Passw0rd');
    const row = '#task-list li[data-task-id]';
    try {
      out['inbox | sign-in → first row visible'] = { ms: await timed(() => p.locator('#signin-submit').click(), () => p.locator(row).first().waitFor({ state: 'visible', timeout: 30_000 })), first: NaN, status: 200 };
    } catch {
      out['inbox | sign-in → first row visible'] = { ms: NaN, first: NaN, status: 0, note: 'no #task-list li[data-task-id]: this UI has no issue-17 inbox' };
    }
    const range = '#task-pager .pager-range';
    if (await p.locator(range).count()) {
      out['inbox | range shown'] = { ms: NaN, first: NaN, status: 200, note: (await textOf(p, range)) ?? '' };
      for (const [name, btn] of [['Next (page 2)', '.pager-next'], ['Next (page 3)', '.pager-next'], ['Previous (page 2)', '.pager-prev']] as const) {
        const before = await textOf(p, range);
        out[`inbox | ${name}`] = { ms: await timed(() => p.locator(`#task-pager ${btn}`).click(), () => changed(p, range, before)), first: NaN, status: 200 };
      }
    } else out['inbox | Next / Previous'] = { ms: NaN, first: NaN, status: 0, note: 'no #task-pager: this UI has no pager' };
    await p.context().close();

    // Console: the administrator.
    const a = await newPage(browser, problems);
    await a.goto(`${server.origin}/admin/`);
    await a.locator('#signin-section').waitFor({ state: 'visible' });
    await a.locator('#signin-username').fill('openidm-admin');
    await a.locator('#signin-password').fill('openidm-admin');
    await a.locator('#signin-submit').click();
    await a.locator('#whoami-name').filter({ hasText: 'openidm-admin' }).waitFor();
    const tables: [string, string, string, string | null][] = [
      ['Tasks', 'tasks', 'tasks', 'assignee'], ['Running instances', 'instances', 'instances', 'processDefinitionId'], ['Jobs', 'jobs', 'jobs', null],
      ['Incidents', 'incidents', 'incidents', null], ['Users', 'users', 'users', null],
    ];
    for (const [label, tab, pager, sortKey] of tables) {
      const rangeSel = `#${pager}-pager .pager-range`;
      const firstRow = `#panel-${tab} tbody tr`;
      try {
        out[`console ${label} | tab → first page`] = { ms: await timed(() => a.locator(`#tab-${tab}`).click(), () => a.locator(rangeSel).first().waitFor({ state: 'visible', timeout: 30_000 })), first: NaN, status: 200, note: (await textOf(a, rangeSel)) ?? '' };
      } catch {
        out[`console ${label} | tab → first page`] = { ms: NaN, first: NaN, status: 0, note: `no #${pager}-pager: this console has no issue-17 pager` };
        continue;
      }
      if (await a.locator(`#${pager}-pager .pager-next:not([disabled])`).count()) {
        const before = await textOf(a, rangeSel);
        out[`console ${label} | Next`] = { ms: await timed(() => a.locator(`#${pager}-pager .pager-next`).click(), () => changed(a, rangeSel, before)), first: NaN, status: 200 };
      }
      if (sortKey && (await a.locator(`#panel-${tab} thead button[data-sort="${sortKey}"]`).count())) {
        const before = await textOf(a, `${firstRow}:first-child`);
        out[`console ${label} | sort click (${sortKey})`] = { ms: await timed(() => a.locator(`#panel-${tab} thead button[data-sort="${sortKey}"]`).click(), () => changed(a, `${firstRow}:first-child`, before)), first: NaN, status: 200 };
      }
      if (tab === 'instances' && (await a.locator('#instances-scope').count())) {
        const before = await textOf(a, rangeSel);
        out['console All instances (history) | scope → first page'] = { ms: await timed(() => a.locator('#instances-scope').selectOption('history'), () => changed(a, rangeSel, before)), first: NaN, status: 200, note: '' };
        out['console All instances (history) | scope → first page'].note = (await textOf(a, rangeSel)) ?? '';
        if (await a.locator('#instances-pager .pager-next:not([disabled])').count()) {
          const b2 = await textOf(a, rangeSel);
          out['console All instances (history) | Next'] = { ms: await timed(() => a.locator('#instances-pager .pager-next').click(), () => changed(a, rangeSel, b2)), first: NaN, status: 200 };
        }
      }
    }
    await a.context().close();
  } finally {
    await browser.close();
  }
  if (problems.length) log(`browser problems: ${problems.slice(0, 5).join('; ')}`);
  return out;
}

// ---- one scale ----

async function runScale(work: string, label: string, tasks: number, ended: number) {
  const project = path.join(work, `project-${label}`);
  for (const sub of ['conf', 'processes']) fs.cpSync(path.join(ROOT, sub), path.join(project, sub), { recursive: true });
  fs.mkdirSync(path.join(project, 'data'), { recursive: true });
  const csv = path.join(project, 'data', 'csvConnectorData.csv');
  fs.writeFileSync(csv, [HEADER_LINE, ...TEMPLATE_ROWS].join('\n') + '\n');
  const repo = makeRepo(work, label);
  const server = await startServer(project, repo, label);
  try {
    const made = await call(server.base, 'POST', '/managed/user?_action=create', ADMIN, {
      _id: 'asyncadmin', userName: APPROVER_NAME, givenName: 'async', sn: 'admin', mail: 'async.admin@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }],
    });
    if (made.status !== 201) throw new Error(`approver: ${made.status} ${JSON.stringify(made.body)}`);
    const source = await makeTemplates(async (method, p, body) => call(server.base, method, p, ADMIN, body));
    log(`${label}: seeding ${tasks.toLocaleString('en')} open tasks and ${ended.toLocaleString('en')} ended instances`);
    const seeded = await seedScale(repo.knex, { tasks, ended, csv: { file: csv, source } });
    log(`${label}: seeded in ${seeded.seconds.toFixed(1)} s (${Object.entries(seeded.rows).map(([t, n]) => `${t} ${n}`).join(', ')})`);
    const rest = await restTimings(server);
    const ui = BROWSER ? await browserTimings(server) : {};
    return { seeded, rest, ui };
  } finally {
    await server.stop();
    await repo.drop();
  }
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-uibench-'));
  const started = new Date().toISOString();
  log(`work dir ${work}; backend ${BACKEND}; ${TASKS} tasks / ${ENDED} ended vs ${BASE_TASKS} / ${BASE_ENDED}`);
  const base = await runScale(work, 'base', BASE_TASKS, BASE_ENDED);
  const big = await runScale(work, 'big', TASKS, ENDED);
  const rows: string[] = [];
  const keys = [...new Set([...Object.keys(big.rest), ...Object.keys(big.ui)])];
  for (const k of keys) {
    const b = big.rest[k] ?? big.ui[k];
    const s = base.rest[k] ?? base.ui[k] ?? (k.includes('page 1,000') || k.includes('last page') ? undefined : undefined);
    const kind = big.rest[k] ? 'REST' : 'Chromium';
    const budget = k.includes('first row') ? 500 : 300;
    const met = Number.isFinite(b.ms) ? (b.ms <= budget ? 'yes' : '**no**') : '—';
    const ratio = s && Number.isFinite(s.ms) && Number.isFinite(b.ms) ? `${(b.ms / s.ms).toFixed(1)}×` : '—';
    rows.push(`| ${kind} | ${k.replace(' | ', ' — ')} | ${fmt(b.ms)} | ${fmt(b.first)} | ${b.total ?? ''}${b.note ? ` ${b.note}` : ''} | ${s ? fmt(s.ms) : '—'} | ${ratio} | ≤ ${budget} | ${met} |`);
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  const md = [
    `### ${BACKEND === 'pg' ? 'PostgreSQL' : 'SQLite'}: ${TASKS.toLocaleString('en')} open tasks, ${ENDED.toLocaleString('en')} ended instances`,
    '',
    `\`node dist/bench/uiScale.js ${process.argv.slice(2).join(' ')}\` — ${started}; ${machine}. Seeding: ${big.seeded.seconds.toFixed(1)} s (baseline ${base.seeded.seconds.toFixed(1)} s). REST: median of ${REPS} (first run beside it), ms from request to the whole body read.`,
    '',
    `| | what | ms | first run | total / note | baseline ms (${BASE_TASKS.toLocaleString('en')} / ${BASE_ENDED.toLocaleString('en')}) | ratio | budget | met |`,
    '| --- | --- | ---: | ---: | --- | ---: | ---: | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const stem = path.join(OUT_DIR, `uiScale-${BACKEND}-${TASKS}-${ENDED}`);
  fs.writeFileSync(`${stem}.md`, md);
  fs.writeFileSync(`${stem}.json`, JSON.stringify({ backend: BACKEND, tasks: TASKS, ended: ENDED, baseTasks: BASE_TASKS, baseEnded: BASE_ENDED, started, machine, big, base }, null, 2));
  console.log(md);
  log(`written ${stem}.md and .json`);
  if (!KEEP) fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
