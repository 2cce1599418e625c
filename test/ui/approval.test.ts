// Approvals in the browser: the inbox shows the snapshot an approval is bound to (attributes,
// roles, an administrator role flagged) and what the approval came to, never a success for a
// failure; the admin console lists the failure as an incident and retries it.
import { Browser, Page } from 'playwright-core';
import { csvRow, makeProject, TestProject } from '../helpers/project';
import { ADMIN, ASYNC_ADMIN, eventually, startTestServer, TestServer } from '../helpers/server';
import { createAsyncAdmin } from '../helpers/calls';
import * as ui from './browser';
import { shotBoth } from './browser';

const MAPPING = 'systemCsvfileAccounts_managedUser';
const BJENSEN = '"Created By CSV", "bjensen", "bjensen@example.com", "Barbara", "Jensen", "bjensen@example.com", "1234567", "internal/role/openidm-authorized"';
const SCARTER = '"Created By CSV", "scarter", "scarter@example.com", "Steven", "Carter", "scarter@example.com", "1234567", "internal/role/openidm-admin,internal/role/openidm-authorized"';
/** A row whose managed user (same _id, other userName, so it does not correlate) is created before the approval. */
const TAKEN = 'jdoe';

/** Markup in source data is shown as text, never parsed. */
const MARKUP = '<b id=injected>bold</b><img src=x id=injected2>';

/** A row that changes between the request and the approval. */
const CHANGING = 'achange';
const SCARTER_CHANGED = SCARTER.replace('"Created By CSV"', '"Asked again after a change"');
const state = { changingRoles: 'internal/role/openidm-authorized', scarter: SCARTER };
const rows = () => [BJENSEN, state.scarter, csvRow(TAKEN, { firstname: 'John', lastname: 'Doe', description: MARKUP }), csvRow(CHANGING, { roles: state.changingRoles })];

/** A one-task process with no account behind it: its task has no approval. */
const PLAIN_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="plainDefs" targetNamespace="http://reconflow.example/test">
  <bpmn:process id="plainReview" name="Plain review" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Read the notice" camunda:assignee="async.admin"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;

jest.setTimeout(120_000);

