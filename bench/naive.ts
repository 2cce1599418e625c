// In-run baseline for (b) and (c): a plain bpmn-engine loop over processes/managedUserApproval.bpmn,
// the way the bpmn-engine docs suggest, with the two things anyone measuring would do: parse once
// (one moddle context for every Engine) and a silent logger. Start each instance until it waits,
// getState (definition source removed), stop; later recover each state, resume, signal the user
// task, and run to the end. No SQL. Expressions use the project's resolver: bpmn-engine's default
// one cannot evaluate the gateway conditions (${requestApproved == 'true'}).
import fs from 'node:fs';
import path from 'node:path';
import camundaDescriptor from 'camunda-bpmn-moddle/resources/camunda.json';
import { engineExpressions } from '../src/workflow/expressions';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Engine } = require('bpmn-engine') as { Engine: new (o: Record<string, unknown>) => any };
const BpmnModdle = require(require.resolve('bpmn-moddle', { paths: [path.dirname(require.resolve('bpmn-engine'))] })) as new (p: Record<string, unknown>) => { fromXML(xml: string): Promise<any> };
const Elements = require('bpmn-elements') as Record<string, unknown>;
const { default: Serializer, TypeResolver } = require('moddle-context-serializer') as { default: (c: unknown, r: unknown) => unknown; TypeResolver: (t: unknown) => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

export interface NaiveResult {
  instances: number;
  startPerSecond: number;
  completePerSecond: number;
  /** JSON bytes of a waiting instance's state without the embedded definition */
  stateBytes: number;
  completedOk: number;
}

const silent = () => ({ debug() {}, error() {}, warn() {} });

export async function runNaive(bpmnFile: string, n: number): Promise<NaiveResult> {
  const moddle = new BpmnModdle({ camunda: camundaDescriptor });
  const ctx = await moddle.fromXML(fs.readFileSync(bpmnFile, 'utf8'));
  const sourceContext = Serializer(ctx, TypeResolver(Elements));
  // bpmn-engine's own timers: the escalation timer is armed while an engine runs, cleared by stop()/end.
  const options = { sourceContext, expressions: engineExpressions, Logger: silent };

  const states: unknown[] = [];
  let stateBytes = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const engine = new Engine({ name: 'naive', ...options });
    const waiting = new Promise<void>((resolve) => engine.broker.subscribeOnce('event', 'activity.wait', () => resolve()));
    await engine.execute({ variables: { sourceId: `user${i}`, reconId: 'r', mapping: 'm', situation: 'ABSENT', action: 'CREATE', linkQualifier: 'default' } });
    await waiting;
    const state = await engine.getState();
    for (const d of state.definitions) delete d.source;
    const json = JSON.stringify(state);
    stateBytes += json.length;
    states.push(JSON.parse(json));
    await engine.stop();
  }
  const t1 = process.hrtime.bigint();
  let completedOk = 0;
  for (let i = 0; i < n; i++) {
    const engine = new Engine({ name: 'naive', ...options }).recover(states[i]);
    const ended = new Promise<void>((resolve) => engine.once('end', () => resolve()));
    const execution = await engine.resume();
    const [task] = execution.getPostponed().filter((a: { type: string }) => a.type === 'bpmn:UserTask');
    task.environment.variables.requestApproved = 'true';
    task.signal({ requestApproved: 'true' });
    await ended;
    if (engine.state === 'idle' && engine.environment.output !== undefined) completedOk++;
  }
  const t2 = process.hrtime.bigint();
  return {
    instances: n,
    startPerSecond: n / (Number(t1 - t0) / 1e9),
    completePerSecond: n / (Number(t2 - t1) / 1e9),
    stateBytes: Math.round(stateBytes / n),
    completedOk,
  };
}

if (require.main === module) {
  void runNaive(process.argv[2] ?? 'processes/managedUserApproval.bpmn', Number(process.argv[3] ?? 500)).then((r) => console.log(JSON.stringify(r)));
}
