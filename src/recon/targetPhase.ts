// The target phase of a full run: the managed users the source phase did not reach, page by page,
// are SOURCE_MISSING (linked to a source row that is gone), UNASSIGNED (no link) or TARGET_IGNORED
// (not a valid target), and their policy's action is applied with its audit entry (a workflow
// policy asks for an approval per target instead: src/approval/targetTrigger.ts). A mapping that
// can delete or unlink here counts its removals over every page first, and stops the run before
// the first one when they pass its deletionThreshold (deletionGuard.ts). An action script's policy
// runs after the page's transaction (targetPolicyScript.ts).
import { ManagedUserRow, managedUserIdsAfter, readManagedUsers } from '../repo/managedUsers';
import * as links from '../repo/links';
import { AuditEntry, insertAudit } from '../repo/reconAudit';
import { requestTargetApprovals } from '../approval/targetTrigger';
import { applyInSavepoint } from './applyAction';
import { countRemoval, removes } from './deletionGuard';
import { IdMarks } from './idSet';
import { Action, CompiledMapping, PolicyScript, Situation, SourceObject } from './interfaces';
import type { CompiledScript } from './script';
import { recordedStatus } from './reconStatus';
import { BATCH, RunScope } from './runScope';
import { runTargetPolicyScripts } from './targetPolicyScript';
import { assessTargetSituation } from './situations';

interface TargetEntry {
  id: string;
  /** The mapping's view for this entry's qualifier (TargetRecon runs once per qualifier). */
  view: CompiledMapping;
  link: links.LinkRow | undefined;
  row: ManagedUserRow | null;
  situation: Situation;
  action: Action;
  postAction?: CompiledScript;
  /** A workflow policy's process (its approval is asked after the page's actions: src/approval/targetTrigger.ts). */
  workflowName?: string;
  approvedAction?: Action;
  /** An action script's policy (run after the page's transaction: targetPolicyScript.ts). */
  script?: PolicyScript;
}

/** Target-phase situations: a policy removing on any of them makes the phase plan its removals first. */
const TARGET_SITUATIONS: Situation[] = ['SOURCE_MISSING', 'UNASSIGNED', 'TARGET_IGNORED'];

/**
 * Reconciles every target not in `touched`; `seenSources` tells a link to a live source row from
 * one to a row that is gone. Calls `maybeFlush` after each page (the run's progress).
 */
export async function reconcileTargets(scope: RunScope, seenSources: IdMarks, touched: IdMarks, maybeFlush: () => Promise<void>): Promise<void> {
  const { db, run, mapping, users } = scope;
  // A mapping that can remove in this phase counts its removals first, and stops before any when they are too many.
  if (run.budget && allViews(mapping).some((view) => TARGET_SITUATIONS.some((s) => { const p = view.policyFor(s); return p.kind === 'action' && (p.action === 'DELETE' || p.action === 'UNLINK'); }))) {
    const planned = new Map<string, number>();
    for await (const entries of targetEntries(scope, seenSources, touched)) {
      for (const e of entries) if (removes(e.action, { targetId: e.id, linked: !!e.link })) countRemoval(planned, e.situation, e.action);
    }
    if (run.canceled) return;
    run.budget.check(planned, true);
  }
  for await (const entries of targetEntries(scope, seenSources, touched)) {
    const removals = new Map<string, number>();
    for (const e of entries) if (removes(e.action, { targetId: e.id, linked: !!e.link })) countRemoval(removals, e.situation, e.action);
    run.budget?.check(removals, false); // targets unlinked since the plan
    const audit: AuditEntry[] = [];
    const ts = new Date().toISOString();
    await db.knex.transaction(async (trx) => {
      for (const { id, view, link, row, situation, action, postAction, workflowName, script } of entries) {
        run.resultStats?.noteTarget(situation, id);
        // TargetSyncOperation reports to ReconciliationStatistic.processed too: the target, and its link when it had one.
        run.progress.targetProcessed++;
        if (link) run.progress.linksProcessed++;
        if (workflowName || script) continue;
        const outcome = await applyInSavepoint(trx, users, view, action, { source: null as unknown as SourceObject, situation, target: row, targetId: id, linked: !!link, correlatedIds: [] }, { reconId: run.row.id, postAction, targetPhase: true });
        const status = recordedStatus(action, outcome.status);
        run.progress.count(situation, status === 'SUCCESS');
        if (action !== 'NOREPORT') {
          audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: link?.firstId ?? null, targetObjectId: id, situation, action, status, message: outcome.message, linkQualifier: view.qualifier, timestamp: ts });
        }
      }
    });
    for (const n of removals.values()) run.budget?.spend(n);
    await insertAudit(db.knex, audit);
    const approvals = entries.filter((e) => e.workflowName).map((e) => ({ id: e.id, situation: e.situation, workflowName: e.workflowName!, approvedAction: e.approvedAction, linkedSourceId: e.link?.firstId ?? null, view: e.view }));
    await insertAudit(db.knex, await requestTargetApprovals(scope, approvals));
    const scripted = entries.filter((e) => e.script).map((e) => ({ id: e.id, view: e.view, linkedSourceId: e.link?.firstId ?? null, row: e.row, situation: e.situation, script: e.script!, postAction: e.postAction }));
    if (scripted.length) await runTargetPolicyScripts(scope, scripted, ts);
    await maybeFlush();
  }
}

/** The targets the source phase did not touch, page by page, with their link, row, situation and action. */
async function* targetEntries(scope: RunScope, seenSources: IdMarks, touched: IdMarks): AsyncGenerator<TargetEntry[]> {
  const { db, run, mapping } = scope;
  let after: string | null = null;
  for (;;) {
    if (run.canceled) return;
    const ids = await managedUserIdsAfter(db.knex, after, BATCH);
    if (!ids.length) return;
    after = ids[ids.length - 1];
    const untouched = ids.filter((id) => !touched.has(id));
    if (!untouched.length) continue;
    const rows = await readManagedUsers(db.knex, untouched);
    const views = allViews(mapping);
    const byTarget = new Map<CompiledMapping, Map<string, links.LinkRow>>();
    for (const view of views) byTarget.set(view, await links.linksByTarget(db.knex, mapping.name, view.qualifier, untouched));
    const entries: TargetEntry[] = [];
    for (const id of untouched) for (const view of views) {
      const link = byTarget.get(view)!.get(id);
      const row = rows.get(id);
      const situation = assessTargetSituation({ linkedSourceExists: !!link && seenSources.has(link.firstId), hasLink: !!link, validTarget: row ? view.isValidTarget(row.obj) : false });
      if (situation === 'CONFIRMED') continue; // reported in the source phase
      const policy = view.policyFor(situation);
      entries.push({ id, view, link, row: row ?? null, situation, action: policy.kind === 'action' ? policy.action : 'ASYNC', ...(policy.postAction && { postAction: policy.postAction }), ...(policy.kind === 'workflow' && { workflowName: policy.workflowName, approvedAction: policy.approvedAction }), ...(policy.kind === 'script' && { script: policy.script }) });
    }
    if (entries.length) yield entries;
  }
}

/**
 * TargetRecon assesses each target once per qualifier, all of them (ObjectMapping.getAllLinkQualifiers:
 * the script with returnAll); a mapping without linkQualifiers is its one view.
 */
function allViews(mapping: CompiledMapping): CompiledMapping[] {
  const all = mapping.qualifiersOf(null);
  return all ? all.map((q) => mapping.forQualifier(q)) : [mapping];
}
