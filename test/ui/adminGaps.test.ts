// The console's last gaps of issue 17 in Chromium: recon runs paged by the server ("1–50 of 55",
// newest first, a run on page 2 opens), jobs with their total, and "Retry all N matching" on the
// Incidents tab (confirmed, in progress beside the controls, each refusal named); and the inbox's
// "Escalates" row from the task's escalationDeadline; axe on each view.
import { Browser, Page } from 'playwright-core';
import { enqueue } from '../../src/jobs';
import { insertRun } from '../../src/repo/reconRuns';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import { expectAccessible } from './a11y';
import * as ui from './browser';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const RUNS = 55;

jest.setTimeout(120_000);

describe('admin console: issue 17 gaps', () => {
  let t: TestServer;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** run ids, oldest first */
  const runIds: string[] = [];
  let failedPid = '';

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    // No workers: a retried job stays queued, so the test sees exactly what the retry did.
    t = await startTestServer({ workers: false });
    origin = t.base.replace(/\/openidm$/, '');
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < RUNS; i++) {
      const id = `gaps-run-${String(i).padStart(2, '0')}`;
      runIds.push(id);
      const started = new Date(t0 + i * 60_000).toISOString();
      await insertRun(t.db.knex, {
        id, mapping: MAPPING, state: 'SUCCESS', stage: 'COMPLETED_SUCCESS', node: null, parameters: {}, progress: {},
        situationSummary: { CONFIRMED: i }, statusSummary: { SUCCESS: i, FAILURE: 0 }, message: null, started, ended: new Date(t0 + i * 60_000 + 1000).toISOString(), heartbeat: null,
      });
    }
    for (let i = 0; i < 3; i++) await enqueue(t.db.knex, { key: `gapsUi:${i}`, type: 'gapsUi', payload: {} });
    await t.db.knex('job').where({ type: 'gapsUi' }).update({ state: 'dead', last_error: 'gapsUi exploded' });
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'gaps.ui', mapping: 'm', reconId: 'r' } });
    failedPid = started.body._id;
    await t.db.knex('process_instance').where({ id: Number(failedPid) }).update({ status: 'failed', error: 'gapsStep broke' });
    page = await ui.newPage(browser, problems);
    await ui.signIn(page, origin, '/admin/', 'openidm-admin', 'openidm-admin');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  const range = (pager: string) => page.locator(`#${pager} .pager-range`);
  const runKeys = () => page.locator('#runs-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.key));

  it('pages the recon runs through the server, newest first, with their total', async () => {
    await page.locator('[data-testid="tab-recon"]').click();
    await range('runs-pager').filter({ hasText: 'Runs: 1–50 of 55' }).waitFor();
    const first = await runKeys();
    expect(first).toEqual([...runIds].reverse().slice(0, 50));
    // The newest run is selected and shown.
    await page.locator(`#recon-detail[data-run-id="${runIds[RUNS - 1]}"]`).waitFor();
    await expectAccessible(page, 'recon runs page 1');
    await page.locator('#runs-pager .pager-next').click();
    await range('runs-pager').filter({ hasText: 'Runs: 51–55 of 55' }).waitFor();
    expect(await runKeys()).toEqual([...runIds].reverse().slice(50));
    // A run on page 2 opens, and the table stays on page 2.
    await page.locator(`#runs-table tr[data-key="${runIds[0]}"] button`).click();
    await page.locator(`#recon-detail[data-run-id="${runIds[0]}"]`).waitFor();
    expect(await page.locator(`#runs-table tr[data-key="${runIds[0]}"]`).getAttribute('class')).toBe('selected');
    await range('runs-pager').filter({ hasText: 'Runs: 51–55 of 55' }).waitFor();
    // Sorting by start (oldest first) is the server's, back on page 1.
    await page.locator('#runs-table thead button[data-sort="started"]').click();
    await range('runs-pager').filter({ hasText: 'Runs: 1–50 of 55' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#runs-table tbody tr')?.getAttribute('data-key') === 'gaps-run-00');
    await expectAccessible(page, 'recon runs sorted');
    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(page, 'recon runs at 390');
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, pager: document.querySelector('#runs-pager')!.getBoundingClientRect().right, next: document.querySelector('#runs-pager .pager-next')!.getBoundingClientRect().right }));
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.next).toBeLessThanOrEqual(390);
    await ui.shotBoth(page, 'admin-gaps-recon-runs');
  });

  it('shows the jobs with their total', async () => {
    await page.locator('[data-testid="tab-jobs"]').click();
    await range('jobs-pager').filter({ hasText: /Jobs: 1–3 of 3/ }).waitFor();
  });

  it('retries every matching incident from one confirmed request, and names each refusal', async () => {
    await page.locator('[data-testid="tab-incidents"]').click();
    await page.locator('#incidents-search').fill('gapsUi');
    await page.locator('#incidents-search').press('Enter');
    await range('incidents-pager').filter({ hasText: '1–3 of 3' }).waitFor();
    const all = page.locator('[data-testid="incidents-retry-all"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="incidents-retry-all"]')?.textContent === 'Retry all 3 matching');
    expect(await all.isDisabled()).toBe(false);
    // Cancel at the confirmation: nothing is retried.
    await all.click();
    await page.locator('#confirm-dialog[open]').waitFor();
    expect(await page.locator('#confirm-text').textContent()).toContain('Retry every incident matching "gapsUi" (3 now)?');
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    expect(await t.db.knex('job').where({ type: 'gapsUi', state: 'dead' }).count({ n: '*' }).then((r) => Number(r[0].n))).toBe(3);
    await all.click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('[data-testid="incident-bulk-summary"]').filter({ hasText: 'Retried 3 of 3 matching incidents.' }).waitFor();
    expect(await page.locator('[data-testid="incident-bulk-summary"]').getAttribute('data-kind')).toBe('ok');
    expect((await t.db.knex('job').where({ type: 'gapsUi' }).pluck('state')).sort()).toEqual(['queued', 'queued', 'queued']);
    await range('incidents-pager').filter({ hasText: 'none' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('incidents-bulk-results');
    expect(await all.isDisabled()).toBe(true);
    await expectAccessible(page, 'incidents after retry all');

    // A failed step cannot be re-run: the answer is an error naming it, never "retried".
    await page.locator('#incidents-search').fill('gapsStep');
    await page.locator('#incidents-search').press('Enter');
    await range('incidents-pager').filter({ hasText: '1–1 of 1' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="incidents-retry-all"]')?.textContent === 'Retry all 1 matching');
    await all.click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('[data-testid="incident-bulk-summary"]').filter({ hasText: 'None of the 1 matching incidents was retried.' }).waitFor();
    expect(await page.locator('[data-testid="incident-bulk-summary"]').getAttribute('data-kind')).toBe('error');
    expect(await page.locator('[data-testid="incident-bulk-result"]').textContent()).toMatch(new RegExp(`Incident instance-${failedPid}: not retried — .*cannot be re-run`));
    await range('incidents-pager').filter({ hasText: '1–1 of 1' }).waitFor();
    await expectAccessible(page, 'incidents after a refused retry all');
    await ui.shotBoth(page, 'admin-gaps-incidents-retry-all');
  });

  it('shows in the inbox when the approval escalates (the shipped escalationTimer)', async () => {
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'gaps.escalates', mapping: 'm', reconId: 'r', escalationDuration: 'PT1H' } });
    expect(started.status).toBe(201);
    const task = (await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processInstanceId eq "${started.body._id}"`)}`, { headers: ADMIN })).body.result[0];
    const deadline = (await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ADMIN })).body.escalationDeadline;
    expect(Math.abs(Date.parse(deadline) - Date.parse(task.createTime) - 3600_000)).toBeLessThan(60_000);
    const inbox = await ui.newPage(browser, problems);
    await inbox.goto(`${origin}/ui/#/task/${task._id}`);
    await inbox.locator('#signin-section').waitFor({ state: 'visible' });
    // An administrator may open any task (the sample's approver is a managed user this project lacks).
    await inbox.locator('#signin-username').fill('openidm-admin');
    await inbox.locator('#signin-password').fill('openidm-admin');
    await inbox.locator('#signin-submit').click();
    await inbox.locator('#task-detail').waitFor({ state: 'visible' });
    const shown = await inbox.locator('#task-meta dd[data-meta="escalates"]').textContent();
    expect(shown).toBe(await inbox.evaluate((iso) => new Date(iso).toLocaleString(), deadline));
    await expectAccessible(inbox, 'inbox task with its escalation');
    await ui.shotBoth(inbox, 'inbox-gaps-escalates');
    await inbox.context().close();
  });
});
