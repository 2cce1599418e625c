// The conformance suite (issue 15): public BPMN files this project did not write, each driven as
// its source project's test drives it, on the real durable runtime (a restart after every step),
// on SQLite or on PostgreSQL (DATABASE_URL=postgres://…). A case listed in pending.ts must still
// fail (with the capability it waits for): when a slice makes it pass, remove it from there.
import fs from 'node:fs';
import path from 'node:path';
import { CASES } from './cases';
import { isRefusal } from './cases/types';
import { CaseDatabases, FILES_DIR, KitDriver } from './driver';
import { PENDING } from './pending';
import { runCase, type CaseResult } from './run';
import { MAIN_TABLE, NOT_COVERED, tableRows } from './mainTable';
import { render, replaceSection, sectionOf, suiteFiles, summarize } from './summary';

jest.setTimeout(120_000);

const DOCS = path.join(__dirname, '../../docs/modeling.md');
const results = new Map<string, CaseResult>();
let dbs: CaseDatabases;
beforeAll(async () => {
  dbs = await CaseDatabases.open();
});
afterAll(() => dbs.close());

describe('conformance cases', () => {
  for (const c of CASES) {
    it(`${c.id}${PENDING[c.id] ? ' (pending: ' + PENDING[c.id] + ')' : ''}`, async () => {
      const d = await KitDriver.create(dbs, c.now ?? '2030-01-01T00:00:00Z');
      let r: CaseResult;
      try {
        r = await runCase(d, c);
      } finally {
        await d.close();
      }
      results.set(c.id, r);
      if (process.env.CONFORMANCE_REPORT) process.stdout.write(`${JSON.stringify(r)}\n`);
      if (PENDING[c.id]) {
        if (r.passed) throw new Error(`${c.id} passes now: remove it from test/conformance/pending.ts (and regenerate the docs summary)`);
      } else if (!r.passed) {
        throw new Error(`${c.id} does not conform: ${r.failure}`);
      }
    });
  }
});

describe('the suite itself', () => {
  it('has at least 40 public files, each used by a case and listed in SOURCES.md with its licence', () => {
    const files = suiteFiles();
    expect(files.length).toBeGreaterThanOrEqual(40);
    const used = new Set(CASES.flatMap((c) => [c.file, ...(c.alsoDeploy ?? [])]));
    expect(files.filter((f) => !used.has(f))).toEqual([]);
    expect([...used].filter((f) => !files.includes(f))).toEqual([]);
    const sources = fs.readFileSync(path.join(__dirname, 'SOURCES.md'), 'utf8');
    expect(files.filter((f) => !sources.includes(`| ${f} |`))).toEqual([]);
    for (const dir of fs.readdirSync(FILES_DIR)) expect(fs.existsSync(path.join(FILES_DIR, dir, 'LICENSE'))).toBe(true);
  });

  it('has unique case ids, each with a basis and covered elements; pending.ts names only cases of the suite', () => {
    const ids = CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CASES) {
      expect(c.basis.length).toBeGreaterThan(10);
      expect(c.covers.length).toBeGreaterThan(0);
      if (!isRefusal(c)) expect(c.steps.length).toBeGreaterThan(0);
    }
    expect(Object.keys(PENDING).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it("docs/modeling.md's conformance summary is the one this run produces (supported ⇔ covered by a passing case)", () => {
    if (results.size !== CASES.length) return; // a filtered run (-t) cannot judge the summary
    const doc = fs.readFileSync(DOCS, 'utf8');
    const expected = render(CASES, results);
    if (process.env.UPDATE_CONFORMANCE_DOCS) fs.writeFileSync(DOCS, replaceSection(doc, expected));
    else expect(sectionOf(doc)).toBe(expected);
  });

  it("docs/modeling.md's main element table claims only what passing cases cover (mainTable.ts maps each row to element keys)", () => {
    if (results.size !== CASES.length) return; // a filtered run (-t) cannot judge it
    const rows = tableRows(fs.readFileSync(DOCS, 'utf8'), '## Supported BPMN elements and attributes');
    expect([...rows.keys()].filter((row) => !MAIN_TABLE[row])).toEqual([]); // a new row needs its keys in mainTable.ts
    expect(Object.keys(MAIN_TABLE).filter((row) => !rows.has(row))).toEqual([]);
    const passing = new Set(summarize(CASES, results).filter((s) => s.passing > 0).map((s) => s.key));
    const wrong: string[] = [];
    for (const [row, supported] of rows) {
      const m = MAIN_TABLE[row];
      if ('uncovered' in m) {
        if (!supported.includes(NOT_COVERED)) wrong.push(`${row}: no case covers it, so its "supported" cell must say "${NOT_COVERED}"`);
        continue;
      }
      const missing = m.keys.filter((k) => !passing.has(k));
      if (missing.length) wrong.push(`${row} (${supported}): no passing case covers ${missing.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });
});
