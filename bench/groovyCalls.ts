// Latency of a warm Groovy call through the sidecar JVM (src/scripts/groovyHost.ts), next to the
// same script task call through the JavaScript sandbox (src/scripts/host.ts) measured in the same run,
// and a script-task instance start in each language (engine included).
//   npm run build && node dist/bench/groovyCalls.js [N]
// Prints median / p90 / p99 in microseconds per call. Needs Apache Groovy (apt-get install groovy).
import path from 'node:path';

interface Engine {
  parseDefinition(xml: string): Promise<unknown>;
  startInstance(def: unknown, variables: Record<string, unknown>): Promise<{ status: string }>;
}
interface Groovy {
  groovyHost(): { run(kind: 'task', name: string, source: string, json: string, limitMs: number): string | undefined; compile(name: string, source: string): Promise<string | undefined> };
  groovyInstallation(): unknown;
}
interface Js {
  scriptHost(): { task(name: string, source: string, json: string, limitMs: number): string | undefined };
}
interface Binding {
  withExecution(source: string): string;
}

const dist = path.resolve(__dirname, '..');
/* eslint-disable @typescript-eslint/no-require-imports */
const groovy = require(path.join(dist, 'src', 'scripts', 'groovyHost.js')) as Groovy;
const js = require(path.join(dist, 'src', 'scripts', 'host.js')) as Js;
const binding = require(path.join(dist, 'src', 'workflow', 'executionBinding.js')) as Binding;
const engine = require(path.join(dist, 'src', 'workflow', 'engine.js')) as Engine;
/* eslint-enable @typescript-eslint/no-require-imports */

const META = '@@reconflow.execution';
const meta = { e: { id: 'e', activityId: 'a', eventName: null, processInstanceId: '1', businessKey: null, processDefinitionKey: 'p' }, l: {} };

function stats(samples: number[]): { median: number; p90: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
  return { median: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function timed(n: number, f: (i: number) => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    f(i);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

async function starts(n: number, format: string, code: string): Promise<number[]> {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="${format}"><bpmn:script>${code}</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process></bpmn:definitions>`;
  const def = await engine.parseDefinition(xml);
  for (let i = 0; i < 200; i++) await engine.startInstance(def, { n: i });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    if ((await engine.startInstance(def, { n: i })).status !== 'ended') throw new Error(`${format} script task failed`);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

async function main(): Promise<void> {
  if (typeof groovy.groovyInstallation() === 'string') throw new Error(`Groovy is not installed: ${String(groovy.groovyInstallation())}`);
  const N = Number(process.argv[2] ?? 5000);
  const groovySource = "execution.setVariable('m', n + 1); requester.toUpperCase()";
  const jsSource = binding.withExecution("execution.setVariable('m', n + 1); requester.toUpperCase()");
  const vars = (i: number) => JSON.stringify({ n: i, requester: 'bjensen', [META]: meta });
  const host = groovy.groovyHost();
  // Boot and JIT warm-up: "once warm" is the target's condition.
  await host.compile('bench', groovySource);
  for (let i = 0; i < 5000; i++) host.run('task', 'bench', groovySource, vars(i), 60_000);
  for (let i = 0; i < 2000; i++) js.scriptHost().task('bench', jsSource, vars(i), 60_000);
  const out = {
    N,
    'groovy script call, warm (µs)': stats(timed(N, (i) => host.run('task', 'bench', groovySource, vars(i), 60_000))),
    'javascript script call, same script (µs, in-run baseline)': stats(timed(N, (i) => js.scriptHost().task('bench', jsSource, vars(i), 60_000))),
    'groovy script task instance start, engine included (µs)': stats(await starts(Math.max(100, N / 10), 'groovy', "execution.setVariable('m', n + 1)")),
    'javascript script task instance start, engine included (µs)': stats(await starts(Math.max(100, N / 10), 'javascript', "execution.setVariable('m', n + 1)")),
  };
  console.log(JSON.stringify(out, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
