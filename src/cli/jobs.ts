// `reconflow jobs [--dead] [--all] [--retry ID]`: the durable job queue of a running server
// (GET /openidm/jobs, POST /openidm/jobs/{id}?_action=retry; admin).
import { Command } from 'commander';
import { addServerOptions, Client, EXIT, ServerOptions, table, usageError } from './common';

interface JobView {
  _id: string;
  type: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  lastError: string | null;
  key: string;
}

export async function jobs(opts: ServerOptions & { dead?: boolean; all?: boolean; retry?: string; json?: boolean; limit?: string }): Promise<number> {
  const client = new Client(opts);
  if (opts.retry !== undefined) {
    if (opts.dead || opts.all) throw usageError('--retry takes no --dead or --all');
    if (!/^\d{1,15}$/.test(opts.retry)) throw usageError(`--retry takes a job id (a number), got "${opts.retry}"`);
    const { body } = await client.call('POST', `/jobs/${opts.retry}?_action=retry`);
    if (opts.json) console.log(JSON.stringify(body, null, 2));
    else console.log(`job ${body._id} (${body.type}) is ${body.state} again: the worker will run it`);
    return EXIT.OK;
  }
  const limit = opts.limit ?? '100';
  if (!/^[1-9]\d{0,5}$/.test(limit)) throw usageError(`--limit takes a positive number, got "${limit}"`);
  const filter = opts.dead ? 'state eq "dead"' : opts.all ? 'true' : '!(state eq "done")';
  const { body } = await client.call('GET', `/jobs?_queryFilter=${encodeURIComponent(filter)}&_pageSize=${limit}`);
  const rows = body.result as JobView[];
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return EXIT.OK;
  }
  const what = opts.dead ? 'dead jobs' : opts.all ? 'jobs' : 'jobs not done';
  if (!rows.length) {
    console.log(`no ${what}`);
    return EXIT.OK;
  }
  console.log(table(['ID', 'TYPE', 'STATE', 'ATTEMPTS', 'RUN AT', 'LAST ERROR'], rows.map((j) => [j._id, j.type, j.state, `${j.attempts}/${j.maxAttempts}`, j.runAt, j.lastError ?? ''])));
  if (body.pagedResultsCookie) console.log(`(first ${rows.length} ${what}; --limit shows more)`);
  return EXIT.OK;
}

export function registerJobs(program: Command): void {
  addServerOptions(
    program
      .command('jobs')
      .description('list the jobs of a running server that are not done (queued, running, dead), or retry a dead one')
      .option('--dead', 'only dead jobs (out of attempts, or failed for good)')
      .option('--all', 'every job, done ones too')
      .option('--retry <id>', 'queue a dead job again')
      .option('--limit <n>', 'at most this many rows (default 100)')
      .option('--json', 'print the jobs as JSON'),
  ).action(async (opts) => {
    process.exitCode = await jobs(opts);
  });
}
