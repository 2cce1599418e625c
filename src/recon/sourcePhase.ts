// The source phase of a run, one batch of source records at a time: each record is checked (bad
// row, duplicate id), assessed against the target (situation), and its policy's action applied in
// one transaction with the batch's audit entries; ABSENT rows whose policy is a workflow then ask
// for approvals in one batched trigger (src/approval). An UPDATE that would change nothing writes
// nothing (unchangedUpdate), which keeps a re-run of an unchanged source cheap. With linkQualifiers
// the batch is reconciled once per qualifier, over the sources that have it (OpenIDM's
// SourceSyncOperation per qualifier), each pass with that qualifier's view of the mapping.
import type { Knex } from 'knex';
import { requestApprovals } from '../approval/trigger';
import * as links from '../repo/links';
import { AuditEntry, insertAudit } from '../repo/reconAudit';
import { ActionOutcome, applyInSavepoint } from './applyAction';
import { Assessment, assessBatch, isFailure } from './assess';
import { countRemoval, removes } from './deletionGuard';
import { sha256Hex } from './hash';
import { IdMarks } from './idSet';
import { Action, CompiledMapping, PolicyAction, PolicyScript, Situation, SourceObject, SourceRecord } from './interfaces';
import { runPolicyScripts } from './policyScript';
import { changedFields } from './mapping';
import { recordedStatus } from './reconStatus';
import { RunScope } from './runScope';

/**
 * Reconciles one batch of source records. `seen` collects the source ids of the run (a second
 * occurrence is a failure), `touched` the targets the source phase reached (the target phase
 * skips them).
 */
export async function reconcileSourceBatch(scope: RunScope, batch: SourceRecord[], seen: IdMarks, touched: IdMarks): Promise<void> {
  const { run, mapping } = scope;
  const audit: AuditEntry[] = [];
  const ts = new Date().toISOString();
  const fail = failer(scope, audit, ts);
  const good: Good[] = [];
  for (const rec of batch) {
    run.progress.sourceProcessed++;
    if (!rec.ok) {
      fail(null, null, `line ${rec.line}: ${rec.error}`);
      continue;
    }
    if (seen.has(rec.object._id)) {
      fail(rec.object._id, null, `line ${rec.line}: duplicate source id ${rec.object._id}`);
      continue;
    }
    seen.add(rec.object._id);
    good.push({ source: rec.object, hash: rec.hash });
  }
  // IDM's SourceSyncOperation runs once per qualifier of each source (ObjectMapping.getLinkQualifiers);
  // a mapping without linkQualifiers is the one group it always was.
  const byQualifier = new Map<string, Good[]>();
  for (const g of good) {
    let qualifiers: string[] | null;
    try {
      qualifiers = mapping.qualifiersOf(g.source);
    } catch (e) {
      fail(g.source._id, null, e instanceof Error ? e.message : String(e));
      continue;
    }
    if (!qualifiers) {
      byQualifier.set(mapping.qualifier, good);
      break;
    }
    for (const q of qualifiers) {
      const group = byQualifier.get(q);
      if (group) group.push(g);
      else byQualifier.set(q, [g]);
    }
  }
  if (!byQualifier.size) await insertAudit(scope.db.knex, audit);
  for (const [q, sources] of byQualifier) {
    const view = q === mapping.qualifier ? scope : { ...scope, mapping: mapping.forQualifier(q) };
    await reconcileSources(view, sources, touched, audit.splice(0), ts);
  }
}

type Good = { source: SourceObject; hash: string };

/** A failure entry (a bad row, a script that failed for this source) of the view's qualifier. */
function failer(scope: RunScope, audit: AuditEntry[], ts: string) {
  const { run, mapping } = scope;
  return (sourceId: string | null, situation: Situation | null, message: string) => {
    run.progress.count(situation, false);
    audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: sourceId, targetObjectId: null, situation, action: situation ? 'EXCEPTION' : null, status: 'FAILURE', message, linkQualifier: mapping.qualifier, timestamp: ts });
  };
}

