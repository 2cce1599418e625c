// Structured logs: one JSON line per event (pino), pretty in a terminal; tests pass a quiet logger.
// Every line is bounded (MAX_LINE) and carries no row values: database errors name the statement's
// shape (db.ts keeps values out of knex's messages) cut to its start, e-mail addresses are masked
// wherever they come from, and password/authorization/cookie fields are redacted by pino.
// A line logged while a request, a job or a reconciliation is under way carries its ids (reqId,
// principal, jobId, instanceId, reconId) from an AsyncLocalStorage context (withLogContext), so code
// deep below the router need not pass them along.
import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { LogFields, Logger } from './context';

/** Longest line written, message, fields and error together. */
export const MAX_LINE = 2048;
const SQL_SHAPE = 160;
const STACK_FRAMES = 6;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
// knex prefixes a failed statement's text: "<sql> - <the database's message>".
const SQL_PREFIX = /^\s*(select|insert|update|delete|with|create|alter|drop|pragma|analyze|begin|commit)\b/i;

function bound(s: string, max = MAX_LINE): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * An Error, also one made in another realm (a vm context, or jest's: better-sqlite3's SqliteError
 * is then no `instanceof Error`, and the line would lose its code and statement shape).
 */
function isError(e: unknown): e is Error {
  return e instanceof Error || (typeof e === 'object' && e !== null && typeof (e as Error).message === 'string' && typeof (e as Error).stack === 'string' && typeof (e as Error).name === 'string');
}

/** MariaDB/MySQL quote the offending value in these messages (a user name, a mail): not for a log. */
const QUOTED_VALUE = /(Duplicate entry |Incorrect [\w ]+ value: )'.*?'( for (?:key|column) )/g;

/** An error's message fit to show or store: a failed statement cut to its start, values of MariaDB's messages left out, at most 1,000 characters. */
export function errorMessage(e: unknown): string {
  let message = (isError(e) ? e.message : String(e)).replace(QUOTED_VALUE, "$1'…'$2");
  const dash = message.lastIndexOf(' - ');
  if (SQL_PREFIX.test(message) && dash > 0) {
    const sql = message.slice(0, dash).replace(/\s+/g, ' ').trim();
    message = `${message.slice(dash + 3)} (statement: ${sql.length > SQL_SHAPE ? `${sql.slice(0, SQL_SHAPE)}…` : sql})`;
  }
  return bound(message, 1000);
}

/** The error as one bounded text: name, code, message (a statement cut to its start), a few frames. */
export function describeError(e: unknown): string {
  if (!isError(e)) return e === undefined || e === '' ? '' : bound(String(e), 500);
  const code = (e as { code?: unknown }).code;
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, STACK_FRAMES).map((l) => l.trim());
  return `${e.name}${code !== undefined ? ` [${String(code)}]` : ''}: ${errorMessage(e)}${frames.length ? ` | ${frames.join(' | ')}` : ''}`;
}

/** What may be written: bounded, e-mail addresses masked. */
export function safeLine(s: string): string {
  return bound(s.replace(EMAIL, '<email>'));
}

// ---- the context of the work under way -------------------------------------------------------

const context = new AsyncLocalStorage<LogFields>();

/** The ids of the work under way (request, job, run), or undefined outside any. */
export function logContext(): LogFields | undefined {
  return context.getStore();
}

/**
 * Runs fn with these fields added to every line logged inside it, also from timers and promises it
 * starts (a reconciliation started by a request keeps the request's id, and gains its own).
 * The object is the context itself: the request middleware adds the principal to it after
 * authentication.
 */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  const outer = context.getStore();
  return context.run(outer ? { ...outer, ...fields } : fields, fn);
}

// ---- the logger --------------------------------------------------------------------------------

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

/** Refused logging settings (LOG_LEVEL, LOG_FORMAT): the message names the variable and what to use. */
export class LogConfigError extends Error {}

export interface LoggerOptions {
  /** Default: LOG_LEVEL, else info. */
  level?: string;
  /** Default: LOG_FORMAT, else pretty when stdout is a terminal, JSON lines otherwise. */
  format?: string;
  /** Where lines go (tests: a stream that collects them); default stdout, written synchronously. */
  destination?: { write(line: string): unknown };
  /** The `name` on every line. */
  name?: string;
}

