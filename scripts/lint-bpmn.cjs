#!/usr/bin/env node
// bpmnlint for reconflow's process files: `npm run lint:bpmn` and the lint test (test/unit/lint) run
// this one setup. The rules are .bpmnlintrc's; what differs from the stock `bpmnlint` CLI is one
// normalization before the rules run: every sequence flow is added to its source's `outgoing` and
// its target's `incoming` when the file does not list it there. BPMN makes those lists optional
// (sourceRef/targetRef are what engines read), and Activiti/Flowable/OpenIDM designers do not write
// them, so stock bpmnlint calls every node of their files "disconnected" (no-disconnected,
// no-implicit-start/-end, …). A node without any flow is still reported: only flows that exist are
// linked.
//
// Usage: node scripts/lint-bpmn.cjs [--json] [--raw] [--config .bpmnlintrc] <file or folder>…
//   a folder stands for its *.bpmn and *.bpmn20.xml files; --json prints
//   [{ file, rule, elementId, category, message }]; --raw skips the normalization (for comparison).
// Exit code: 0 clean, 1 any problem (error or warning), 2 the linter itself failed.
//
// bpmnlint 11 is CommonJS but requires ESM-only packages (min-dash 5), which plain Node 20.19+
// loads and jest's CommonJS runtime cannot: the jest test runs this file in a child process.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
// The engine's own bpmn-moddle (9, CommonJS) with the camunda descriptor: the tree the engine parses.
const BpmnModdle = require(require.resolve('bpmn-moddle', { paths: [path.dirname(require.resolve('bpmn-engine'))] }));
const camunda = require('camunda-bpmn-moddle/resources/camunda.json');

const isProcessFile = (f) => f.endsWith('.bpmn') || f.endsWith('.bpmn20.xml');

/** Adds each sequence flow to its source's outgoing and its target's incoming, at any depth. */
function linkSequenceFlows(definitions) {
  const visit = (container) => {
    for (const el of container.flowElements || []) {
      if (el.$instanceOf('bpmn:SequenceFlow')) {
        if (el.sourceRef && !el.sourceRef.get('outgoing').includes(el)) el.sourceRef.get('outgoing').push(el);
        if (el.targetRef && !el.targetRef.get('incoming').includes(el)) el.targetRef.get('incoming').push(el);
      }
      if (el.flowElements) visit(el);
    }
  };
  for (const root of definitions.rootElements || []) if (root.flowElements) visit(root);
}

function expand(args) {
  const files = [];
  for (const arg of args) {
    if (fs.existsSync(arg) && fs.statSync(arg).isDirectory()) {
      files.push(...fs.readdirSync(arg).filter(isProcessFile).sort().map((f) => path.join(arg, f)));
    } else files.push(arg);
  }
  return files;
}

async function lintFiles(files, { config, raw = false }) {
  const problems = [];
  for (const file of files) {
    // One linter per file: some rules (no-duplicate-sequence-flows) keep what they saw between lint() calls.
    const linter = new Linter({ config, resolver: new NodeResolver() });
    const moddle = new BpmnModdle({ camunda });
    let parsed;
    try {
      parsed = await moddle.fromXML(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push({ file, rule: 'parse', elementId: '-', category: 'error', message: String(err.message).split('\n').join(' ') });
      continue;
    }
    for (const w of parsed.warnings) {
      problems.push({ file, rule: 'parse', elementId: (w.element && w.element.id) || '-', category: 'error', message: String(w.message).split('\n')[0] });
    }
    if (!raw) linkSequenceFlows(parsed.rootElement);
    const results = await linter.lint(parsed.rootElement);
    for (const [rule, reports] of Object.entries(results)) {
      for (const r of reports) {
        const where = r.path && r.path.length ? ` (${r.path.join('.')})` : '';
        problems.push({ file, rule, elementId: r.id || '-', category: r.category, message: `${r.message}${where}` });
      }
    }
  }
  return problems;
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const json = flag('--json');
  const raw = flag('--raw');
  let rcFile = '.bpmnlintrc';
  const c = args.indexOf('--config');
  if (c >= 0) rcFile = args.splice(c, 2)[1];
  const files = expand(args);
  if (!files.length) throw new Error('no BPMN files given');
  const problems = await lintFiles(files, { config: JSON.parse(fs.readFileSync(rcFile, 'utf8')), raw });
  if (json) process.stdout.write(JSON.stringify(problems));
  else {
    for (const p of problems) process.stdout.write(`${p.file}: ${p.elementId}: ${p.category} ${p.rule}: ${p.message}\n`);
    process.stdout.write(problems.length ? `\n${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} of ${files.length} file(s)\n` : '');
  }
  process.exitCode = problems.length ? 1 : 0;
}

// Also the code of `reconflow lint` (src/cli/lint.ts).
module.exports = { linkSequenceFlows, lintFiles, expandPaths: expand };

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  });
}