/** The good records of a batch under one qualifier (`scope.mapping` is its view); `audit` holds the batch's earlier entries. */
async function reconcileSources(scope: RunScope, good: Good[], touched: IdMarks, audit: AuditEntry[], ts: string): Promise<void> {
  const { db, run, mapping, users } = scope;
  const fail = failer(scope, audit, ts);
  const syncHashes = new Map(good.map((g) => [g.source._id, syncHash(mapping, g.hash)]));
  // A script that fails for one entry (validSource, correlation, a policy's condition) fails that entry only.
  const assessments: Assessment[] = [];
  for (const a of await assessBatch(db.knex, mapping, good.map((g) => g.source), syncHashes)) {
    if (isFailure(a)) fail(a.source._id, null, a.error);
    else {
      try {
        mapping.policyFor(a.situation, a.source); // remembered per source: the loop below reads the same choice
        assessments.push(a);
      } catch (e) {
        fail(a.source._id, a.situation, e instanceof Error ? e.message : String(e));
      }
    }
  }
  const workflowStarts: { a: Assessment; policy: PolicyAction & { kind: 'workflow' } }[] = [];
  // Action scripts run after the batch's transaction: their calls use the database (policyScript.ts).
  const scripted: Parameters<typeof runPolicyScripts>[1] = [];
  // UNQUALIFIED (and any other removing policy) in the source phase: stop before the batch that would pass the limit.
  const removals = new Map<string, number>();
  for (const a of assessments) {
    const policy = mapping.policyFor(a.situation, a.source);
    if (policy.kind === 'action' && removes(policy.action, a)) countRemoval(removals, a.situation, policy.action);
  }
  run.budget?.check(removals, false);

  await db.knex.transaction(async (trx: Knex.Transaction) => {
    const marks: links.SyncMark[] = [];
    // Targets this batch has linked so far: the batch was assessed before any of them was.
    const linkedNow = new Set<string>();
    for (let a of assessments) {
      if (a.targetId) touched.add(a.targetId);
      for (const id of a.correlatedIds) touched.add(id);
      if (a.linked) run.progress.linksProcessed++;
      // SourceSyncOperation assesses one source after another: a target an earlier row of the run
      // has just linked is FOUND_ALREADY_LINKED for the next (later batches read its link).
      if (a.situation === 'FOUND' && a.targetId && linkedNow.has(a.targetId)) a = { ...a, situation: 'FOUND_ALREADY_LINKED' };
      let policy: PolicyAction;
      try {
        policy = mapping.policyFor(a.situation, a.source);
      } catch (e) {
        fail(a.source._id, a.situation, e instanceof Error ? e.message : String(e));
        continue;
      }
      run.resultStats?.noteSource(a.situation, a.source._id);
      if (policy.kind === 'workflow') {
        workflowStarts.push({ a, policy });
        continue;
      }
      if (policy.kind === 'script') {
        scripted.push({ a, script: policy.script, postAction: policy.postAction });
        continue;
      }
      // A hook or postAction must see every UPDATE (src/recon/hooks.ts): no shortcut then.
      const shortcut = !mapping.hooks.onUpdate && !policy.postAction;
      const outcome = (shortcut ? unchangedUpdate(mapping, policy.action, a, syncHashes.get(a.source._id) ?? null, marks) : undefined) ??
        (await applyInSavepoint(trx, users, mapping, policy.action, a, { reconId: run.row.id, postAction: policy.postAction }));
      const status = recordedStatus(policy.action, outcome.status);
      run.progress.count(a.situation, status === 'SUCCESS');
      // ReconciliationStatistic.processed: a target id that was not created is an existing target processed.
      if (outcome.created) run.progress.targetCreated++;
      else if (outcome.targetId) run.progress.targetProcessed++;
      if (outcome.linkCreated) {
        run.progress.linksCreated++;
        if (outcome.targetId) linkedNow.add(outcome.targetId);
      }
      if (policy.action !== 'NOREPORT') {
        audit.push({
          reconId: run.row.id, mapping: mapping.name, sourceObjectId: a.source._id, targetObjectId: outcome.targetId, situation: a.situation,
          action: policy.action, status, message: outcome.message, linkQualifier: mapping.qualifier, ambiguousTargetObjectIds: a.ambiguousTargetIds?.join(', ') ?? null, timestamp: ts,
        });
      }
    }
    await links.markLinksSynced(trx, mapping.name, mapping.qualifier, marks);
    // The batch's audit commits with its actions (one commit, and no action without its entry).
    await insertAudit(trx, audit.splice(0));
  });
  for (const n of removals.values()) run.budget?.spend(n);

  // One batched request for the batch's approvals (src/approval: decisions, open keys, multi-row inserts);
  // runtime.startMany yields to the event loop between engine runs so HTTP requests are served.
  await yieldToEventLoop();
  const outcomes = workflowStarts.length
    ? await requestApprovals(
        db.knex,
        scope.runtime,
        users,
        workflowStarts.map(({ a, policy }) => ({
          workflowName: policy.workflowName, mapping, reconId: run.row.id, situation: a.situation, source: a.source,
          targetId: a.targetId, action: policy.approvedAction, askAgain: scope.options.askAgain[mapping.name] ?? 'whenSourceChanges',
          startUserId: (run.row.parameters.startedBy as string) ?? null,
          defaults: scope.options.startVariables,
        })),
      )
    : [];
  for (const [k, { a, policy }] of workflowStarts.entries()) {
    const outcome = outcomes[k];
    const status: 'SUCCESS' | 'FAILURE' = outcome instanceof Error ? 'FAILURE' : 'SUCCESS';
    const message = outcome instanceof Error ? `Cannot start ${policy.workflowName}: ${outcome.message}` : outcome.message;
    run.progress.count(a.situation, status === 'SUCCESS');
    if (a.targetId) run.progress.targetProcessed++;
    audit.push({
      reconId: run.row.id, mapping: mapping.name, sourceObjectId: a.source._id, targetObjectId: a.targetId, situation: a.situation, action: 'ASYNC', status, message,
      linkQualifier: mapping.qualifier, ambiguousTargetObjectIds: a.ambiguousTargetIds?.join(', ') ?? null, timestamp: ts,
    });
  }
  await insertAudit(db.knex, audit);
  if (scripted.length) await runPolicyScripts(scope, scripted, ts);
}

