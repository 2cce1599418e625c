// Loads and validates conf/*.json. A bad file stops start-up with its name and the field at fault.
import fs from 'node:fs';
import path from 'node:path';
import { AuthModulesConfig, readAuthModules, RECONFLOW_MODULES } from './idmAuthentication';
import { PropertyResolver } from './properties';
import { RepoConfig, validateRepo } from './repo';
import { validateConfFiles } from './schema';

export class ConfigError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface ManagedPropertySchema {
  /** IDM's JSON-schema types, plus "relationship"; an array lists the types allowed. */
  type?: string | string[];
  default?: unknown;
  /** true: reconflow's form (this property is required); an array: required sub-properties (IDM). */
  required?: boolean | string[];
  nullable?: boolean;
  searchable?: boolean;
  encryption?: string | Record<string, unknown>;
  secureHash?: Record<string, unknown>;
  scope?: string;
  returnByDefault?: boolean;
  policies?: { policyId: string; params?: Record<string, unknown> }[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: ManagedPropertySchema;
  properties?: Record<string, ManagedPropertySchema>;
  resourceCollection?: { path: string }[];
}
export interface ManagedObjectConfig {
  name: string;
  /** `required`: IDM's list of required properties. */
  schema: { properties: Record<string, ManagedPropertySchema>; required?: string[] };
}
export interface InternalUserConfig {
  _id: string;
  password: string;
  authzRoles: { _ref: string }[];
}
export interface SessionsConfig {
  /** Absolute lifetime from sign-in (IDM: maxTokenLifeMinutes). */
  maxAgeMinutes: number;
  /** Ends after this long without a request (IDM: tokenIdleTimeMinutes). */
  idleMinutes: number;
  /** Sessions one account may hold; signing in once more drops the oldest. */
  maxPerUser: number;
  /** 'auto': Secure when the request came over TLS; true: always (behind a TLS proxy); false: never. */
  secureCookie: boolean | 'auto';
}
export interface PasswordPolicyConfig {
  minLength: number;
  /** Refuse a password equal to the account's user name (case-insensitive). */
  notUserName: boolean;
}
export interface AuthenticationConfig {
  internalUsers: InternalUserConfig[];
  loginRateLimit: { maxFailures: number; windowSeconds: number };
  sessions: SessionsConfig;
  passwordPolicy: PasswordPolicyConfig;
  /** scrypt cost of new hashes; older hashes are upgraded at their next sign-in. Default: OWASP's. */
  passwordHashing: { scrypt: { N: number; r: number; p: number } };
  /** Who signs in and with which roles (IDM's serverAuthContext.authModules, or reconflow's defaults). */
  modules: AuthModulesConfig;
}
export interface WorkflowConfig {
  enabled: boolean;
  /** The process folder (workflowDirectory or processesDir), relative to the project or absolute. */
  processesDir: string;
  watch: boolean;
  escalationDuration: string;
  /** false: bpmn-engine runs every start and completion (start templates and completion plans off). */
  templates: boolean;
  /** IDM keys accepted that do not change what reconflow does: logged at start. */
  warnings: string[];
}

/** Every conf file, parsed; `raw` keeps them all by name for components with their own validators. */
export interface ProjectConfig {
  dir: string;
  raw: Record<string, unknown>;
  /** The files as written, `&{…}` expressions unresolved: what config/<name> serves (a secret set in the environment is not echoed). */
  written: Record<string, unknown>;
  managed: ManagedObjectConfig[];
  authentication: AuthenticationConfig;
  workflow: WorkflowConfig;
  /** conf/repo.json (src/config/repo.ts): applied when the repository opens. */
  repo: RepoConfig;
  /** Start-up warnings: conf keys accepted without effect, listed per file (logged by server.ts). */
  warnings: string[];
}

export type ConfValidator = (json: unknown, file: string, projectDir: string) => void;

export function readJsonFile(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path.basename(file), `not valid JSON: ${(e as Error).message}`);
  }
}

