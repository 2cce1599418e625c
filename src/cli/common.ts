// What every subcommand of the `reconflow` bin shares: exit codes, errors that carry one, the
// project folder option, and the REST client of the commands that talk to a running server.
import { Command, Option } from 'commander';

/** The bin's exit codes (also in `reconflow --help` and docs/cli.md). */
export const EXIT = {
  /** The operation did what was asked (recon --wait: the run ended SUCCESS; lint: no problem). */
  OK: 0,
  /** The operation failed: the server refused it, the run did not succeed, problems were found. */
  FAILED: 1,
  /** The command line is wrong: unknown command or option, missing argument, a bad --url, a file that is not there. */
  USAGE: 2,
  /** The server could not be reached, or refused the credentials (401, 403, 429). */
  UNREACHABLE: 3,
  /** recon --wait stopped following on Ctrl-C (the run goes on). */
  INTERRUPTED: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    done (recon --wait: the run ended SUCCESS; lint: no problem; config validate: valid)
  1    the operation failed (the server refused it, the run ended FAILED or CANCELED,
       lint found problems, a conf file is invalid)
  2    usage error (no or unknown command or option, missing argument, bad --url,
       no such file)
  3    server unreachable, or credentials refused (401, 403, 429)
  130  recon --wait interrupted with Ctrl-C (the reconciliation goes on)`;

/** An error the bin reports on stderr (one line) and exits with `code`. */
export class CliError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(EXIT.USAGE, message);

// --- the project folder (local commands) ---

/** `-p, --project DIR` as `npm start -- -p DIR` and IDM's startup.sh -p; PROJECT_DIR, else this package. */
export function addProjectOption(cmd: Command): Command {
  return cmd.option('-p, --project <dir>', 'project folder with conf/, processes/, data/ (default: PROJECT_DIR, else this package)');
}

/** The project folder as the server resolves it (src/config/project.ts), with -p DIR first. */
export async function projectDirOf(opts: { project?: string }): Promise<string> {
  const { runtimeOptions } = await import('../config/project');
  return runtimeOptions(opts.project ? ['-p', opts.project] : [], process.env).projectDir;
}

// --- the server (commands that call the REST API) ---

export interface ServerOptions {
  url: string;
  user: string;
  password?: string;
}

/** --url, --user, --password, with their environment defaults; the password's default is never shown. */
export function addServerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'the server: its root (http://host:8080) or its /openidm').env('RECONFLOW_URL').default('http://127.0.0.1:8080'))
    .addOption(new Option('--user <name>', 'user name').env('RECONFLOW_USER').default('openidm-admin'))
    .addOption(new Option('--password <password>', 'password (prefer the environment: a command line is visible to other users); default openidm-admin').env('RECONFLOW_PASSWORD'));
}

/**
 * The REST base of a server given as its root or its /openidm, with or without a trailing slash:
 * http://h:8080, http://h:8080/ and http://h:8080/openidm/ all give http://h:8080/openidm. A server
 * under a path prefix (http://proxy/idm) gets /openidm appended as well.
 */
export function restBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(`--url must be an http(s) URL such as http://127.0.0.1:8080, got "${url}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usageError(`--url must be http or https, got "${u.protocol}"`);
  if (u.username || u.password) throw usageError('--url must not carry credentials: use --user and RECONFLOW_PASSWORD');
  if (u.search || u.hash) throw usageError(`--url must not carry a query or fragment, got "${url}"`);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.origin}${path.endsWith('/openidm') ? path : `${path}/openidm`}`;
}

export interface Answer {
  status: number;
  body: any;
}

/** A client of one server's REST API with the command's credentials. */
export class Client {
  readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(opts: ServerOptions) {
    this.base = restBase(opts.url);
    this.headers = {
      'X-OpenIDM-Username': opts.user,
      'X-OpenIDM-Password': opts.password ?? 'openidm-admin',
      'Accept-API-Version': 'resource=1.0',
    };
  }

  /**
   * One request. Unreachable server, 401/403/429: CliError(3). Any other non-2xx: CliError(1) with
   * the server's message (`ok` lists statuses the caller handles itself). The credentials are never
   * part of a message.
   */
  async call(method: string, path: string, opts: { body?: Uint8Array<ArrayBuffer> | string; contentType?: string; ok?: number[] } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...this.headers };
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: opts.body });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(EXIT.UNREACHABLE, `cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 300) };
    }
    if (res.ok || opts.ok?.includes(res.status)) return { status: res.status, body };
    const message = typeof body?.message === 'string' && body.message ? body.message : res.statusText;
    const what = `${method} ${this.base}${path.replace(/\?.*$/, '')}: ${res.status} ${message}`;
    if (res.status === 401) throw new CliError(EXIT.UNREACHABLE, `${what} (check --user and RECONFLOW_PASSWORD)`);
    if (res.status === 403 || res.status === 429) throw new CliError(EXIT.UNREACHABLE, what);
    const detail = body?.detail && typeof body.detail === 'object' ? ` ${JSON.stringify(body.detail)}` : '';
    throw new CliError(EXIT.FAILED, what + detail);
  }
}

/** A fixed-width text table; columns sized to their widest cell, the last one cut at `maxLast`. */
export function table(headers: string[], rows: string[][], maxLast = 80): string {
  const cut = (s: string, i: number) => (i === headers.length - 1 && s.length > maxLast ? s.slice(0, maxLast - 1) + '…' : s);
  const cells = [headers, ...rows].map((r) => r.map((c, i) => cut(String(c ?? '').replace(/\s+/g, ' '), i)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}
