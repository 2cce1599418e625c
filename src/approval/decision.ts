// The decision record: when an approval instance ends, who decided and how. Approved means its end
// enqueued the createUser job; the outcome of that job is recorded on the request (createUser.ts).
import type { Knex } from 'knex';
import { insertDecisionAndUnrequested } from '../repo/decisions';
import { EndedEvent } from '../workflow/runtime';

export const NO_SNAPSHOT = (instanceId: number) =>
  `Process instance ${instanceId} has no approval request (it was not asked for by a reconciliation, or was asked before approvals kept what they approve): nothing is created; a reconciliation asks again with what it would create`;

/** The onFinished hook of the runtime: an ended approval instance records its decision (others are not approvals). */
export async function recordDecision(trx: Knex.Transaction, e: EndedEvent): Promise<void> {
  const v = e.instance.variables;
  // A target-phase approval (issue 16) has a targetId and no sourceId.
  if (e.result.status !== 'ended' || typeof v.mapping !== 'string' || (typeof v.sourceId !== 'string' && typeof v.targetId !== 'string')) return;
  const approved = e.result.jobs.some((j) => j.topic === 'createUser');
  const at = new Date().toISOString();
  const row = {
    processInstanceId: e.instance.id,
    mapping: v.mapping,
    sourceId: typeof v.sourceId === 'string' ? v.sourceId : null,
    sourceHash: typeof v.sourceHash === 'string' ? v.sourceHash : null,
    reconId: typeof v.reconId === 'string' ? v.reconId : null,
  };
  // Only a request a reconciliation made has a snapshot to create: without one, the approval's
  // outcome is failed from the start (never a plain "approved" in history or the inbox).
  const decision = { ...row, taskId: e.taskId ?? null, decision: approved ? 'approved' : 'rejected', decidedBy: e.completedBy ?? null, decidedAt: at, comment: e.comment ?? null } as const;
  await insertDecisionAndUnrequested(trx, decision, approved ? { message: NO_SNAPSHOT(e.instance.id), at } : null);
}
