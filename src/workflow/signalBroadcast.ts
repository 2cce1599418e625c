// Broadcasting a signal, as Camunda 7 does: every execution waiting for it (each instance once,
// all its catches of that signal in one run) and every signal start event of the latest version
// of a definition. Every run first, then the waiting instances' runs in one transaction, then the
// starts: a run that fails stores nothing.
import * as subs from '../repo/eventSubscriptions';
import { resumeInstance, runStart, storeRuns, storeStart, type PendingRun, type PendingStart } from './eventDelivery';
import type { RuntimeContext } from './runtimeContext';

export interface SignalBroadcast {
  name: string;
  variables?: Record<string, unknown>;
  startUserId?: string;
}

export interface Broadcasted {
  /** instances reached: resumed and started */
  count: number;
  resumed: number[];
  started: number[];
}

export async function broadcastSignal(rt: RuntimeContext, req: SignalBroadcast): Promise<Broadcasted> {
  const variables = req.variables ?? {};
  const waiting = await subs.waitingFor(rt.db.knex, 'signal', req.name);
  const instanceIds = [...new Set(waiting.map((s) => s.processInstanceId))];
  const runs: PendingRun[] = [];
  for (const id of instanceIds) {
    const first = waiting.find((s) => s.processInstanceId === id)!;
    runs.push(await resumeInstance(rt, id, { kind: 'signal', name: req.name }, variables, `Signal '${req.name}'`, first.activityId));
  }
  const starts: PendingStart[] = [];
  for (const s of await subs.latestStartsFor(rt.db.knex, 'signal', req.name)) starts.push(await runStart(rt, s, 'signal', req.name, variables));
  const resumed = (await storeRuns(rt, runs)).map((i) => i.id);
  const started: number[] = [];
  for (const p of starts) started.push((await storeStart(rt, p, { variables, startUserId: req.startUserId ?? null })).instance.id);
  return { count: resumed.length + started.length, resumed, started };
}
