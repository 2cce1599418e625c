// The ABSENT action of the sample: instead of creating the user, start one approval process for
// the source row, unless one is already open for it (the open key), or it was rejected before
// and the row has not changed since (reconflow's memory; IDM would ask again).
import { Q } from '../repo/dialect';
import { DecisionRow, latestDecision, latestDecisions } from '../repo/decisions';
import { StartRequest, WorkflowRuntime } from '../workflow/runtime';

export type AskAgain = 'whenSourceChanges' | 'always' | 'never';

export interface TriggerInput {
  workflowName: string;
  mapping: string;
  reconId: string;
  situation: string;
  sourceId: string;
  sourceHash: string | null;
  targetId: string | null;
  askAgain: AskAgain;
  startUserId: string | null;
  /** Deployment-wide start variables, e.g. escalationDuration from conf/workflow.json. */
  defaults?: Record<string, unknown>;
}

export interface TriggerOutcome {
  started: boolean;
  processInstanceId: number | null;
  message: string;
}

export function openKeyFor(workflowName: string, mapping: string, sourceId: string): string {
  return `${workflowName}|${mapping}|${sourceId}`;
}

/** The outcome when an earlier rejection still stands, else null. */
function stillRejected(t: TriggerInput, last: Pick<DecisionRow, 'decision' | 'sourceHash' | 'decidedBy' | 'decidedAt'> | null): TriggerOutcome | null {
  if (t.askAgain === 'always') return null;
  if (last?.decision === 'rejected' && (t.askAgain === 'never' || last.sourceHash === t.sourceHash)) {
    return { started: false, processInstanceId: null, message: `Rejected by ${last.decidedBy ?? 'an approver'} at ${last.decidedAt}; the source row has not changed since` };
  }
  return null;
}

export async function triggerWorkflow(q: Q, runtime: WorkflowRuntime, t: TriggerInput): Promise<TriggerOutcome> {
  if (t.askAgain !== 'always') {
    const rejected = stillRejected(t, await latestDecision(q, t.mapping, t.sourceId));
    if (rejected) return rejected;
  }
  const { instance, created } = await runtime.start(startRequest(t));
  return outcomeOf(t, instance.id, created);
}

function outcomeOf(t: TriggerInput, id: number, created: boolean): TriggerOutcome {
  return {
    started: created,
    processInstanceId: id,
    message: created ? `Started ${t.workflowName} instance ${id}` : `An approval is already open (instance ${id})`,
  };
}

/**
 * triggerWorkflow for a batch: one decision lookup per mapping and one runtime.startMany. Each
 * entry gets its outcome or its own Error; when the batch as a whole fails, every entry is tried
 * alone so that one bad entry cannot fail the others.
 */
export async function triggerWorkflows(q: Q, runtime: WorkflowRuntime, inputs: TriggerInput[]): Promise<(TriggerOutcome | Error)[]> {
  const out: (TriggerOutcome | Error)[] = new Array(inputs.length);
  try {
    const decisions = new Map<string, Map<string, DecisionRow>>();
    for (const mapping of new Set(inputs.filter((t) => t.askAgain !== 'always').map((t) => t.mapping))) {
      const ids = inputs.filter((t) => t.mapping === mapping && t.askAgain !== 'always').map((t) => t.sourceId);
      decisions.set(mapping, await latestDecisions(q, mapping, ids));
    }
    const starting: number[] = [];
    inputs.forEach((t, i) => {
      const rejected = stillRejected(t, decisions.get(t.mapping)?.get(t.sourceId) ?? null);
      if (rejected) out[i] = rejected;
      else starting.push(i);
    });
    const started = await runtime.startMany(starting.map((i) => startRequest(inputs[i])));
    starting.forEach((i, k) => {
      out[i] = outcomeOf(inputs[i], started[k].instance.id, started[k].created);
    });
    return out;
  } catch {
    for (let i = 0; i < inputs.length; i++) {
      out[i] = await triggerWorkflow(q, runtime, inputs[i]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    }
    return out;
  }
}

function startRequest(t: TriggerInput): StartRequest {
  const variables: Record<string, unknown> = {
    ...t.defaults,
    reconId: t.reconId,
    mapping: t.mapping,
    situation: t.situation,
    action: 'CREATE',
    sourceId: t.sourceId,
    linkQualifier: 'default',
    sourceHash: t.sourceHash,
  };
  if (t.targetId) variables.targetId = t.targetId;
  return {
    key: t.workflowName,
    businessKey: `sourceId: ${t.sourceId}, targetId: ${t.targetId ?? ''}, reconId: ${t.reconId}`,
    variables,
    startUserId: t.startUserId,
    openKey: openKeyFor(t.workflowName, t.mapping, t.sourceId),
  };
}
