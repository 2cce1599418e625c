// Script tasks hold the engine's thread at most their limit (1000 ms), whatever they override,
// loop on or allocate. The engine runs in this (jest's) thread here, as it does on a server's main
// thread when a process starts; the lag of a 2 ms interval timer during the run measures how long
// that thread was blocked.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseDefinition, startInstance, type RunResult } from '../../../src/workflow/engine';
import { SCRIPT_TASK_TIMEOUT_MS } from '../../../src/workflow/scripts';

const bpmn = (code: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script><![CDATA[${code}]]></bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

/** Runs a one-script process; `lag` is the longest the thread went without running a timer. */
async function run(code: string, variables: Record<string, unknown> = {}): Promise<{ result: RunResult; lag: number }> {
  const def = await parseDefinition(bpmn(code));
  // The script process is started (or replaced after a stopped script) before timing the run.
  await startInstance(await parseDefinition(bpmn('1')), {});
  let lag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last);
    last = now;
  }, 2);
  try {
    const result = await startInstance(def, variables);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { result, lag: Math.max(lag, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

// Generous for a loaded 2-core machine; before the script process these took seconds.
const LIMIT = SCRIPT_TASK_TIMEOUT_MS + 500;

describe('script tasks stay inside their limit', () => {
  it('an overridden JSON.stringify cannot hand the host a huge string to parse (2.4 s blocked before)', async () => {
    const { result, lag } = await run(`JSON.stringify = function () { return '{"v":{"big":[' + '0,'.repeat(6e7) + '0]}}' }; variables.ok = 1`);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('ended');
    expect(result.variables).toEqual(expect.objectContaining({ ok: 1 }));
    expect(result.variables).not.toHaveProperty('big');
    expect(lag).toBeLessThan(LIMIT);
  });

  it('toJSON, getters and overridden prototypes are never run by the host', async () => {
    const { result, lag } = await run(`
      variables.x = { y: 1, toJSON: function () { while (true) {} } };
      Object.defineProperty(variables, 'g', { enumerable: true, get: function () { while (true) {} } });
      Object.defineProperty(Object.prototype, 'z', { get: function () { while (true) {} } });
      Array.prototype.map = function () { while (true) {} };
      Object.keys = function () { while (true) {} };
      variables.n = variables.a + 1;`, { a: 1 });
    expect(result.error).toBeUndefined();
    expect(result.variables).toEqual(expect.objectContaining({ a: 1, n: 2, x: { y: 1 } }));
    expect(result.variables).not.toHaveProperty('g');
    expect(lag).toBeLessThan(LIMIT);
  });

  it('huge variables fail the task naming the activity (92 MB stored before)', async () => {
    const { result, lag } = await run(`variables.big = new Array(4e6).fill('xxxxxxxxxxxxxxxxxxxx'); 1`);
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ activityId: 't', message: expect.stringMatching(/^script bpmn:ScriptTask\/t failed: the result is too large/) });
    expect(lag).toBeLessThan(LIMIT);
    const wide = await run(`variables.big = 'x'.repeat(5e6); 1`);
    expect(wide.result.error?.message).toBe('script bpmn:ScriptTask/t failed: the result is larger than 4194304 characters of JSON');
  });

  it('an endless loop fails the task after 1000 ms, naming the activity and the limit', async () => {
    const { result, lag } = await run('while (true) {}');
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ activityId: 't', message: 'script bpmn:ScriptTask/t failed: timed out after 1000 ms; the script was stopped' });
    expect(lag).toBeLessThan(LIMIT);
    expect((await run('variables.after = 1')).result.variables).toEqual(expect.objectContaining({ after: 1 }));
  });

  it('has no host access: no require, process, module or binary buffers', async () => {
    const { result } = await run('variables.t = [typeof require, typeof process, typeof module, typeof setTimeout, typeof ArrayBuffer, typeof WebAssembly].join()');
    expect(result.variables.t).toBe('undefined,undefined,undefined,undefined,undefined,undefined');
  });

  // In processes of their own: a server with a small heap, and one with async hooks active.
  const engine = path.join(__dirname, '..', '..', '..', 'dist', 'src', 'workflow', 'engine.js');
  const probe = (nodeArgs: string[], setup: string, codes: string[]): string[] => {
    const code = `
      ${setup}
      const { parseDefinition, startInstance } = require(${JSON.stringify(engine)});
      const bpmn = ${bpmn.toString()};
      (async () => {
        const out = [];
        for (const c of ${JSON.stringify(codes)}) {
          const r = await startInstance(await parseDefinition(bpmn(c)), {});
          out.push(r.status + ': ' + (r.error ? r.error.message : JSON.stringify(r.variables)));
        }
        console.log(JSON.stringify(out));
      })();`;
    const r = spawnSync(process.execPath, [...nodeArgs, '-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as string[];
  };

  it('allocating past the heap fails the task, not the server (a server with a 384 MB heap aborted before)', () => {
    const out = probe(['--max-old-space-size=384'], '', ['var a = []; while (true) a.push(new Array(1e7).fill(a.length + 0.5))', 'variables.alive = true']);
    // On a loaded machine the time limit may come first; either way the script is stopped.
    expect(out[0]).toMatch(/^failed: script bpmn:ScriptTask\/t failed: (used more than 128 MB of memory|timed out after 1000 ms); the script was stopped$/);
    expect(out.slice(1)).toEqual(['ended: {"alive":true}']);
  });

  it('endless promise jobs fail the task even with async hooks active (nodejs/node#38503 aborted the process before)', () => {
    const hooks = "const ah = require('node:async_hooks'); ah.createHook({ init() {} }).enable(); new ah.AsyncLocalStorage().enterWith({});";
    const out = probe([], hooks, ['Promise.resolve().then(function f() { return Promise.resolve().then(f); })', 'variables.alive = true']);
    // The chain allocates too: it may reach the heap limit before the time limit.
    expect(out[0]).toMatch(/^failed: script bpmn:ScriptTask\/t failed: (timed out after 1000 ms|used more than 128 MB of memory); the script was stopped$/);
    expect(out.slice(1)).toEqual(['ended: {"alive":true}']);
  });
});
