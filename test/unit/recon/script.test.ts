import { compileScript, ConfScriptLog, SCRIPT_TIMEOUT_MS } from '../../../src/recon/script';

describe('compileScript', () => {
  it('returns the completion value, with bindings as globals', () => {
    const f = compileScript("var parts = source.split(','); parts.length + ':' + prefix", 'count');
    expect(f({ source: 'a,b,c', prefix: 'p' })).toBe('3:p');
    expect(f({ source: 'a', prefix: 'q' })).toBe('1:q');
  });

  it('passes objects in as copies and returns plain JSON data', () => {
    const input = { a: { b: [1, 2] } };
    const f = compileScript('object.a.b.push(3); ({ list: object.a.b, d: new Date(0), skip: undefined, fn: function () {}, n: NaN })', 'copy');
    const out = f({ object: input }) as Record<string, unknown>;
    expect(out).toEqual({ list: [1, 2, 3], d: '1970-01-01T00:00:00.000Z', n: null });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.list)).toBe(Array.prototype);
    expect(input.a.b).toEqual([1, 2]);
  });

  it('times out an infinite loop', () => {
    const loop = compileScript('while (true) {}', 'loop');
    const t = Date.now();
    expect(() => loop({})).toThrow(`script loop failed: timed out after ${SCRIPT_TIMEOUT_MS} ms`);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  // In a process of its own: with async hooks active (jest's workers may have them from earlier
  // files), a vm timeout during promise jobs hits a Node assertion (nodejs/node#38503). The server
  // has no async hooks; this checks the sandbox's behaviour, not jest's.
  it('times out infinite promise chains, and a script still works for other input afterwards', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const path = require('node:path') as typeof import('node:path');
    const mod = path.join(__dirname, '..', '..', '..', 'dist', 'src', 'recon', 'script.js');
    const probe = `
      const { compileScript } = require(${JSON.stringify(mod)});
      const out = [];
      const attempt = (f, b) => { try { out.push(String(f(b))); } catch (e) { out.push(/timed out/.test(e.message) ? 'timeout' : e.message); } };
      attempt(compileScript('Promise.resolve().then(function f() { return Promise.resolve().then(f); }); 1', 'micro'), {});
      const sometimes = compileScript("if (source === 'bad') { Promise.resolve().then(function f() { return Promise.resolve().then(f); }); } source", 'sometimes');
      attempt(sometimes, { source: 'bad' });
      attempt(sometimes, { source: 'good' });
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['timeout', 'timeout', 'good']);
  });

  it('cannot reach process or require', () => {
    expect(compileScript("typeof process + ',' + typeof require + ',' + typeof module + ',' + typeof globalThis.process", 'globals')({})).toBe(
      'undefined,undefined,undefined,undefined',
    );
    expect(() => compileScript('process.env', 'env')({})).toThrow(/script env failed: ReferenceError: process is not defined/);
  });

  it.each([
    ["this.constructor.constructor('return process')()", {}],
    ["source.constructor.constructor('return process')()", { source: { a: 1 } }],
    ["source.constructor.constructor('return process')()", { source: 'str' }],
    ["(function () { return this })().constructor.constructor('return process')()", {}],
    ["Object.getPrototypeOf(logger).constructor.constructor('return process')()", {}],
  ])('cannot escape through %s', (src, bindings) => {
    let result: unknown;
    try {
      result = compileScript(src, 'escape')(bindings);
    } catch (err) {
      expect((err as Error).message).toMatch(/^script escape failed: /);
      return;
    }
    expect(result).not.toBe(process);
    expect((result as { env?: unknown } | undefined)?.env).toBeUndefined();
  });

  it('keeps every reachable constructor in the sandbox realm', () => {
    const f = compileScript('this.constructor.constructor === Function && Object.getPrototypeOf(source) === Object.prototype && source.constructor === Object', 'realm');
    expect(f({ source: { a: 1 } })).toBe(true);
    expect(() => compileScript("Function('return 1')()", 'codegen')({})).toThrow(/EvalError: Code generation from strings disallowed/);
  });

  it('does not let a thrown value or a returned object run code outside the timeout', () => {
    // Describing the thrown value runs its getter: inside the call's limit.
    expect(() => compileScript('throw { get message() { while (true) {} } }', 'getter')({})).toThrow(`script getter failed: timed out after ${SCRIPT_TIMEOUT_MS} ms`);
    expect(() => compileScript('throw { get message() { throw 1 } }', 'getter2')({})).toThrow(/script getter2 failed: threw a value that cannot be described/);
    expect(compileScript('({ get x() { while (true) {} }, y: 1 })', 'accessor')({})).toEqual({ y: 1 });
    expect(() => compileScript('new Proxy({}, { ownKeys: function () { while (true) {} } })', 'proxy')({})).toThrow(/Proxy/);
    expect(() => compileScript('Promise.resolve(1)', 'promise')({})).toThrow(/asynchronous scripts are not supported/);
    expect(() => compileScript('var a = []; a.push(a); a', 'cycle')({})).toThrow(/circular/);
  });

  it('reports exceptions and syntax errors with the script name', () => {
    expect(() => compileScript("throw new TypeError('nope')", 'thrower')({})).toThrow('script thrower failed: TypeError: nope');
    expect(() => compileScript("throw 'plain'", 'plain')({})).toThrow('script plain failed: threw plain');
    expect(() => compileScript('this is not javascript', 'syntax')).toThrow(/^script syntax failed: /);
  });

  it('starts every call clean: no leftover globals, bindings or builtin changes', () => {
    const f = compileScript("var r = [typeof leaked, typeof assigned, typeof extra, [].evil]; var leaked = 1; assigned = 2; Array.prototype.evil = 3; r.join(',')", 'clean');
    expect(f({ extra: 1 })).toBe('undefined,undefined,number,');
    expect(f({})).toBe('undefined,undefined,undefined,');
  });

  it('allows re-declaring a binding with var (common in IDM scripts)', () => {
    const f = compileScript('var source = source.trim(); source', 'redeclare');
    expect([f({ source: ' a ' }), f({ source: ' b ' })]).toEqual(['a', 'b']);
  });

  it('still lets instances override inherited properties (frozen prototypes)', () => {
    expect(compileScript("var e = new Error('m'); e.name = 'Custom'; var o = {}; o.toString = function () { return 'o' }; e.name + String(o)", 'override')({})).toBe('Customo');
  });

  it('recovers when a script pins a global it cannot be made to forget', () => {
    const f = compileScript("var seen = typeof pinned; Object.defineProperty(globalThis, 'pinned', { get: function () { return 1 }, configurable: false }); seen", 'pin');
    expect(f({})).toBe('undefined');
    expect(f({})).toBe('undefined');
  });

  it('provides a logger whose lines are buffered in the sandbox and written after the call, also when the script throws', () => {
    const lines: string[][] = [];
    const log: ConfScriptLog = (script, level, text) => lines.push([script, level, text]);
    {
      const f = compileScript("logger.info('x {} and {}', name, { n: 1 }); logger.debug('y'); if (name === 'boom') { logger.warn('about to throw'); throw new Error('boom'); } 5", 'log', { log });
      expect(f({ name: 'a' })).toBe(5);
      expect(lines).toEqual([['log', 'info', 'x a and {"n":1}'], ['log', 'debug', 'y']]);
      lines.length = 0;
      expect(() => f({ name: 'boom' })).toThrow('boom');
      expect(lines).toEqual([['log', 'info', 'x boom and {"n":1}'], ['log', 'debug', 'y'], ['log', 'warn', 'about to throw']]);
      // At most 100 lines per call, then one line saying how many were dropped; the next call starts empty.
      lines.length = 0;
      compileScript("for (var i = 0; i < 150; i++) logger.info('line {}', i); 1", 'many', { log })({});
      expect(lines).toHaveLength(101);
      expect(lines[100]).toEqual(['many', 'warn', '50 more logger line(s) of this call were dropped (at most 100 per call)']);
      lines.length = 0;
      expect(f({ name: 'c' })).toBe(5);
      expect(lines).toHaveLength(2);
    }
  });

  it('binds identityServer.getProperty to a snapshot of the properties the script names (IdentityServer.getProperty: the default when unset)', () => {
    const properties = (n: string) => ({ 'openidm.host': 'idm.example.com', secret: 's3' } as Record<string, string>)[n];
    {
      const f = compileScript("[identityServer.getProperty('openidm.host'), identityServer.getProperty(\"no.such\", 'dflt', true), identityServer.getProperty('no.such'), typeof identityServer.getProperty('secret')].join('|')", 'props', { properties });
      expect(f({})).toBe('idm.example.com|dflt||string');
      // Only literal names: the snapshot is taken at start.
      expect(() => compileScript("var k = 'openidm.host'; identityServer.getProperty(k)", 'computed', { properties })).toThrow(
        "script computed: identityServer.getProperty needs a literal property name here ('name' or \"name\")",
      );
    }
  });

  it('gives each script the log and properties it was compiled with (two servers in one process keep their own)', () => {
    const a: string[] = [];
    const b: string[] = [];
    const src = "logger.info('{}', identityServer.getProperty('who')); 1";
    const fa = compileScript(src, 'a', { log: (_s, _l, t) => a.push(t), properties: (n) => (n === 'who' ? 'server-a' : undefined) });
    const fb = compileScript(src, 'b', { log: (_s, _l, t) => b.push(t), properties: (n) => (n === 'who' ? 'server-b' : undefined) });
    fa({});
    fb({});
    fa({});
    expect(a).toEqual(['server-a', 'server-a']);
    expect(b).toEqual(['server-b']);
  });

  it('drops logger lines when no log is set (a script still runs)', () => {
    expect(compileScript("logger.info('x'); logger.debug('y'); 5", 'log')({})).toBe(5);
  });

  describe('holds the caller at most its limit, whatever it does', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const path = require('node:path') as typeof import('node:path');
    const dist = path.join(__dirname, '..', '..', '..', 'dist', 'src', 'recon', 'script.js');
    // The script process is started (or replaced after a stopped script) before timing a call.
    const warm = compileScript('1', 'warm');
    const blocked = (f: () => unknown): { ms: number; out: unknown } => {
      warm({});
      const t = performance.now();
      let out: unknown;
      try {
        out = f();
      } catch (err) {
        out = (err as Error).message;
      }
      return { ms: performance.now() - t, out };
    };
    // Generous for a loaded 2-core machine; before the script process these took seconds.
    const SLACK_MS = 500;

    it('a result the host would copy for seconds (a 10,000,000-element typed array) is refused within the limit', () => {
      const r = blocked(() => compileScript('new Uint8Array(1e7)', 'typed')({}));
      expect(r.out).toMatch(/^script typed failed: /);
      expect(r.ms).toBeLessThan(SCRIPT_TIMEOUT_MS + SLACK_MS);
    });

    it('a huge result is refused, not handed to the caller', () => {
      expect(blocked(() => compileScript("'x'.repeat(5e6)", 'huge')({})).out).toMatch(/^script huge failed: the result is larger than 4194304 characters of JSON/);
      const r = blocked(() => compileScript("'x'.repeat(2e8)", 'huger')({}));
      // Whichever comes first: the heap limit, or the time limit while the process aborts.
      expect(r.out).toMatch(/^script huger failed: (used more than 128 MB of memory|timed out after 250 ms); the script was stopped$/);
      expect(r.ms).toBeLessThan(SCRIPT_TIMEOUT_MS + SLACK_MS);
      expect(compileScript('source + 1', 'after')({ source: 'a' })).toBe('a1');
    });

    it('overriding what a host might call (JSON.stringify, toJSON, getters, Symbol.toPrimitive, Array.prototype.map) runs nothing outside the sandbox', () => {
      const r = blocked(() =>
        compileScript(
          `try { JSON.stringify = function () { while (true) {} }; Array.prototype.map = JSON.stringify; } catch (e) {}
           ({ a: [1, 2], get b() { while (true) {} }, toJSON: function () { while (true) {} }, [Symbol.toPrimitive]: function () { while (true) {} } })`,
          'overrides',
        )({}),
      );
      expect(r.out).toEqual({ a: [1, 2] });
      expect(r.ms).toBeLessThan(SCRIPT_TIMEOUT_MS + SLACK_MS);
    });

    it('an endless loop is stopped at the limit, and the script works again afterwards', () => {
      const f = compileScript("if (source === 'bad') { while (true) {} } source", 'sometimes');
      const r = blocked(() => f({ source: 'bad' }));
      expect(r.out).toBe(`script sometimes failed: timed out after ${SCRIPT_TIMEOUT_MS} ms; the script was stopped`);
      expect(r.ms).toBeLessThan(SCRIPT_TIMEOUT_MS + SLACK_MS);
      expect(f({ source: 'good' })).toBe('good');
    });

    // In processes of their own: the server with a small heap, and with async hooks active.
    const probe = (nodeArgs: string[], setup: string, scripts: [string, Record<string, unknown>][]): string[] => {
      const code = `
        ${setup}
        const { compileScript } = require(${JSON.stringify(dist)});
        const out = [];
        for (const [src, b] of ${JSON.stringify(scripts)}) {
          const t = performance.now();
          try { out.push(String(compileScript(src, 's')(b))); } catch (e) { out.push(e.message.replace(/^script s failed: /, '')); }
          if (performance.now() - t > ${SCRIPT_TIMEOUT_MS} + 2000) out.push('blocked ' + Math.round(performance.now() - t) + ' ms');
        }
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, [...nodeArgs, '-e', code], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as string[];
    };

    it('allocating past the heap stops the script, not the server (a server with a 128 MB heap)', () => {
      const out = probe(['--max-old-space-size=128'], '', [
        ['var a = []; while (true) a.push(new Array(1e7).fill(a.length + 0.5))', {}],
        ['var a = []; while (true) a.push(new Array(1e5).fill(a.length + 0.5))', {}],
        ['source', { source: 'alive' }],
      ]);
      expect(out[0]).toMatch(/^(used more than 128 MB of memory|timed out after 250 ms); the script was stopped$/);
      expect(out[1]).toMatch(/^(used more than 128 MB of memory|timed out after 250 ms); the script was stopped$/);
      expect(out.slice(2)).toEqual(['alive']);
    });

    it('endless promise jobs are stopped even with async hooks active (nodejs/node#38503 aborted the process)', () => {
      const hooks = "const ah = require('node:async_hooks'); ah.createHook({ init() {} }).enable(); new ah.AsyncLocalStorage().enterWith({});";
      const out = probe([], hooks, [
        ['Promise.resolve().then(function f() { return Promise.resolve().then(f); }); 1', {}],
        ['source', { source: 'alive' }],
      ]);
      expect(out).toEqual(['timed out after 250 ms; the script was stopped', 'alive']);
    });
  });
});
