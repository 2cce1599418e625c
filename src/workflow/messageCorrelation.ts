// Correlating a message, as Camunda 7 does: by name, optionally a business key and process
// variables that must be equal; exactly one waiting execution unless `all`; when no execution
// waits, a start at the message start event of the latest version of a definition.
import { InvalidInput } from '../errors';
import * as subs from '../repo/eventSubscriptions';
import { resumeInstance, runStart, storeRuns, storeStart, type PendingRun } from './eventDelivery';
import type { RuntimeContext } from './runtimeContext';

export interface MessageCorrelation {
  messageName: string;
  businessKey?: string;
  /** process variables the instance must have, each equal (JSON) */
  correlationKeys?: Record<string, unknown>;
  /** set on the instance that receives the message (or that it starts) */
  processVariables?: Record<string, unknown>;
  /** every match instead of exactly one */
  all?: boolean;
  startUserId?: string;
}

export interface Correlated {
  processInstanceId: number;
  started: boolean;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function cannotCorrelate(name: string, why: string, detail: Record<string, unknown>): InvalidInput {
  return new InvalidInput(`Cannot correlate message '${name}': ${why}`, { messageName: name, ...detail });
}

/** Delivers the message; InvalidInput (400) when nothing, or more than one without `all`, matches. */
export async function correlateMessage(rt: RuntimeContext, req: MessageCorrelation): Promise<Correlated[]> {
  const name = req.messageName;
  const variables = req.processVariables ?? {};
  const keys = Object.entries(req.correlationKeys ?? {});
  const waiting = (await subs.waitingFor(rt.db.knex, 'message', name, req.businessKey)).filter((s) => keys.every(([k, v]) => Object.hasOwn(s.variables, k) && sameJson(s.variables[k], v)));
  if (waiting.length) {
    if (waiting.length > 1 && !req.all) {
      throw cannotCorrelate(name, `${waiting.length} executions match the parameters; correlate with "all": true to deliver it to every one`, { matches: waiting.length });
    }
    // One run per instance: every matching execution of it receives the message in that run.
    const byInstance = new Map<number, subs.WaitingSubscription[]>();
    for (const s of waiting) byInstance.set(s.processInstanceId, [...(byInstance.get(s.processInstanceId) ?? []), s]);
    const runs: PendingRun[] = [];
    for (const [instanceId, rows] of byInstance) {
      const target = { executionIds: rows.map((r) => r.executionId), kind: 'message' as const, name };
      runs.push(await resumeInstance(rt, instanceId, target, variables, `Correlating message '${name}'`, rows[0].activityId));
    }
    const stored = await storeRuns(rt, runs);
    return stored.map((i) => ({ processInstanceId: i.id, started: false }));
  }
  const starts = await subs.latestStartsFor(rt.db.knex, 'message', name);
  if (!starts.length) throw cannotCorrelate(name, 'No process definition or execution matches the parameters', {});
  if (starts.length > 1 && !req.all) {
    throw cannotCorrelate(name, `${starts.length} process definitions start with it; correlate with "all": true to start every one`, { matches: starts.length });
  }
  // Every run first: a start that fails stores nothing at all.
  const pending = [];
  for (const s of starts) pending.push(await runStart(rt, s, 'message', name, variables));
  const out: Correlated[] = [];
  for (const p of pending) {
    const { instance } = await storeStart(rt, p, { businessKey: req.businessKey ?? null, variables, startUserId: req.startUserId ?? null });
    out.push({ processInstanceId: instance.id, started: true });
  }
  return out;
}
