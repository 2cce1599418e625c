// The admin console lists the schedules (Jobs tab) with their next fire time and their last run.
import fs from 'node:fs';
import path from 'node:path';
import { Browser } from 'playwright-core';
import { makeProject, TestProject } from '../helpers/project';
import { ADMIN, startTestServer, TestServer } from '../helpers/server';
import * as ui from './browser';

// Servers (and the browser) start slowly on a loaded machine; nothing here is timed.
jest.setTimeout(120_000);

describe('schedules in the admin console', () => {
  let project: TestProject;
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    project = makeProject();
    fs.writeFileSync(path.join(project.dir, 'conf', 'schedule-nightly.json'), JSON.stringify({
      type: 'cron', schedule: '0 0 2 * * ?', invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: 'systemCsvfileAccounts_managedUser' },
    }));
    t = await startTestServer({ projectDir: project.dir, workers: false });
    browser = await ui.launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    project?.remove();
  });

  it('shows each schedule with what it invokes, its next fire time and its last run', async () => {
    expect((await t.call('PUT', '/scheduler/job/hello', { headers: ADMIN, body: { type: 'cron', schedule: '* * * * * ?', invokeService: 'script', invokeContext: { script: { type: 'text/javascript', source: '42' } } } })).status).toBe(201);
    // One pass of the scheduler over a due time of a second ago (the server runs no loop: workers off).
    const row = await t.db.knex('schedule').where({ id: 'hello' }).first();
    await t.db.knex('schedule').where({ id: 'hello' }).update({ next_fire_time: Number(row.next_fire_time) - 2000 });
    await t.services.scheduler.tick();
    const problems: string[] = [];
    const p = await ui.newPage(browser, problems);
    await ui.signIn(p, t.base.replace(/\/openidm$/, ''), '/admin/', 'openidm-admin', 'openidm-admin');
    await p.locator('[data-testid="tab-jobs"]').click();
    const hello = p.locator('[data-testid="schedule-row"][data-schedule-id="hello"]');
    await hello.waitFor();
    // The fire's outcome as recorded (succeeded; failed only if a loaded machine held the script past 250 ms).
    const { lastRun } = (await t.call('GET', '/scheduler/job/hello', { headers: ADMIN })).body;
    expect(['succeeded', 'failed']).toContain(lastRun.status);
    await expect(hello.locator('[data-testid="schedule-last"]').textContent()).resolves.toContain(`: ${lastRun.status}`);
    await expect(hello.locator('[data-testid="schedule-next"]').textContent()).resolves.not.toMatch(/disabled|none/);
    const nightly = p.locator('[data-testid="schedule-row"][data-schedule-id="nightly"]');
    await expect(nightly.textContent()).resolves.toContain('reconcile systemCsvfileAccounts_managedUser');
    await expect(nightly.locator('[data-testid="schedule-last"]').textContent()).resolves.toBe('never');
    await ui.shot(p, 'admin-schedules.png');
    expect(problems).toEqual([]);
  });
});
