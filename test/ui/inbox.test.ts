// The approver's inbox (issue 17) in Chromium over 120 approvals from one recon: server-side paging
// with totals, newest first; search; a full approval and a denial by keyboard only with focus
// asserted after every step; deep links that survive sign-in; a task someone else completed; the
// 390 px layout; axe-core on every view; screenshots of list, detail and help.
import { Browser, Page } from 'playwright-core';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { createAsyncAdmin } from '../helpers/calls';
import { expectAccessible } from './a11y';
import * as ui from './browser';
import { shotBoth } from './browser';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const N = 120;
const uid = (i: number) => `user${String(i).padStart(3, '0')}`;

jest.setTimeout(120_000);

interface Task { _id: string; processInstanceId: string; processVariables: { sourceId: string } }

describe('the approver\'s inbox', () => {
  let project: TestProject;
  let t: TestServer;
  let origin: string;
  let browser: Browser;
  let p: Page;
  const problems: string[] = [];
  /** Every task, newest (highest id) first. */
  let tasks: Task[] = [];

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    project = makeProject();
    project.writeCsv(Array.from({ length: N }, (_, i) => csvRow(uid(i), { firstname: `First${i}`, lastname: `Last${i}` })));
    t = await startTestServer({ projectDir: project.dir });
    origin = t.base.replace(/\/openidm$/, '');
    await createAsyncAdmin(t);
    const run = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(run.status).toBe(200);
    await eventually(async () => (await t.call('GET', `/recon/${run.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS', 60_000, 'the recon to succeed');
    await eventually(async () => {
      const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_pageSize=500&_sortKeys=-_id', { headers: ADMIN });
      tasks = r.body.result ?? [];
      return tasks.length === N;
    }, 30_000, `${N} approval tasks`);
    p = await ui.newPage(browser, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    project?.remove();
  });

  const active = () => p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { id: el?.id ?? '', row: el?.closest('li')?.dataset.taskId ?? null, tag: el?.tagName ?? '' };
  });
  const rowIds = () => p.locator('#task-list li[data-task-id]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.taskId!));
  const range = () => p.locator('#task-pager .pager-range').textContent();
  const noSideScroll = async () => expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  it('keeps a deep link through a wrong password and a keyboard sign-in, then opens that task', async () => {
    const linked = tasks[1];
    await p.goto(`${origin}/ui/#/task/${linked._id}`);
    await p.locator('#signin-section').waitFor({ state: 'visible' });
    expect((await active()).id).toBe('signin-username');
    await expectAccessible(p, 'sign-in (1280)');
    await p.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(p, 'sign-in (390)');
    await noSideScroll();
    await p.setViewportSize({ width: 1280, height: 900 });

    // Keyboard only: type, Tab, type, Enter.
    await p.keyboard.type('async.admin');
    await p.keyboard.press('Tab');
    await p.keyboard.type('wrong');
    await p.keyboard.press('Enter');
    await p.locator('#signin-error').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    expect(await p.locator('#signin-error').getAttribute('role')).toBe('alert');
    expect((await active()).id).toBe('signin-password');
    await p.keyboard.type('Passw0rd');
    await p.keyboard.press('Enter');

    await p.locator('#task-detail').waitFor({ state: 'visible' });
    await p.locator('#task-requester').filter({ hasText: linked.processVariables.sourceId }).waitFor();
    expect(new URL(p.url()).hash).toBe(`#/task/${linked._id}`);
    expect((await active()).id).toBe('task-detail-title');
    // Side by side at 1280: the list stays visible left of the task.
    const [list, detail] = await Promise.all([p.locator('#tasks-section').boundingBox(), p.locator('#task-detail').boundingBox()]);
    expect(list!.x + list!.width).toBeLessThanOrEqual(detail!.x);
    // The detail: who, the task's description, due date, the snapshot with its role.
    const i = Number(linked.processVariables.sourceId.slice(4));
    expect(await p.locator('#task-detail-title').textContent()).toBe(`Evaluate request: First${i} Last${i}`);
    expect(await p.locator('#task-description').textContent()).toBe(`Decide whether a managed user should be created for the source account ${linked.processVariables.sourceId}.`);
    expect(await p.locator('#task-meta dd[data-meta="due"]').textContent()).toBe('no due date');
    await p.locator('[data-testid="approval-role"][data-role="internal/role/openidm-authorized"]').waitFor();
    await expectAccessible(p, 'task detail (1280)');
    await shotBoth(p, 'inbox-detail');
  });

  it('pages on the server: 50 a page, newest first, "1–50 of 120", Next and Previous', async () => {
    expect(await range()).toBe(`Tasks: 1–50 of ${N}`);
    expect(await rowIds()).toEqual(tasks.slice(0, 50).map((x) => x._id));
    // Each row names the person from the request's snapshot, not just the task's name.
    const newest = tasks[0].processVariables.sourceId;
    const n0 = Number(newest.slice(4));
    await p.locator(`li[data-task-id="${tasks[0]._id}"] [data-testid="task-person"]`).filter({ hasText: `First${n0} Last${n0} (${newest})` }).waitFor();
    expect(await p.locator(`#task-list li[data-task-id="${tasks[0]._id}"] [data-testid="task-requester"]`).textContent()).toBe(`Evaluate request · user ${newest}`);
    await p.locator('#task-pager .pager-next').click();
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 51–100 of ${N}` }).waitFor();
    expect(await rowIds()).toEqual(tasks.slice(50, 100).map((x) => x._id));
    expect((await active()).row).toBe(tasks[50]._id);
    await p.locator('#task-pager .pager-next').click();
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 101–120 of ${N}` }).waitFor();
    expect(await p.locator('#task-pager .pager-next').isDisabled()).toBe(true);
    await p.locator('#task-pager .pager-prev').click();
    await p.locator('#task-pager .pager-prev').click();
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 1–50 of ${N}` }).waitFor();
    expect(await p.locator('#approve-matching').textContent()).toBe(`Approve all ${N} matching`);
    await expectAccessible(p, 'task list with a task open (1280)');
  });

  it('searches on the server: the total changes, and clearing brings all back', async () => {
    await p.locator('#task-search').fill('user11');
    await p.locator('#task-search').press('Enter');
    // user110 … user119, newest first
    const expected = tasks.map((x) => x.processVariables.sourceId).filter((s) => s.includes('user11'));
    expect(expected).toHaveLength(10);
    await p.locator('#task-pager .pager-range').filter({ hasText: 'Tasks: 1–10 of 10' }).waitFor();
    const shown = await p.locator('#task-list li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.sourceId));
    expect(shown).toEqual(expected);
    expect(await p.locator('#approve-matching').textContent()).toBe('Approve all 10 matching');
    await p.locator('#task-search').fill('nobody-like-this');
    await p.locator('#task-search').press('Enter');
    await p.locator('#tasks-empty').filter({ hasText: 'No tasks match “nobody-like-this”.' }).waitFor();
    await p.locator('#task-search').fill('');
    await p.locator('#task-search').press('Enter');
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 1–50 of ${N}` }).waitFor();
  });

  it('walks by keyboard: Escape, j/k, help, a approves (account created), d denies after a confirm; focus follows', async () => {
    // Escape closes the open task; focus goes back to its row.
    await p.locator('#task-detail-title').focus();
    await p.keyboard.press('Escape');
    await p.locator('#task-detail').waitFor({ state: 'hidden' });
    expect(new URL(p.url()).hash).toBe('');
    expect((await active()).row).toBe(tasks[1]._id);
    // j / k move through rows.
    await p.keyboard.press('j');
    expect((await active()).row).toBe(tasks[2]._id);
    await p.keyboard.press('k');
    await p.keyboard.press('k');
    expect((await active()).row).toBe(tasks[0]._id);
    await p.keyboard.press('j');
    await p.keyboard.press('j');
    await p.keyboard.press('j');
    expect((await active()).row).toBe(tasks[3]._id);

    // ? shows the shortcuts; ? again hides them; focus comes back.
    await p.keyboard.press('?');
    await p.locator('#help-dialog').waitFor({ state: 'visible' });
    expect((await active()).id).toBe('help-close');
    await expectAccessible(p, 'keyboard help (1280)');
    await shotBoth(p, 'inbox-help');
    await p.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(p, 'keyboard help (390)');
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.keyboard.press('?');
    await p.locator('#help-dialog').waitFor({ state: 'hidden' });
    // The page moves focus in the dialog's close event, a task after the dialog is hidden.
    await eventually(async () => (await active()).row === tasks[3]._id, 5_000, 'focus back on the row');

    // Shortcuts do not fire while typing.
    await p.keyboard.press('/');
    expect((await active()).id).toBe('task-search');
    await p.keyboard.type('jka');
    expect(await p.locator('#task-detail').isHidden()).toBe(true);
    await p.locator('#task-search').fill('');
    // From elsewhere, j and k go on from the row the keyboard was on.
    await p.locator('#tasks-title').focus();
    await p.keyboard.press('j');
    expect((await active()).row).toBe(tasks[4]._id);
    await p.keyboard.press('k');
    expect((await active()).row).toBe(tasks[3]._id);

    // Enter opens the focused row's task too; Escape goes back to the row.
    await p.keyboard.press('Enter');
    await p.locator('#task-detail').waitFor({ state: 'visible' });
    expect((await active()).id).toBe('task-detail-title');
    await p.keyboard.press('Escape');
    expect((await active()).row).toBe(tasks[3]._id);
    // o opens the row's task, and focus goes into it.
    await p.keyboard.press('o');
    await p.locator('#task-detail').waitFor({ state: 'visible' });
    expect((await active()).id).toBe('task-detail-title');
    expect(new URL(p.url()).hash).toBe(`#/task/${tasks[3]._id}`);
    // a approves it: the outcome is shown, the row leaves, focus is on the next row.
    const approvedSource = tasks[3].processVariables.sourceId;
    await p.keyboard.press('a');
    const line = p.locator(`[data-testid="decision-result"][data-task-id="${tasks[3]._id}"]`);
    await line.filter({ hasText: `Evaluate request for ${approvedSource}: approved — account created` }).waitFor({ timeout: 30_000 });
    expect(await line.getAttribute('data-kind')).toBe('ok');
    expect(await p.locator(`#task-list li[data-task-id="${tasks[3]._id}"]`).count()).toBe(0);
    expect((await active()).row).toBe(tasks[4]._id);
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 1–50 of ${N - 1}` }).waitFor();
    expect((await t.call('GET', `/managed/user?_queryFilter=userName eq "${approvedSource}"`, { headers: ADMIN })).body.result).toHaveLength(1);

    // d on the focused row asks first: Escape keeps the task, and focus.
    await p.keyboard.press('d');
    await p.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await p.locator('#confirm-title').textContent()).toBe('Deny this request?');
    expect((await active()).id).toBe('confirm-cancel');
    await expectAccessible(p, 'confirm dialog (1280)');
    await p.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(p, 'confirm dialog (390)');
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.keyboard.press('Escape');
    await p.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    await eventually(async () => (await active()).id === 'task-deny', 5_000, 'focus back on Deny');
    expect(await p.locator(`#task-list li[data-task-id="${tasks[4]._id}"]`).count()).toBe(1);
    // d again, Tab to Deny, Enter: denied; focus on the next row.
    await p.keyboard.press('d');
    await p.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await p.keyboard.press('Tab');
    expect((await active()).id).toBe('confirm-ok');
    await p.keyboard.press('Enter');
    await p.locator(`[data-testid="decision-result"][data-task-id="${tasks[4]._id}"]`).filter({ hasText: `for ${tasks[4].processVariables.sourceId}: denied` }).waitFor();
    await p.locator(`#task-list li[data-task-id="${tasks[4]._id}"]`).waitFor({ state: 'detached' });
    expect((await active()).row).toBe(tasks[5]._id);
    await expectAccessible(p, 'task list after decisions (1280)');
    await shotBoth(p, 'inbox-list');
  });

  it('sends a comment with the decision, which the history keeps and the page reports saved', async () => {
    const task = tasks[5];
    await p.locator(`li[data-task-id="${task._id}"] [data-testid="task-open"]`).click();
    await p.locator('#task-comment').fill('Checked with HR');
    await p.keyboard.press('a'); // typing: no shortcut
    expect(await p.locator('#task-comment').inputValue()).toBe('Checked with HRa');
    await p.locator('#task-comment').fill('Checked with HR');
    const sent = p.waitForRequest((r) => r.url().includes(`/workflow/taskinstance/${task._id}?_action=complete`));
    await p.locator('#task-approve').click();
    expect(JSON.parse((await sent).postData() ?? '{}')).toEqual({ requestApproved: 'true', _comment: 'Checked with HR' });
    const line = p.locator(`[data-testid="decision-result"][data-task-id="${task._id}"]`);
    await line.locator('[data-testid="comment-note"]').waitFor();
    const hist = (await t.call('GET', `/workflow/processinstance/history/${task.processInstanceId}`, { headers: ADMIN })).body;
    expect(hist.approval.comment).toBe('Checked with HR');
    expect(await line.getAttribute('data-comment')).toBe('saved');
  });

  it('locks the form of a task someone else completed, says so, and drops its row; a deep link to it says it cannot be opened', async () => {
    const task = tasks[6];
    await p.locator(`li[data-task-id="${task._id}"] [data-testid="task-open"]`).click();
    await p.locator('#task-approve').waitFor();
    expect((await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } })).status).toBe(200);
    await p.locator('#task-approve').click();
    await p.locator('#task-message').filter({ hasText: 'This task was already completed by someone else' }).waitFor();
    await eventually(async () => (await p.locator('#task-approve').isDisabled()) && (await p.locator('#task-deny').isDisabled()), 5_000, 'Approve and Deny disabled');
    expect(await p.locator('#task-comment').isDisabled()).toBe(true);
    expect(await p.locator(`#task-list li[data-task-id="${task._id}"]`).count()).toBe(0);
    expect(await p.locator(`[data-testid="decision-result"][data-task-id="${task._id}"]`).count()).toBe(0);

    await p.goto(`${origin}/ui/`);
    await p.locator('#task-list li').first().waitFor();
    await p.goto(`${origin}/ui/#/task/${task._id}`);
    await p.locator('#task-message').filter({ hasText: `Task ${task._id} cannot be opened` }).waitFor();
    expect(await p.locator('#task-form').isHidden()).toBe(true);
    expect((await active()).id).toBe('task-detail-title');
    await p.goto(`${origin}/ui/#/task/999999999`);
    await p.locator('#task-message').filter({ hasText: 'Task 999999999 cannot be opened' }).waitFor();
    // The same on a fresh load of the link, signed in already.
    await p.reload();
    await p.locator('#task-message').filter({ hasText: 'Task 999999999 cannot be opened' }).waitFor();
    expect((await active()).id).toBe('task-detail-title');
    // Escape closes it; the link is gone from the address bar.
    await p.keyboard.press('Escape');
    await p.locator('#task-detail').waitFor({ state: 'hidden' });
    expect(new URL(p.url()).hash).toBe('');
  });

  it('asks before approving a selection, and approving "all matching" acts on the query on the server', async () => {
    await p.goto(`${origin}/ui/`);
    await p.locator('#task-list li').first().waitFor();
    await p.locator('#select-all').check();
    await p.locator('#approve-selected').click();
    await p.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await p.locator('#confirm-title').textContent()).toBe('Approve 50 selected tasks?');
    await p.locator('#confirm-cancel').click();
    expect(await p.locator('#bulk-results').isHidden()).toBe(true);
    await p.locator('#select-all').uncheck();

    const matching = (await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId co "user10"&_totalPagedResultsPolicy=EXACT', { headers: ADMIN })).body.totalPagedResults;
    expect(matching).toBeGreaterThan(5);
    await p.locator('#task-search').fill('user10');
    await p.locator('#task-search').press('Enter');
    await p.locator('#task-pager .pager-range').filter({ hasText: `Tasks: 1–${matching} of ${matching}` }).waitFor();
    const answered = p.waitForResponse((r) => r.request().method() === 'POST' && /\/workflow\/taskinstance\?/.test(r.url()));
    await p.locator('#approve-matching').click();
    await p.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await p.locator('#confirm-text').textContent()).toContain(`every task matching “user10”: ${matching} tasks`);
    await p.locator('#confirm-ok').click();
    const res = await answered;
    expect(new URL(res.url()).searchParams.get('_queryFilter')).toContain('processVariables/sourceId co "user10"');
    expect(res.status()).toBe(202);
    await p.locator('#bulk-progress[data-state="SUCCESS"]').waitFor({ timeout: 30_000 });
    await p.locator('#tasks-empty').waitFor({ state: 'visible' });
    expect((await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId co "user10"&_totalPagedResultsPolicy=EXACT', { headers: ADMIN })).body.totalPagedResults).toBe(0);
  });

  it('shows a task started meanwhile without Refresh (the list polls)', async () => {
    await p.goto(`${origin}/ui/`);
    await p.locator('#task-list li').first().waitFor();
    // The poll interval is read at sign-in: shorten it, then sign out and in again on this page.
    await p.evaluate(() => { document.documentElement.dataset.pollMs = '300'; });
    await p.locator('#sign-out').click();
    await p.locator('#signin-username').fill('async.admin');
    await p.locator('#signin-password').fill('Passw0rd');
    await p.locator('#signin-submit').click();
    await p.locator('#task-list li').first().waitFor();
    // Signed in without a deep link: focus is on the first row.
    await eventually(async () => (await active()).row === (await rowIds())[0], 5_000, 'focus on the first row');
    const before = await range();
    const started = await t.call('POST', '/workflow/processinstance?_action=create', {
      headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'zz.live', mapping: MAPPING, reconId: 'inbox-test' },
    });
    expect(started.status).toBe(201);
    await p.locator('#task-list li[data-source-id="zz.live"]').waitFor({ timeout: 10_000 });
    expect((await rowIds())[0]).toBe(await p.locator('#task-list li[data-source-id="zz.live"]').getAttribute('data-task-id'));
    expect(await range()).not.toBe(before);
    await p.evaluate(() => { delete document.documentElement.dataset.pollMs; });
  });

  it('renders earlier decisions in the newer shape (approval.earlier): comment and the changes since that request', async () => {
    // The server's approval.earlier (issue 17) is rendered by approval.js; built here from the documented shape.
    const out = await p.evaluate(`(async () => {
      const m = await import('/ui/approval.js');
      const el = document.createElement('div');
      el.append(...[m.approvalPanel({
        mapping: 'm', sourceId: 'x', roles: [], target: { userName: 'x', givenName: 'Ann', mail: 'new@example.com' },
        earlier: [{ processInstanceId: '7', decision: 'rejected', decidedBy: 'bob', decidedAt: '2026-12-01T00:00:00Z', outcome: null, outcomeMessage: null,
          comment: 'Not before HR says so', target: { userName: 'x', givenName: 'Ann', mail: 'old@example.com', sn: 'Gone' } }],
      })].flat(Infinity).filter(Boolean));
      return {
        line: el.querySelector('[data-testid="earlier-decision"]').dataset.instanceId,
        comment: el.querySelector('[data-testid="earlier-comment"]').textContent,
        changes: [...el.querySelectorAll('[data-testid="earlier-changes"] li')].map((li) => li.textContent),
      };
    })()`);
    expect(out).toEqual({ line: '7', comment: 'Not before HR says so', changes: ['Mail: old@example.com → new@example.com', 'Surname: Gone → (empty)'] });
  });

  it('follows a bulk approval by query with progress, Cancel and the failures (the real server; its job worker paused so the test runs each batch)', async () => {
    await t.services.worker.stop();
    const batchWas = t.services.runtime.bulkBatchSize;
    t.services.runtime.bulkBatchSize = 2;
    const q = await ui.newPage(browser, problems);
    try {
      const started: string[] = [];
      for (const sourceId of ['zz.bulk1', 'zz.bulk2', 'zz.bulk3', 'zz.bulk4']) {
        const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId, mapping: MAPPING, reconId: 'inbox-bulk' } });
        expect(r.status).toBe(201);
        started.push(r.body._id);
      }
      const taskOf = async (sourceId: string) => (await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(`processVariables/sourceId eq "${sourceId}"`)}`, { headers: ADMIN })).body.result[0];
      await ui.signIn(q, origin, '/ui/', 'async.admin', 'Passw0rd');
      await q.locator('#task-list li').first().waitFor();
      await q.locator('#task-search').fill('zz.bulk');
      await q.locator('#task-search').press('Enter');
      await q.locator('#task-pager .pager-range').filter({ hasText: 'Tasks: 1–4 of 4' }).waitFor();
      await q.locator('#approve-matching').click();
      await q.locator('#confirm-ok').click();
      await q.locator('#bulk-text').filter({ hasText: 'Approving… 0 of 4 processed: 0 approved, 0 failed.' }).waitFor();
      expect(await q.evaluate(() => document.activeElement?.id)).toBe('bulk-text');
      expect(await q.locator('#approve-matching').isDisabled()).toBe(true);
      await expectAccessible(q, 'bulk progress (1280)');
      // Someone else denies the second task before the first batch (ids in order: 1 and 2) runs.
      const second = await taskOf('zz.bulk2');
      expect((await t.call('POST', `/workflow/taskinstance/${second._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } })).status).toBe(200);
      expect(await t.services.worker.runOne()).toBe(true);
      await q.locator('#bulk-text').filter({ hasText: 'Approving… 2 of 4 processed: 1 approved, 1 failed.' }).waitFor();
      expect(await q.locator('#bulk-bar').evaluate((b) => [(b as HTMLProgressElement).value, (b as HTMLProgressElement).max])).toEqual([2, 4]);
      await q.locator('#bulk-cancel').click();
      await q.locator('#bulk-progress[data-state="CANCELED"]').waitFor();
      expect(await q.locator('#bulk-text').textContent()).toBe('Canceled: 2 of 4 processed: 1 approved, 1 failed. The other tasks are still waiting.');
      expect(await q.locator('[data-testid="bulk-failure"]').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^Task ${second._id}: .*already completed`))]);
      expect(await q.locator('#bulk-cancel').isHidden()).toBe(true);
      while (await t.services.worker.runOne()) { /* the canceled operation completes nothing more */ }
      expect(await taskOf('zz.bulk3')).toBeDefined();
      expect(await taskOf('zz.bulk4')).toBeDefined();
      expect(await taskOf('zz.bulk1')).toBeUndefined();
      await shotBoth(q, 'inbox-bulk-canceled');
    } finally {
      t.services.runtime.bulkBatchSize = batchWas;
      t.services.worker.start();
      await q.context().close();
    }
  });

  it('fits a 390 px phone: stacked, task first, no horizontal scroll, axe clean', async () => {
    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(`${origin}/ui/`);
    await p.locator('#task-list li').first().waitFor();
    await noSideScroll();
    await expectAccessible(p, 'task list (390)');
    await p.locator('#task-list li[data-source-id^="user"] [data-testid="task-open"]').first().click();
    await p.locator('[data-testid="approval-panel"]').waitFor({ state: 'visible' });
    await noSideScroll();
    const [list, detail] = await Promise.all([p.locator('#tasks-section').boundingBox(), p.locator('#task-detail').boundingBox()]);
    expect(detail!.y).toBeLessThan(list!.y);
    expect(await p.evaluate(() => document.getElementById('task-detail')!.getBoundingClientRect().top)).toBeLessThan(844);
    await expectAccessible(p, 'task detail (390)');
    await p.setViewportSize({ width: 1280, height: 900 });
  });

  it('is usable at 200% zoom: a 1280×800 window at 200% lays out as 640×400 CSS px, without horizontal scroll, the task and its buttons reachable', async () => {
    // Chromium's page zoom changes the CSS viewport exactly so: the same layout as a 640 px window.
    await p.setViewportSize({ width: 640, height: 400 });
    await p.goto(`${origin}/ui/`);
    await p.locator('#task-list li').first().waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(640);
    await p.locator('#task-list li[data-source-id^="user"] [data-testid="task-open"]').first().click();
    await p.locator('#task-approve').waitFor({ state: 'visible' });
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(640);
    for (const id of ['#task-approve', '#task-deny', '#task-close']) {
      await p.locator(id).scrollIntoViewIfNeeded();
      const box = await p.locator(id).boundingBox();
      expect([id, box!.x >= 0 && box!.x + box!.width <= 640]).toEqual([id, true]);
    }
    await expectAccessible(p, 'task detail (200% zoom)');
    await shotBoth(p, 'inbox-zoom200');
    await p.setViewportSize({ width: 1280, height: 900 });
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