/** The level of LOG_LEVEL (or the given one); refuses an unknown level rather than ignoring it. */
export function logLevelOf(value: string | undefined, variable = 'LOG_LEVEL'): LogLevel {
  if (value === undefined || value === '') return 'info';
  const v = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new LogConfigError(`${variable}=${JSON.stringify(value.slice(0, 50))} is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
}

export function logFormatOf(value: string | undefined, tty: boolean, variable = 'LOG_FORMAT'): LogFormat {
  if (value === undefined || value === '') return tty ? 'pretty' : 'json';
  const v = value.trim().toLowerCase();
  if (v === 'json' || v === 'pretty') return v;
  throw new LogConfigError(`${variable}=${JSON.stringify(value.slice(0, 50))} is not a log format: use json or pretty`);
}

/**
 * Field paths pino replaces with "[Redacted]" wherever a caller puts them: a header set, a body or
 * credentials passed as fields never reach the line.
 */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'authorization', '*.authorization', '*.*.authorization', '*.Authorization',
  'cookie', '*.cookie', '*.*.cookie', '*.Cookie', '*["set-cookie"]',
  '["x-openidm-password"]', '*["x-openidm-password"]', '*.*["x-openidm-password"]', '*["X-OpenIDM-Password"]',
  '["x-openidm-reauth-password"]', '*["x-openidm-reauth-password"]',
  'passwordHash', '*.passwordHash', 'token', '*.token', 'csrfToken', '*.csrfToken',
];

/** Fields that say which work a line belongs to; kept when an over-long line is cut down. */
const KEEP = ['level', 'time', 'name', 'pid', 'hostname', 'msg', 'err', 'reqId', 'principal', 'reconId', 'mapping', 'instanceId', 'jobId', 'jobType', 'method', 'path', 'status'];

/**
 * The line as written: e-mail addresses masked anywhere in it (the pattern cannot span JSON
 * punctuation, so the line stays valid JSON), and at most MAX_LINE characters with its newline:
 * an over-long line has its strings cut, then its other fields dropped, and says `truncated: true`.
 */
export function boundLine(line: string): string {
  const masked = line.replace(EMAIL, '<email>');
  if (masked.length <= MAX_LINE) return masked;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(masked) as Record<string, unknown>;
  } catch {
    return `${masked.slice(0, MAX_LINE - 2)}…\n`;
  }
  const cut = (obj: Record<string, unknown>, max: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') out[k] = bound(v, k === 'msg' ? Math.max(max, 600) : k === 'err' ? Math.max(max, 800) : max);
      else if (v !== null && typeof v === 'object') {
        const s = JSON.stringify(v);
        out[k] = s.length > max ? bound(s, max) : v;
      } else out[k] = v;
    }
    out.truncated = true;
    return out;
  };
  for (const max of [200, 60]) {
    const s = `${JSON.stringify(cut(o, max))}\n`;
    if (s.length <= MAX_LINE) return s;
  }
  const kept = Object.fromEntries(KEEP.filter((k) => k in o).map((k) => [k, o[k]]));
  const s = `${JSON.stringify(cut(kept, 60))}\n`;
  if (s.length <= MAX_LINE) return s;
  // Only a pathological binding could get here (KEEP's values are bounded above): the level and the cut message.
  return `${JSON.stringify({ level: o.level, time: o.time, msg: bound(String(o.msg ?? ''), 500), truncated: true })}\n`;
}

class PinoLogger implements Logger {
  constructor(readonly pino: pino.Logger) {}

  get level(): string {
    return this.pino.level;
  }

  debug(msg: string, fields?: LogFields): void {
    this.pino.debug(fields ?? {}, msg);
  }

  info(msg: string, fields?: LogFields): void {
    this.pino.info(fields ?? {}, msg);
  }

  warn(msg: string, fields?: LogFields): void {
    this.pino.warn(fields ?? {}, msg);
  }

  error(msg: string, err?: unknown, fields?: LogFields): void {
    const detail = describeError(err);
    this.pino.error(detail ? { ...fields, err: detail } : (fields ?? {}), msg);
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.pino.child(fields));
  }
}

/** A pino logger behind the Logger interface, with its `pino` for what the interface lacks. */
export type StructuredLogger = Logger & { readonly pino: pino.Logger; readonly level: string; debug(msg: string, fields?: LogFields): void; child(fields: LogFields): Logger };

export function createLogger(opts: LoggerOptions = {}): StructuredLogger {
  const level = logLevelOf(opts.level ?? process.env.LOG_LEVEL, opts.level !== undefined ? 'level' : 'LOG_LEVEL');
  const format = logFormatOf(opts.format ?? process.env.LOG_FORMAT, !opts.destination && process.stdout.isTTY === true, opts.format !== undefined ? 'format' : 'LOG_FORMAT');
  let out: { write(line: string): unknown };
  if (opts.destination) out = opts.destination;
  else {
    // Synchronous: the line before a process.exit (a refused start) must not be lost in a buffer.
    const stdout = pino.destination({ dest: 1, sync: true });
    out = stdout;
  }
  let write: (line: string) => void;
  if (format === 'pretty') {
    const prettify = prettyFactory({ colorize: !opts.destination && process.stdout.isTTY === true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,name' });
    write = (line) => void out.write(prettify(boundLine(line)));
  } else write = (line) => void out.write(boundLine(line));
  const p = pino(
    {
      name: opts.name ?? 'reconflow',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS },
      mixin: () => context.getStore() ?? {},
      // pino's default merge assigns into the mixin's object, which is the live context here.
      mixinMergeStrategy: (fields, ids) => ({ ...ids, ...fields }),
    },
    { write },
  );
  return new PinoLogger(p) as StructuredLogger;
}

/** Whether a debug line would be written (a per-request line costs nothing when not). */
export function debugEnabled(log: Logger): boolean {
  return log instanceof PinoLogger ? log.pino.isLevelEnabled('debug') : typeof log.debug === 'function';
}

/** The server's logger (what `npm start` uses): JSON lines on stdout, settings from the environment. */
export function consoleLogger(name = 'reconflow'): StructuredLogger {
  return createLogger({ name });
}

/** A logger whose lines carry these fields too: the logger's own child, or a wrapper for one without. */
export function childLogger(log: Logger, fields: LogFields): Logger {
  if (log.child) return log.child(fields);
  return {
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, e, f) => log.error(m, e, { ...fields, ...f }),
    child: (more) => childLogger(log, { ...fields, ...more }),
  };
}

export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
