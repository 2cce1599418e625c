// Micro-benchmark of sandboxed script calls from the calling thread: conf transforms (one call per
// row that the pure memo does not answer) and BPMN script tasks (one instance start each).
//   node dist/bench/scriptCalls.js [distDir]
// distDir defaults to this build; pass another build's dist/ to compare (e.g. one of the previous
// commit). Prints microseconds per call.
import path from 'node:path';

type Compile = (source: string, name: string) => (bindings: Record<string, unknown>) => unknown;
interface Engine {
  parseDefinition(xml: string): Promise<unknown>;
  startInstance(def: unknown, variables: Record<string, unknown>): Promise<{ status: string }>;
}

const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
/* eslint-disable @typescript-eslint/no-require-imports */
const { compileScript } = require(path.join(dist, 'src', 'recon', 'script.js')) as { compileScript: Compile };
const engine = require(path.join(dist, 'src', 'workflow', 'engine.js')) as Engine;
/* eslint-enable @typescript-eslint/no-require-imports */

const row = { uid: 'bjensen', givenName: 'Barbara', sn: 'Jensen', email: 'bjensen@example.com', telephoneNumber: '555-1212', roles: 'openidm-authorized', description: 'x'.repeat(40) };

function perCall(n: number, f: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 1000); i++) f(i); // warm-up (and the script process's start)
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

async function perStart(n: number, code: string): Promise<number> {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t"><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script>${code}</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process></bpmn:definitions>`;
  const def = await engine.parseDefinition(xml);
  for (let i = 0; i < 50; i++) await engine.startInstance(def, { n: i });
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if ((await engine.startInstance(def, { n: i })).status !== 'ended') throw new Error('script task failed');
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

async function main(): Promise<void> {
  const N = Number(process.env.N ?? 20_000);
  const str = compileScript('source.toLowerCase()', 'lower');
  const obj = compileScript("object.givenName + ' ' + object.sn", 'fullName');
  const arr = compileScript("source.split(',').map(function (r) { return { _ref: 'internal/role/' + r }; })", 'roles');
  const out = {
    dist,
    'transform, string binding (µs/call)': perCall(N, (i) => str({ source: `User${i}` })),
    'transform, object binding (µs/call)': perCall(N, (i) => obj({ object: { ...row, sn: `Jensen${i}` }, target: null, linkQualifier: 'default' })),
    'transform returning objects (µs/call)': perCall(N, (i) => arr({ source: `a,b,c${i}` })),
    'script task instance start, engine included (µs/start)': await perStart(Math.max(1, Math.round(N / 40)), 'variables.m = variables.n + 1'),
  };
  console.log(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v), 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
