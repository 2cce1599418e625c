// A plain line logger; tests pass a quiet one. Every line is bounded (MAX_LINE) and carries no row
// values: database errors name the statement's shape (db.ts keeps values out of knex's messages)
// cut to its start, and e-mail addresses are masked wherever they come from.
import { Logger } from './context';

/** Longest line written, message and error together. */
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

/** An error's message fit to show or store: a failed statement cut to its start, at most 1,000 characters. */
export function errorMessage(e: unknown): string {
  let message = isError(e) ? e.message : String(e);
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

export function consoleLogger(prefix = 'reconflow'): Logger {
  const line = (level: string, msg: string) => `${new Date().toISOString()} ${level} ${prefix}: ${msg}`;
  return {
    info: (m) => console.log(safeLine(line('INFO', m))),
    warn: (m) => console.warn(safeLine(line('WARN', m))),
    error: (m, e) => {
      const detail = describeError(e);
      console.error(safeLine(line('ERROR', detail ? `${m}: ${detail}` : m)));
    },
  };
}

export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
