// Benchmark (g), issue 15's target: "a 3-step process with a parallel fork and a sub-process reaches
// ≥ 3× the naive bpmn-engine loop over the same file for start→wait and for completions".
// bench/processes/threeStep.bpmn: start → fork → [user task A | sub-process with user task B] → join
// → user task C → end.
//
// Runtime: WorkflowRuntime and Definitions in this process over the bench's backend (real SQL, the
// engine pool as the server runs it; no HTTP): starts in batches of 200 (as a recon starts them),
// then every instance's A, B and C completed by 16 concurrent callers, each step stored.
// Naive: bpmn-engine as its docs suggest, parsed once, one Engine per step: start until A and B
// wait and getState; then per completion recover, resume, signal the task (at any depth), getState.
// No SQL. Each completion is a step a durable engine has to store, so both sides count 3 per instance.
import fs from 'node:fs';
import path from 'node:path';
import camundaDescriptor from 'camunda-bpmn-moddle/resources/camunda.json';
import type { Principal } from '../src/auth/interfaces';
import { quietLogger } from '../src/log';
import { migrate, openDb } from '../src/repo/db';
import { Definitions } from '../src/workflow/definitions';
import { engineExpressions } from '../src/workflow/expressions';
import { WorkflowRuntime } from '../src/workflow/runtime';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Engine } = require('bpmn-engine') as { Engine: new (o: Record<string, unknown>) => any };
const BpmnModdle = require(require.resolve('bpmn-moddle', { paths: [path.dirname(require.resolve('bpmn-engine'))] })) as new (p: Record<string, unknown>) => { fromXML(xml: string): Promise<any> };
const Elements = require('bpmn-elements') as Record<string, unknown>;
const { default: Serializer, TypeResolver } = require('moddle-context-serializer') as { default: (c: unknown, r: unknown) => unknown; TypeResolver: (t: unknown) => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

export const THREE_STEP_FILE = path.resolve(__dirname, '..', '..', 'bench', 'processes', 'threeStep.bpmn');
const KEY = 'threeStep';
const STEPS = ['taskA', 'taskB', 'taskC'];
const CLIENTS = 16;
const BATCH = 200;
const USER: Principal = { component: 'managed/user', id: 'bench.user', userName: 'bench.user', roles: [] };

export interface ThreeStepResult {
  instances: number;
  startPerSecond: number;
  /** completions of A, B and C */
  completePerSecond: number;
  ended: number;
}

/** Why the runtime cannot run the file yet (a task that never appears), or undefined. */
export type Measured = ThreeStepResult | { unmeasurable: string };

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
const silent = () => ({ debug() {}, error() {}, warn() {} });

// ---- naive --------------------------------------------------------------------------------------

/** Waiting activities at any depth (a sub-process's own postponed children). */
function postponed(execution: { getPostponed(): any[] }): any[] {
  const out: any[] = [];
  const seen = new Set<string>();
  const visit = (apis: any[]) => {
    for (const a of apis) {
      // An activity's getPostponed() lists itself too.
      if (seen.has(a.executionId)) continue;
      seen.add(a.executionId);
      out.push(a);
      if (typeof a.getPostponed === 'function') visit(a.getPostponed());
    }
  };
  visit(execution.getPostponed());
  return out;
}

const settle = () => new Promise((r) => setImmediate(r));

export async function runNaiveThreeStep(n: number, file = THREE_STEP_FILE): Promise<ThreeStepResult> {
  const moddle = new BpmnModdle({ camunda: camundaDescriptor });
  const sourceContext = Serializer(await moddle.fromXML(fs.readFileSync(file, 'utf8')), TypeResolver(Elements));
  const options = { sourceContext, expressions: engineExpressions, Logger: silent };
  const saved = async (engine: any) => {
    const state = await engine.getState();
    for (const d of state.definitions) delete d.source;
    return JSON.parse(JSON.stringify(state));
  };
  let states: unknown[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const engine = new Engine({ name: 'naive', ...options });
    const execution = await engine.execute({ variables: { i } });
    await settle();
    const waiting = postponed(execution).filter((a) => a.type === 'bpmn:UserTask').map((a) => a.id).sort();
    if (waiting.join() !== 'taskA,taskB') throw new Error(`naive start ${i}: waits at ${waiting.join() || 'nothing'}`);
    states.push(await saved(engine));
    await engine.stop();
  }
  const startSeconds = seconds(t0);
  const t1 = process.hrtime.bigint();
  let ended = 0;
  for (const step of STEPS) {
    const next: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const engine = new Engine({ name: 'naive', ...options }).recover(states[i]);
      let done = false;
      engine.once('end', () => (done = true));
      const execution = await engine.resume();
      const task = postponed(execution).find((a) => a.id === step);
      if (!task) throw new Error(`naive instance ${i}: ${step} does not wait`);
      task.signal({});
      await settle();
      // stop() of an engine that has ended never resolves.
      if (done) ended++;
      else {
        next.push(await saved(engine));
        await engine.stop();
      }
    }
    states = next;
  }
  return { instances: n, startPerSecond: n / startSeconds, completePerSecond: (STEPS.length * n) / seconds(t1), ended };
}

