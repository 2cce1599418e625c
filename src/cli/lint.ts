// `reconflow lint [files...]`: bpmnlint over process files with reconflow's setup, the very code of
// `npm run lint:bpmn` (scripts/lint-bpmn.cjs: sequence flows linked to their nodes before the rules
// run, so designer files without <incoming>/<outgoing> are not "disconnected"). Without files: the
// project's processes folder (conf/workflow.json processesDir).
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addProjectOption, CliError, EXIT, projectDirOf, usageError } from './common';

interface Problem {
  file: string;
  rule: string;
  elementId: string;
  category: string;
  message: string;
}

interface Linter {
  lintFiles(files: string[], opts: { config: unknown; raw?: boolean }): Promise<Problem[]>;
  expandPaths(args: string[]): string[];
}

async function processesDirOf(projectDir: string): Promise<string> {
  const { readJsonFile, validateWorkflow } = await import('../config/conf');
  const file = path.join(projectDir, 'conf', 'workflow.json');
  const wf = validateWorkflow(fs.existsSync(file) ? readJsonFile(file) : undefined);
  return path.join(projectDir, wf.processesDir);
}

export async function lint(files: string[], opts: { project?: string; json?: boolean; config?: string }): Promise<number> {
  const { packageRoot } = await import('../config/project');
  // scripts/ ships beside dist/ in this package; required at run time so that both entry points run one linter.
  const linter = require(path.join(packageRoot(), 'scripts', 'lint-bpmn.cjs')) as Linter;
  const projectDir = await projectDirOf(opts);
  const args = files.length ? files : [await processesDirOf(projectDir)];
  for (const a of args) if (!fs.existsSync(a)) throw usageError(`no such file or folder: ${a}`);
  const expanded = linter.expandPaths(args);
  if (!expanded.length) throw usageError(`no BPMN files (*.bpmn, *.bpmn20.xml) in ${args.join(', ')}`);
  // The rules: --config, else the project's .bpmnlintrc, else this package's (bpmnlint:recommended).
  const rc = opts.config ?? [path.join(projectDir, '.bpmnlintrc'), path.join(packageRoot(), '.bpmnlintrc')].find((f) => fs.existsSync(f));
  let config: unknown = { extends: 'bpmnlint:recommended' };
  if (rc) {
    try {
      config = JSON.parse(fs.readFileSync(rc, 'utf8'));
    } catch (e) {
      throw usageError(`cannot read the lint rules ${rc}: ${(e as Error).message}`);
    }
  }
  const problems = await linter.lintFiles(expanded, { config });
  if (opts.json) console.log(JSON.stringify(problems));
  else {
    for (const p of problems) console.log(`${p.file}: ${p.elementId}: ${p.category} ${p.rule}: ${p.message}`);
    console.log(problems.length ? `\n${problems.length} problem(s) in ${new Set(problems.map((p) => p.file)).size} of ${expanded.length} file(s)` : `${expanded.length} file(s) lint-clean`);
  }
  if (problems.length) throw new CliError(EXIT.FAILED, `lint: ${problems.length} problem(s)`);
  return EXIT.OK;
}

export function registerLint(program: Command): void {
  addProjectOption(
    program
      .command('lint')
      .description("bpmnlint over BPMN files with reconflow's setup (the same as npm run lint:bpmn); exit 1 on any problem")
      .argument('[files...]', 'files or folders (a folder stands for its *.bpmn and *.bpmn20.xml); default: the project\'s processes folder')
      .option('--json', 'print the problems as JSON: [{file, rule, elementId, category, message}]')
      .option('--config <file>', "the rules (default: the project's .bpmnlintrc, else bpmnlint:recommended)"),
  ).action(async (files: string[], opts) => {
    process.exitCode = await lint(files, opts);
  });
}
