// performAction on a target alone (POST sync?_action=performAction with targetId and no sourceId,
// and a target-phase approval's job): as OpenIDM's ObjectMapping.performAction does with a
// TargetSyncOperation, the target must exist, its situation is assessed now (SOURCE_MISSING,
// UNASSIGNED, TARGET_IGNORED, or CONFIRMED when its source row is back), an expected situation that
// no longer holds fails the call, else the requested action is applied to the target and its link.
import type { Knex } from 'knex';
import { ManagedUsers } from '../managed/users';
import * as links from '../repo/links';
import { insertAudit } from '../repo/reconAudit';
import { applyAction } from './applyAction';
import { SourceConnector } from './connector';
import { Action, CompiledMapping, Situation } from './interfaces';
import { ResyncResult } from './resyncOne';
import { assessTargetSituation } from './situations';

export interface TargetResyncRequest {
  mapping: CompiledMapping;
  connector: SourceConnector;
  targetId: string;
  action: Action;
  reconId?: string | null;
  situation?: Situation | null;
}

/** sourceId: the linked source row's id, if any; situation null when the target does not exist. */
export type TargetResyncResult = Omit<ResyncResult, 'sourceId' | 'situation'> & { sourceId: string | null; situation: Situation | null };

/** Assesses managed/user/<targetId> now and applies the action (see the header). */
export async function resyncTarget(trx: Knex.Transaction, users: ManagedUsers, req: TargetResyncRequest): Promise<TargetResyncResult> {
  const row = await users.readRow(trx, req.targetId);
  const link = (await links.linksByTarget(trx, req.mapping.name, req.mapping.qualifier, [req.targetId])).get(req.targetId);
  let situation: Situation | null = null;
  let outcome: { status: 'SUCCESS' | 'FAILURE'; message: string | null };
  if (!row) {
    outcome = { status: 'FAILURE', message: `Target object ${req.mapping.target}/${req.targetId} does not exist` };
  } else {
    const linkedSourceExists = link ? (await req.connector.read(link.firstId)) !== null : false;
    situation = assessTargetSituation({ linkedSourceExists, hasLink: !!link, validTarget: req.mapping.isValidTarget(row.obj) });
    if (req.situation && req.situation !== situation) {
      outcome = { status: 'FAILURE', message: `Expected situation does not match. Expected: ${req.situation}, Found: ${situation}` };
    } else if (req.action === 'CREATE' || req.action === 'UPDATE' || req.action === 'LINK') {
      // A TargetSyncOperation has no source object to create, update or link from.
      outcome = { status: 'FAILURE', message: `Cannot ${req.action} ${req.mapping.target}/${req.targetId} from the target phase: there is no source object` };
    } else {
      const done = await applyAction(trx, users, { mapping: req.mapping, action: req.action, source: null, mapped: null, targetId: req.targetId, linked: !!link });
      outcome = { status: done.status, message: done.message };
    }
  }
  if (req.reconId) {
    await insertAudit(trx, [{
      reconId: req.reconId, mapping: req.mapping.name, sourceObjectId: link?.firstId ?? null, targetObjectId: req.targetId, situation, linkQualifier: req.mapping.qualifier,
      action: req.action, status: outcome.status, message: outcome.message, timestamp: new Date().toISOString(),
    }]);
  }
  return { sourceId: link?.firstId ?? null, targetId: req.targetId, situation, action: req.action, status: outcome.status, message: outcome.message };
}