// ---- through the runtime ------------------------------------------------------------------------

export async function runRuntimeThreeStep(n: number, db: { url: string; schema?: string; projectDir: string }, file = THREE_STEP_FILE): Promise<Measured> {
  const handle = openDb({ url: db.url, schema: db.schema, projectDir: db.projectDir });
  try {
    await migrate(handle, db.schema);
    const definitions = new Definitions(handle, quietLogger);
    const runtime = new WorkflowRuntime(handle, definitions, quietLogger);
    try {
      await definitions.deployXml(fs.readFileSync(file, 'utf8'), path.basename(file));
      // The first instance shows whether the runtime exposes every waiting task yet.
      const { instance: probe } = await runtime.start({ key: KEY, variables: { i: -1 } });
      const probeTasks = (await runtime.tasksOfInstance(probe.id)).map((t) => t.taskDefinitionKey).sort();
      if (probe.status !== 'active' || probeTasks.join() !== 'taskA,taskB') {
        return { unmeasurable: `the runtime's first instance ${probe.status === 'active' ? `waits with tasks [${probeTasks.join(', ')}]` : `is ${probe.status}: ${probe.error ?? ''}`}, not [taskA, taskB]` };
      }
      const ids: number[] = [];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i += BATCH) {
        const reqs = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => ({ key: KEY, variables: { i: i + j } }));
        for (const r of await runtime.startMany(reqs)) ids.push(r.instance.id);
      }
      const startSeconds = seconds(t0);
      let next = 0;
      let ended = 0;
      const t1 = process.hrtime.bigint();
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++];
          try {
            for (const step of STEPS) {
              const task = (await runtime.tasksOfInstance(id)).find((t) => t.taskDefinitionKey === step);
              if (!task) throw new Error(`instance ${id}: ${step} is not a task`);
              const after = await runtime.complete(task.id, {}, USER);
              if (after.status === 'ended') ended++;
            }
          } catch (e) {
            next = ids.length; // the other callers stop too
            throw e;
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, worker));
      return { instances: n, startPerSecond: n / startSeconds, completePerSecond: (STEPS.length * n) / seconds(t1), ended };
    } finally {
      await runtime.close();
    }
  } finally {
    if (handle.dialect === 'pg' && db.schema) await handle.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [db.schema]);
    await handle.knex.destroy();
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 200);
  void (async () => {
    console.log('naive', JSON.stringify(await runNaiveThreeStep(n)));
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'reconflow-g-'));
    console.log('runtime', JSON.stringify(await runRuntimeThreeStep(n, { url: path.join(dir, 'g.sqlite'), projectDir: dir })));
    fs.rmSync(dir, { recursive: true, force: true });
  })();
}