/** WCAG contrast ratio of two "rgb(r, g, b)" colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((x) => {
      const v = Number(x) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('approvals in the web UI', () => {
  let project: TestProject;
  let t: TestServer;
  let origin: string;
  let browser: Browser;
  let inbox: Page;
  let admin: Page;
  const problems: string[] = [];
  const taskOf = new Map<string, { _id: string; processInstanceId: string }>();

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    project = makeProject();
    project.writeCsv(rows());
    t = await startTestServer({ projectDir: project.dir });
    origin = t.base.replace(/\/openidm$/, '');
    await createAsyncAdmin(t);
    await reconcile();
    await eventually(async () => {
      const tasks = (await t.call('GET', '/workflow/taskinstance?_queryFilter=true', { headers: ADMIN })).body.result ?? [];
      for (const task of tasks) taskOf.set(task.processVariables.sourceId, task);
      return taskOf.size === 4;
    }, 15_000, 'four approval tasks');
    inbox = await ui.newPage(browser, problems);
    await ui.signIn(inbox, origin, '/ui/', 'async.admin', 'Passw0rd');
    await inbox.locator('[data-testid="task-row"]').nth(3).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    project?.remove();
  });

  async function reconcile() {
    const run = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    expect(run.status).toBe(200);
    await eventually(async () => (await t.call('GET', `/recon/${run.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS', 30_000, 'the recon to succeed');
  }

  async function openTask(sourceId: string) {
    if (await inbox.locator('#task-detail').isVisible()) await inbox.locator('#task-close').click();
    await inbox.locator(`li[data-source-id="${sourceId}"] [data-testid="task-open"]`).click();
    await inbox.locator('#task-detail').waitFor({ state: 'visible' });
    await inbox.locator('#task-requester').filter({ hasText: sourceId }).waitFor();
  }

  /** Every text the decision lines showed, from now on (a MutationObserver in the page). */
  async function recordDecisions(p: Page) {
    await p.evaluate(() => {
      const w = window as unknown as { decisionTexts: string[] };
      w.decisionTexts = [];
      const el = document.getElementById('decision-results')!;
      new MutationObserver(() => {
        el.querySelectorAll('li').forEach((li) => w.decisionTexts.push(`${li.dataset.kind}|${li.textContent}`));
      }).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
    });
    return async () => p.evaluate(() => (window as unknown as { decisionTexts: string[] }).decisionTexts);
  }

  const decisionLine = (sourceId: string) => inbox.locator(`[data-testid="decision-result"][data-task-id="${taskOf.get(sourceId)!._id}"]`);

  it('shows bjensen\'s snapshot: every mapped attribute and her role, exactly as the task read has it', async () => {
    const read = await t.call('GET', `/workflow/taskinstance/${taskOf.get('bjensen')!._id}`, { headers: ASYNC_ADMIN });
    expect(read.body.approval).toMatchObject({
      mapping: MAPPING, sourceId: 'bjensen',
      target: { userName: 'bjensen', givenName: 'Barbara', sn: 'Jensen', mail: 'bjensen@example.com', telephoneNumber: '1234567', description: 'Created By CSV' },
      roles: ['internal/role/openidm-authorized'],
    });
    await openTask('bjensen');
    const panel = inbox.locator('[data-testid="approval-panel"]');
    await panel.waitFor({ state: 'visible' });
    expect(await panel.locator('h3').textContent()).toBe('This is the user that will be created');
    for (const [k, v] of Object.entries(read.body.approval.target as Record<string, unknown>)) {
      if (k === 'authzRoles' || k === 'roles') continue;
      expect([k, await panel.locator(`[data-testid="approval-attr"][data-attr="${k}"]`).textContent()]).toEqual([k, String(v)]);
    }
    const roles = panel.locator('[data-testid="approval-role"]');
    expect(await roles.evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.role, (e as HTMLElement).dataset.admin]))).toEqual([['internal/role/openidm-authorized', 'false']]);
    expect(await panel.locator('[data-testid="admin-warning"]').count()).toBe(0);
    // The badge stands out: text against its background at WCAG AA (4.5:1) or better.
    const [fg, bg] = await roles.first().evaluate((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]);
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
    await shotBoth(inbox, 'inbox-approval-bjensen');
  });

  it('flags the administrator role of a row whose CSV role is openidm-admin', async () => {
    await openTask('scarter');
    const panel = inbox.locator('[data-testid="approval-panel"]');
    await panel.waitFor({ state: 'visible' });
    const admin = panel.locator('[data-testid="approval-role"][data-role="internal/role/openidm-admin"]');
    expect(await admin.getAttribute('data-admin')).toBe('true');
    expect(await admin.locator('[data-testid="admin-flag"]').textContent()).toBe('Administrator');
    expect(await panel.locator('[data-testid="approval-role"][data-role="internal/role/openidm-authorized"]').getAttribute('data-admin')).toBe('false');
    expect(await panel.locator('[data-testid="admin-warning"]').textContent()).toContain('openidm-admin');
    const [fg, bg] = await admin.evaluate((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]);
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
    await shotBoth(inbox, 'inbox-approval-scarter-admin');
  });

  it('shows no snapshot panel for a task whose process creates no account', async () => {
    const deployed = await t.call('POST', '/workflow/processdefinition?resourceName=plainReview.bpmn', { headers: { ...ADMIN, 'Content-Type': 'application/xml' }, raw: PLAIN_BPMN });
    expect(deployed.status).toBe(201);
    const started = await t.call('POST', '/workflow/processinstance?_action=create', { headers: ADMIN, body: { _key: 'plainReview' } });
    expect(started.status).toBe(201);
    const task = (await t.call('GET', `/workflow/taskinstance?_queryFilter=processInstanceId eq "${started.body._id}"`, { headers: ADMIN })).body.result[0];
    expect((await t.call('GET', `/workflow/taskinstance/${task._id}`, { headers: ASYNC_ADMIN })).body.approval).toBeNull();
    await inbox.locator('#task-close').click();
    await inbox.locator('#refresh-tasks').click();
    await inbox.locator(`li[data-task-id="${task._id}"] [data-testid="task-open"]`).click();
    await inbox.locator('#task-detail-title').filter({ hasText: 'Read the notice' }).waitFor();
    expect(await inbox.locator('[data-testid="approval-panel"]').isHidden()).toBe(true);
    await inbox.locator('#task-submit').click();
    await inbox.locator('[data-testid="decision-result"]').filter({ hasText: `Read the notice (task ${task._id}): completed` }).waitFor();
  });

  it('says "denied" for a rejection', async () => {
    await openTask('scarter');
    await inbox.locator('#task-comment').fill('Not with an admin role');
    await inbox.locator('#task-deny').click();
    // Deny asks first.
    await inbox.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await inbox.locator('#confirm-text').textContent()).toContain('Evaluate request for scarter');
    await inbox.locator('#confirm-ok').click();
    await decisionLine('scarter').filter({ hasText: 'Evaluate request for scarter: denied' }).waitFor();
  });

  it('lists the earlier rejection when a changed row is asked about again', async () => {
    state.scarter = SCARTER_CHANGED;
    project.writeCsv(rows());
    await reconcile();
    const again = await eventually(async () => {
      const r = await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId eq "scarter"', { headers: ADMIN });
      return r.body.result?.[0];
    }, 15_000, 'a new task for scarter');
    expect((await t.call('GET', `/workflow/taskinstance/${again._id}`, { headers: ASYNC_ADMIN })).body.approval.earlierDecisions)
      .toMatchObject([{ decision: 'rejected', decidedBy: 'async.admin' }]);
    await inbox.locator('#refresh-tasks').click();
    await openTask('scarter');
    const earlier = inbox.locator('[data-testid="earlier-decision"]');
    expect(await earlier.count()).toBe(1);
    expect(await earlier.getAttribute('data-decision')).toBe('rejected');
    expect(await earlier.textContent()).toMatch(/^rejected by async\.admin on /);
    // A server with approval.earlier (issue 17) also gives the decision's comment and that request's snapshot: the changes since are listed.
    const approval = (await t.call('GET', `/workflow/taskinstance/${again._id}`, { headers: ASYNC_ADMIN })).body.approval;
    if (Array.isArray(approval.earlier)) {
      expect(await earlier.locator('[data-testid="earlier-comment"]').textContent()).toBe('Not with an admin role');
      expect(await earlier.locator('[data-testid="earlier-changes"] li[data-attr="description"]').textContent()).toBe('Description: Created By CSV → Asked again after a change');
    } else {
      expect(await earlier.locator('[data-testid="earlier-changes"]').count()).toBe(0);
    }
    expect(await inbox.locator('[data-testid="approval-attr"][data-attr="description"]').textContent()).toBe('Asked again after a change');
    await shotBoth(inbox, 'inbox-approval-asked-again');
    await inbox.locator('#task-close').click();
  });

  it('shows a row\'s markup as text, and after approving it while its managed user already exists, that the account could not be created, never a success', async () => {
    const existing = await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN, body: { _id: TAKEN, userName: 'jdoe.elsewhere', givenName: 'Jane', sn: 'Other', mail: 'jane.other@example.com' },
    });
    expect(existing.status).toBe(201);
    await openTask(TAKEN);
    expect(await inbox.locator('[data-testid="approval-attr"][data-attr="description"]').textContent()).toBe(MARKUP);
    expect(await inbox.locator('#injected, #injected2').count()).toBe(0);
    const seen = await recordDecisions(inbox);
    await inbox.locator('#task-approve').click();
    const line = decisionLine(TAKEN);
    await line.filter({ hasText: `Evaluate request for ${TAKEN}: approved — the account could not be created: ` }).waitFor({ timeout: 30_000 });
    expect(await line.getAttribute('data-kind')).toBe('error');
    // On the way there it said "creating the account…" or the failure: never a plain "approved" or "created".
    const texts = (await seen()).filter((x) => x.includes(`for ${TAKEN}`));
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text).toMatch(/^(info\|.*: approved — creating the account…|error\|.*: approved — the account could not be created: .+)$/);
    const history = await t.call('GET', `/workflow/processinstance/history/${taskOf.get(TAKEN)!.processInstanceId}`, { headers: ASYNC_ADMIN });
    expect(history.body.approval).toMatchObject({ decision: 'approved', decidedBy: 'async.admin', outcome: 'failed' });
    expect(await line.textContent()).toContain(history.body.approval.outcomeMessage);
    await shotBoth(inbox, 'inbox-outcome-failed');
  });

  it('lists the failure in the admin console\'s Incidents view; Retry answers 200 and the list refreshes', async () => {
    admin = await ui.newPage(browser, problems);
    await ui.signIn(admin, origin, '/admin/', 'openidm-admin', 'openidm-admin');
    await admin.locator('[data-testid="tab-incidents"]').click();
    const instanceId = taskOf.get(TAKEN)!.processInstanceId;
    const row = admin.locator(`[data-testid="incident-row"][data-instance-id="${instanceId}"]`);
    await eventually(async () => {
      await admin.locator('#incidents-refresh').click();
      return (await row.count()) === 1;
    }, 20_000, `an incident for instance ${instanceId}`);
    const rest = (await t.call('GET', '/workflow/incident?_queryFilter=true&_totalPagedResultsPolicy=EXACT', { headers: ADMIN })).body;
    const incident = rest.result.find((i: { processInstanceId: string }) => i.processInstanceId === instanceId);
    expect(incident).toMatchObject({ type: 'failedJob', jobType: 'createUser' });
    expect(await row.locator('[data-testid="incident-cause"]').textContent()).toBe(incident.cause);
    expect(await admin.locator('#tab-incidents').textContent()).toBe(`Incidents (${rest.totalPagedResults})`);
    await shotBoth(admin, 'admin-incidents');

    // The jobs view says what happened to that job: failed or dead with its error, never done.
    await admin.locator('[data-testid="tab-jobs"]').click();
    const job = admin.locator(`[data-testid="job-row"][data-job-id="${incident.jobId}"]`);
    await job.waitFor();
    expect(['dead', 'failed']).toContain(await job.getAttribute('data-state'));
    expect(await job.locator('[data-testid="job-error"]').textContent()).not.toBe('');

    // The instance view shows the decision's outcome from the history.
    await admin.locator('[data-testid="tab-incidents"]').click();
    // The instance link (by its label, which the console keeps across its layouts).
    await row.locator('button[aria-label^="Process instance"]').click();
    await admin.locator('#diagram-meta').filter({ hasText: 'the account could not be created' }).waitFor();
    await admin.locator('#diagram-close, #detail-close').locator('visible=true').click();

    const answered = admin.waitForResponse((r) => r.url().includes(`/workflow/incident/${encodeURIComponent(incident._id)}?_action=retry`));
    const refreshed = answered.then(() => admin.waitForResponse((r) => r.request().method() === 'GET' && /\/workflow\/incident\?/.test(r.url())));
    await row.locator('[data-testid="incident-retry"]').click();
    expect((await answered).status()).toBe(200);
    expect((await refreshed).status()).toBe(200);
    await admin.locator('#incidents-status[data-kind="ok"]').filter({ hasText: `Incident ${incident._id}: retried` }).waitFor();
    // The cause is still there: the retried job fails again and the incident is listed again.
    await eventually(async () => {
      await admin.locator('#incidents-refresh').click();
      return (await row.count()) === 1;
    }, 20_000, 'the incident to come back after a retry that cannot succeed');
  });

  it('once the cause is gone, Retry creates the account and the Incidents view is empty', async () => {
    expect((await t.call('DELETE', `/managed/user/${TAKEN}`, { headers: { ...ADMIN, 'If-Match': '*' } })).status).toBe(200);
    await eventually(async () => {
      await admin.locator('#incidents-refresh').click();
      const retry = admin.locator('[data-testid="incident-retry"]').first();
      if (await retry.count()) await retry.click();
      return (await admin.locator('#incidents-table td.muted').filter({ hasText: 'No incidents' }).count()) === 1;
    }, 30_000, 'an empty Incidents view');
    // The retried job runs after the answer: the user appears, and no incident comes back.
    const user = await eventually(async () => {
      const r = await t.call('GET', `/managed/user/${TAKEN}`, { headers: ADMIN });
      return r.status === 200 ? r.body : null;
    }, 15_000, `managed/user/${TAKEN} to be created`);
    expect(user).toMatchObject({ userName: TAKEN, givenName: 'John' });
    await admin.locator('#incidents-refresh').click();
    await admin.locator('#incidents-table td.muted').filter({ hasText: 'No incidents' }).waitFor();
    await shotBoth(admin, 'admin-incidents-empty');
  });

  it('says "not created … (superseded)" for an approval whose source row changed since the request', async () => {
    await openTask(CHANGING);
    await inbox.locator('[data-testid="approval-role"][data-role="internal/role/openidm-authorized"]').waitFor();
    // The row now asks for an administrator: approving what was shown must not create that.
    state.changingRoles = 'internal/role/openidm-admin';
    project.writeCsv(rows());
    await inbox.locator('#task-approve').click();
    const line = decisionLine(CHANGING);
    await line.filter({ hasText: `Evaluate request for ${CHANGING}: approved — not created: the source row changed since the request (superseded)` }).waitFor({ timeout: 30_000 });
    expect(await line.getAttribute('data-kind')).toBe('warn');
    expect((await t.call('GET', `/managed/user/${CHANGING}`, { headers: ADMIN })).status).toBe(404);
    // The console's jobs view does not call that job plainly "done".
    await admin.locator('[data-testid="tab-jobs"]').click();
    await admin.locator('#jobs-state').selectOption('');
    const job = admin.locator('[data-testid="job-row"]').filter({ hasText: `createUser:${taskOf.get(CHANGING)!.processInstanceId}` });
    await job.waitFor();
    expect(await job.locator('[data-testid="job-state"]').textContent()).toBe('done — superseded: nothing created');
    expect(await job.locator('[data-testid="job-error"]').textContent()).toMatch(/\S/);
  });

  it('approves bjensen: "approved — account created" once the user exists', async () => {
    await openTask('bjensen');
    await inbox.locator('#task-approve').click();
    await decisionLine('bjensen').filter({ hasText: 'Evaluate request for bjensen: approved — account created' }).waitFor({ timeout: 30_000 });
    expect(await decisionLine('bjensen').getAttribute('data-kind')).toBe('ok');
    expect((await t.call('GET', '/managed/user/bjensen', { headers: ADMIN })).body).toMatchObject({ userName: 'bjensen', sn: 'Jensen' });
  });

  it('shows in the console why a recon ended an open request whose row changed (deleteReason)', async () => {
    const open = (await t.call('GET', '/workflow/taskinstance?_queryFilter=processVariables/sourceId eq "scarter"', { headers: ADMIN })).body.result[0];
    state.scarter = SCARTER_CHANGED.replace('"Steven"', '"Steve"');
    project.writeCsv(rows());
    await reconcile();
    const ended = await eventually(async () => {
      const r = await t.call('GET', `/workflow/processinstance/history/${open.processInstanceId}`, { headers: ADMIN });
      return r.body.deleteReason ? r.body : null;
    }, 15_000, 'the open request to be ended');
    expect(ended.deleteReason).toMatch(/^superseded: the source row changed/);
    await admin.locator('[data-testid="tab-instances"]').click();
    await admin.locator('#instances-scope').selectOption('history');
    const row = admin.locator(`[data-testid="instance-row"][data-instance-id="${open.processInstanceId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('canceled');
    await row.locator('[data-testid="instance-open"]').click();
    await admin.locator('#diagram-meta').filter({ hasText: `Ended because${ended.deleteReason}` }).waitFor();
    // The approval it carried is shown, undecided.
    await admin.locator('#diagram-meta').filter({ hasText: 'Decisionnot decided yet' }).waitFor();
    expect(await admin.locator('#diagram-meta [data-testid="approval-role"][data-admin="true"]').getAttribute('data-role')).toBe('internal/role/openidm-admin');
    await shotBoth(admin, 'admin-instance-superseded');
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});

describe('an approval whose account is not created yet', () => {
  let t: TestServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await ui.launchBrowser();
    // No job workers: the createUser job waits until the test runs it.
    t = await startTestServer({ workers: false });
    await t.call('POST', '/managed/user?_action=create', {
      headers: ADMIN,
      body: { userName: 'async.admin', givenName: 'async', sn: 'admin', mail: 'async.admin@example.com', password: 'Passw0rd', authzRoles: [{ _ref: 'internal/role/openidm-authorized' }] },
    });
    const run = await t.call('POST', `/recon?_action=recon&mapping=${MAPPING}`, { headers: ADMIN });
    await eventually(async () => (await t.call('GET', `/recon/${run.body._id}`, { headers: ADMIN })).body.state === 'SUCCESS', 30_000, 'the recon to succeed');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('says "creating the account…" while pending, stops polling after its bound, and shows "created" on Check again once the job ran', async () => {
    const p = await ui.newPage(browser, problems);
    // async.admin is not an administrator here: the history is readable as the decider.
    await ui.signIn(p, t.base.replace(/\/openidm$/, ''), '/ui/', 'async.admin', 'Passw0rd');
    await p.locator('li[data-source-id="bjensen"] [data-testid="task-open"]').click();
    await p.locator('[data-testid="approval-panel"]').waitFor({ state: 'visible' });
    await p.locator('#task-approve').click();
    const line = p.locator('[data-testid="decision-result"]').filter({ hasText: 'for bjensen' });
    await line.filter({ hasText: 'Evaluate request for bjensen: approved — creating the account…' }).waitFor();
    expect(await line.getAttribute('data-kind')).toBe('info');
    // The polls are bounded (about 16 s): then a "Check again" button, and still no success claimed.
    const started = Date.now();
    await line.locator('[data-testid="decision-recheck"]').waitFor({ timeout: 30_000 });
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(await line.textContent()).toBe('Evaluate request for bjensen: approved — creating the account… Check again');
    expect(await t.services.worker.runOne()).toBe(true);
    await line.locator('[data-testid="decision-recheck"]').click();
    await line.filter({ hasText: 'Evaluate request for bjensen: approved — account created' }).waitFor();
    expect(await line.getAttribute('data-kind')).toBe('ok');
    expect(await line.locator('[data-testid="decision-recheck"]').count()).toBe(0);
    await p.context().close();
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
