// The job of an approved request whose action is not CREATE (issue 16): performs the request's
// own action (read from approval_request, never from variables or the job's payload) as OpenIDM's
// ObjectMapping.performAction does with the request's params: a SourceSyncOperation for a source
// row (resyncOne.ts), a TargetSyncOperation for a target-phase request (resyncTarget.ts), each
// re-assessing the situation now. A situation that changed since the request, or an action the
// situation refuses, fails the job for good ("Expected situation does not match…"): an incident,
// never a silent success. Once: the request's claim (createUser.ts) commits with the action.
import type { Knex } from 'knex';
import { PermanentJobFailure } from '../jobs/interfaces';
import { RequestRow, setOutcome } from '../repo/decisions';
import { parseAction, resyncOne } from '../recon/resyncOne';
import { resyncTarget } from '../recon/resyncTarget';
import { Situation } from '../recon/interfaces';
import { requestView } from './createUser';
import type { CreateUserDeps, CreateUserResult } from './createUser';

export async function performApproved(trx: Knex.Transaction, deps: CreateUserDeps, req: RequestRow, at: string): Promise<CreateUserResult> {
  const instanceId = req.processInstanceId;
  // Under the request's link qualifier (its view), as performAction with recon.actionParam.linkQualifier.
  const mapping = requestView(deps, req);
  const connector = deps.connectors.get(mapping.source);
  if (!connector) throw new PermanentJobFailure(`No connector for ${mapping.source}`);
  const action = parseAction(req.action ?? undefined);
  const situation = (req.situation ?? null) as Situation | null;
  let result: { status: 'SUCCESS' | 'FAILURE'; message: string | null; sourceId: string | null; targetId: string | null };
  if (req.sourceId !== null) {
    if (!(await connector.read(req.sourceId))) throw new PermanentJobFailure(`Source object ${mapping.source}/${req.sourceId} does not exist: nothing was done (${action})`);
    result = await resyncOne(trx, deps.users, { mapping, connector, sourceId: req.sourceId, action, reconId: req.reconId, situation });
  } else if (req.targetId) {
    result = await resyncTarget(trx, deps.users, { mapping, connector, targetId: req.targetId, action, reconId: req.reconId, situation });
  } else {
    throw new PermanentJobFailure(`The request of instance ${instanceId} names neither a source row nor a target: nothing was done`);
  }
  if (result.status === 'FAILURE') throw new PermanentJobFailure(`${action} not performed: ${result.message ?? 'the action failed'}`);
  const message = `${action} performed${result.targetId ? ` on ${mapping.target}/${result.targetId}` : ''}`;
  await setOutcome(trx, instanceId, 'performed', message, at);
  return { outcome: 'performed', sourceId: result.sourceId, targetId: result.targetId, message };
}
