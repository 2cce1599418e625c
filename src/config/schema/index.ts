// Which conf files have a schema. A file whose name matches an entry is validated against it at
// start-up (before its hand-written checks); later files (sync.json, provisioner.openicf-*.json)
// add an entry here.
import { authenticationSchema } from './authentication';
import { NoEffect, noEffectWarning, Schema, validateConf } from './framework';
import { managedSchema } from './managed';
import { provisionerSchema } from './provisioner';
import { repoSchema } from './repo';
import { syncSchema } from './sync';
import { workflowSchema } from './workflow';

export interface ConfSchemaEntry {
  /** An exact file name, or a pattern for families such as provisioner.openicf-*.json. */
  file: string | RegExp;
  schema: Schema;
}

export const confSchemas: ConfSchemaEntry[] = [
  { file: 'authentication.json', schema: authenticationSchema },
  { file: 'managed.json', schema: managedSchema },
  { file: 'workflow.json', schema: workflowSchema },
  { file: 'repo.json', schema: repoSchema },
  { file: 'sync.json', schema: syncSchema },
  { file: /^provisioner\.openicf-.+\.json$/, schema: provisionerSchema },
];

export function schemaFor(file: string): Schema | undefined {
  return confSchemas.find((e) => (typeof e.file === 'string' ? e.file === file : e.file.test(file)))?.schema;
}

/** Validates each file that has a schema; returns one warning per file listing keys without effect. */
export function validateConfFiles(raw: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  for (const [file, json] of Object.entries(raw)) {
    const schema = schemaFor(file);
    if (!schema) continue;
    const keys: NoEffect[] = validateConf(file, json, schema);
    const w = noEffectWarning(file, keys);
    if (w) warnings.push(w);
  }
  return warnings;
}

export { validateConf, noEffectWarning } from './framework';
export type { NoEffect, Schema } from './framework';
