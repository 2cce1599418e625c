// bpmnlint (the rules of .bpmnlintrc: bpmnlint:recommended) over every shipped process file and the
// documented examples: any problem, error or warning, fails the test with one line per problem
// naming the file, the element id and the rule.
//
// bpmnlint 11 is CommonJS but requires ESM-only dependencies (min-dash 5): plain Node 20.19+ loads
// them, jest's CommonJS module runtime cannot ("Unexpected token 'export'"). So the linting runs in
// a child Node process: lint.cjs (bpmnlint's Linter API, JSON out), and the bpmnlint CLI itself
// for the check a modeler runs by hand (`npx bpmnlint processes/*.bpmn`).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDefinition } from '../../../src/workflow/engine';

const ROOT = path.resolve(__dirname, '../../..');
const RC = path.join(ROOT, '.bpmnlintrc');

interface Problem {
  file: string;
  rule: string;
  elementId: string;
  category: string;
  message: string;
}

function lint(...files: string[]): Problem[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'lint.cjs'), RC, ...files.map((f) => path.relative(ROOT, f))], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as Problem[];
}

function format(problems: Problem[]): string {
  return problems.map((p) => `${p.file}: ${p.elementId}: ${p.category} ${p.rule}: ${p.message}`).join('\n');
}

/** Fails with one line per problem. */
function expectClean(problems: Problem[]): void {
  if (problems.length) throw new Error(`bpmnlint found ${problems.length} problem(s):\n${format(problems)}`);
}

const filesIn = (dir: string, test: (f: string) => boolean) =>
  fs.existsSync(path.join(ROOT, dir)) ? fs.readdirSync(path.join(ROOT, dir)).filter(test).sort().map((f) => path.join(ROOT, dir, f)) : [];
const linted = [
  ...filesIn('processes', (f) => f.endsWith('.bpmn') || f.endsWith('.bpmn20.xml')),
  ...filesIn('docs/examples', (f) => f.endsWith('.bpmn')),
];

describe('bpmnlint', () => {
  it('uses bpmnlint:recommended from .bpmnlintrc', () => {
    expect(JSON.parse(fs.readFileSync(RC, 'utf8'))).toEqual({ extends: 'bpmnlint:recommended' });
    expect(linted.map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining([path.join('processes', 'managedUserApproval.bpmn')]));
  });

  it.each(linted.map((f) => [path.relative(ROOT, f), f]))('%s is lint-clean', (_name, file) => {
    expectClean(lint(file));
  });

  it('reports a broken rule with the element id (fixture: a user task without a name)', async () => {
    const file = path.join(ROOT, 'test/fixtures/lint/unlabeled-task.bpmn');
    // The engine deploys it: lint catches what the parser accepts.
    await expect(parseDefinition(fs.readFileSync(file, 'utf8'))).resolves.toMatchObject({ key: 'unlabeledTask' });
    const problems = lint(file);
    expect(problems).toEqual([
      { file: 'test/fixtures/lint/unlabeled-task.bpmn', rule: 'label-required', elementId: 'unnamedReview', category: 'error', message: 'Element is missing label/name (name)' },
    ]);
    expect(() => expectClean(problems)).toThrow(
      'bpmnlint found 1 problem(s):\ntest/fixtures/lint/unlabeled-task.bpmn: unnamedReview: error label-required: Element is missing label/name (name)',
    );
  });

  it('names each element of several problems: a disconnected task without a diagram shape', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-lint-'));
    try {
      const file = path.join(dir, 'stray.bpmn');
      const xml = fs.readFileSync(path.join(ROOT, 'processes/managedUserApproval.bpmn'), 'utf8');
      fs.writeFileSync(file, xml.replace('<bpmn:endEvent id="rejected"', '<bpmn:task id="strayTask" name="Stray" /><bpmn:endEvent id="rejected"'));
      const problems = lint(file);
      expect(problems.map((p) => [p.elementId, p.rule]).sort()).toEqual([
        ['strayTask', 'no-bpmndi'],
        ['strayTask', 'no-disconnected'],
        ['strayTask', 'no-implicit-end'],
        ['strayTask', 'no-implicit-start'],
      ]);
      expect(format(problems)).toMatch(/stray\.bpmn: strayTask: error no-disconnected: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bpmnlint CLI agrees (what `npx bpmnlint <file>` shows a modeler)', () => {
    const cli = path.join(ROOT, 'node_modules/bpmnlint/bin/bpmnlint.js');
    const bad = spawnSync(process.execPath, [cli, 'test/fixtures/lint/unlabeled-task.bpmn'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^\s*unnamedReview\s+error\s+Element is missing label\/name\s+label-required\s*$/m);
    const good = spawnSync(process.execPath, [cli, '--max-warnings=0', ...linted.map((f) => path.relative(ROOT, f))], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect({ status: good.status, stdout: good.stdout.trim() }).toEqual({ status: 0, stdout: '' });
  });
});
