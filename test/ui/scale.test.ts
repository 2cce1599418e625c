// Issue 17 at scale: 100,000 open tasks (99,999 seeded by test/helpers/seedScale.ts beside the real
// one they are cloned from) and, by default, 100,000 ended instances (SCALE_ENDED=999999 gives the
// issue's 1,000,000: about 30 s of seeding on SQLite, more on PostgreSQL, too long for every CI run;
// bench/uiScale.ts measures that size). Asserts behaviour, never time: the REST pages the pagers
// read (totals, newest first, cookies forward and back, a deep page), then the inbox and the
// console in Chromium by the issue-17 selectors (#task-list li[data-task-id], #task-pager, the
// console's #<table>-pager). The timings seen go to test/artifacts/ui-timings-<backend>.json, unasserted.
import fs from 'node:fs';
import path from 'node:path';
import { Browser, Page } from 'playwright-core';
import { makeProject, TestProject } from '../helpers/project';
import { makeTemplates, seedScale, SeedResult, TEMPLATE_OPEN, TEMPLATE_ROWS } from '../helpers/seedScale';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { createAsyncAdmin } from '../helpers/calls';
import { expectAccessible } from './a11y';
import * as ui from './browser';

jest.setTimeout(600_000);

const TASKS = Number(process.env.SCALE_TASKS ?? 99_999);
const ENDED = Number(process.env.SCALE_ENDED ?? 99_999);
const OPEN_TOTAL = TASKS + 1;
const ALL_TOTAL = TASKS + ENDED + 2;
const APPROVER = { 'X-OpenIDM-Username': 'async.admin', 'X-OpenIDM-Password': 'Passw0rd' };
const BACKEND = process.env.DATABASE_URL?.startsWith('postgres') ? 'pg' : 'sqlite';
const n = (x: number) => x.toLocaleString('en');

