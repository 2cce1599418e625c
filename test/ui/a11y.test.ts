// The accessibility helper finds what it should: a page with an unlabeled field and an image
// without alt text fails, the same page mended passes (so a clean view is not a helper that cannot fail).
import { Browser } from 'playwright-core';
import { axeViolations } from './a11y';
import * as ui from './browser';

jest.setTimeout(60_000);

describe('axe-core helper', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await ui.launchBrowser(); });
  afterAll(async () => { await browser?.close(); });

  it('reports serious violations and passes a mended page', async () => {
    const p = await ui.newPage(browser, []);
    await p.setContent('<html lang="en"><head><title>t</title></head><body><main><h1>x</h1><input type="text"><img src="data:,"></main></body></html>');
    const bad = await axeViolations(p);
    expect(bad.map((v) => v.id).sort()).toEqual(expect.arrayContaining(['image-alt', 'label']));
    await p.setContent('<html lang="en"><head><title>t</title></head><body><main><h1>x</h1><label>Name <input type="text"></label><img src="data:," alt="logo"></main></body></html>');
    expect(await axeViolations(p)).toEqual([]);
    await p.context().close();
  });
});
