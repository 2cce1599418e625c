// The package as a user installs it: `require('reconflow')` gives the programmatic API and a user's
// test that imports `reconflow/testing` type-checks, under both of TypeScript's Node resolutions.
// Runs against dist/ (npm test builds it first), through a node_modules/reconflow link as npm makes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let dir: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-user-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'reconflow'), 'dir');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("require('reconflow') gives startServer, defaultHooks and runtimeOptions", () => {
  const out = execFileSync(process.execPath, ['-e', "const r = require('reconflow'); console.log(JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v]))))"], { cwd: dir, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual(expect.objectContaining({ startServer: 'function', defaultHooks: 'function', runtimeOptions: 'function' }));
});

test("require('reconflow/testing') gives processTestKit", () => {
  const out = execFileSync(process.execPath, ['-e', "console.log(typeof require('reconflow/testing').processTestKit)"], { cwd: dir, encoding: 'utf8' });
  expect(out.trim()).toBe('function');
});

test('the kit from the installed dist/ runs the engine in the calling thread, as the repo tests do from src/', () => {
  const script = [
    "const { processTestKit } = require('reconflow/testing');",
    '(async () => {',
    `  const kit = await processTestKit({ baseDir: ${JSON.stringify(ROOT)} });`,
    "  await kit.deploy('processes/managedUserApproval.bpmn');",
    "  const p = await kit.start('managedUserApproval', { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' });",
    "  await p.complete('evaluateRequest', { requestApproved: 'true' });",
    "  await p.expectEndedAt('approved');",
    '  console.log(JSON.stringify({ threads: kit.runtime.engineThreads }));',
    '  await kit.close();',
    '})();',
  ].join('\n');
  const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ threads: 0 });
});

describe.each(['node10', 'node16'])('a user test importing reconflow/testing type-checks (moduleResolution %s)', (resolution) => {
  test('tsc --noEmit passes, and fails on a wrong use of the kit', () => {
    const sub = path.join(dir, resolution);
    fs.mkdirSync(sub, { recursive: true });
    fs.symlinkSync(path.join(dir, 'node_modules'), path.join(sub, 'node_modules'), 'dir');
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: resolution === 'node16' ? 'node16' : 'commonjs', moduleResolution: resolution, types: [], skipLibCheck: true },
      files: ['approval.test.ts'],
    };
    fs.writeFileSync(path.join(sub, 'tsconfig.json'), JSON.stringify(tsconfig));
    fs.writeFileSync(
      path.join(sub, 'approval.test.ts'),
      [
        "import { processTestKit, ProcessTestKit } from 'reconflow/testing';",
        "import { startServer, RunningServer } from 'reconflow';",
        'export async function run(): Promise<void> {',
        '  const kit: ProcessTestKit = await processTestKit();',
        "  await kit.deploy('processes/managedUserApproval.bpmn');",
        '  await kit.close();',
        '}',
        'export type S = RunningServer;',
        'export const s = startServer;',
        '',
      ].join('\n'),
    );
    execFileSync(process.execPath, [TSC, '-p', sub], { encoding: 'utf8' });
    // The declarations are real types, not `any`: a wrong call must not compile.
    fs.appendFileSync(path.join(sub, 'approval.test.ts'), 'export async function wrong(k: ProcessTestKit): Promise<number> { return k.close(); }\n');
    let failed = '';
    try {
      execFileSync(process.execPath, [TSC, '-p', sub], { encoding: 'utf8' });
    } catch (e) {
      failed = String((e as { stdout?: string }).stdout);
    }
    expect(failed).toMatch(/TS2322|not assignable/);
  });
});
