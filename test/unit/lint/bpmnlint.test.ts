// bpmnlint (the rules of .bpmnlintrc: bpmnlint:recommended) over every shipped process file and the
// documented examples: any problem, error or warning, fails the test with one line per problem
// naming the file, the element id and the rule.
//
// The setup is scripts/lint-bpmn.cjs, the same `npm run lint:bpmn` runs: it links each sequence
// flow to its source's outgoing and its target's incoming before the rules run, so files from
// Activiti/Flowable/OpenIDM designers (which write no <incoming>/<outgoing>) are not "disconnected"
// (issue 15, deliverable 8); real files of both are checked below. bpmnlint 11 is CommonJS but
// requires ESM-only dependencies (min-dash 5): plain Node 20.19+ loads them, jest's CommonJS module
// runtime cannot ("Unexpected token 'export'"), so the linting runs in a child Node process.
import { spawnSync } from 'node:child_process';
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

const LINT = path.join(ROOT, 'scripts/lint-bpmn.cjs');

function lint(...files: string[]): Problem[] {
  return lintWith([], ...files);
}

/** The stock rules on the tree as parsed, without linking flows: what `npx bpmnlint` reports. */
function lintRaw(...files: string[]): Problem[] {
  return lintWith(['--raw'], ...files);
}

function lintWith(flags: string[], ...files: string[]): Problem[] {
  const run = spawnSync(process.execPath, [LINT, '--json', ...flags, '--config', RC, ...files.map((f) => path.relative(ROOT, f))], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`lint-bpmn failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Problem[];
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

  it('npm run lint:bpmn runs this setup: one line per problem, exit 1; clean files print nothing and exit 0', () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['lint:bpmn']).toBe('node scripts/lint-bpmn.cjs processes docs/examples');
    const bad = spawnSync(process.execPath, [LINT, 'test/fixtures/lint/unlabeled-task.bpmn'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: bad.status, stdout: bad.stdout }).toEqual({
      status: 1,
      stdout: 'test/fixtures/lint/unlabeled-task.bpmn: unnamedReview: error label-required: Element is missing label/name (name)\n\n1 problem(s) in 1 of 1 file(s)\n',
    });
    const good = spawnSync(process.execPath, [LINT, 'processes', 'docs/examples'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: good.status, stdout: good.stdout }).toEqual({ status: 0, stdout: '' });
  });

  it('the stock bpmnlint CLI agrees on files that list their flows (what `npx bpmnlint` shows a modeler)', () => {
    const cli = path.join(ROOT, 'node_modules/bpmnlint/bin/bpmnlint.js');
    const bad = spawnSync(process.execPath, [cli, 'test/fixtures/lint/unlabeled-task.bpmn'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^\s*unnamedReview\s+error\s+Element is missing label\/name\s+label-required\s*$/m);
    const good = spawnSync(process.execPath, [cli, '--max-warnings=0', ...linted.map((f) => path.relative(ROOT, f))], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect({ status: good.status, stdout: good.stdout.trim() }).toEqual({ status: 0, stdout: '' });
  });
});

describe('bpmnlint on real Activiti and Flowable files (no <incoming>/<outgoing>; test/fixtures/lint/real/SOURCES.md)', () => {
  const REAL = path.join(ROOT, 'test/fixtures/lint/real');
  const activiti = path.join(REAL, 'activiti-testSmallBoxLabels.bpmn20.xml');
  const flowable = path.join(REAL, 'flowable-Expense_process.bpmn20.xml');
  const FLOW_RULES = ['no-disconnected', 'no-implicit-start', 'no-implicit-end'];

  it.each([activiti, flowable].map((f) => [path.basename(f), f]))('%s: stock bpmnlint calls its nodes disconnected; the files really write no incoming/outgoing', (_name, file) => {
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/<(\w+:)?(incoming|outgoing)>/);
    const raw = lintRaw(file);
    expect(raw.filter((p) => p.rule === 'no-disconnected').length).toBeGreaterThanOrEqual(3);
  });

  it('an Activiti Designer file is lint-clean', () => {
    expectClean(lint(activiti));
  });

  it('a Flowable KickStart file: only what is really missing (names of its start and end event), nothing about flows', () => {
    expect(lint(flowable).map((p) => [p.elementId, p.rule])).toEqual([
      ['theStart', 'label-required'],
      ['theEnd', 'label-required'],
    ]);
  });

  it('still finds a node without flows in such a file, and a flow-related defect', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-lint-'));
    try {
      const xml = fs.readFileSync(activiti, 'utf8');
      const stray = path.join(dir, 'stray.bpmn20.xml');
      fs.writeFileSync(
        stray,
        xml
          .replace('<endEvent id="endevent1"', '<userTask id="orphan" name="Orphan"></userTask><endEvent id="endevent1"')
          .replace('<bpmndi:BPMNShape bpmnElement="endevent1"', '<bpmndi:BPMNShape bpmnElement="orphan" id="BPMNShape_orphan"><omgdc:Bounds height="50.0" width="105.0" x="241.0" y="200.0"></omgdc:Bounds></bpmndi:BPMNShape><bpmndi:BPMNShape bpmnElement="endevent1"'),
      );
      expect(lint(stray).map((p) => [p.elementId, p.rule]).sort()).toEqual([
        ['orphan', 'no-disconnected'],
        ['orphan', 'no-implicit-end'],
        ['orphan', 'no-implicit-start'],
      ]);
      // A conditional fork with one flow lacking its condition: conditional-flows sees the gateway's linked outgoing flows.
      const fork = path.join(dir, 'fork.bpmn20.xml');
      fs.writeFileSync(
        fork,
        xml
          .replace('<sequenceFlow id="flow1" sourceRef="startevent1" targetRef="usertask1"></sequenceFlow>', '<exclusiveGateway id="gw" name="Which?"></exclusiveGateway><sequenceFlow id="flow1" sourceRef="startevent1" targetRef="gw"></sequenceFlow><sequenceFlow id="flowA" name="Go" sourceRef="gw" targetRef="usertask1"><conditionExpression xsi:type="tFormalExpression">\${go}</conditionExpression></sequenceFlow><sequenceFlow id="flowB" sourceRef="gw" targetRef="skipped"></sequenceFlow><endEvent id="skipped" name="Skipped"></endEvent>')
          .replace('<bpmndi:BPMNShape bpmnElement="endevent1"', '<bpmndi:BPMNShape bpmnElement="gw" id="BPMNShape_gw"><omgdc:Bounds height="40.0" width="40.0" x="120.0" y="97.0"></omgdc:Bounds></bpmndi:BPMNShape><bpmndi:BPMNEdge bpmnElement="flowA" id="BPMNEdge_flowA"><omgdi:waypoint x="160.0" y="117.0"></omgdi:waypoint><omgdi:waypoint x="241.0" y="117.0"></omgdi:waypoint></bpmndi:BPMNEdge><bpmndi:BPMNEdge bpmnElement="flowB" id="BPMNEdge_flowB"><omgdi:waypoint x="140.0" y="137.0"></omgdi:waypoint><omgdi:waypoint x="140.0" y="200.0"></omgdi:waypoint></bpmndi:BPMNEdge><bpmndi:BPMNShape bpmnElement="skipped" id="BPMNShape_skipped"><omgdc:Bounds height="35.0" width="35.0" x="122.0" y="200.0"></omgdc:Bounds></bpmndi:BPMNShape><bpmndi:BPMNShape bpmnElement="endevent1"'),
      );
      expect(lint(fork).map((p) => [p.elementId, p.rule])).toEqual([['flowB', 'conditional-flows']]);
      // Without the linking, stock bpmnlint sees no outgoing flows at the gateway and misses it.
      expect(lintRaw(fork).filter((p) => p.rule === 'conditional-flows')).toEqual([]);
      expect(lintRaw(fork).filter((p) => FLOW_RULES.includes(p.rule)).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
