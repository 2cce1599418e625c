// Policy action scripts on target-phase situations (SOURCE_MISSING, UNASSIGNED, TARGET_IGNORED),
// run as OpenIDM's TargetSyncOperation runs them through Policy.getAction: `source` null (IDM puts
// none in the scope), `target` the managed user, `sourceAction: false`, `linkQualifier`, and
// `recon.actionParam` = TargetSyncOperation.toJsonValue + `_action: "performAction"`: reconId,
// mapping, situation, action (the situation's default), `target: "true"`, oldSource (null),
// linkQualifier, targetId, and no sourceId.
//
// As in the source phase (policyScript.ts), the scripts run after the page's transaction, one target
// at a time, through runScriptAsync with IDM's script API; the answer is applied in its own
// transaction, a removal within the run's deletion budget. A `workflow/processinstance` create for
// the target is the target-phase approval request (src/approval/targetTrigger.ts: snapshot,
// ask-again, one open request per target).
import { targetApprovalInput } from '../approval/targetTrigger';
import { requestApprovals } from '../approval/trigger';
import { insertAudit, AuditEntry } from '../repo/reconAudit';
import { ManagedUserRow } from '../repo/managedUsers';
import { runScriptAsync } from '../scripts/asyncHost';
import type { StartedProcess } from '../scriptApi/openidmFacade';
import { applyInSavepoint } from './applyAction';
import { countRemoval, removes } from './deletionGuard';
import { Action, CompiledMapping, PolicyScript, Situation, SourceObject } from './interfaces';
import { DEFAULT_ACTIONS } from './mapping';
import { actionOf, POLICY_SCRIPT_TIMEOUT_MS } from './policyScript';
import { recordedStatus } from './reconStatus';
import { RunScope } from './runScope';
import type { CompiledScript } from './script';

const NEEDS_SOURCE: readonly Action[] = ['CREATE', 'UPDATE', 'LINK'];

export interface TargetScriptRow {
  id: string;
  /** The mapping under this entry's qualifier (TargetRecon runs once per qualifier); its scripts see that qualifier. */
  view: CompiledMapping;
  /** The source id the target's link names (gone for SOURCE_MISSING), for the audit entry. */
  linkedSourceId: string | null;
  row: ManagedUserRow | null;
  situation: Situation;
  script: PolicyScript;
  /** The policy's postAction (Policy.evaluatePostAction), run after the answered action. */
  postAction?: CompiledScript;
}

/** Runs the page's action scripts, applies each answer (ASYNC: nothing more) and writes the audit entries. */
export async function runTargetPolicyScripts(scope: RunScope, rows: TargetScriptRow[], ts: string): Promise<void> {
  const { db, run, mapping, users } = scope;
  const facade = scope.options.scripts;
  const startedBy = (run.row.parameters.startedBy as string) ?? null;
  for (const r of rows) {
    const audit: AuditEntry[] = [];
    const entry = (action: Action, status: 'SUCCESS' | 'FAILURE', message: string | null) => {
      run.progress.count(r.situation, status === 'SUCCESS');
      if (action !== 'NOREPORT') {
        audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: r.linkedSourceId, targetObjectId: r.id, situation: r.situation, action, status, message, linkQualifier: r.view.qualifier, timestamp: ts });
      }
    };
    const handed: string[] = [];
    const startApproval = async (workflowName: string): Promise<StartedProcess> => {
      const approvedAction = typeof r.script.globals.approvedAction === 'string' ? (r.script.globals.approvedAction as Action) : undefined;
      const [outcome] = await requestApprovals(db.knex, scope.runtime, users, [targetApprovalInput(scope, { id: r.id, situation: r.situation, workflowName, approvedAction, view: r.view })]);
      if (outcome instanceof Error) throw new Error(`Cannot start ${workflowName}: ${outcome.message}`);
      handed.push(outcome.message);
      const id = outcome.processInstanceId === null ? null : String(outcome.processInstanceId);
      return { _id: id, processInstanceId: id, status: 'suspended', started: outcome.started, message: outcome.message };
    };
    let answer: unknown;
    try {
      if (!facade) throw new Error('the script API is not available to this run');
      const actionParam = {
        _action: 'performAction', reconId: run.row.id, mapping: mapping.name, situation: r.situation, action: DEFAULT_ACTIONS[r.situation],
        target: 'true', oldSource: null, linkQualifier: r.script.linkQualifier, targetId: r.id,
      };
      answer = await runScriptAsync({
        name: r.script.name,
        source: r.script.source,
        modules: r.script.modules,
        bindings: { ...r.script.globals, source: null, target: r.row ? users.present(r.row) : null, sourceAction: false, linkQualifier: r.script.linkQualifier, recon: { actionParam } },
        limitMs: POLICY_SCRIPT_TIMEOUT_MS,
        onCall: facade.handler({ scriptName: r.script.name, actor: startedBy, reconRow: { reconId: run.row.id, mapping: mapping.name, sourceId: null, targetId: r.id, startApproval } }),
      });
    } catch (e) {
      entry('EXCEPTION', 'FAILURE', (e as Error).message);
      await insertAudit(db.knex, audit);
      continue;
    }
    const action = actionOf(answer);
    if (action instanceof Error) entry('EXCEPTION', 'FAILURE', `${r.script.name}: ${action.message}`);
    else if (action === 'ASYNC') entry('ASYNC', 'SUCCESS', handed.length ? handed.join('; ') : `${r.script.name} answered ASYNC`);
    // As ObjectMapping.performAction with a TargetSyncOperation (resyncTarget.ts): these need a source object.
    else if (NEEDS_SOURCE.includes(action)) entry(action, 'FAILURE', `${r.script.name} answered ${action}, which needs a source object; ${r.situation} has none`);
    else {
      const a = { source: null as unknown as SourceObject, situation: r.situation, target: r.row, targetId: r.id, linked: r.linkedSourceId !== null, correlatedIds: [] };
      if (run.budget && removes(action, a)) {
        const counts = new Map<string, number>();
        countRemoval(counts, r.situation, action);
        run.budget.check(counts, false);
        run.budget.spend(1);
      }
      const outcome = await db.knex.transaction((trx) => applyInSavepoint(trx, users, r.view, action, a, { reconId: run.row.id, targetPhase: true, postAction: r.postAction }));
      // EXCEPTION is recorded as IDM's recon records it (reconStatus.ts).
      entry(action, recordedStatus(action, outcome.status), outcome.message);
    }
    await insertAudit(db.knex, audit);
  }
}
