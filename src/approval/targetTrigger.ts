// A workflow policy on a target-phase situation (SOURCE_MISSING, UNASSIGNED, TARGET_IGNORED; issue
// 16): one approval per target, started as OpenIDM's TargetSyncOperation would hand it to
// triggerWorkflowFromSync.js (recon.actionParam with targetId, target "true" and no sourceId), with
// the run's progress counted and one ASYNC audit entry per target, as the source phase does. An
// action script's `workflow/processinstance` create for its target (src/recon/targetPolicyScript.ts)
// takes the same request (targetApprovalInput).
import { AuditEntry } from '../repo/reconAudit';
import { RunScope } from '../recon/runScope';
import { Action, CompiledMapping, Situation } from '../recon/interfaces';
import { ApprovalInput, requestApprovals } from './trigger';

export interface TargetApprovalEntry {
  id: string;
  situation: Situation;
  workflowName: string;
  approvedAction?: Action;
  /** The gone (or present) source row the target's link names, for the audit entry. */
  linkedSourceId: string | null;
  /** The mapping's view for this entry's qualifier (TargetRecon runs once per qualifier); the run's mapping when absent. */
  view?: CompiledMapping;
}

/** The approval request of one target: no source row, the target's id (TargetSyncOperation.toJsonValue). */
export function targetApprovalInput(scope: RunScope, e: Pick<TargetApprovalEntry, 'id' | 'situation' | 'workflowName' | 'approvedAction' | 'view'>): ApprovalInput {
  const { run } = scope;
  const mapping = e.view ?? scope.mapping;
  return {
    workflowName: e.workflowName, mapping, reconId: run.row.id, situation: e.situation, source: null, targetId: e.id,
    action: e.approvedAction,
    askAgain: scope.options.askAgain[mapping.name] ?? 'whenSourceChanges',
    startUserId: (run.row.parameters.startedBy as string) ?? null,
    defaults: scope.options.startVariables,
  };
}

export async function requestTargetApprovals(scope: RunScope, entries: TargetApprovalEntry[]): Promise<AuditEntry[]> {
  if (!entries.length) return [];
  const { db, run, mapping, users } = scope;
  const outcomes = await requestApprovals(db.knex, scope.runtime, users, entries.map((e) => targetApprovalInput(scope, e)));
  const ts = new Date().toISOString();
  return entries.map((e, k) => {
    const outcome = outcomes[k];
    const failed = outcome instanceof Error;
    run.progress.count(e.situation, !failed);
    return {
      reconId: run.row.id, mapping: mapping.name, sourceObjectId: e.linkedSourceId, targetObjectId: e.id, situation: e.situation, action: 'ASYNC',
      status: failed ? 'FAILURE' : 'SUCCESS', message: failed ? `Cannot start ${e.workflowName}: ${outcome.message}` : outcome.message, linkQualifier: (e.view ?? mapping).qualifier, timestamp: ts,
    };
  });
}
