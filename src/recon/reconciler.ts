// Runs reconciliations: a source phase over the connector's stream, in batches, then a target
// phase over targets the source phase did not touch. Progress is flushed to SQL so every node
// (and a restarted one) sees it; a run interrupted by a crash is marked FAILED, never left ACTIVE.
import crypto from 'node:crypto';
import { Knex } from 'knex';
import { Logger } from '../context';
import { badRequest, conflict, CrestError, notFound } from '../crest/errors';
import { ManagedUsers } from '../managed/users';
import { Db, refreshReconStatistics } from '../repo/db';
import { isUnavailable, isUniqueViolation } from '../repo/dialect';
import * as links from '../repo/links';
import { countManagedUsers, managedUserIdsAfter, readManagedUsers } from '../repo/managedUsers';
import * as runs from '../repo/reconRuns';
import { WorkflowRuntime } from '../workflow/runtime';
import { ActionOutcome, performSyncAction } from './actions';
import { changedFields } from './mapping';
import { Assessment, assessBatch } from './assess';
import { sha256Hex } from './hash';
import { SourceConnector } from './connector';
import { Action, CompiledMapping, PolicyAction, Situation, SourceObject, SourceRecord } from './interfaces';
import { IdSet } from './idSet';
import { RunProgress, STAGE_DESCRIPTIONS } from './progress';
import { assessTargetSituation } from './situations';
import { AskAgain, triggerWorkflows } from './workflowTrigger';

const BATCH = 500;
/** Rows written before a run first refreshes planner statistics (then at each doubling). */
const STATS_FIRST_REFRESH = 2_000;
const FLUSH_MS = 500;
const HEARTBEAT_STALE_MS = 15_000;

export interface ReconOptions {
  askAgain: Record<string, AskAgain>;
  /** Variables every started approval gets (escalationDuration). */
  startVariables?: Record<string, unknown>;
}

interface ActiveRun {
  row: runs.RunRow;
  progress: RunProgress;
  canceled: boolean;
  done: Promise<void>;
}

