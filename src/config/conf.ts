// Loads and validates conf/*.json. A bad file stops start-up with its name and the field at fault.
import fs from 'node:fs';
import path from 'node:path';

export class ConfigError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface ManagedPropertySchema {
  type?: string;
  default?: unknown;
  required?: boolean;
  searchable?: boolean;
  encryption?: string;
  scope?: string;
  returnByDefault?: boolean;
}
export interface ManagedObjectConfig {
  name: string;
  schema: { properties: Record<string, ManagedPropertySchema> };
}
export interface InternalUserConfig {
  _id: string;
  password: string;
  authzRoles: { _ref: string }[];
}
export interface AuthenticationConfig {
  internalUsers: InternalUserConfig[];
  loginRateLimit: { maxFailures: number; windowSeconds: number };
}
export interface WorkflowConfig {
  enabled: boolean;
  processesDir: string;
  watch: boolean;
  escalationDuration: string;
  /** false: bpmn-engine runs every start and completion (start templates and completion plans off). */
  templates: boolean;
}

/** Every conf file, parsed; `raw` keeps them all by name for components with their own validators. */
export interface ProjectConfig {
  dir: string;
  raw: Record<string, unknown>;
  managed: ManagedObjectConfig[];
  authentication: AuthenticationConfig;
  workflow: WorkflowConfig;
}

export type ConfValidator = (json: unknown, file: string) => void;

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
    }
    return o as unknown as ManagedObjectConfig;
  });
}

export function validateAuthentication(json: unknown, file = 'authentication.json'): AuthenticationConfig {
  if (!isObject(json)) fail(file, '(root)', 'must be an object');
  const users = json.internalUsers ?? [];
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
  return { internalUsers: users as InternalUserConfig[], loginRateLimit: { maxFailures, windowSeconds } };
}

export function validateWorkflow(json: unknown, file = 'workflow.json'): WorkflowConfig {
  const j = (json ?? {}) as Record<string, unknown>;
  if (!isObject(j)) fail(file, '(root)', 'must be an object');
  const cfg: WorkflowConfig = {
    enabled: j.enabled === undefined ? true : (j.enabled as boolean),
    processesDir: (j.processesDir as string) ?? 'processes',
    watch: (j.watch as boolean) ?? false,
    escalationDuration: (j.escalationDuration as string) ?? 'P3D',
    templates: j.templates === undefined ? true : (j.templates as boolean),
  };
  if (typeof cfg.enabled !== 'boolean') fail(file, 'enabled', 'must be true or false');
  if (typeof cfg.processesDir !== 'string') fail(file, 'processesDir', 'must be a string');
  if (typeof cfg.watch !== 'boolean') fail(file, 'watch', 'must be true or false');
  if (typeof cfg.templates !== 'boolean') fail(file, 'templates', 'must be true or false');
  if (typeof cfg.escalationDuration !== 'string' || !/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(cfg.escalationDuration)) {
    fail(file, 'escalationDuration', 'must be an ISO-8601 duration such as P3D or PT2S');
  }
  return cfg;
}

/**
 * Reads every conf/*.json. Files with a known name get their validator; `extra` validators
 * (from other rooms, e.g. sync.json from recon) run too, so that start-up fails early.
 */
export function loadProjectConfig(projectDir: string, extra: Record<string, ConfValidator> = {}): ProjectConfig {
  const confDir = path.join(projectDir, 'conf');
  if (!fs.existsSync(confDir)) throw new ConfigError('conf', `no conf/ folder in ${projectDir}`);
  const raw: Record<string, unknown> = {};
  for (const name of fs.readdirSync(confDir).filter((f) => f.endsWith('.json')).sort()) {
    raw[name] = readJsonFile(path.join(confDir, name));
  }
  for (const [name, validate] of Object.entries(extra)) {
    if (raw[name] !== undefined) {
      try {
        validate(raw[name], name);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError(name, (e as Error).message);
      }
    }
  }
  return {
    dir: projectDir,
    raw,
    managed: raw['managed.json'] ? validateManaged(raw['managed.json']) : [],
    authentication: validateAuthentication(raw['authentication.json'] ?? { internalUsers: [] }),
    workflow: validateWorkflow(raw['workflow.json']),
  };
}
