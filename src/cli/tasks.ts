// `reconflow tasks [--assignee NAME]`: the open user tasks a running server shows the caller
// (GET /openidm/workflow/taskinstance; an administrator sees every task).
import { Command } from 'commander';
import { addServerOptions, Client, EXIT, ServerOptions, table, usageError } from './common';

interface TaskView {
  _id: string;
  name: string | null;
  assignee: string | null;
  processInstanceId: string;
  processDefinitionId: string;
  createTime: string;
  dueDate: string | null;
}

/** A CREST string literal: the value in double quotes with \ and " escaped. */
const literal = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export async function tasks(opts: ServerOptions & { assignee?: string; unassigned?: boolean; json?: boolean; limit?: string }): Promise<number> {
  if (opts.assignee !== undefined && opts.unassigned) throw usageError('--assignee and --unassigned exclude each other');
  if (opts.assignee === '') throw usageError('--assignee takes a user name');
  const limit = opts.limit ?? '100';
  if (!/^[1-9]\d{0,5}$/.test(limit)) throw usageError(`--limit takes a positive number, got "${limit}"`);
  const filter = opts.assignee !== undefined ? `assignee eq ${literal(opts.assignee)}` : opts.unassigned ? '!(assignee pr)' : 'true';
  const client = new Client(opts);
  const { body } = await client.call('GET', `/workflow/taskinstance?_queryFilter=${encodeURIComponent(filter)}&_pageSize=${limit}`);
  const rows = body.result as TaskView[];
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return EXIT.OK;
  }
  if (!rows.length) {
    console.log(opts.assignee !== undefined ? `no open tasks assigned to ${opts.assignee}` : 'no open tasks');
    return EXIT.OK;
  }
  console.log(
    table(
      ['ID', 'NAME', 'ASSIGNEE', 'INSTANCE', 'DEFINITION', 'CREATED'],
      rows.map((t) => [t._id, t.name ?? '', t.assignee ?? '-', t.processInstanceId, t.processDefinitionId, t.createTime]),
    ),
  );
  if (body.pagedResultsCookie) console.log(`(first ${rows.length} tasks; --limit shows more)`);
  return EXIT.OK;
}

export function registerTasks(program: Command): void {
  addServerOptions(
    program
      .command('tasks')
      .description('list open user tasks of a running server (those the --user may work on; all of them for an administrator)')
      .option('--assignee <name>', 'only tasks assigned to this user')
      .option('--unassigned', 'only tasks assigned to nobody')
      .option('--limit <n>', 'at most this many rows (default 100)')
      .option('--json', 'print the tasks as JSON'),
  ).action(async (opts) => {
    process.exitCode = await tasks(opts);
  });
}
