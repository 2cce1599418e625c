// The decision record: when an approval instance ends, who decided and how. Approved means its end
// enqueued the createUser job; the outcome of that job is recorded on the request (createUser.ts).
import type { Knex } from 'knex';
import { insertDecision } from '../repo/decisions';
import { EndedEvent } from '../workflow/runtime';

/** The onEnded hook of the runtime: an ended approval instance records its decision (others are not approvals). */
export async function recordDecision(trx: Knex.Transaction, e: EndedEvent): Promise<void> {
  const v = e.instance.variables;
  if (e.result.status !== 'ended' || typeof v.mapping !== 'string' || typeof v.sourceId !== 'string') return;
  await insertDecision(trx, {
    processInstanceId: e.instance.id,
    taskId: e.taskId ?? null,
    mapping: v.mapping,
    sourceId: v.sourceId,
    sourceHash: typeof v.sourceHash === 'string' ? v.sourceHash : null,
    reconId: typeof v.reconId === 'string' ? v.reconId : null,
    decision: e.result.jobs.some((j) => j.topic === 'createUser') ? 'approved' : 'rejected',
    decidedBy: e.completedBy ?? null,
    decidedAt: new Date().toISOString(),
  });
}
