// The ABSENT action of the sample: ask for an approval of each row's snapshot, unless the ask-again
// policy says otherwise. A batch costs one request lookup per mapping, one runtime.startMany and
// one multi-row insert of snapshots inside the transaction that stores the new instances.
import type { Knex } from 'knex';
import { ManagedUsers } from '../managed/users';
import { insertRequests, RequestRow, requestsOfSources } from '../repo/decisions';
import { Q } from '../repo/dialect';
import { CompiledMapping, Situation, SourceObject } from '../recon/interfaces';
import { StartRequest, WorkflowRuntime } from '../workflow/runtime';
import { openKeyFor, Snapshot, startVariables } from './contract';
import { AskAgain, verdict } from './askAgain';
import { snapshotOf } from './request';

export interface ApprovalInput {
  workflowName: string;
  mapping: CompiledMapping;
  reconId: string;
  situation: string;
  source: SourceObject;
  targetId: string | null;
  askAgain: AskAgain;
  startUserId: string | null;
  /** Deployment-wide start variables, e.g. escalationDuration from conf/workflow.json. */
  defaults?: Record<string, unknown>;
}

export interface ApprovalOutcome {
  started: boolean;
  processInstanceId: number | null;
  message: string;
}

function startRequest(t: ApprovalInput, s: Snapshot): StartRequest {
  return {
    key: t.workflowName,
    businessKey: `sourceId: ${s.sourceId}, targetId: ${t.targetId ?? ''}, reconId: ${t.reconId}`,
    variables: startVariables({ reconId: t.reconId, mapping: s.mapping, situation: t.situation, sourceId: s.sourceId, sourceHash: s.sourceHash, targetId: t.targetId }, t.defaults),
    startUserId: t.startUserId,
    openKey: openKeyFor(t.workflowName, s.mapping, s.sourceId),
  };
}

/**
 * Each entry gets its outcome or its own Error (a row that cannot become a user is an Error and no
 * task); when the batch as a whole fails, every entry is tried alone so one cannot fail the others.
 */
export async function requestApprovals(q: Q, runtime: WorkflowRuntime, users: ManagedUsers, inputs: ApprovalInput[]): Promise<(ApprovalOutcome | Error)[]> {
  try {
    return await requestBatch(q, runtime, users, inputs);
  } catch (e) {
    if (inputs.length === 1) return [e instanceof Error ? e : new Error(String(e))];
    const out: (ApprovalOutcome | Error)[] = [];
    for (const input of inputs) out.push((await requestApprovals(q, runtime, users, [input]))[0]);
    return out;
  }
}

async function requestBatch(q: Q, runtime: WorkflowRuntime, users: ManagedUsers, inputs: ApprovalInput[]): Promise<(ApprovalOutcome | Error)[]> {
  const out: (ApprovalOutcome | Error)[] = new Array(inputs.length);
  const snapshots = inputs.map((t) => snapshotOf(t.mapping, t.source, users, { situation: t.situation as Situation, reconId: t.reconId }));
  const byMapping = new Map<string, string[]>();
  snapshots.forEach((s) => {
    if (s instanceof Error) return;
    const ids = byMapping.get(s.mapping) ?? [];
    ids.push(s.sourceId);
    byMapping.set(s.mapping, ids);
  });
  const requests = new Map<string, Awaited<ReturnType<typeof requestsOfSources>>>();
  for (const [mapping, ids] of byMapping) requests.set(mapping, await requestsOfSources(q, mapping, ids));

  const starting: { index: number; snapshot: Snapshot; req: StartRequest; replaces: number | null }[] = [];
  const supersede = new Map<string, { instanceId: number; reason: string }>();
  inputs.forEach((t, index) => {
    const s = snapshots[index];
    if (s instanceof Error) {
      out[index] = s;
      return;
    }
    const v = verdict(requests.get(s.mapping)?.get(s.sourceId) ?? [], s.sourceHash, t.askAgain);
    if (v.kind === 'skip') {
      out[index] = { started: false, processInstanceId: v.processInstanceId, message: v.message };
      return;
    }
    const req = startRequest(t, s);
    if (v.kind === 'supersede') supersede.set(req.openKey!, { instanceId: v.instanceId, reason: v.reason });
    starting.push({ index, snapshot: s, req, replaces: v.kind === 'supersede' ? v.instanceId : null });
  });
  if (!starting.length) return out;

  const snapshotOfReq = new Map(starting.map((s) => [s.req, s.snapshot]));
  const bind = async (trx: Knex.Transaction, stored: { req: StartRequest; instance: { id: number } }[]) => {
    const at = new Date().toISOString();
    const rows: RequestRow[] = [];
    for (const { req, instance } of stored) {
      const s = snapshotOfReq.get(req);
      if (!s) continue;
      rows.push({ processInstanceId: instance.id, mapping: s.mapping, sourceId: s.sourceId, sourceHash: s.sourceHash, reconId: String(req.variables.reconId ?? '') || null, target: s.target, requestedAt: at, outcome: null, outcomeMessage: null, outcomeAt: null });
    }
    await insertRequests(trx, rows);
  };
  const started = await runtime.startMany(starting.map((s) => s.req), { supersede, onStored: bind });
  starting.forEach((s, k) => {
    const { instance, created } = started[k];
    const name = inputs[s.index].workflowName;
    out[s.index] = {
      started: created,
      processInstanceId: instance.id,
      message: !created
        ? `An approval is already open (instance ${instance.id})`
        : s.replaces !== null
          ? `Started ${name} instance ${instance.id}; it supersedes instance ${s.replaces}, whose source row changed`
          : `Started ${name} instance ${instance.id}`,
    };
  });
  return out;
}