export class Reconciler {
  private active = new Map<string, ActiveRun>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private db: Db,
    private log: Logger,
    private users: ManagedUsers,
    private runtime: WorkflowRuntime,
    private mappings: Map<string, CompiledMapping>,
    private connectors: Map<string, SourceConnector>,
    private nodeId: string,
    private options: ReconOptions,
  ) {}

  mapping(name: string | undefined): CompiledMapping {
    if (!name) throw badRequest('The mapping parameter is required');
    const m = this.mappings.get(name);
    if (!m) throw badRequest(`Unknown mapping ${name.slice(0, 200)}`);
    return m;
  }

  connectorFor(m: CompiledMapping): SourceConnector {
    const c = this.connectors.get(m.source);
    if (!c) throw badRequest(`No connector for source ${m.source}`);
    return c;
  }

  mappingNames(): string[] {
    return [...this.mappings.keys()];
  }

  /** Marks runs abandoned by a crash as FAILED now, and keeps watching for stale ones. */
  async start(): Promise<void> {
    // At start, ACTIVE runs recorded under this node's id are from its previous life.
    await this.sweep(this.nodeId);
    this.sweeper = setInterval(() => void this.sweep(null).catch(() => undefined), 5_000);
    this.sweeper.unref();
  }

  private async sweep(ownNode: string | null): Promise<void> {
    const n = await runs.failAbandonedRuns(this.db.knex, ownNode, Date.now() - HEARTBEAT_STALE_MS, 'The run stopped reporting progress (its server stopped or lost the repository); start a new reconciliation');
    if (n) this.log.warn(`marked ${n} interrupted reconciliation run(s) FAILED`);
  }

  /** Starts a run in the background; with wait, resolves when it has ended. */
  /** With `ids`, only those source entries are reconciled (reconById), and there is no target phase. */
  async startRun(mappingName: string | undefined, wait: boolean, startedBy: string | null, ids?: string[]): Promise<runs.RunRow> {
    const mapping = this.mapping(mappingName);
    const connector = this.connectorFor(mapping);
    const row: runs.RunRow = {
      id: crypto.randomUUID(),
      mapping: mapping.name,
      state: 'ACTIVE',
      stage: 'ACTIVE_INITIALIZED',
      node: this.nodeId,
      parameters: ids
        ? { sourceIds: ids, startedBy }
        : { sourceQuery: { resourceName: mapping.source, queryFilter: 'true' }, targetQuery: { resourceName: mapping.target, queryFilter: 'true' }, startedBy },
      progress: new RunProgress().toJSON(),
      situationSummary: new RunProgress().situations,
      statusSummary: { SUCCESS: 0, FAILURE: 0 },
      message: null,
      started: new Date().toISOString(),
      ended: null,
      heartbeat: Date.now(),
    };
    try {
      await runs.insertRun(this.db.knex, row);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`A reconciliation of ${mapping.name} is already running`);
      throw e;
    }
    const run: ActiveRun = { row, progress: new RunProgress(), canceled: false, done: Promise.resolve() };
    run.done = this.execute(run, mapping, connector, ids).finally(() => this.active.delete(row.id));
    this.active.set(row.id, run);
    if (wait) {
      await run.done;
      return (await runs.readRun(this.db.knex, row.id))!;
    }
    return row;
  }

  async cancel(id: string): Promise<runs.RunRow> {
    const local = this.active.get(id);
    if (local) local.canceled = true;
    const row = await runs.readRun(this.db.knex, id);
    if (!row) throw notFound(`Reconciliation run ${id} not found`);
    if (row.state !== 'ACTIVE') throw conflict(`Reconciliation run ${id} is ${row.state}`);
    await runs.finishRun(this.db.knex, id, { state: 'CANCELED', stage: 'COMPLETED_CANCELED', ended: new Date().toISOString() });
    if (local) await local.done;
    return (await runs.readRun(this.db.knex, id))!;
  }

  async read(id: string): Promise<runs.RunRow> {
    const row = await runs.readRun(this.db.knex, id);
    if (!row) throw notFound(`Reconciliation run ${id} not found`);
    return row;
  }

  list(): Promise<runs.RunRow[]> {
    return runs.listRuns(this.db.knex);
  }

  /** Waits for local runs to end; new ones are refused by the HTTP layer closing first. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const r of this.active.values()) r.canceled = true;
    await Promise.all([...this.active.values()].map((r) => r.done.catch(() => undefined)));
  }

  private async flush(run: ActiveRun, stage?: string): Promise<void> {
    if (stage) run.row.stage = stage;
    const stillActive = await runs.finishRun(this.db.knex, run.row.id, {
      stage: run.row.stage,
      progress: run.progress.toJSON(),
      situationSummary: run.progress.situations,
      statusSummary: run.progress.status,
      heartbeat: Date.now(),
      state: 'ACTIVE',
    });
    if (!stillActive) run.canceled = true; // canceled (or failed by a sweeper) elsewhere
  }

  private async execute(run: ActiveRun, mapping: CompiledMapping, connector: SourceConnector, ids?: string[]): Promise<void> {
    let lastFlush = Date.now();
    const maybeFlush = async () => {
      if (Date.now() - lastFlush >= FLUSH_MS) {
        lastFlush = Date.now();
        await this.flush(run);
      }
    };
    const seenSources = new IdSet();
    const touchedTargets = new IdSet();
    // Planner statistics follow the tables this run fills: refreshed whenever its writes double.
    let analyzeAt = STATS_FIRST_REFRESH;
    const maybeRefreshStatistics = async () => {
      const written = run.progress.targetCreated + run.progress.linksCreated + (run.progress.situations.ABSENT ?? 0);
      if (written < analyzeAt) return;
      analyzeAt = written * 2;
      await refreshReconStatistics(this.db);
    };
    // The heartbeat tells other nodes this run is alive, even during a long batch.
    const heartbeat = setInterval(() => void runs.updateRun(this.db.knex, run.row.id, { heartbeat: Date.now() }).catch(() => undefined), 2_000);
    try {
      if (!ids) await refreshReconStatistics(this.db);
      run.progress.linksTotal = await links.countLinks(this.db.knex, mapping.name);
      await this.flush(run, 'ACTIVE_RECONCILING_SOURCE');
      let batch: SourceRecord[] = [];
      for await (const rec of ids ? onlyIds(connector.query(), new Set(ids)) : connector.query()) {
        if (run.canceled) break;
        batch.push(rec);
        if (batch.length >= BATCH) {
          await this.sourceBatch(run, mapping, batch, seenSources, touchedTargets);
          batch = [];
          await maybeFlush();
          if (!ids) await maybeRefreshStatistics();
        }
      }
      if (batch.length && !run.canceled) await this.sourceBatch(run, mapping, batch, seenSources, touchedTargets);
      run.progress.sourceTotal = run.progress.sourceProcessed;
      if (!run.canceled && !ids) {
        await this.flush(run, 'ACTIVE_RECONCILING_TARGET');
        await this.targetPhase(run, mapping, seenSources, touchedTargets, maybeFlush);
      }
      const state = run.canceled ? 'CANCELED' : 'SUCCESS';
      await runs.finishRun(this.db.knex, run.row.id, {
        state,
        stage: run.canceled ? 'COMPLETED_CANCELED' : 'COMPLETED_SUCCESS',
        progress: run.progress.toJSON(),
        situationSummary: run.progress.situations,
        statusSummary: run.progress.status,
        ended: new Date().toISOString(),
        heartbeat: Date.now(),
      });
      // A cancel elsewhere already wrote CANCELED; make the final counters visible anyway.
      if (run.canceled) await runs.updateRun(this.db.knex, run.row.id, { progress: run.progress.toJSON(), situationSummary: run.progress.situations, statusSummary: run.progress.status });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`reconciliation ${run.row.id} of ${mapping.name} failed: ${message}`);
      const failed = {
        state: 'FAILED', stage: 'COMPLETED_FAILED', message, ended: new Date().toISOString(),
        progress: run.progress.toJSON(), situationSummary: run.progress.situations, statusSummary: run.progress.status,
      };
      // The failure may be the database itself: keep trying to record it (the sweeper of another
      // node would otherwise write a vaguer message once the heartbeat is stale).
      for (let delay = 250, until = Date.now() + HEARTBEAT_STALE_MS; ; delay = Math.min(delay * 2, 2_000)) {
        try {
          await runs.finishRun(this.db.knex, run.row.id, failed);
          break;
        } catch (err) {
          if (!isUnavailable(err) || Date.now() + delay > until) {
            this.log.error(`cannot record the failure of run ${run.row.id}`, err);
            break;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async sourceBatch(run: ActiveRun, mapping: CompiledMapping, batch: SourceRecord[], seen: IdSet, touched: IdSet): Promise<void> {
    const audit: runs.AuditEntry[] = [];
    const ts = new Date().toISOString();
    const fail = (sourceId: string | null, situation: Situation | null, message: string) => {
      run.progress.count(situation, false);
      audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: sourceId, targetObjectId: null, situation, action: situation ? 'EXCEPTION' : null, status: 'FAILURE', message, timestamp: ts });
    };
    const good: { source: SourceObject; hash: string }[] = [];
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
    const syncHashes = new Map(good.map((g) => [g.source._id, syncHash(mapping, g.hash)]));
    const assessments = await assessBatch(this.db.knex, mapping, good.map((g) => g.source), syncHashes);
    const workflowStarts: { a: Assessment; policy: PolicyAction & { kind: 'workflow' } }[] = [];

    await this.db.knex.transaction(async (trx) => {
      const marks: links.SyncMark[] = [];
      for (const a of assessments) {
        if (a.targetId) touched.add(a.targetId);
        for (const id of a.correlatedIds) touched.add(id);
        if (a.linked) run.progress.linksProcessed++;
        const policy = mapping.policyFor(a.situation);
        if (policy.kind === 'workflow') {
          workflowStarts.push({ a, policy });
          continue;
        }
        const outcome = unchangedUpdate(mapping, policy.action, a, syncHashes.get(a.source._id) ?? null, marks) ?? (await this.act(trx, mapping, policy.action, a));
        run.progress.count(a.situation, outcome.status === 'SUCCESS');
        if (outcome.created) run.progress.targetCreated++;
        if (outcome.linkCreated) run.progress.linksCreated++;
        if (policy.action !== 'NOREPORT') {
          audit.push({
            reconId: run.row.id, mapping: mapping.name, sourceObjectId: a.source._id, targetObjectId: outcome.targetId, situation: a.situation,
            action: policy.action, status: outcome.status, message: outcome.message ?? (a.situation === 'AMBIGUOUS' ? `Correlated to ${a.correlatedIds.join(', ')}` : null), timestamp: ts,
          });
        }
      }
      await links.markLinksSynced(trx, mapping.name, marks);
      // The batch's audit commits with its actions (one commit, and no action without its entry).
      await runs.insertAudit(trx, audit.splice(0));
    });

    // One batched trigger for the batch's workflow starts (decisions, open keys, multi-row inserts);
    // runtime.startMany yields to the event loop between engine runs so HTTP requests are served.
    await yieldToEventLoop();
    const outcomes = workflowStarts.length
      ? await triggerWorkflows(
          this.db.knex,
          this.runtime,
          this.users,
          workflowStarts.map(({ a, policy }) => ({
            workflowName: policy.workflowName, mapping, reconId: run.row.id, situation: a.situation, source: a.source,
            targetId: a.targetId, askAgain: this.options.askAgain[mapping.name] ?? 'whenSourceChanges',
            startUserId: (run.row.parameters.startedBy as string) ?? null,
            defaults: this.options.startVariables,
          })),
        )
      : [];
    for (const [k, { a, policy }] of workflowStarts.entries()) {
      const outcome = outcomes[k];
      const status: 'SUCCESS' | 'FAILURE' = outcome instanceof Error ? 'FAILURE' : 'SUCCESS';
      const message = outcome instanceof Error ? `Cannot start ${policy.workflowName}: ${outcome.message}` : outcome.message;
      run.progress.count(a.situation, status === 'SUCCESS');
      audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: a.source._id, targetObjectId: a.targetId, situation: a.situation, action: 'ASYNC', status, message, timestamp: ts });
    }
    await runs.insertAudit(this.db.knex, audit);
  }

  /** One action in a savepoint, so that a failing entry does not undo its batch. */
  private async act(trx: Knex.Transaction, mapping: CompiledMapping, action: Action, a: Assessment): Promise<ActionOutcome> {
    try {
      const mapped = action === 'CREATE' || action === 'UPDATE' ? mapping.map(a.source, a.target?.obj) : null;
      return await trx.transaction((sp) => performSyncAction(sp, this.users, { mapping, action, source: a.source, mapped, targetId: a.targetId, linked: a.linked }));
    } catch (e) {
      const message = e instanceof CrestError ? `${e.code} ${e.message}` : e instanceof Error ? e.message : String(e);
      return { targetId: a.targetId, status: 'FAILURE', message };
    }
  }

  private async targetPhase(run: ActiveRun, mapping: CompiledMapping, seenSources: IdSet, touched: IdSet, maybeFlush: () => Promise<void>): Promise<void> {
    run.progress.targetTotal = await countManagedUsers(this.db.knex);
    let after: string | null = null;
    for (;;) {
      if (run.canceled) return;
      const ids = await managedUserIdsAfter(this.db.knex, after, BATCH);
      if (!ids.length) break;
      after = ids[ids.length - 1];
      run.progress.targetProcessed += ids.length;
      const untouched = ids.filter((id) => !touched.has(id));
      if (!untouched.length) continue;
      const byTarget = await links.linksByTarget(this.db.knex, mapping.name, untouched);
      const rows = await readManagedUsers(this.db.knex, untouched);
      const audit: runs.AuditEntry[] = [];
      const ts = new Date().toISOString();
      await this.db.knex.transaction(async (trx) => {
        for (const id of untouched) {
          const link = byTarget.get(id);
          const row = rows.get(id);
          const situation = assessTargetSituation({ linkedSourceExists: !!link && seenSources.has(link.firstId), hasLink: !!link, validTarget: row ? mapping.isValidTarget(row.obj) : false });
          if (situation === 'CONFIRMED') continue; // reported in the source phase
          const policy = mapping.policyFor(situation);
          const action: Action = policy.kind === 'action' ? policy.action : 'IGNORE';
          const outcome = await this.act(trx, mapping, action, { source: null as unknown as SourceObject, situation, target: row ?? null, targetId: id, linked: !!link, correlatedIds: [] });
          run.progress.count(situation, outcome.status === 'SUCCESS');
          if (action !== 'NOREPORT') {
            audit.push({ reconId: run.row.id, mapping: mapping.name, sourceObjectId: link?.firstId ?? null, targetObjectId: id, situation, action, status: outcome.status, message: outcome.message, timestamp: ts });
          }
        }
      });
      await runs.insertAudit(this.db.knex, audit);
      await maybeFlush();
    }
  }
}

