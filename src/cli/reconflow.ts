#!/usr/bin/env node
// The `reconflow` bin (package.json "bin"): one subcommand per file beside this one. Local commands
// (start, migrate, lint, config) act on a project folder; recon, deploy, jobs and tasks call a
// running server's REST API. Each module loads what it needs when it runs, so --help stays fast.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../config/project';
import { addProjectOption, CliError, EXIT, EXIT_CODES_HELP } from './common';
import { registerConfig } from './config';
import { registerDeploy } from './deploy';
import { registerJobs } from './jobs';
import { registerLint } from './lint';
import { registerRecon } from './recon';
import { registerTasks } from './tasks';

export function program(): Command {
  const p = new Command('reconflow')
    .description('Asynchronous reconciliation with BPMN approvals, speaking OpenIDM\'s REST API')
    .version((JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Server commands (recon, deploy, jobs, tasks) take --url (RECONFLOW_URL, default
http://127.0.0.1:8080; the server root or its /openidm), --user (RECONFLOW_USER, default
openidm-admin) and --password (RECONFLOW_PASSWORD, default openidm-admin).

${EXIT_CODES_HELP}

Docs: docs/cli.md`,
    );
  addProjectOption(p.command('start').description('run the server (as npm start) until SIGTERM or Ctrl-C')).action(async (opts: { project?: string }) => {
    const { runtimeOptions } = await import('../config/project');
    const { runServer } = await import('./start');
    await runServer(() => runtimeOptions(opts.project ? ['-p', opts.project] : [], process.env));
  });
  addProjectOption(p.command('migrate').description("bring the repository's tables up to date (DATABASE_URL, DATABASE_SCHEMA) and exit")).action(
    async (opts: { project?: string }) => {
      const { runtimeOptions } = await import('../config/project');
      const { runMigrate } = await import('./migrate');
      await runMigrate(runtimeOptions(opts.project ? ['-p', opts.project] : [], process.env));
    },
  );
  registerRecon(p);
  registerDeploy(p);
  registerLint(p);
  registerJobs(p);
  registerTasks(p);
  registerConfig(p);
  return p;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, `help <command>` and --version end here with exitCode 0; a missing command (the help
      // on stderr) and every other commander error are usage errors.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof CliError) {
      console.error(`reconflow: ${e.message}`);
      return e.code;
    }
    console.error(`reconflow: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.FAILED;
  }
}

if (require.main === module) {
  // `reconflow jobs | head`: a reader that closed the pipe is not an error of the command.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
