// The asynchronous script path (src/scripts/asyncHost.ts): a real script process whose calls block
// inside the script (IDM's script API is synchronous) while this thread answers them.
import { runScriptAsync, ScriptCall } from '../../../src/scripts/asyncHost';

const echo = async (call: ScriptCall) => ({ name: call.name, args: call.args });

describe('runScriptAsync', () => {
  it('gives the script a synchronous answer to each call, served asynchronously here', async () => {
    const seen: string[] = [];
    const value = await runScriptAsync({
      name: 'calls.js',
      source: 'var a = openidm.read("managed/user/x"); var b = openidm.query("managed/user", {_queryFilter: "true"}); [a.name, b.args[1]._queryFilter, n]',
      bindings: { n: 3 },
      limitMs: 2000,
      onCall: async (call) => {
        seen.push(call.name);
        await new Promise((r) => setTimeout(r, 20));
        return echo(call);
      },
    });
    expect(value).toEqual(['openidm.read', 'true', 3]);
    expect(seen).toEqual(['openidm.read', 'openidm.query']);
  });

  it('turns a rejected call into an exception the script can catch, with the CREST code', async () => {
    const value = await runScriptAsync({
      name: 'catch.js',
      source: 'var r; try { openidm.delete("x/y", null); r = "no"; } catch (e) { r = [e.message, e.code, e instanceof Error]; } r',
      bindings: {},
      limitMs: 2000,
      onCall: async () => {
        throw Object.assign(new Error('nope'), { code: 404 });
      },
    });
    expect(value).toEqual(['openidm.delete: nope', 404, true]);
  });

  it('does not count the time spent serving calls against the limit, but stops a script that runs past it', async () => {
    // 3 calls of 150 ms each: more than the 300 ms limit, yet the script's own time is small.
    await expect(
      runScriptAsync({
        name: 'slowcalls.js',
        source: 'openidm.read("a"); openidm.read("b"); openidm.read("c"); "done"',
        bindings: {},
        limitMs: 300,
        onCall: () => new Promise((r) => setTimeout(() => r(null), 150)),
      }),
    ).resolves.toBe('done');
    const started = Date.now();
    await expect(runScriptAsync({ name: 'loop.js', source: 'for (;;) {}', bindings: {}, limitMs: 200, onCall: echo })).rejects.toThrow(/script loop.js failed: timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    // A killed child is replaced: the next run works.
    await expect(runScriptAsync({ name: 'after.js', source: '1 + 1', bindings: {}, limitMs: 2000, onCall: echo })).resolves.toBe(2);
  });

  it('stops a script that exhausts its heap, and the next run gets a fresh process', async () => {
    await expect(
      runScriptAsync({ name: 'oom.js', source: 'var a = []; for (;;) a.push({ x: "y".repeat(100) + a.length });', bindings: {}, limitMs: 20_000, onCall: echo }),
    ).rejects.toThrow(/oom.js failed: (used more than \d+ MB|the script process ended)/);
    await expect(runScriptAsync({ name: 'after.js', source: '"ok"', bindings: {}, limitMs: 2000, onCall: echo })).resolves.toBe('ok');
  }, 30_000);

  it('keeps the sandbox: the API objects hand out no host function', async () => {
    const value = await runScriptAsync({
      name: 'escape.js',
      source: `var out = [];
        try { out.push(openidm.read.constructor('return process')()); } catch (e) { out.push('blocked'); }
        try { out.push(logger.info.constructor.constructor('return process')()); } catch (e) { out.push('blocked'); }
        try { openidm.read = null; } catch (e) {}
        out.push(typeof openidm.read);
        out`,
      bindings: {},
      limitMs: 2000,
      onCall: echo,
    });
    expect(value).toEqual(['blocked', 'blocked', 'function']);
  });

  it('starts every run of a script clean: no globals or bindings of an earlier run', async () => {
    const source = 'var seen = typeof counter === "undefined" ? "fresh" : "leaked"; counter = 1; leftover = typeof extra; [seen, leftover, openidm.read("x").name]';
    const first = await runScriptAsync({ name: 'state.js', source, bindings: { extra: 1 }, limitMs: 2000, onCall: echo });
    const second = await runScriptAsync({ name: 'state.js', source, bindings: {}, limitMs: 2000, onCall: echo });
    expect(first).toEqual(['fresh', 'number', 'openidm.read']);
    expect(second).toEqual(['fresh', 'undefined', 'openidm.read']);
  });

  it('runs scripts side by side (one process each): a script may wait on a call that runs another', async () => {
    const inner = () => runScriptAsync({ name: 'inner.js', source: 'openidm.read("i").name', bindings: {}, limitMs: 2000, onCall: echo });
    const value = await runScriptAsync({
      name: 'outer.js',
      source: 'openidm.action("x", "run")',
      bindings: {},
      limitMs: 2000,
      onCall: async () => inner(),
    });
    expect(value).toBe('openidm.read');
  });
});
