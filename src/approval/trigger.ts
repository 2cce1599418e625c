// A workflow policy's action (the sample's ABSENT; any situation of either phase since issue 16):
// ask for an approval of each row's snapshot, unless the ask-again policy says otherwise. A batch
// costs one request lookup per mapping, one runtime.startMany and one multi-row insert of snapshots
// inside the transaction that stores the new instances. The process gets IDM's recon.actionParam:
// the action is the situation's default (Situation.getDefaultAction, as SyncOperation.determineAction
// sets it before the policy's script runs) unless the policy's approvedAction names another.
import type { Knex } from 'knex';
import { ManagedUsers } from '../managed/users';
import { insertRequests, RequestRow, RequestState, requestsOfSources, requestsOfTargets } from '../repo/decisions';
import { Q } from '../repo/dialect';
import { readManagedUsers } from '../repo/managedUsers';
import { DEFAULT_ACTIONS } from '../recon/mapping';
import { Action, CompiledMapping, Situation, SourceObject } from '../recon/interfaces';
import { StartRequest, WorkflowRuntime } from '../workflow/runtime';
import { openKeyFor, Snapshot, startVariables } from './contract';
import { AskAgain, verdict } from './askAgain';
import { actionSnapshotOf, snapshotOf } from './request';

export interface ApprovalInput {
  workflowName: string;
  mapping: CompiledMapping;
  reconId: string;
  situation: Situation;
  /** null in the target phase. */
  source: SourceObject | null;
  targetId: string | null;
  /** The action the approval performs (recon.actionParam.action); the situation's default when not given. */
  action?: Action;
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
    businessKey: `sourceId: ${s.sourceId ?? ''}, targetId: ${t.targetId ?? ''}, reconId: ${t.reconId}`,
    variables: startVariables({ reconId: t.reconId, mapping: s.mapping, situation: t.situation, action: s.action, sourceId: s.sourceId, sourceHash: s.sourceHash, targetId: t.targetId, linkQualifier: s.linkQualifier }, t.defaults),
    startUserId: t.startUserId,
    openKey: openKeyFor(t.workflowName, s.mapping, s.sourceId, t.targetId, s.linkQualifier),
  };
}

const actionOf = (t: ApprovalInput): Action => t.action ?? DEFAULT_ACTIONS[t.situation];

/** Each input's snapshot: CREATE as always; other actions show their target (read in one query). */
async function snapshotsOf(q: Q, users: ManagedUsers, inputs: ApprovalInput[]): Promise<(Snapshot | Error)[]> {
  const ids = inputs.filter((t) => actionOf(t) !== 'CREATE' && t.targetId).map((t) => t.targetId!);
  const targets = ids.length ? await readManagedUsers(q, [...new Set(ids)]) : new Map();
  return inputs.map((t) => {
    const action = actionOf(t);
    if (action === 'CREATE') return t.source ? snapshotOf(t.mapping, t.source, users, { situation: t.situation as Situation, reconId: t.reconId }) : new Error(`CREATE needs a source row (situation ${t.situation})`);
    return actionSnapshotOf(t.mapping, action, t.situation, t.source, t.targetId, (t.targetId && targets.get(t.targetId)) || null);
  });
}

/** The subject a request is kept under: its source row, or its target in the target phase. */
const subjectOf = (s: Snapshot) => (s.sourceId !== null ? `s:${s.sourceId}` : `t:${s.targetId ?? ''}`);

/** The view a request belongs to: its mapping under its link qualifier. */
const viewOf = (s: Snapshot) => `${s.linkQualifier}\0${s.mapping}`;

/**
 * Each entry gets its outcome or its own Error (a row that cannot become a user is an Error and no
 * task); when the batch as a whole fails, every entry is tried alone so one cannot fail the others.
 */
export async function requestApprovals(q: Q, runtime: Pick<WorkflowRuntime, 'startMany'>, users: ManagedUsers, inputs: ApprovalInput[]): Promise<(ApprovalOutcome | Error)[]> {
  try {
    return await requestBatch(q, runtime, users, inputs);
  } catch (e) {
    if (inputs.length === 1) return [e instanceof Error ? e : new Error(String(e))];
    const out: (ApprovalOutcome | Error)[] = [];
    for (const input of inputs) out.push((await requestApprovals(q, runtime, users, [input]))[0]);
    return out;
  }
}

async function requestBatch(q: Q, runtime: Pick<WorkflowRuntime, 'startMany'>, users: ManagedUsers, inputs: ApprovalInput[]): Promise<(ApprovalOutcome | Error)[]> {
  const out: (ApprovalOutcome | Error)[] = new Array(inputs.length);
  const snapshots = await snapshotsOf(q, users, inputs);
  // Per (mapping, link qualifier): a batch is one view, so this is one lookup as it always was.
  const byView = new Map<string, { mapping: string; linkQualifier: string; sources: string[]; targets: string[] }>();
  snapshots.forEach((s) => {
    if (s instanceof Error) return;
    const ids = byView.get(viewOf(s)) ?? { mapping: s.mapping, linkQualifier: s.linkQualifier, sources: [], targets: [] };
    if (s.sourceId !== null) ids.sources.push(s.sourceId);
    else if (s.targetId !== null) ids.targets.push(s.targetId);
    byView.set(viewOf(s), ids);
  });
  // Per view, the requests of each subject ("s:<sourceId>" or "t:<targetId>").
  const requests = new Map<string, Map<string, RequestState[]>>();
  for (const [view, ids] of byView) {
    const bySubject = new Map<string, RequestState[]>();
    if (ids.sources.length) for (const [id, list] of await requestsOfSources(q, ids.mapping, ids.sources, ids.linkQualifier)) bySubject.set(`s:${id}`, list);
    if (ids.targets.length) for (const [id, list] of await requestsOfTargets(q, ids.mapping, ids.targets, ids.linkQualifier)) bySubject.set(`t:${id}`, list);
    requests.set(view, bySubject);
  }

  const starting: { index: number; snapshot: Snapshot; req: StartRequest; replaces: number | null }[] = [];
  const supersede = new Map<string, { instanceId: number; reason: string }>();
  inputs.forEach((t, index) => {
    const s = snapshots[index];
    if (s instanceof Error) {
      out[index] = s;
      return;
    }
    const v = verdict(requests.get(viewOf(s))?.get(subjectOf(s)) ?? [], s.sourceHash, t.askAgain);
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
      rows.push({
        processInstanceId: instance.id, mapping: s.mapping, sourceId: s.sourceId, sourceHash: s.sourceHash, reconId: String(req.variables.reconId ?? '') || null, target: s.target,
        action: s.action, situation: s.situation, targetId: s.targetId, linkQualifier: s.linkQualifier, requestedAt: at, outcome: null, outcomeMessage: null, outcomeAt: null,
      });
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
          ? `Started ${name} instance ${instance.id}; it supersedes instance ${s.replaces}, whose ${s.snapshot.sourceId !== null ? 'source row' : 'target'} changed`
          : `Started ${name} instance ${instance.id}`,
    };
  });
  return out;
}
