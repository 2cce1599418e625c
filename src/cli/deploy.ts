// `reconflow deploy <file.bpmn>`: uploads a process file to a running server
// (POST /openidm/workflow/processdefinition, admin): a new version, or the same one when unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addServerOptions, Client, EXIT, ServerOptions, usageError } from './common';

export async function deploy(file: string, opts: ServerOptions): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw usageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const client = new Client(opts);
  // The bytes as they are: the server reads the document's declared encoding (xmlEncoding.ts).
  const { status, body } = await client.call('POST', `/workflow/processdefinition?resourceName=${encodeURIComponent(path.basename(file))}`, {
    body: new Uint8Array(bytes),
    contentType: 'application/xml',
  });
  const what = `${body.key ?? body.name ?? '?'} version ${body.version ?? '?'} (${body._id})`;
  console.log(status === 201 ? `deployed ${what} from ${file}` : `unchanged: ${file} is already ${what}`);
  return EXIT.OK;
}

export function registerDeploy(program: Command): void {
  addServerOptions(
    program
      .command('deploy')
      .description('deploy a BPMN file as a new process definition version on a running server')
      .argument('<file>', 'a .bpmn or .bpmn20.xml file'),
  ).action(async (file: string, opts) => {
    process.exitCode = await deploy(file, opts);
  });
}
