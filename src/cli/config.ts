// `reconflow config get [name] [key]` and `reconflow config validate`: the project's conf/*.json,
// read locally (no server). validate runs the checks start-up runs (loadProjectConfig with the
// validators the server registers in src/wiring.ts), so a file it accepts does not stop a start.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addProjectOption, CliError, EXIT, projectDirOf, usageError } from './common';

// password, adminPassword, clientSecret…; not passwordPolicy or passwordHashing (settings, not secrets).
const SECRET = /(password|secret|credentials?)$/i;

/** The conf with the values of password-like keys hidden (the file itself has them). */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET.test(k) && typeof x === 'string' ? '(hidden)' : redact(x)]));
  }
  return v;
}

/** `sync`, `sync.json` and `conf/sync.json` name the same file. */
const fileName = (name: string) => path.basename(name).replace(/(\.json)?$/, '.json');

/** a.b[0].c or a.b.0.c */
function pick(json: unknown, key: string, file: string): unknown {
  let v: unknown = json;
  for (const part of key.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) throw new CliError(EXIT.FAILED, `conf/${file}: no key ${key}`);
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export async function configGet(name: string | undefined, key: string | undefined, opts: { project?: string }): Promise<number> {
  const dir = path.join(await projectDirOf(opts), 'conf');
  if (!fs.existsSync(dir)) throw usageError(`no conf/ folder in ${path.dirname(dir)}`);
  if (!name) {
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) console.log(f);
    return EXIT.OK;
  }
  const file = fileName(name);
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) throw usageError(`no conf/${file} in ${path.dirname(dir)} (reconflow config get lists the files)`);
  const { ConfigError, readJsonFile } = await import('../config/conf');
  let json: unknown;
  try {
    json = readJsonFile(full);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(EXIT.FAILED, `conf/${e.message}`);
    throw e;
  }
  const value = redact(key ? pick(json, key, file) : json);
  console.log(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return EXIT.OK;
}

/**
 * What start-up does with the conf after loading it, before it touches the repository
 * (src/wiring.ts buildServices): each mapping compiled (its scripts' syntax, its correlation), the
 * ask-again options read, each connector loaded with the project folder. A failure names its file.
 */
async function compileLikeStart(raw: Record<string, unknown>, projectDir: string): Promise<void> {
  const { ConfigError } = await import('../config/conf');
  const { compileMapping, validateSyncConfig } = await import('../recon/mapping');
  const { askAgainOptions } = await import('../approval/askAgain');
  const { approvedActions } = await import('../approval/approvedAction');
  const { loadCsvConnectorConfig } = await import('../recon/connector');
  const check = (file: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw e instanceof ConfigError ? e : new ConfigError(file, (e as Error).message);
    }
  };
  check('sync.json', () => {
    validateSyncConfig(raw['sync.json'] ?? { mappings: [] }).forEach((m) => compileMapping(m));
    askAgainOptions(raw['sync.json']);
    approvedActions(raw['sync.json']);
  });
  for (const [file, json] of Object.entries(raw)) {
    if (/^provisioner\.openicf-(.+)\.json$/.test(file)) check(file, () => void loadCsvConnectorConfig(json, projectDir));
  }
}

export async function configValidate(opts: { project?: string }): Promise<number> {
  const projectDir = await projectDirOf(opts);
  const { ConfigError, loadProjectConfig } = await import('../config/conf');
  const { defaultHooks } = await import('../wiring');
  try {
    const config = loadProjectConfig(projectDir, defaultHooks().validators);
    await compileLikeStart(config.raw, projectDir);
    console.log(`${path.join(projectDir, 'conf')}: ${Object.keys(config.raw).length} file(s) valid (${Object.keys(config.raw).join(', ')})`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof ConfigError) {
      // ConfigError's message is "<file>: <key> <problem>"; the missing folder is file "conf".
      const where = e.file === 'conf' ? projectDir : path.join(projectDir, 'conf', e.file);
      throw new CliError(EXIT.FAILED, `invalid configuration: ${where}: ${e.message.slice(e.file.length + 2)}`);
    }
    throw e;
  }
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description("the project's conf/*.json, read locally (no server needed)");
  addProjectOption(
    config
      .command('get')
      .description('list the conf files, print one (password-like values hidden), or one key of it')
      .argument('[name]', 'a conf file: sync, sync.json or conf/sync.json')
      .argument('[key]', 'a key path in it, e.g. mappings[0].name or loginRateLimit.maxFailures'),
  ).action(async (name: string | undefined, key: string | undefined, opts) => {
    process.exitCode = await configGet(name, key, opts);
  });
  addProjectOption(
    config.command('validate').description('run the validation start-up runs on every conf/*.json; exit 1 naming the file and key at fault'),
  ).action(async (opts) => {
    process.exitCode = await configValidate(opts);
  });
}