/** The records of the given source ids only; the same records (and hashes) as a full run reads. */
async function* onlyIds(records: AsyncIterable<SourceRecord>, ids: Set<string>): AsyncGenerator<SourceRecord> {
  for await (const rec of records) if (rec.ok && ids.has(rec.object._id)) yield rec;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * UPDATE of a linked target whose mapped values equal what it holds: nothing to write, so no
 * savepoint and no re-read (the batch's assessment read the target). Undefined when the action
 * needs the full path (a change, no link, a mapping that throws: act() reports it).
 */
/** What a link remembers of a source row: its hash under this very mapping configuration. */
function syncHash(mapping: CompiledMapping, rowHash: string | undefined): string | null {
  return rowHash ? sha256Hex(`${mapping.fingerprint}\0${rowHash}`) : null;
}

/**
 * A linked row whose mapped values already equal its target needs no write. When the link shows the
 * same source row (hash) and target revision as at its last sync, not even the mapping runs; else the
 * mapping is compared, and an equal result is remembered on the link (`marks`) for the next recon.
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

export function runView(row: runs.RunRow) {
  const ended = row.ended ? Date.parse(row.ended) : null;
  return {
    _id: row.id,
    mapping: row.mapping,
    state: row.state,
    stage: row.stage,
    stageDescription: STAGE_DESCRIPTIONS[row.stage] ?? row.stage,
    progress: row.progress,
    situationSummary: row.situationSummary,
    statusSummary: row.statusSummary,
    durationSummary: {},
    parameters: row.parameters,
    started: row.started,
    ended: row.ended ?? '',
    duration: (ended ?? Date.now()) - Date.parse(row.started),
    ...(row.message ? { message: row.message } : {}),
  };
}
