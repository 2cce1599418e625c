// The structured logger (src/log.ts) with real pino writing into a collecting destination: JSON
// lines, the ids of the work under way, redaction, e-mail masking, bounded lines, levels.
import { childLogger, createLogger, errorMessage, LogConfigError, logLevelOf, MAX_LINE, quietLogger, withLogContext } from '../../src/log';
import { Logger } from '../../src/context';

function collecting(opts: { level?: string; format?: string } = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...opts, destination: { write: (l: string) => void lines.push(l) } });
  const json = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, json };
}

describe('structured log lines', () => {
  it('are one JSON object a line, with level, time, name and message', () => {
    const { log, lines, json } = collecting();
    log.info('hello');
    log.warn('careful', { jobId: 7 });
    log.error('broken', new Error('boom'));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.endsWith('\n') && l.indexOf('\n') === l.length - 1).toBe(true);
    const [a, b, c] = json();
    expect(a).toMatchObject({ level: 'info', name: 'reconflow', msg: 'hello' });
    expect(new Date(a.time as string).toISOString()).toBe(a.time);
    expect(b).toMatchObject({ level: 'warn', msg: 'careful', jobId: 7 });
    expect(c).toMatchObject({ level: 'error', msg: 'broken' });
    expect(c.err).toMatch(/^Error: boom \| at /);
  });

  it('carry the ids of the work under way, also from timers and promises started inside it', async () => {
    const { log, json } = collecting();
    log.info('outside');
    await withLogContext({ reqId: 'r-1', principal: 'internal/user/openidm-admin' }, async () => {
      log.info('in the request');
      await new Promise((r) => setTimeout(r, 5));
      await withLogContext({ reconId: 'run-9' }, async () => {
        await Promise.resolve();
        log.warn('in the run');
      });
      log.info('after the run');
    });
    const [outside, inReq, inRun, after] = json();
    expect(outside.reqId).toBeUndefined();
    expect(inReq).toMatchObject({ reqId: 'r-1', principal: 'internal/user/openidm-admin' });
    expect(inRun).toMatchObject({ reqId: 'r-1', principal: 'internal/user/openidm-admin', reconId: 'run-9' });
    expect(after.reconId).toBeUndefined();
  });

  it('a field given on the line wins over the context, and the context is not changed by it', () => {
    const { log, json } = collecting();
    withLogContext({ reqId: 'r-2' }, () => {
      log.info('a', { reqId: 'other', extra: 1 });
      log.info('b');
    });
    const [a, b] = json();
    expect(a).toMatchObject({ reqId: 'other', extra: 1 });
    expect(b.reqId).toBe('r-2');
    expect(b.extra).toBeUndefined();
  });

  it('child loggers carry their fields; a logger without child() is wrapped', () => {
    const { log, json } = collecting();
    childLogger(log.child({ component: 'worker' }), { jobId: 3 }).info('x');
    expect(json()[0]).toMatchObject({ component: 'worker', jobId: 3, msg: 'x' });
    const seen: Array<[string, unknown]> = [];
    const plain: Logger = { info: (m, f) => void seen.push([m, f]), warn: () => undefined, error: () => undefined };
    childLogger(plain, { reconId: 'r' }).info('y', { n: 1 });
    expect(seen).toEqual([['y', { reconId: 'r', n: 1 }]]);
    expect(() => childLogger(quietLogger, { a: 1 }).error('z', new Error('e'))).not.toThrow();
  });

  it('never write a password, an authorization header or a cookie passed as fields', () => {
    const { log, lines } = collecting();
    log.info('request', {
      password: 'S3cret-one',
      headers: { authorization: 'Basic b3BlbmlkbS1hZG1pbjpTM2NyZXQtdHdv', cookie: 'reconflow_session=tok3n', 'x-openidm-password': 'S3cret-three' },
      body: { userName: 'u', password: 'S3cret-four' },
    });
    log.error('failed', new Error('x'), { user: { password: 'S3cret-five' } });
    const all = lines.join('');
    expect(all).not.toMatch(/S3cret|b3BlbmlkbS1hZG1pbjpTM2NyZXQtdHdv|tok3n/);
    expect(all).toContain('[Redacted]');
    expect(JSON.parse(lines[0]).body.userName).toBe('u');
  });

  it('mask e-mail addresses wherever they come from (message, fields, error, context)', () => {
    const { log, lines } = collecting();
    withLogContext({ principal: 'managed/user/alice@example.com' }, () => {
      log.warn('user bob@example.org', { target: 'carol@example.net' });
      log.error('x', new Error('duplicate dave@example.com'));
    });
    expect(lines.join('')).not.toMatch(/example\.(com|org|net)/);
    expect(JSON.parse(lines[0]).msg).toBe('user <email>');
  });

  it("leave out the value MariaDB quotes in a duplicate-key or bad-value message, keeping the key and the statement's shape", () => {
    const dup = Object.assign(new Error("insert into `managed_user` (`id`, `user_name`) values (?, ?) - Duplicate entry 'jane.doe' for key 'managed_user_user_name_unique'"), { code: 'ER_DUP_ENTRY' });
    expect(errorMessage(dup)).toBe("Duplicate entry '…' for key 'managed_user_user_name_unique' (statement: insert into `managed_user` (`id`, `user_name`) values (?, ?))");
    const bad = new Error("Incorrect string value: '\\xF0\\x9F' for column `db`.`t`.`c` at row 1");
    expect(errorMessage(bad)).toBe("Incorrect string value: '…' for column `db`.`t`.`c` at row 1");
  });

  it('are at most MAX_LINE characters, still JSON, and keep the ids', () => {
    const { log, lines, json } = collecting();
    withLogContext({ reqId: 'r-long' }, () => {
      log.info('m'.repeat(10_000));
      log.warn('w', { a: 'a'.repeat(5_000), b: 'b'.repeat(5_000), nested: { c: 'c'.repeat(5_000) } });
      log.error('e'.repeat(3_000), new Error('x'.repeat(5_000)), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'v'.repeat(50)])));
    });
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(MAX_LINE);
    for (const o of json()) expect(o).toMatchObject({ reqId: 'r-long', truncated: true });
    const [info] = json();
    expect((info.msg as string).startsWith('mmm')).toBe(true);
  });

  it('lines under the level are not written; the level comes from LOG_LEVEL and an unknown one is refused', () => {
    const { log, json } = collecting({ level: 'warn' });
    log.info('dropped');
    log.debug('dropped too');
    log.warn('kept');
    log.error('kept too');
    expect(json().map((o) => o.msg)).toEqual(['kept', 'kept too']);

    const before = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'error';
      const fromEnv = collecting();
      fromEnv.log.warn('dropped');
      fromEnv.log.error('kept');
      expect(fromEnv.json().map((o) => o.msg)).toEqual(['kept']);
      process.env.LOG_LEVEL = 'debug';
      const debug = collecting();
      debug.log.debug('shown');
      expect(debug.json().map((o) => o.level)).toEqual(['debug']);
      process.env.LOG_LEVEL = 'verbose';
      expect(() => collecting()).toThrow(LogConfigError);
      expect(() => collecting()).toThrow(/LOG_LEVEL="verbose" is not a log level: use one of fatal, error, warn, info, debug, trace, silent/);
    } finally {
      if (before === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = before;
    }
    expect(logLevelOf(undefined)).toBe('info');
    expect(logLevelOf(' WARN ')).toBe('warn');
  });

  it('LOG_FORMAT=pretty writes readable lines with the same safeguards; an unknown format is refused', () => {
    const { log, lines } = collecting({ format: 'pretty' });
    withLogContext({ reqId: 'r-p' }, () => log.warn('pretty line for bob@example.org', { password: 'S3cret-six' }));
    const text = lines.join('');
    expect(text).toMatch(/WARN/);
    expect(text).toMatch(/pretty line for <email>/);
    expect(text).toMatch(/reqId: "r-p"/);
    expect(text).not.toMatch(/S3cret|example\.org/);
    expect(() => collecting({ format: 'xml' })).toThrow(/format="xml" is not a log format: use json or pretty/);
  });
});