function fail(file: string, field: string, problem: string): never {
  throw new ConfigError(file, `${field} ${problem}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validateManaged(json: unknown, file = 'managed.json'): ManagedObjectConfig[] {
  if (!isObject(json) || !Array.isArray(json.objects)) fail(file, 'objects', 'must be an array');
  return (json.objects as unknown[]).map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(o.name)) fail(file, `objects[${i}].name`, 'must be a simple name');
    const schema = o.schema;
    if (!isObject(schema) || !isObject(schema.properties)) fail(file, `objects[${i}].schema.properties`, 'must be an object');
    for (const [k, p] of Object.entries(schema.properties as Record<string, unknown>)) {
      if (!isObject(p)) fail(file, `objects[${i}].schema.properties.${k}`, 'must be an object');
      // Only the password is hashed; reconflow stores nothing reversibly encrypted.
      for (const key of ['encryption', 'secureHash', 'isProtected']) {
        if (p[key] !== undefined && p[key] !== false && k !== 'password') {
          fail(file, `objects[${i}].schema.properties.${k}.${key}`, 'is supported on the password property only (hashed with scrypt): remove it');
        }
      }
    }
    const required = schema.required;
    if (Array.isArray(required)) {
      for (const r of required) if (!(r as string in (schema.properties as object))) fail(file, `objects[${i}].schema.required`, `names ${r}, which is not in schema.properties`);
    }
    return o as unknown as ManagedObjectConfig;
  });
}

/** Managed objects reconflow does not serve (it serves managed/user): a warning, since a request for one answers 404. */
function unservedObjects(objects: ManagedObjectConfig[]): string | null {
  const other = objects.filter((o) => o.name !== 'user').map((o) => `managed/${o.name}`);
  return other.length ? `managed.json: ${other.join(', ')} not served by reconflow (only managed/user): requests for them answer 404` : null;
}

export function validateAuthentication(json: unknown, file = 'authentication.json', notes: string[] = []): AuthenticationConfig {
  if (!isObject(json)) fail(file, '(root)', 'must be an object');
  const idm = isObject(json.serverAuthContext) ? json.serverAuthContext : null;
  const modules = idm
    ? readAuthModules((idm.authModules ?? []) as never[], (field, problem) => fail(file, field, problem), notes)
    : RECONFLOW_MODULES;
  // IDM 4-6 keep openidm-admin (password openidm-admin) in the repository for INTERNAL_USER; a
  // STATIC_USER of that name replaces it (IDM 7).
  const idmSeed = modules.internal && !modules.staticUsers.some((u) => u.userName === 'openidm-admin')
    ? [{ _id: 'openidm-admin', password: 'openidm-admin', authzRoles: [{ _ref: 'internal/role/openidm-admin' }, { _ref: 'internal/role/openidm-authorized' }] }]
    : [];
  if (idm && json.internalUsers !== undefined && !modules.internal) fail(file, 'internalUsers', 'cannot sign in without an enabled INTERNAL_USER module in serverAuthContext.authModules: add one or remove internalUsers');
  const users = json.internalUsers ?? (idm ? idmSeed : []);
  if (!Array.isArray(users)) fail(file, 'internalUsers', 'must be an array');
  users.forEach((u, i) => {
    if (!isObject(u) || typeof u._id !== 'string' || !u._id) fail(file, `internalUsers[${i}]._id`, 'is required');
    if (typeof u.password !== 'string' || !u.password) fail(file, `internalUsers[${i}].password`, 'is required');
    if (!Array.isArray(u.authzRoles)) fail(file, `internalUsers[${i}].authzRoles`, 'must be an array');
  });
  const limit = (json.loginRateLimit ?? {}) as Record<string, unknown>;
  const maxFailures = limit.maxFailures ?? 5;
  const windowSeconds = limit.windowSeconds ?? 300;
  if (typeof maxFailures !== 'number' || maxFailures < 1) fail(file, 'loginRateLimit.maxFailures', 'must be a positive number');
  if (typeof windowSeconds !== 'number' || windowSeconds < 1) fail(file, 'loginRateLimit.windowSeconds', 'must be a positive number');
  for (const u of users as InternalUserConfig[]) {
    if (modules.staticUsers.some((s) => s.userName === u._id)) fail(file, 'internalUsers', `${u._id} is also a STATIC_USER: keep one`);
  }
  const idmSessions = sessionsOfIdm(idm, json.sessions !== undefined, file);
  return {
    internalUsers: users as InternalUserConfig[],
    loginRateLimit: { maxFailures, windowSeconds },
    sessions: validateSessions(idmSessions ?? json.sessions, file),
    passwordPolicy: validatePasswordPolicy(json.passwordPolicy, file),
    passwordHashing: validatePasswordHashing(json.passwordHashing, file),
    modules,
  };
}

/** IDM's JWT_SESSION times as reconflow's sessions (maxTokenLifeMinutes, tokenIdleTimeMinutes). */
function sessionsOfIdm(idm: Record<string, unknown> | null, both: boolean, file: string): Record<string, unknown> | undefined {
  const p = (idm?.sessionModule as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!p || (p.maxTokenLifeMinutes === undefined && p.tokenIdleTimeMinutes === undefined)) return undefined;
  if (both) fail(file, 'sessions', 'and serverAuthContext.sessionModule both set session times: keep one');
  const out: Record<string, unknown> = {};
  if (p.maxTokenLifeMinutes !== undefined) out.maxAgeMinutes = Number(p.maxTokenLifeMinutes);
  if (p.tokenIdleTimeMinutes !== undefined) out.idleMinutes = Number(p.tokenIdleTimeMinutes);
  return out;
}

function section(json: unknown, file: string, name: string, keys: string[]): Record<string, unknown> {
  if (json === undefined) return {};
  if (!isObject(json)) fail(file, name, 'must be an object');
  for (const k of Object.keys(json)) if (!keys.includes(k)) fail(file, `${name}.${k}`, `is not a known key (known: ${keys.join(', ')})`);
  return json;
}

function positiveInteger(v: unknown, file: string, field: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(file, field, `must be an integer of at least ${min}`);
  return v;
}

function validateSessions(json: unknown, file: string): SessionsConfig {
  const j = section(json, file, 'sessions', ['maxAgeMinutes', 'idleMinutes', 'maxPerUser', 'secureCookie']);
  const secureCookie = j.secureCookie ?? 'auto';
  if (secureCookie !== true && secureCookie !== false && secureCookie !== 'auto') fail(file, 'sessions.secureCookie', 'must be true, false or "auto"');
  return {
    maxAgeMinutes: positiveInteger(j.maxAgeMinutes, file, 'sessions.maxAgeMinutes', 480),
    idleMinutes: positiveInteger(j.idleMinutes, file, 'sessions.idleMinutes', 30),
    maxPerUser: positiveInteger(j.maxPerUser, file, 'sessions.maxPerUser', 10),
    secureCookie: secureCookie as boolean | 'auto',
  };
}

function validatePasswordPolicy(json: unknown, file: string): PasswordPolicyConfig {
  const j = section(json, file, 'passwordPolicy', ['minLength', 'notUserName']);
  const notUserName = j.notUserName ?? true;
  if (typeof notUserName !== 'boolean') fail(file, 'passwordPolicy.notUserName', 'must be true or false');
  const minLength = positiveInteger(j.minLength, file, 'passwordPolicy.minLength', 8);
  if (minLength > 1024) fail(file, 'passwordPolicy.minLength', 'must be at most 1024 (the longest password accepted)');
  return { minLength, notUserName };
}

function validatePasswordHashing(json: unknown, file: string): AuthenticationConfig['passwordHashing'] {
  const j = section(json, file, 'passwordHashing', ['scrypt']);
  const sc = section(j.scrypt, file, 'passwordHashing.scrypt', ['N', 'r', 'p']);
  const N = positiveInteger(sc.N, file, 'passwordHashing.scrypt.N', 2 ** 17, 2);
  if ((N & (N - 1)) !== 0 || N > 2 ** 20) fail(file, 'passwordHashing.scrypt.N', 'must be a power of two up to 2^20 (default 131072 = 2^17, OWASP)');
  const r = positiveInteger(sc.r, file, 'passwordHashing.scrypt.r', 8);
  const p = positiveInteger(sc.p, file, 'passwordHashing.scrypt.p', 1);
  if (r > 32 || p > 16) fail(file, 'passwordHashing.scrypt', 'r must be at most 32 and p at most 16');
  if (128 * N * r > 2 ** 30) fail(file, 'passwordHashing.scrypt', 'needs more than 1 GiB per hash (128·N·r bytes): lower N or r');
  return { scrypt: { N, r, p } };
}

/** IDM's default for workflow.json's userResource/groupResource (PingIDM workflow guide, Enable workflows). */
const IDM_WORKFLOW_DEFAULTS: Record<string, unknown> = {
  userResource: { path: 'managed/user', queryFilter: '/userName eq "${username}"' },
  groupResource: { path: 'managed/group', queryFilter: '/id eq "${gid}"' },
};
const WORKFLOW_KEYS = ['enabled', 'processesDir', 'workflowDirectory', 'watch', 'escalationDuration', 'templates', 'useDataSource', 'userResource', 'groupResource'];

/**
 * conf/workflow.json, reconflow's keys and IDM's. The process folder is `workflowDirectory` (IDM's
 * key, default &{idm.instance.dir}/workflow) or `processesDir` (reconflow's); with neither, the
 * project's processes/ if it has one, else workflow/ as IDM. Relative paths are the project's.
 * IDM keys that cannot change what reconflow does are start-up warnings; the rest are refused.
 */
export function validateWorkflow(json: unknown, file = 'workflow.json', projectDir?: string): WorkflowConfig {
  const j = (json ?? {}) as Record<string, unknown>;
  if (!isObject(j)) fail(file, '(root)', 'must be an object');
  for (const k of Object.keys(j)) if (!WORKFLOW_KEYS.includes(k)) fail(file, k, `is not a key reconflow implements (known: ${WORKFLOW_KEYS.join(', ')}); remove it`);
  if (j.workflowDirectory !== undefined && j.processesDir !== undefined) fail(file, 'workflowDirectory', 'and processesDir both name the process folder; keep one');
  const warnings: string[] = [];
  if (j.useDataSource !== undefined) {
    warnings.push(`${file}: useDataSource "${String(j.useDataSource)}" is not used: reconflow keeps workflow state in its own repository (DATABASE_URL)`);
  }
  for (const key of ['userResource', 'groupResource']) {
    if (j[key] === undefined) continue;
    if (JSON.stringify(j[key]) !== JSON.stringify(IDM_WORKFLOW_DEFAULTS[key])) {
      fail(file, key, `differs from IDM's default ${JSON.stringify(IDM_WORKFLOW_DEFAULTS[key])}, which is the only mapping reconflow implements (task assignees are managed/user userNames); remove it`);
    }
    warnings.push(`${file}: ${key} is IDM's default, which reconflow follows; the key itself is not read`);
  }
  let dir = (j.workflowDirectory ?? j.processesDir) as string | undefined;
  if (dir === undefined) {
    const hasProcesses = !projectDir || fs.existsSync(path.join(projectDir, 'processes'));
    dir = hasProcesses ? 'processes' : 'workflow';
    if (projectDir && hasProcesses && fs.existsSync(path.join(projectDir, 'workflow'))) {
      warnings.push(`${file}: the project has both processes/ and workflow/; only processes/ is deployed (set "workflowDirectory" to choose)`);
    }
  }
  const cfg: WorkflowConfig = {
    enabled: j.enabled === undefined ? true : (j.enabled as boolean),
    processesDir: dir,
    watch: (j.watch as boolean) ?? false,
    escalationDuration: (j.escalationDuration as string) ?? 'P3D',
    templates: j.templates === undefined ? true : (j.templates as boolean),
    warnings,
  };
  if (typeof cfg.enabled !== 'boolean') fail(file, 'enabled', 'must be true or false');
  if (typeof cfg.processesDir !== 'string' || cfg.processesDir === '') fail(file, j.workflowDirectory !== undefined ? 'workflowDirectory' : 'processesDir', 'must be a folder path');
  if (typeof cfg.watch !== 'boolean') fail(file, 'watch', 'must be true or false');
  if (typeof cfg.templates !== 'boolean') fail(file, 'templates', 'must be true or false');
  if (typeof cfg.escalationDuration !== 'string' || !/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(cfg.escalationDuration)) {
    fail(file, 'escalationDuration', 'must be an ISO-8601 duration such as P3D or PT2S');
  }
  return cfg;
}

