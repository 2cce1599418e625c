// Chromium (playwright-core, the system's browser: never downloaded) for the UI tests: launch,
// pages that record script errors and CSP violations, sign-in/out by clicking, screenshots.
import fs from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', 'artifacts');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run "apt-get install -y chromium" (CI does) or set CHROMIUM_PATH`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A fresh browser context (its own cookies) whose script errors and CSP violations go to `problems`. */
export async function newPage(browser: Browser, problems: string[], viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  return p;
}

export async function signIn(p: Page, origin: string, where: '/ui/' | '/admin/', user: string, password: string) {
  await p.goto(origin + where);
  await p.locator('#signin-section').waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
    throw new Error(`The sign-in form of ${where} did not appear. If GET /openidm/authentication answers 401 with `
      + '"WWW-Authenticate: Basic", the browser waits on its own sign-in dialog instead of the page.');
  });
  await p.locator('#signin-username').fill(user);
  await p.locator('#signin-password').fill(password);
  await p.locator('#signin-submit').click();
  await p.locator('#whoami-name').filter({ hasText: user }).waitFor();
}

export async function signOut(p: Page) {
  await p.locator('#sign-out').click();
  await p.locator('#signin-section').waitFor({ state: 'visible' });
}

export const shot = (p: Page, name: string) => p.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

/** Screenshots at a desktop (1280×800) and a phone (390×844) size; the viewport is put back after. */
export async function shotBoth(p: Page, name: string) {
  const was = p.viewportSize();
  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await p.setViewportSize({ width: w, height: hgt });
    await p.screenshot({ path: path.join(ARTIFACTS, `${name}-${w}x${hgt}.png`), fullPage: true });
  }
  if (was) await p.setViewportSize(was);
}