describe(`the inbox and the console at ${n(OPEN_TOTAL)} open tasks and ${n(ALL_TOTAL - OPEN_TOTAL)} ended instances`, () => {
  let project: TestProject;
  let t: TestServer;
  let seeded: SeedResult;
  let browser: Browser | undefined;
  let origin: string;
  const problems: string[] = [];
  const timings: Record<string, number | string> = {};

  /** Seconds of one step, recorded (not asserted). */
  async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const v = await fn();
    timings[name] = Math.round((performance.now() - t0) * 10) / 10;
    return v;
  }

  beforeAll(async () => {
    project = makeProject();
    project.writeCsv(TEMPLATE_ROWS);
    t = await startTestServer({ projectDir: project.dir });
    origin = t.base.replace(/\/openidm$/, '');
    await createAsyncAdmin(t, ['openidm-authorized']);
    const source = await makeTemplates((method, p, body) => t.call(method, p, { headers: ADMIN, body }));
    seeded = await seedScale(t.db.knex, { tasks: TASKS, ended: ENDED, csv: { file: path.join(project.dir, 'data', 'csvConnectorData.csv'), source } });
    timings.seedSeconds = seeded.seconds;
    // A kept-alive socket left idle through the seed may have been closed by the server (its
    // keep-alive timeout): the first request on it fails at once. Spend that failure here.
    await t.call('GET', '/info/ping').catch(() => undefined);
  });

  afterAll(async () => {
    fs.mkdirSync(ui.ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ui.ARTIFACTS, `ui-timings-${BACKEND}.json`), JSON.stringify({ backend: BACKEND, tasks: OPEN_TOTAL, ended: ALL_TOTAL - OPEN_TOTAL, unit: 'ms', timings, problems }, null, 2));
    await browser?.close();
    await t?.close();
    project?.remove();
  });

  const page = (p: string, extra = '') => `${p}?_queryFilter=true&_pageSize=50&_totalPagedResultsPolicy=EXACT${extra}`;

  describe('REST, as the pagers read it', () => {
    it('the approver\'s inbox: 100,000 in total, newest first, Next and Previous by cookie', async () => {
      const ids = (r: { body: { result: { _id: string }[] } }) => r.body.result.map((x) => Number(x._id));
      const p1 = await timed('rest inbox page 1', () => t.call('GET', page('/workflow/taskinstance', '&_sortKeys=-_id'), { headers: APPROVER }));
      expect(p1.status).toBe(200);
      expect(p1.body.totalPagedResults).toBe(OPEN_TOTAL);
      expect(ids(p1)).toEqual(Array.from({ length: 50 }, (_, i) => seeded.open.lastTask - i));
      const p2 = await timed('rest inbox page 2', () => t.call('GET', page('/workflow/taskinstance', `&_sortKeys=-_id&_pagedResultsCookie=${p1.body.pagedResultsCookie}`), { headers: APPROVER }));
      expect(ids(p2)[0]).toBe(seeded.open.lastTask - 50);
      expect(p2.body.totalPagedResults).toBe(OPEN_TOTAL);
      expect(p2.body.remainingPagedResults).toBe(OPEN_TOTAL - 100);
      // Previous re-reads page 1 (the pager remembers no cookie for it: none is sent).
      expect(ids(await t.call('GET', page('/workflow/taskinstance', '&_sortKeys=-_id'), { headers: APPROVER }))).toEqual(ids(p1));
      // By creation time: the same order (ids grow with time).
      const byTime = await timed('rest inbox page 1 by createTime', () => t.call('GET', page('/workflow/taskinstance', '&_sortKeys=-createTime'), { headers: APPROVER }));
      expect(ids(byTime)).toEqual(ids(p1));
      const byTime2 = await t.call('GET', page('/workflow/taskinstance', `&_sortKeys=-createTime&_pagedResultsCookie=${byTime.body.pagedResultsCookie}`), { headers: APPROVER });
      expect(ids(byTime2)).toEqual(ids(p2));
    });

    it('a deep page (1,000) and the last page, reached by the cookie of the page before', async () => {
      const before = await t.call('GET', page('/workflow/taskinstance', '&_sortKeys=-_id&_pagedResultsOffset=49900'), { headers: APPROVER });
      const deep = await timed('rest inbox page 1000', () => t.call('GET', page('/workflow/taskinstance', `&_sortKeys=-_id&_pagedResultsCookie=${before.body.pagedResultsCookie}`), { headers: APPROVER }));
      expect(Number(deep.body.result[0]._id)).toBe(seeded.open.lastTask - 49_950);
      const lastOffset = Math.floor((OPEN_TOTAL - 1) / 50) * 50;
      const last = await timed('rest inbox last page', () => t.call('GET', page('/workflow/taskinstance', `&_sortKeys=-_id&_pagedResultsOffset=${lastOffset}`), { headers: APPROVER }));
      expect(last.body.pagedResultsCookie).toBeNull();
      expect(last.body.result.at(-1).processVariables.sourceId).toBe(TEMPLATE_OPEN);
      // Past the middle the server reads the page from the other end: the same rows, same order.
      const tail = OPEN_TOTAL - 1 - lastOffset;
      expect(last.body.result.map((x: { _id: string }) => Number(x._id))).toEqual([...Array.from({ length: tail }, (_, i) => seeded.open.lastTask - lastOffset - i), Number(last.body.result.at(-1)._id)]);
      for (const sort of ['-createTime', '-dueDate', '-_id']) {
        const r = await t.call('GET', page('/workflow/taskinstance', `&_sortKeys=${sort}&_pagedResultsOffset=90000`), { headers: APPROVER });
        expect([sort, r.body.result.map((x: { _id: string }) => Number(x._id))]).toEqual([sort, Array.from({ length: 50 }, (_, i) => seeded.open.lastTask - 90_000 - i)]);
        expect(r.body.totalPagedResults).toBe(OPEN_TOTAL);
      }
      // Instances too: all instances by start time, three quarters in (ended ones, newest first).
      const at = Math.floor(ALL_TOTAL * 0.75);
      const inst = await timed('rest all instances at 3/4', () => t.call('GET', page('/workflow/processinstance/history', `&_sortKeys=-startTime&_pagedResultsOffset=${at}`), { headers: ADMIN }));
      expect(inst.body.result.map((x: { _id: string }) => Number(x._id))).toEqual(Array.from({ length: 50 }, (_, i) => seeded.ended.last - (at - TASKS) - i));
    });

    it('a search finds the one task among 100,000', async () => {
      const f = encodeURIComponent(`processVariables/sourceId co "scale4242" or name co "scale4242" or description co "scale4242"`);
      const r = await timed('rest inbox search', () => t.call('GET', `/workflow/taskinstance?_queryFilter=${f}&_sortKeys=-_id&_pageSize=50&_totalPagedResultsPolicy=EXACT`, { headers: APPROVER }));
      expect(r.body.result.map((x: any) => x.processVariables.sourceId)).toContain('scale4242');
      expect(r.body.totalPagedResults).toBe(r.body.result.length);
    });

    it('the console\'s running and all instances: totals, newest first', async () => {
      const running = await timed('rest running instances page 1', () => t.call('GET', page('/workflow/processinstance', '&_sortKeys=-processInstanceId'), { headers: ADMIN }));
      expect(running.body.totalPagedResults).toBe(OPEN_TOTAL);
      expect(Number(running.body.result[0]._id)).toBe(seeded.open.last);
      const all = await timed('rest all instances page 1', () => t.call('GET', page('/workflow/processinstance/history', '&_sortKeys=-startTime'), { headers: ADMIN }));
      expect(all.body.totalPagedResults).toBe(ALL_TOTAL);
      expect(Number(all.body.result[0]._id)).toBe(seeded.open.last);
      const all2 = await timed('rest all instances page 2', () => t.call('GET', page('/workflow/processinstance/history', `&_sortKeys=-startTime&_pagedResultsCookie=${all.body.pagedResultsCookie}`), { headers: ADMIN }));
      expect(Number(all2.body.result[0]._id)).toBe(seeded.open.last - 50);
      const tasks = await timed('rest console tasks page 1', () => t.call('GET', page('/workflow/taskinstance', '&_sortKeys=-_id'), { headers: ADMIN }));
      expect(tasks.body.totalPagedResults).toBe(OPEN_TOTAL);
    });
  });

  // These need the issue-17 UIs (public/inbox.js and public/admin/* on public/pager.js).
  describe('Chromium', () => {
    let inbox: Page;
    const range = '#task-pager .pager-range';
    const rowIds = (p: Page) => p.locator('#task-list li[data-task-id]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.taskId)));

    beforeAll(async () => {
      browser = await ui.launchBrowser();
    });

    it('the inbox shows "1–50 of 100,000", the newest task first; Next and Previous move by 50', async () => {
      inbox = await ui.newPage(browser!, problems);
      await inbox.goto(`${origin}/ui/`);
      await inbox.locator('#signin-section').waitFor({ state: 'visible' });
      await inbox.locator('#signin-username').fill('async.admin');
      await inbox.locator('#signin-password').fill('Passw0rd');
      await timed('inbox sign-in to first row', async () => {
        await inbox.locator('#signin-submit').click();
        await inbox.locator('#task-list li[data-task-id]').first().waitFor({ state: 'visible' });
      });
      await inbox.locator(range).filter({ hasText: `1–50 of ${n(OPEN_TOTAL)}` }).waitFor();
      const first = await rowIds(inbox);
      expect(first).toHaveLength(50);
      expect(first[0]).toBe(seeded.open.lastTask);
      await timed('inbox Next', async () => {
        await inbox.locator('#task-pager .pager-next').click();
        await inbox.locator(range).filter({ hasText: `51–100 of ${n(OPEN_TOTAL)}` }).waitFor();
      });
      expect((await rowIds(inbox))[0]).toBe(seeded.open.lastTask - 50);
      await timed('inbox Previous', async () => {
        await inbox.locator('#task-pager .pager-prev').click();
        await inbox.locator(range).filter({ hasText: `1–50 of ${n(OPEN_TOTAL)}` }).waitFor();
      });
      expect(await rowIds(inbox)).toEqual(first);
      await ui.shotBoth(inbox, 'scale-inbox');
    });

    it('the console\'s Tasks and Instances pagers show their totals', async () => {
      const a = await ui.newPage(browser!, problems);
      await ui.signIn(a, origin, '/admin/', 'openidm-admin', 'openidm-admin');
      await timed('console Tasks tab to first page', async () => {
        await a.locator('#tab-tasks').click();
        await a.locator('#tasks-pager .pager-range').filter({ hasText: `of ${n(OPEN_TOTAL)}` }).waitFor();
      });
      expect(await a.locator('#panel-tasks tbody tr').count()).toBe(50);
      await timed('console Tasks Next', async () => {
        await a.locator('#tasks-pager .pager-next').click();
        await a.locator('#tasks-pager .pager-range').filter({ hasText: `51–100 of ${n(OPEN_TOTAL)}` }).waitFor();
      });
      await timed('console Instances tab to first page', async () => {
        await a.locator('#tab-instances').click();
        await a.locator('#instances-pager .pager-range').filter({ hasText: `of ${n(OPEN_TOTAL)}` }).waitFor();
      });
      await timed('console All instances to first page', async () => {
        await a.locator('#instances-scope').selectOption('history');
        await a.locator('#instances-pager .pager-range').filter({ hasText: `of ${n(ALL_TOTAL)}` }).waitFor();
      });
      expect(await a.locator('#panel-instances tbody tr').count()).toBe(50);
      await ui.shotBoth(a, 'scale-admin-instances');
      expect(problems).toEqual([]);
    });

    it('approves one of 100,000 by keyboard only, as the approver (not an administrator): the account is created and the total drops', async () => {
      const kb = await ui.newPage(browser!, problems);
      await kb.goto(`${origin}/ui/`);
      await kb.locator('#signin-section').waitFor({ state: 'visible' });
      const active = () => kb.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        const li = el?.closest('li[data-task-id]') as HTMLElement | null;
        return { id: el?.id ?? '', taskId: li?.dataset.taskId ?? null, sourceId: li?.dataset.sourceId ?? null };
      });
      // Type, Tab, type, Enter: signed in, focus on the first (newest) row.
      await kb.keyboard.type('async.admin');
      await kb.keyboard.press('Tab');
      await kb.keyboard.type('Passw0rd');
      await kb.keyboard.press('Enter');
      await kb.locator(range).filter({ hasText: `1–50 of ${n(OPEN_TOTAL)}` }).waitFor();
      await eventually(async () => (await active()).taskId === String(seeded.open.lastTask), 5_000, 'focus on the newest row');
      await kb.keyboard.press('j');
      await kb.keyboard.press('k');
      const row = await active();
      expect(row.taskId).toBe(String(seeded.open.lastTask));
      await kb.keyboard.press('Enter');
      await kb.locator('#task-detail').waitFor({ state: 'visible' });
      await expectAccessible(kb, 'task detail at 100,000 tasks');
      await kb.keyboard.press('a');
      const line = kb.locator(`[data-testid="decision-result"][data-task-id="${row.taskId}"]`);
      await line.filter({ hasText: 'approved — account created' }).waitFor({ timeout: 60_000 });
      await kb.locator(range).filter({ hasText: `1–50 of ${n(OPEN_TOTAL - 1)}` }).waitFor();
      const made = await t.call('GET', `/managed/user?_queryFilter=${encodeURIComponent(`userName eq "${row.sourceId}"`)}`, { headers: ADMIN });
      expect(made.body.result).toHaveLength(1);
      await expectAccessible(kb, 'task list at 100,000 tasks');
      await kb.context().close();
      expect(problems).toEqual([]);
    });
  });
});