function runValidator(extra: Record<string, ConfValidator>, name: string, json: unknown, projectDir: string): void {
  try {
    extra[name]?.(json, name, projectDir);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(name, (e as Error).message);
  }
}

/**
 * One conf document checked as start-up checks its file (schema, then the room's validator):
 * PUT config/<name> (src/config/live.ts) accepts exactly what a restart would. Returns the
 * no-effect warning, if any.
 */
export function validateConfDocument(name: string, json: unknown, extra: Record<string, ConfValidator>, projectDir: string): string | null {
  const [warning] = validateConfFiles({ [name]: json });
  runValidator(extra, name, json, projectDir);
  return warning ?? null;
}

/**
 * Reads every conf/*.json. Files with a known name get their validator; `extra` validators
 * (from other rooms, e.g. sync.json from recon) run too, so that start-up fails early.
 */
export function loadProjectConfig(
  projectDir: string,
  extra: Record<string, ConfValidator> = {},
  env: NodeJS.ProcessEnv = process.env,
  stored: Record<string, unknown | null> = {},
): ProjectConfig {
  const confDir = path.join(projectDir, 'conf');
  if (!fs.existsSync(confDir)) throw new ConfigError('conf', `no conf/ folder in ${projectDir}`);
  // IDM's &{…} expressions (properties.ts) are resolved before any validator sees a file.
  const properties = new PropertyResolver({ projectDir, env });
  const written: Record<string, unknown> = {};
  for (const name of fs.readdirSync(confDir).filter((f) => f.endsWith('.json')).sort()) written[name] = readJsonFile(path.join(confDir, name));
  // Documents stored by PUT/DELETE config/<name> (src/config/live.ts) replace their file.
  for (const [name, doc] of Object.entries(stored)) {
    if (doc === null) delete written[name];
    else written[name] = doc;
  }
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(written).sort()) raw[name] = properties.substitute(written[name], name);
  // JSON Schemas first (src/config/schema): unknown keys are errors, keys without effect warnings.
  const warnings = validateConfFiles(raw);
  for (const name of Object.keys(extra)) if (raw[name] !== undefined) runValidator(extra, name, raw[name], projectDir);
  const notes: string[] = [];
  const authentication = validateAuthentication(raw['authentication.json'] ?? { internalUsers: [] }, 'authentication.json', notes);
  if (notes.length) {
    const i = warnings.findIndex((w) => w.startsWith('authentication.json:'));
    if (i >= 0) warnings[i] += `; ${notes.join('; ')}`;
    else warnings.push(`authentication.json: keys accepted without effect in reconflow: ${notes.join('; ')}`);
  }
  const managed = raw['managed.json'] ? validateManaged(raw['managed.json']) : [];
  const unserved = unservedObjects(managed);
  if (unserved) warnings.push(unserved);
  return {
    dir: projectDir,
    raw,
    written,
    managed,
    authentication,
    workflow: validateWorkflow(raw['workflow.json'], 'workflow.json', projectDir),
    repo: validateRepo(raw['repo.json']),
    warnings,
  };
}
