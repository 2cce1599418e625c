// Lints BPMN files with bpmnlint's API and prints the problems as JSON: [{ file, rule, elementId,
// category, message }]. A child process of test/unit/lint/bpmnlint.test.ts: bpmnlint 11 is CommonJS
// but requires ESM-only packages (min-dash 5), which plain Node 20.19+ loads and jest's CommonJS
// runtime cannot. Usage: node lint.cjs <.bpmnlintrc> <file>…
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
// The engine's own bpmn-moddle (9, CommonJS) with the camunda descriptor: the tree the engine parses.
const BpmnModdle = require(require.resolve('bpmn-moddle', { paths: [path.dirname(require.resolve('bpmn-engine'))] }));
const camunda = require('camunda-bpmn-moddle/resources/camunda.json');

async function main() {
  const [rcFile, ...files] = process.argv.slice(2);
  const config = JSON.parse(fs.readFileSync(rcFile, 'utf8'));
  const linter = new Linter({ config, resolver: new NodeResolver() });
  const problems = [];
  for (const file of files) {
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
    const results = await linter.lint(parsed.rootElement);
    for (const [rule, reports] of Object.entries(results)) {
      for (const r of reports) {
        const where = r.path && r.path.length ? ` (${r.path.join('.')})` : '';
        problems.push({ file, rule, elementId: r.id || '-', category: r.category, message: `${r.message}${where}` });
      }
    }
  }
  process.stdout.write(JSON.stringify(problems));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