/** The records of the given source ids only (reconById); the same records (and hashes) as a full run reads. */
export async function* onlyIds(records: AsyncIterable<SourceRecord>, ids: Set<string>): AsyncGenerator<SourceRecord> {
  for await (const rec of records) if (rec.ok && ids.has(rec.object._id)) yield rec;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a link remembers of a source row: its hash under this very mapping configuration. */
function syncHash(mapping: CompiledMapping, rowHash: string | undefined): string | null {
  return rowHash ? sha256Hex(`${mapping.fingerprint}\0${rowHash}`) : null;
}

/**
 * UPDATE of a linked row whose mapped values already equal its target: nothing to write, so no
 * savepoint and no re-read (the batch's assessment read the target). When the link shows the same
 * source row (hash) and target revision as at its last sync, not even the mapping runs; else the
 * mapping is compared, and an equal result is remembered on the link (`marks`) for the next recon.
 * Undefined when the action needs the full path (a change, no link, a mapping that throws:
 * applyInSavepoint reports it).
 */
function unchangedUpdate(mapping: CompiledMapping, action: Action, a: Assessment, hash: string | null, marks: links.SyncMark[]): ActionOutcome | undefined {
  if (action !== 'UPDATE' || !a.linked || !a.targetId || !a.source) return undefined;
  const unchanged: ActionOutcome = { targetId: a.targetId, status: 'SUCCESS', message: null, linkCreated: false };
  if (a.inSync) return unchanged;
  if (!a.target) return undefined;
  let mapped: Record<string, unknown>;
  try {
    mapped = mapping.map(a.source, a.target.obj);
  } catch {
    return undefined;
  }
  const { _id: _ignored, ...changes } = mapped;
  if (changedFields(changes, a.target.obj).length) return undefined;
  if (hash) marks.push({ firstId: a.source._id, sourceHash: hash, targetRev: a.target.rev });
  return unchanged;
}
