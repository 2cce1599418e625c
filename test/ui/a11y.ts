// Accessibility checks for the Chromium UI tests: Deque's axe-core run inside the page.
// The page's CSP allows no inline or foreign script, so axe's source is evaluated through the
// DevTools protocol (page.evaluate), which a CSP does not govern; nothing is added to the page's DOM.
import fs from 'node:fs';
import { Page } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** The serious and critical violations axe finds in the page (or in `include`, a CSS selector). */
export async function axeViolations(p: Page, include?: string): Promise<AxeViolation[]> {
  const loaded = await p.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await p.evaluate(AXE_SOURCE);
  const result = await p.evaluate(async (sel) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(sel ? { include: [sel] } : document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  }, include ?? null);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails naming the view, each rule, its help text and up to five offending elements. */
export async function expectAccessible(p: Page, view: string, include?: string): Promise<void> {
  const found = await axeViolations(p, include);
  if (found.length) {
    throw new Error(`axe-core: ${found.length} serious or critical violation(s) in ${view}:\n`
      + found.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n'));
  }
}
