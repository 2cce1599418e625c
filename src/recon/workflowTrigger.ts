// The ABSENT action of the sample: instead of creating the user, start one approval process for
// the source row, unless one is already open for it (the open key), or it was rejected before
// and the row has not changed since (reconflow's memory; IDM would ask again).
import { Q } from '../repo/dialect';
import { latestDecision } from '../repo/decisions';
import { WorkflowRuntime } from '../workflow/runtime';

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
}

export interface TriggerOutcome {
  started: boolean;
  processInstanceId: number | null;
  message: string;
}

export function openKeyFor(workflowName: string, mapping: string, sourceId: string): string {
  return `${workflowName}|${mapping}|${sourceId}`;
}

export async function triggerWorkflow(q: Q, runtime: WorkflowRuntime, t: TriggerInput): Promise<TriggerOutcome> {
  if (t.askAgain !== 'always') {
    const last = await latestDecision(q, t.mapping, t.sourceId);
    if (last?.decision === 'rejected' && (t.askAgain === 'never' || last.sourceHash === t.sourceHash)) {
      return { started: false, processInstanceId: null, message: `Rejected by ${last.decidedBy ?? 'an approver'} at ${last.decidedAt}; the source row has not changed since` };
    }
  }
  const variables: Record<string, unknown> = {
    reconId: t.reconId,
    mapping: t.mapping,
    situation: t.situation,
    action: 'CREATE',
    sourceId: t.sourceId,
    linkQualifier: 'default',
    sourceHash: t.sourceHash,
  };
  if (t.targetId) variables.targetId = t.targetId;
  const { instance, created } = await runtime.start({
    key: t.workflowName,
    businessKey: `sourceId: ${t.sourceId}, targetId: ${t.targetId ?? ''}, reconId: ${t.reconId}`,
    variables,
    startUserId: t.startUserId,
    openKey: openKeyFor(t.workflowName, t.mapping, t.sourceId),
  });
  return {
    started: created,
    processInstanceId: instance.id,
    message: created ? `Started ${t.workflowName} instance ${instance.id}` : `An approval is already open (instance ${instance.id})`,
  };
}
