// The web UI in a real browser (Chromium through playwright-core): the sample's steps done by
// clicking — create async.admin, reconcile, look at tasks and diagrams, approve bjensen and deny
// scarter in the inbox — plus the session's HttpOnly cookie and CSRF protection.
import { Browser, Page } from 'playwright-core';
import { enqueueJob } from '../../src/jobs/sql/enqueueJob';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import * as ui from './browser';
import { shot, signOut } from './browser';

const MAPPING = 'systemCsvfileAccounts_managedUser';

jest.setTimeout(120_000);

describe('web UI in Chromium', () => {
  let t: TestServer;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    t = await startTestServer();
    origin = t.base.replace(/\/openidm$/, '');
    page = await newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const newPage = () => ui.newPage(browser, problems);
  const signIn = (p: Page, where: '/ui/' | '/admin/', user: string, password: string) => ui.signIn(p, origin, where, user, password);
  const count = (p: Page, selector: string) => p.locator(selector).count();

  describe('serving', () => {
    it('redirects / to the inbox and serves pages, assets and bpmn-js under a strict CSP', async () => {
      const root = await fetch(origin + '/', { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/ui/');
      for (const [url, type] of [
        ['/ui/', 'text/html'], ['/admin/', 'text/html'], ['/ui/inbox.js', 'javascript'], ['/admin/admin.js', 'javascript'],
        ['/api.js', 'javascript'], ['/signin.js', 'javascript'], ['/app.css', 'text/css'], ['/vendor/bpmn-js/bpmn-viewer.production.min.js', 'javascript'],
        ['/vendor/bpmn-js/assets/bpmn-js.css', 'text/css'], ['/vendor/bpmn-js/assets/diagram-js.css', 'text/css'],
        ['/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css', 'text/css'],
      ]) {
        const r = await fetch(origin + url);
        expect([url, r.status]).toEqual([url, 200]);
        expect(r.headers.get('content-type')).toContain(type);
        const csp = r.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      }
      // A script's 401 carries no WWW-Authenticate: Basic, which would pop up the browser's own dialog.
      for (const url of ['/authentication', '/workflow/taskinstance?_queryFilter=true']) {
        const r = await fetch(t.base + url, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
        expect([url, r.status, r.headers.get('www-authenticate')]).toEqual([url, 401, null]);
      }
      // Only bpmn-js's dist folder is exposed, and /ui/ does not reach into public/admin/.
      expect((await fetch(origin + '/vendor/bpmn-js/%2e%2e/package.json')).status).toBe(404);
      expect((await fetch(origin + '/vendor/playwright-core/package.json')).status).toBe(404);
      expect((await fetch(origin + '/ui/admin/admin.js')).status).toBe(404);
    });
  });

  describe('session security', () => {
    async function login(user = 'openidm-admin', password = 'openidm-admin') {
      const r = await fetch(`${t.base}/authentication?_action=login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }),
      });
      expect(r.status).toBe(200);
      return { setCookie: r.headers.get('set-cookie') ?? '', body: (await r.json()) as { csrfToken: string } };
    }

    it('keeps the session in an HttpOnly, SameSite=Strict cookie that scripts cannot read', async () => {
      const { setCookie } = await login();
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);

      const p = await newPage();
      await signIn(p, '/ui/', 'openidm-admin', 'openidm-admin');
      const cookies = await p.context().cookies();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) expect(c.httpOnly).toBe(true);
      expect(await p.evaluate(() => document.cookie)).toBe('');
      // Nothing about the sign-in is kept in web storage.
      expect(await p.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).toBe('{}{}');
      await p.context().close();
    });

    it('refuses an unsafe request that carries the cookie but no X-CSRF-Token', async () => {
      const { setCookie, body } = await login();
      const cookie = setCookie.split(';')[0];
      const user = { userName: 'csrf.victim', givenName: 'c', sn: 'v', mail: 'csrf@example.com' };
      const without = await fetch(`${t.base}/managed/user?_action=create`, {
        method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: JSON.stringify(user),
      });
      expect(without.status).toBe(403);
      expect(await without.json()).toMatchObject({ code: 403, reason: 'Forbidden' });
      const wrong = await fetch(`${t.base}/managed/user?_action=create`, {
        method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json', 'X-CSRF-Token': (body.csrfToken[0] === 'x' ? 'y' : 'x') + body.csrfToken.slice(1) }, body: JSON.stringify(user),
      });
      expect(wrong.status).toBe(403);
      expect((await t.call('GET', '/managed/user?_queryFilter=userName eq "csrf.victim"', { headers: ADMIN })).body.result).toEqual([]);
      // A safe request with the cookie alone is fine.
      const read = await fetch(`${t.base}/managed/user?_queryFilter=true`, { headers: { Cookie: cookie } });
      expect(read.status).toBe(200);
    });
  });

  describe('the sample, by clicking', () => {
    it('signs in at /admin/ and creates async.admin with the form', async () => {
      await signIn(page, '/admin/', 'openidm-admin', 'openidm-admin');
      // After a reload the session (and its CSRF token, kept in memory only) comes back from the server.
      await page.reload();
      await page.locator('#console').waitFor({ state: 'visible' });
      await page.locator('[data-testid="tab-users"]').click();
      await page.locator('#new-userName').fill('async.admin');
      await page.locator('#new-id').fill('asyncadmin');
      await page.locator('#new-givenName').fill('async');
      await page.locator('#new-sn').fill('admin');
      await page.locator('#new-displayName').fill('async admin');
      await page.locator('#new-mail').fill('async.admin@example.com');
      await page.locator('#new-password').fill('Passw0rd');
      await page.locator('#new-role-admin').check();
      await page.locator('#new-role-authorized').check();
      await page.locator('#user-create-submit').click();
      await page.locator('#user-create-message').filter({ hasText: 'Created async.admin (asyncadmin)' }).waitFor();
      expect(await page.locator('#new-password').inputValue()).toBe('');
      await page.locator('[data-testid="user-row"][data-user-id="asyncadmin"]').waitFor();

      const stored = await t.call('GET', '/managed/user/asyncadmin?_fields=userName,mail,authzRoles', { headers: ADMIN });
      expect(stored.body).toMatchObject({
        userName: 'async.admin', mail: 'async.admin@example.com',
        authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }],
      });
    });

    it('reconciles now and shows the run succeed with ABSENT 2 in the chart', async () => {
      await page.locator('[data-testid="tab-recon"]').click();
      await page.locator(`[data-testid="recon-now"][data-mapping="${MAPPING}"]`).click();
      await page.locator('#recon-detail[data-state="SUCCESS"]').waitFor({ timeout: 30_000 });
      const absent = page.locator('[data-testid="situation-bar"][data-situation="ABSENT"]');
      expect(await absent.getAttribute('data-count')).toBe('2');
      expect(await absent.locator('.bar-count').textContent()).toBe('2');
      expect(await count(page, '[data-testid="recon-run"][data-state="SUCCESS"]')).toBe(1);
      await shot(page, 'recon-summary.png');
    });

    it('lists the two approval tasks in Tasks', async () => {
      await page.locator('[data-testid="tab-tasks"]').click();
      // The tasks may land a moment after the run ends: apply the filters until both show.
      await eventually(async () => {
        await page.locator('#task-filters button[type="submit"]').click();
        return (await count(page, '[data-testid="admin-task-row"]')) === 2;
      }, 15_000, 'two tasks in the admin Tasks tab');
      const sources = await page.locator('[data-testid="admin-task-row"]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.sourceId).sort());
      expect(sources).toEqual(['bjensen', 'scarter']);
      // Filters go to the server: nobody else is assignee, and nothing is 100 hours old.
      await page.locator('#filter-assignee').fill('nobody-else');
      await page.locator('#task-filters button[type="submit"]').click();
      await page.locator('#tasks-table td.muted').filter({ hasText: 'No tasks match.' }).waitFor();
      await page.locator('#filter-assignee').fill('async');
      await page.locator('#filter-age').fill('100');
      await page.locator('#task-filters button[type="submit"]').click();
      await page.locator('#tasks-table td.muted').filter({ hasText: 'No tasks match.' }).waitFor();
      await page.locator('#filter-age').fill('');
      await page.locator('#task-filters button[type="submit"]').click();
      await page.locator('[data-testid="admin-task-row"]').nth(1).waitFor();
    });

    it('shows a process instance diagram with evaluateRequest highlighted', async () => {
      await page.locator('[data-testid="tab-instances"]').click();
      await page.locator('[data-testid="instance-open"]').first().click();
      const task = page.locator('#diagram-canvas [data-element-id="evaluateRequest"]');
      await task.waitFor();
      expect(await task.getAttribute('class')).toMatch(/(^|\s)highlight(\s|$)/);
      // The marker's CSS applies: the task's outline is drawn in orange.
      const stroke = await task.locator('.djs-visual > :nth-child(1)').evaluate((el) => getComputedStyle(el).stroke);
      expect(stroke).toBe('rgb(232, 89, 12)');
      expect(await page.locator('#diagram-canvas [data-element-id="approved"]').getAttribute('class')).not.toMatch(/highlight/);
      await shot(page, 'diagram.png');
      // The diagram is a modal dialog: Escape closes it.
      await page.keyboard.press('Escape');
      await page.locator('#detail-dialog').waitFor({ state: 'hidden' });
    });

    it('signs out of the console, and in to the inbox as async.admin', async () => {
      await signOut(page);
      expect((await page.context().cookies()).filter((c) => c.value)).toEqual([]);
      await signIn(page, '/ui/', 'async.admin', 'Passw0rd');
      await page.locator('[data-testid="task-row"]').nth(1).waitFor();
      expect(await count(page, '[data-testid="task-row"]')).toBe(2);
      // Each row names the person from the request's snapshot (newest first), and says which task it is.
      await page.locator('li[data-source-id="bjensen"] [data-testid="task-open"]').filter({ hasText: 'Barbara Jensen (bjensen)' }).waitFor();
      await page.locator('li[data-source-id="scarter"] [data-testid="task-open"]').filter({ hasText: 'Steven Carter (scarter)' }).waitFor();
      expect(await page.locator('[data-testid="task-requester"]').allTextContents()).toEqual(['Evaluate request · user scarter', 'Evaluate request · user bjensen']);
      await shot(page, 'inbox.png');
    });

    it('approves the request for bjensen and denies the one for scarter', async () => {
      await page.locator('li[data-source-id="bjensen"] [data-testid="task-open"]').click();
      await page.locator('#task-detail').waitFor({ state: 'visible' });
      await page.locator('#task-requester').filter({ hasText: 'bjensen' }).waitFor();
      // The read-only requesterName is shown disabled; the enum became Approve / Deny.
      expect(await page.locator('#task-fields input[name="requesterName"]').isDisabled()).toBe(true);
      expect(await page.locator('#task-fields input[name="requesterName"]').inputValue()).toBe('bjensen');
      expect(await page.locator('#task-question').textContent()).toContain('Do you approve the request?');
      await page.locator('#task-approve').click();
      await page.locator('[data-testid="decision-result"]').filter({ hasText: 'for bjensen: approved' }).waitFor();

      await page.locator('li[data-source-id="scarter"] [data-testid="task-open"]').click();
      await page.locator('#task-deny').click();
      await page.locator('#confirm-ok').click(); // Deny asks first
      await page.locator('[data-testid="decision-result"]').filter({ hasText: 'for scarter: denied' }).waitFor();
      await page.locator('#tasks-empty').waitFor({ state: 'visible' });
    });

    it('shows bjensen, and not scarter, in Users once the create job has run', async () => {
      await signOut(page);
      await signIn(page, '/admin/', 'openidm-admin', 'openidm-admin');
      // After a reload the session (and its CSRF token, kept in memory only) comes back from the server.
      await page.reload();
      await page.locator('#console').waitFor({ state: 'visible' });
      await page.locator('[data-testid="tab-users"]').click();
      await eventually(async () => {
        await page.locator('#user-search-form button[type="submit"]').click();
        return (await count(page, '[data-testid="user-row"][data-user-name="bjensen"]')) === 1;
      }, 20_000, 'bjensen in the Users tab');
      expect(await count(page, '[data-testid="user-row"][data-user-name="scarter"]')).toBe(0);
      await page.locator('[data-testid="user-row"][data-user-name="bjensen"] [data-testid="user-open"]').click();
      await page.locator('#user-detail').filter({ hasText: 'bjensen@example.com' }).waitFor();
      // The search box: user name starts with, or mail contains.
      await page.locator('#user-search').fill('bjen');
      await page.locator('#user-search-form button[type="submit"]').click();
      await page.locator('[data-testid="user-row"][data-user-name="async.admin"]').waitFor({ state: 'detached' });
      expect(await count(page, '[data-testid="user-row"]')).toBe(1);
      await page.locator('#user-search').fill('');
      await page.locator('#user-search-form button[type="submit"]').click();
      await page.locator('[data-testid="user-row"][data-user-name="async.admin"]').waitFor();
      await shot(page, 'users.png');
      expect((await t.call('GET', '/managed/user/scarter', { headers: ADMIN })).status).toBe(404);
    });

    it('shows an ended instance in history with the end event it reached', async () => {
      await page.locator('[data-testid="tab-instances"]').click();
      await page.locator('#instances-scope').selectOption('history');
      await page.locator('[data-testid="instance-row"][data-status="ended"]').nth(1).waitFor();
      await page.locator('[data-testid="instance-row"][data-status="ended"] [data-testid="instance-open"]').first().click();
      // The path taken is marked, up to the end event it reached; nothing is waiting.
      await page.locator('#diagram-canvas [data-element-id="approvalGateway"].path-taken').waitFor();
      expect(await count(page, '#diagram-canvas [data-element-id="approved"].path-taken, #diagram-canvas [data-element-id="rejected"].path-taken')).toBe(1);
      expect(await count(page, '#diagram-canvas .highlight')).toBe(0);
      await page.keyboard.press('Escape');
      await page.locator('#detail-dialog').waitFor({ state: 'hidden' });
    });
  });

  describe('more of the UI', () => {
    it('approves several selected tasks, reporting one completed meanwhile by someone else', async () => {
      for (const sourceId of ['bulk.one', 'bulk.two']) {
        const r = await t.call('POST', '/workflow/processinstance?_action=create', {
          headers: ADMIN, body: { _key: 'managedUserApproval', sourceId, mapping: 'noSuchMapping', reconId: 'ui-test' },
        });
        expect(r.status).toBe(201);
      }
      await signOut(page);
      await signIn(page, '/ui/', 'async.admin', 'Passw0rd');
      await page.locator('[data-testid="task-row"]').nth(1).waitFor();
      await page.locator('#select-all').check();
      expect(await page.locator('#approve-selected').textContent()).toBe('Approve selected (2)');
      // Someone else completes bulk.two between the selection and the click.
      const rows = await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId eq "bulk.two"', { headers: ADMIN });
      expect((await t.call('POST', `/workflow/taskinstance/${rows.body.result[0]._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'false' } })).status).toBe(200);
      await page.locator('#approve-selected').click();
      await page.locator('#confirm-ok').click(); // a bulk action asks first
      await page.locator('[data-testid="bulk-result"]').nth(1).waitFor();
      // Each approval's line follows its outcome until it is final.
      await page.locator('[data-testid="bulk-result"][data-final="false"]').first().waitFor({ state: 'detached', timeout: 20_000 });
      // (started over REST, bulk.one has no request snapshot: its approval creates nothing, and says so)
      // (the list's order: newest first)
      expect(await page.locator('[data-testid="bulk-result"]').allTextContents()).toEqual([
        'Evaluate request for bulk.two: already completed by someone else',
        expect.stringMatching(/^Evaluate request for bulk\.one: approved — the account could not be created: Process instance \d+ has no approval request/),
      ]);
      await page.locator('#tasks-empty').waitFor({ state: 'visible' });
      expect(await page.locator('#approve-selected').isDisabled()).toBe(true);
    });

    it('lists a dead job with its error and queues it again on Retry', async () => {
      await enqueueJob(t.db.knex, { key: 'ui-test-dead', type: 'createUser', payload: { variables: { mapping: 'noSuchMapping', sourceId: 'x' } }, maxAttempts: 1 });
      t.services.worker.nudge();
      const dead = await eventually(async () => {
        const r = await t.call('GET', '/jobs?_queryFilter=key eq "ui-test-dead"', { headers: ADMIN });
        return r.body.result?.[0]?.state === 'dead' ? r.body.result[0] : null;
      }, 15_000, 'the job to die');
      await page.goto(origin + '/admin/#jobs');
      const row = page.locator(`[data-testid="job-row"][data-job-id="${dead._id}"]`);
      await row.filter({ hasText: 'is not a createUser job of a process instance' }).waitFor();
      await row.locator('[data-testid="job-retry"]').click();
      await page.locator('#jobs-status').filter({ hasText: `Job #${dead._id} queued again.` }).waitFor();
    });

    it('tells a signed-in non-administrator that the console is for administrators', async () => {
      const created = await t.call('POST', '/managed/user?_action=create', {
        headers: ADMIN, body: { userName: 'plain.user', givenName: 'Plain', sn: 'User', mail: 'plain@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
      });
      expect(created.status).toBe(201);
      const p = await newPage();
      await signIn(p, '/admin/', 'plain.user', 'Passw0rd');
      await p.locator('[data-testid="not-admin"]').waitFor({ state: 'visible' });
      expect(await p.locator('#console').isHidden()).toBe(true);
      await p.goto(origin + '/ui/');
      await p.locator('#tasks-empty').waitFor({ state: 'visible' });
      await p.context().close();
    });

    it('reports a wrong password without signing in', async () => {
      const p = await newPage();
      await p.goto(origin + '/ui/');
      await p.locator('#signin-username').fill('async.admin');
      await p.locator('#signin-password').fill('wrong');
      await p.locator('#signin-submit').click();
      await p.locator('#signin-error').filter({ hasText: 'Wrong user name or password.' }).waitFor();
      expect(await p.locator('#signin-password').inputValue()).toBe('');
      await p.context().close();
    });

    it('ran without script errors or Content-Security-Policy violations', () => {
      expect(problems).toEqual([]);
    });
  });
});
