// Where the project folder is and how the process is configured (environment and argv).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RuntimeOptions {
  projectDir: string;
  port: number;
  host: string;
  databaseUrl?: string;
  databaseSchema?: string;
  /** Identifies this process in job locks and recon runs. */
  nodeId: string;
  /**
   * True when NODE_ID was not set and nodeId is the stable default: a second live server on the
   * same host and project then takes `<default>~2` (and so on) instead of refusing to start.
   */
  nodeIdDefault?: boolean;
  workers: boolean;
}

/** `-p DIR` / `--project DIR` on the command line wins over PROJECT_DIR, as IDM's startup.sh -p. */
export function runtimeOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): RuntimeOptions {
  let projectArg: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '-p' || argv[i] === '--project') && argv[i + 1]) projectArg = argv[++i];
  }
  const root = packageRoot();
  const projectDir = path.resolve(projectArg ?? env.PROJECT_DIR ?? root);
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    projectDir,
    port,
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    nodeId: env.NODE_ID || defaultNodeId(projectDir, env.DATABASE_URL, env.DATABASE_SCHEMA),
    nodeIdDefault: !env.NODE_ID,
    workers: env.WORKERS !== '0',
  };
}

/**
 * The same for every start of a server on this host, project folder and database, so that a
 * restarted server is the same node and takes back at once what its killed predecessor held:
 * `<hostname>:<first 10 hex of sha256(project folder, database without password, schema)>`.
 */
export function defaultNodeId(projectDir: string, databaseUrl?: string, schema?: string): string {
  let dir = path.resolve(projectDir);
  try {
    dir = fs.realpathSync(dir);
  } catch {
    /* not there yet: start-up reports it */
  }
  const db = (databaseUrl ?? '').replace(/\/\/([^:@/]+):[^@/]*@/, '//$1@');
  const hash = crypto.createHash('sha256').update(`${dir}\n${db}\n${schema ?? ''}`).digest('hex').slice(0, 10);
  return `${os.hostname()}:${hash}`;
}

/** The repository root (the sample project), whether running from src/ under jest or from dist/. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}
