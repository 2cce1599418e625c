// The operator's console in Chromium over 120 process instances: server-side paging (newest on
// page 1, "1–50 of 120"), sort by a header, search, the instance dialog (Escape returns focus),
// cancel with confirmation, claim/reassign, incidents retried singly and in bulk, live updates,
// a recon's situation drill-down and cancel, definitions (counts, deploy, delete), deep links
// that survive sign-in, 390 px without page scroll, and axe-core on every view.
import fs from 'node:fs';
import path from 'node:path';
import { Browser, Page } from 'playwright-core';
import { insertRun, writeProgress } from '../../src/repo/reconRuns';
import { ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { expectAccessible } from './a11y';
import * as ui from './browser';
import { shotBoth } from './browser';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const N = 120;
/** An expanded sub-process (drawn, with BPMN DI) whose user task waits. */
const SUB_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="urn:test">
  <process id="subWait" name="Sub-process wait" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <subProcess id="review" name="Review">
      <startEvent id="rs"/>
      <sequenceFlow id="f2" sourceRef="rs" targetRef="check"/>
      <userTask id="check" name="Check it" camunda:assignee="openidm-admin"/>
      <sequenceFlow id="f3" sourceRef="check" targetRef="re"/>
      <endEvent id="re"/>
    </subProcess>
    <sequenceFlow id="f4" sourceRef="review" targetRef="e"/>
    <endEvent id="e"/>
  </process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="subWait">
    <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="20" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="review_di" bpmnElement="review" isExpanded="true"><dc:Bounds x="100" y="40" width="360" height="160"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="rs_di" bpmnElement="rs"><dc:Bounds x="130" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="check_di" bpmnElement="check"><dc:Bounds x="220" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="re_di" bpmnElement="re"><dc:Bounds x="380" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="520" y="100" width="36" height="36"/></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>`;
const UPLOAD_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="urn:test">
  <process id="uploadTest" name="Upload test" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="e"/><endEvent id="e"/>
  </process>
</definitions>`;

jest.setTimeout(120_000);

describe('admin console', () => {
  let t: TestServer;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** instance ids, oldest first; sourceIds u000…u119 */
  const ids: number[] = [];
  /** instance id → its sourceId (a batch's ids are not in sourceId order) */
  const sourceOf = new Map<number, string>();

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    t = await startTestServer();
    origin = t.base.replace(/\/openidm$/, '');
    for (let i = 0; i < N; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => t.call('POST', '/workflow/processinstance?_action=create', {
        headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: `u${String(i + k).padStart(3, '0')}`, mapping: 'noSuchMapping', reconId: 'admin-test' },
      })));
      batch.forEach((r, k) => {
        expect(r.status).toBe(201);
        ids.push(Number(r.body._id));
        sourceOf.set(Number(r.body._id), `u${String(i + k).padStart(3, '0')}`);
      });
    }
    ids.sort((a, b) => a - b);
    page = await ui.newPage(browser, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const newest = () => ids[ids.length - 1];
  const firstRowId = (table: string) => page.locator(`#${table}-table tbody tr`).first().getAttribute('data-key');
  const range = (table: string) => page.locator(`#${table}-pager .pager-range`);
  const dialogOpen = () => page.locator('#detail-dialog[open]');

  it('opens a deep link to an instance after the sign-in it asked for', async () => {
    const p = await ui.newPage(browser, problems);
    await p.goto(`${origin}/admin/#/instance/${newest()}`);
    await p.locator('#signin-section').waitFor({ state: 'visible' });
    await p.locator('#signin-username').fill('openidm-admin');
    await p.locator('#signin-password').fill('wrong');
    await p.locator('#signin-submit').click();
    await p.locator('#signin-error').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('signin-password');
    await p.locator('#signin-password').fill('openidm-admin');
    await p.locator('#signin-submit').click();
    await p.locator('#detail-dialog[open] #detail-title').filter({ hasText: `Process instance #${newest()}` }).waitFor();
    // Every waiting activity by name, highlighted in the diagram.
    await p.locator('[data-testid="waiting-at"]').filter({ hasText: 'Evaluate request (evaluateRequest)' }).waitFor();
    const task = p.locator('#diagram-canvas [data-element-id="evaluateRequest"]');
    await task.waitFor();
    expect(await task.getAttribute('class')).toMatch(/(^|\s)highlight(\s|$)/);
    expect(await p.locator('#diagram-canvas [data-element-id="start"]').getAttribute('class')).toMatch(/path-taken/);
    await p.keyboard.press('Escape');
    await p.locator('#detail-dialog').waitFor({ state: 'hidden' });
    // Closed, the address is the tab's again (a reload does not reopen the dialog).
    await p.waitForFunction(() => location.hash === '#instances');
    await p.context().close();
  });

  it('pages instances newest first, "1–50 of 120", Next and Previous', async () => {
    await ui.signIn(page, origin, '/admin/', 'openidm-admin', 'openidm-admin');
    // Focus goes to the selected tab after signing in, not to <body>.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-tasks');
    await page.locator('[data-testid="tab-instances"]').click();
    await range('instances').filter({ hasText: `1–50 of ${N}` }).waitFor();
    expect(await page.locator('#instances-table tbody tr').count()).toBe(50);
    expect(await firstRowId('instances')).toBe(String(newest()));
    expect(await page.locator('#instances-table th[aria-sort="descending"]').textContent()).toContain('Instance');
    await page.locator('#instances-pager .pager-next').click();
    await range('instances').filter({ hasText: `51–100 of ${N}` }).waitFor();
    expect(await firstRowId('instances')).toBe(String(ids[N - 51]));
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('pager-next');
    await page.locator('#instances-pager .pager-next').click();
    await range('instances').filter({ hasText: `101–120 of ${N}` }).waitFor();
    expect(await page.locator('#instances-pager .pager-next').isDisabled()).toBe(true);
    await page.locator('#instances-pager .pager-prev').click();
    await range('instances').filter({ hasText: `51–100 of ${N}` }).waitFor();
  });

  it('sorts by a clicked header on the server, and searches', async () => {
    await page.locator('#instances-table th button[data-sort="processInstanceId"]').click();
    await range('instances').filter({ hasText: `1–50 of ${N}` }).waitFor();
    await page.locator('#instances-table th[aria-sort="ascending"] button[data-sort="processInstanceId"]').waitFor();
    expect(await firstRowId('instances')).toBe(String(ids[0]));
    expect(await page.evaluate(() => (document.activeElement as HTMLElement)?.dataset.sort)).toBe('processInstanceId');
    await page.locator('#instances-table th button[data-sort="processInstanceId"]').click();
    await page.locator('#instances-table th[aria-sort="descending"] button[data-sort="processInstanceId"]').waitFor();
    await page.locator('#instances-search').fill('u11');
    await page.locator('#instances-search').press('Enter');
    await range('instances').filter({ hasText: '1–10 of 10' }).waitFor();
    expect(await firstRowId('instances')).toBe(String(newest()));
    await page.locator('#instances-search').fill('');
    await page.locator('#instances-search').press('Enter');
    await range('instances').filter({ hasText: `1–50 of ${N}` }).waitFor();
  });

  it('opens an instance in a dialog at the user\'s place; Escape returns focus to the row', async () => {
    const open = page.locator(`#instances-table tr[data-key="${ids[N - 2]}"] [data-testid="instance-open"]`);
    await open.focus();
    await page.keyboard.press('Enter');
    await dialogOpen().waitFor();
    await page.locator('#diagram-canvas [data-element-id="evaluateRequest"].highlight').waitFor();
    // The dialog is in the viewport (not 24,700 px below the table).
    const box = await page.locator('#detail-dialog').boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(900);
    await page.locator('[data-testid="instance-variables"]').filter({ hasText: sourceOf.get(ids[N - 2])! }).waitFor();
    await page.locator('[data-testid="instance-tasks"]').filter({ hasText: 'Evaluate request' }).waitFor();
    await expectAccessible(page, 'instance dialog');
    await shotBoth(page, 'admin-instance-dialog');
    await page.keyboard.press('Escape');
    await page.locator('#detail-dialog').waitFor({ state: 'hidden' });
    // Focus may move in the dialog's close event, a task after the dialog is hidden.
    await eventually(async () => (await page.evaluate(() => (document.activeElement as HTMLElement)?.closest('tr')?.dataset.key)) === String(ids[N - 2]), 5_000, 'focus back on the row');
  });

  it('cancels an instance after a confirmation', async () => {
    const id = ids[N - 3];
    await page.locator(`#instances-table tr[data-key="${id}"] [data-testid="instance-open"]`).click();
    await dialogOpen().waitFor();
    await page.locator('[data-testid="instance-cancel"]').click();
    await page.locator('#confirm-dialog[open]').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await expectAccessible(page, 'confirmation dialog');
    // Escape closes the confirmation and cancels nothing.
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    expect((await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body.status).toBe('active');
    await page.locator('[data-testid="instance-cancel"]').click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('#detail-status').filter({ hasText: `Process instance #${id} is canceled.` }).waitFor();
    await page.locator('[data-testid="instance-status"]').filter({ hasText: 'canceled' }).waitFor();
    expect((await t.call('GET', `/workflow/processinstance/history/${id}`, { headers: ADMIN })).body.status).toBe('canceled');
    await page.keyboard.press('Escape');
    await range('instances').filter({ hasText: `1–50 of ${N - 1}` }).waitFor();
  });

  it('highlights a task waiting inside a sub-process, by its name, and the sub-process around it', async () => {
    const deploy = (xml: string, name: string) => t.call('POST', `/workflow/processdefinition?resourceName=${name}`, { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: xml });
    const start = async (key: string, vars: Record<string, string> = {}) => {
      const r = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: key, ...vars } });
      expect(r.status).toBe(201);
      return r.body._id as string;
    };
    expect((await deploy(SUB_BPMN, 'sub-wait.bpmn')).status).toBe(201);
    const id = await start('subWait');
    await page.goto(`${origin}/admin/#/instance/${id}`);
    await page.locator('[data-testid="waiting-at"]').filter({ hasText: 'Check it (check)' }).waitFor();
    await page.locator('#diagram-canvas [data-element-id="check"].highlight').waitFor();
    expect(await page.locator('#diagram-canvas [data-element-id="review"]').getAttribute('class')).toMatch(/contains-waiting/);
    expect(await page.locator('#diagram-canvas [data-element-id="rs"]').getAttribute('class')).toMatch(/path-taken/);
    await page.keyboard.press('Escape');
    await page.locator('#detail-dialog').waitFor({ state: 'hidden' });

    // A definition without diagram layout (BPMN DI): the dialog says the diagram cannot be drawn,
    // and still names where the instance waits (nested sub-processes, the task's resolved name).
    const xml = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bpmn', 'h-tasks-subprocess.bpmn'), 'utf8');
    expect((await deploy(xml, 'h-tasks-subprocess.bpmn')).status).toBe(201);
    const nested = await start('hTasksSubprocess', { sourceId: 'bjensen', checker: 'carol', signer: 'sam' });
    await page.goto(`${origin}/admin/#/instance/${nested}`);
    await page.locator('[data-testid="waiting-at"]').filter({ hasText: 'Check bjensen (check)' }).waitFor();
    await page.locator('#diagram-status[data-kind="error"]').filter({ hasText: 'The diagram cannot be drawn' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#detail-dialog').waitFor({ state: 'hidden' });
    for (const x of [id, nested]) expect((await t.call('DELETE', `/workflow/processinstance/${x}`, { headers: ADMIN })).status).toBe(200);
  });

  it('pages tasks, and reassigns and claims one with confirmation', async () => {
    await page.locator('[data-testid="tab-tasks"]').click();
    await range('tasks').filter({ hasText: `1–50 of ${N - 1}` }).waitFor();
    const id = await firstRowId('tasks');
    const row = page.locator(`#tasks-table tr[data-key="${id}"]`);
    await row.locator('[data-testid="task-assign"]').click();
    await page.locator('#prompt-dialog[open]').waitFor();
    await expectAccessible(page, 'reassign dialog');
    await page.locator('#prompt-input').fill('someone.else');
    await page.locator('[data-testid="prompt-ok"]').click();
    // It was assigned to async.admin: taking it away asks first.
    await page.locator('#confirm-dialog[open]').waitFor();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('#tasks-status').filter({ hasText: `Task #${id} is now assigned to someone.else.` }).waitFor();
    await row.filter({ hasText: 'someone.else' }).waitFor();
    await row.locator('[data-testid="task-claim"]').click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('#tasks-status').filter({ hasText: `Task #${id} is now assigned to openidm-admin.` }).waitFor();
    expect((await t.call('GET', `/workflow/taskinstance/${id}`, { headers: ADMIN })).body.assignee).toBe('openidm-admin');
    // Focus stays on the control that acted, in the re-read row.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement)?.dataset.focus)).toBe('claim');
    // Live: a task started elsewhere shows up within a poll, without a reload; focus stays put.
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'managedUserApproval', sourceId: 'live.one', mapping: 'noSuchMapping', reconId: 'admin-test' } });
    expect(started.status).toBe(201);
    ids.push(Number(started.body._id));
    sourceOf.set(Number(started.body._id), 'live.one');
    await range('tasks').filter({ hasText: `1–50 of ${N}` }).waitFor({ timeout: 12_000 });
    await page.locator('#tasks-table tr[data-source-id="live.one"]').waitFor();
    expect(await page.evaluate(() => [(document.activeElement as HTMLElement)?.dataset.focus, (document.activeElement as HTMLElement)?.closest('tr')?.dataset.key])).toEqual(['claim', id]);
    await page.locator('#tasks-pager .pager-next').click();
    await range('tasks').filter({ hasText: `51–100 of ${N}` }).waitFor();
  });

  // POST …/taskinstance?_action=complete&_queryFilter=… and GET/POST …/bulk/{id} on the real server; its
  // job worker is stopped so that the test decides when a batch of 2 runs, and Cancel lands mid-way.
  it('completes every task matching the filters on the server, following its progress, and stops it', async () => {
    await t.services.worker.stop();
    const batchWas = t.services.runtime.bulkBatchSize;
    t.services.runtime.bulkBatchSize = 2;
    try {
      await page.locator('#tasks-search').fill('u10');
      await page.locator('#tasks-search').press('Enter');
      await range('tasks').filter({ hasText: '1–10 of 10' }).waitFor();
      await page.locator('#tasks-bulk-decision').selectOption('false');
      const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/workflow\/taskinstance\?/.test(r.url()));
      await page.locator('#tasks-bulk-start').click();
      await page.locator('#confirm-text').filter({ hasText: 'Deny 10 matching tasks?' }).waitFor();
      await page.locator('[data-testid="confirm-ok"]').click();
      const req = await sent;
      expect(new URL(req.url()).searchParams.get('_queryFilter')).toContain('processVariables/sourceId co "u10"');
      expect(req.postDataJSON()).toEqual({ requestApproved: 'false' });
      await page.locator('#tasks-bulk-progress').filter({ hasText: /^Bulk \S+: ACTIVE — 0 of 10 processed, 0 completed\.$/ }).waitFor();
      expect(await t.services.worker.runOne()).toBe(true); // one batch: 2 tasks
      await page.locator('#tasks-bulk-progress').filter({ hasText: /: ACTIVE — 2 of 10 processed, 2 completed\.$/ }).waitFor();
      await page.locator('#tasks-bulk-cancel').click();
      await page.locator('#tasks-bulk-progress').filter({ hasText: /: CANCELED — 2 of 10 processed, 2 completed\.$/ }).waitFor();
      expect(await page.locator('#tasks-bulk-progress').getAttribute('data-kind')).toBe('warn');
      expect(await page.locator('#tasks-bulk-cancel').isHidden()).toBe(true);
      while (await t.services.worker.runOne()) { /* the canceled operation's next batch does nothing */ }
      const open = await t.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent('processVariables/sourceId co "u10"')}&_totalPagedResultsPolicy=EXACT`, { headers: ADMIN });
      expect(open.body.totalPagedResults).toBe(8);
    } finally {
      t.services.runtime.bulkBatchSize = batchWas;
      t.services.worker.start();
    }
    await page.locator('#tasks-search').fill('');
    await page.locator('#tasks-search').press('Enter');
  });

  it('shows failed createUser jobs as failures, and retries incidents singly and in bulk', async () => {
    // Approving a request without a snapshot: the createUser job fails for good (an incident).
    for (const sourceId of ['u000', 'u001']) {
      const task = (await t.call('GET', `/workflow/taskinstance?_queryFilter=processVariables/sourceId eq "${sourceId}"`, { headers: ADMIN })).body.result[0];
      expect((await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
    }
    await eventually(async () => (await t.call('GET', '/workflow/incident?_queryFilter=true', { headers: ADMIN })).body.result.length === 2, 20_000, 'two incidents');
    await page.locator('[data-testid="tab-jobs"]').click();
    await range('jobs').filter({ hasText: '1–2' }).waitFor();
    const errors = await page.locator('#jobs-table [data-testid="job-error"]').allTextContents();
    expect(errors).toEqual([expect.stringMatching(/has no approval request/), expect.stringMatching(/has no approval request/)]);

    await page.locator('[data-testid="tab-incidents"]').click();
    await range('incidents').filter({ hasText: '1–2 of 2' }).waitFor();
    await page.locator('#incidents-table [data-testid="incident-cause"]').first().filter({ hasText: 'has no approval request' }).waitFor();
    await expectAccessible(page, 'incidents');
    const first = page.locator('#incidents-table tbody tr').first();
    const incidentId = await first.getAttribute('data-key');
    await first.locator('[data-testid="incident-retry"]').click();
    await page.locator('#incidents-status').filter({ hasText: `Incident ${incidentId}: retried` }).waitFor();
    // The retry fails again: live polling lists both again, without a reload or a click.
    await eventually(async () => (await page.locator('#incidents-table tbody tr[data-key]').count()) === 2, 20_000, 'the retried incident to be listed again');
    await page.locator('#incidents-select-page').check();
    expect(await page.locator('#incidents-retry-selected').textContent()).toBe('Retry selected (2)');
    await page.locator('#incidents-retry-selected').click();
    await page.locator('[data-testid="incident-bulk-result"]').nth(1).waitFor();
    expect(await page.locator('[data-testid="incident-bulk-result"]').allTextContents()).toEqual([
      expect.stringMatching(/^Incident .+: retried/), expect.stringMatching(/^Incident .+: retried/),
    ]);
    // The results are next to the controls, in view.
    const box = await page.locator('#incidents-bulk-results').boundingBox();
    expect(box!.y).toBeLessThan(900);
    await shotBoth(page, 'admin-incidents');
  });

  // The server tags every query answer (src/api/conditionalGet.ts): the console's poll sends the tag
  // back, gets 304 while nothing changed, and leaves the table (and the user's place in it) alone.
  it('polls with If-None-Match and leaves the table alone on 304', async () => {
    const seen: { inm: string | undefined; status: number; etag: string | undefined }[] = [];
    const onResponse = (r: import('playwright-core').Response) => {
      if (!/\/openidm\/workflow\/incident\?/.test(r.url())) return;
      seen.push({ inm: r.request().headers()['if-none-match'], status: r.status(), etag: r.headers().etag });
    };
    page.on('response', onResponse);
    try {
      const renders = async () => Number(await page.locator('#incidents-table').getAttribute('data-renders'));
      const before = await renders();
      await page.locator('#incidents-refresh').click();
      await eventually(async () => (await renders()) > before, 10_000, 'the refreshed table');
      const after = await renders();
      // A mark on a row: a re-render would drop it.
      await page.evaluate(() => document.querySelector('#incidents-table tbody tr')!.setAttribute('data-mark', 'kept'));
      await eventually(async () => seen.some((x) => x.status === 304), 12_000, 'a poll answered 304');
      const hit = seen.find((x) => x.status === 304)!;
      expect(hit.inm).toBeTruthy();
      expect(seen.some((x) => x.status === 200 && x.etag === hit.inm)).toBe(true);
      expect(await renders()).toBe(after);
      expect(await page.locator('#incidents-table tbody tr[data-mark="kept"]').count()).toBe(1);
    } finally {
      page.off('response', onResponse);
    }
  });

  it('reconciles, drills into a situation\'s entries, and cancels an active run with live progress', async () => {
    await page.locator('[data-testid="tab-recon"]').click();
    await page.locator(`[data-testid="recon-now"][data-mapping="${MAPPING}"]`).click();
    await page.locator('#recon-detail[data-state="SUCCESS"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="situation-bar"][data-situation="ABSENT"] [data-testid="situation-open"]').click();
    await dialogOpen().waitFor();
    await range('audit').filter({ hasText: '1–2' }).waitFor();
    expect((await page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.sourceId))).sort()).toEqual(['bjensen', 'scarter']);
    await expectAccessible(page, 'situation entries');
    await page.keyboard.press('Escape');
    await page.locator('#detail-dialog').waitFor({ state: 'hidden' });
    await eventually(async () => (await page.evaluate(() => (document.activeElement as HTMLElement)?.dataset.focusId)) === 'situation-ABSENT', 5_000, 'focus back on the situation');

    // A run active on another node (as the recon table records it), followed live.
    const id = 'ui-active-run';
    const progress = (n: number) => ({ source: { existing: { processed: n, total: '1000' } }, target: { existing: { processed: 0, total: '?' }, created: 0 }, links: { existing: { processed: 0, total: '?' }, created: 0 } });
    await insertRun(t.db.knex, {
      id, mapping: MAPPING, state: 'ACTIVE', stage: 'ACTIVE_RECONCILING_SOURCE', node: 'other-node', parameters: {}, progress: progress(10),
      situationSummary: {}, statusSummary: { SUCCESS: 0, FAILURE: 0 }, message: null, started: new Date().toISOString(), ended: null, heartbeat: null,
    });
    await page.goto(`${origin}/admin/#/run/${id}`);
    await page.locator(`#recon-detail[data-run-id="${id}"][data-state="ACTIVE"]`).waitFor();
    await page.locator('[data-testid="recon-progress"]').filter({ hasText: 'Source: 10 of 1000' }).waitFor();
    await writeProgress(t.db.knex, id, { state: 'ACTIVE', progress: progress(400), heartbeat: 'now' });
    await page.locator('[data-testid="recon-progress"]').filter({ hasText: 'Source: 400 of 1000' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="recon-cancel"]').click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('#recon-status').filter({ hasText: `Reconciliation ${id} canceled.` }).waitFor();
    await page.locator(`#recon-detail[data-state="CANCELED"]`).waitFor();
    expect((await t.call('GET', `/recon/${id}`, { headers: ADMIN })).body.state).toBe('CANCELED');
  });

  it('shows an approval whose user already exists as failed, with the reason, in incidents, jobs and the instance', async () => {
    // Someone created managed/user/bjensen (not correlating: another userName) after the request.
    expect((await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'bjensen', userName: 'not.bjensen', givenName: 'B', sn: 'J', mail: 'nb@example.com' } })).status).toBe(201);
    const task = (await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId eq "bjensen"', { headers: ADMIN })).body.result[0];
    expect((await t.call('POST', `/workflow/taskinstance/${task._id}?_action=complete`, { headers: ADMIN, body: { requestApproved: 'true' } })).status).toBe(200);
    await eventually(async () => (await t.call('GET', '/workflow/incident?_queryFilter=cause co "already exists"', { headers: ADMIN })).body.result.length === 1, 20_000, 'the createUser incident');
    await page.locator('[data-testid="tab-incidents"]').click();
    await page.locator('#incidents-search').fill('already exists');
    await page.locator('#incidents-search').press('Enter');
    await range('incidents').filter({ hasText: '1–1 of 1' }).waitFor();
    const row = page.locator('#incidents-table tbody tr').first();
    expect(await row.locator('[data-testid="incident-cause"]').textContent()).toContain('A managed user with _id bjensen already exists');
    await row.locator('td[data-label="Instance"] button').click();
    await page.locator('[data-testid="instance-outcome"]').filter({ hasText: 'the account could not be created: A managed user with _id bjensen already exists' }).waitFor();
    expect(await page.locator('[data-testid="instance-outcome"]').getAttribute('class')).toBe('error-text');
    await page.locator('[data-testid="instance-jobs"] tr[data-state="dead"]').filter({ hasText: 'already exists' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#incidents-search').fill('');
    await page.locator('#incidents-search').press('Enter');
  });

  it('lists definitions with instance counts, deploys an uploaded file and deletes the unused version', async () => {
    // N + live.one + bjensen and scarter (the recon's); running: less the canceled one, the three approved and the two the bulk test denied
    await page.locator('[data-testid="tab-definitions"]').click();
    const row = page.locator('[data-testid="definition-row"]').filter({ hasText: 'managedUserApproval' }).first();
    // bjensen's instance ends once its failed job is dead: Refresh reads the counts again (no reload).
    await eventually(async () => {
      if ((await row.locator('[data-testid="definition-count"]').textContent()) === `${N - 3} running, ${N + 3} in all`) return true;
      await page.locator('#definitions-refresh').click();
      return false;
    }, 15_000, 'the counts after bjensen\'s instance ended');
    await page.locator('#deploy-file').setInputFiles({ name: 'upload-test.bpmn', mimeType: 'application/xml', buffer: Buffer.from(UPLOAD_BPMN) });
    await page.locator('#deploy-submit').click();
    await page.locator('#definitions-status').filter({ hasText: /^Deployed uploadTest version 1/ }).waitFor();
    const deployed = page.locator('[data-testid="definition-row"][data-instances="0"]');
    await deployed.first().waitFor();
    const defId = await deployed.first().getAttribute('data-definition-id');
    await deployed.first().locator('[data-testid="definition-delete"]').click();
    await page.locator('[data-testid="confirm-ok"]').click();
    await page.locator('#definitions-status').filter({ hasText: /^Deleted / }).waitFor();
    expect(await page.locator(`[data-testid="definition-row"][data-definition-id="${defId}"]`).count()).toBe(0);
    // Deployed elsewhere (over REST): listed within a poll, without a reload or a click.
    const other = UPLOAD_BPMN.replace('id="uploadTest" name="Upload test"', 'id="restDeployed" name="Deployed over REST"');
    expect((await t.call('POST', '/workflow/processdefinition?resourceName=rest.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: other })).status).toBe(201);
    await page.locator('[data-testid="definition-row"]').filter({ hasText: 'Deployed over REST' }).waitFor({ timeout: 12_000 });
  });

  it('opens deep links to a task, a user, an incident and a run', async () => {
    const task = (await t.call('GET', '/workflow/taskinstance?_queryFilter=true&_pageSize=1', { headers: ADMIN })).body.result[0];
    await page.goto(`${origin}/admin/#/task/${task._id}`);
    await page.locator('#detail-dialog[open] #detail-title').filter({ hasText: `Task #${task._id}` }).waitFor();
    await page.keyboard.press('Escape');
    const user = await t.call('POST', '/managed/user?_action=create', { headers: ADMIN, body: { _id: 'deep.link', userName: 'deep.link', givenName: 'Deep', sn: 'Link', mail: 'deep@example.com' } });
    expect(user.status).toBe(201);
    await page.goto(`${origin}/admin/#/user/deep.link`);
    await page.locator('#user-detail[data-user-id="deep.link"]').filter({ hasText: 'deep@example.com' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-detail');
    const incident = (await t.call('GET', '/workflow/incident?_queryFilter=cause co "already exists"', { headers: ADMIN })).body.result[0];
    await page.goto(`${origin}/admin/#/incident/${incident._id}`);
    await page.locator('#detail-dialog[open] [data-testid="incident-detail-cause"]').filter({ hasText: 'already exists' }).waitFor();
    await page.keyboard.press('Escape');
    await page.goto(`${origin}/admin/#/run/ui-active-run`);
    await page.locator('#recon-detail[data-run-id="ui-active-run"][data-state="CANCELED"]').waitFor();
  });

  it('has every tab accessible and without page scroll at 390 px', async () => {
    for (const tab of ['tasks', 'instances', 'definitions', 'recon', 'users', 'jobs', 'incidents']) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.locator(`[data-testid="tab-${tab}"]`).click();
      await page.locator(`#panel-${tab} tbody tr`).first().waitFor();
      await expectAccessible(page, `${tab} at 1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await expectAccessible(page, `${tab} at 390`);
      expect([tab, await page.evaluate(() => document.documentElement.scrollWidth)]).toEqual([tab, expect.any(Number)]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shotBoth(page, `admin-${tab}`);
    }
    // The dialog at 390 too.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-testid="tab-instances"]').click();
    await page.locator('#instances-table [data-testid="instance-open"]').first().click();
    await page.locator('#diagram-canvas [data-element-id="evaluateRequest"]').waitFor();
    await expectAccessible(page, 'instance dialog at 390');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
