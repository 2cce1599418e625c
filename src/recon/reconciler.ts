// Runs reconciliations, the run's lifecycle: start (one ACTIVE run per mapping), the source phase
// over the connector's stream in batches (sourcePhase.ts), then (unless the mapping's runTargetPhase
// is false) the target phase over targets the source phase did not touch (targetPhase.ts), and the end (SUCCESS, CANCELED or FAILED). Progress
// is flushed to SQL so every node (and a restarted one) sees it; a run interrupted by a crash is
// marked FAILED, never left ACTIVE. Heartbeats are the database's time. An empty source, or more
// deletions/unlinks than the mapping's deletionThreshold, stops the run before it removes anything
// (deletionGuard.ts). A full run of a mapping with clusteredSourceReconEnabled is planned here and
// then runs as page jobs on every node (clustered.ts). The HTTP view of a run is src/api/reconView.ts.
import crypto from 'node:crypto';
import { Logger } from '../context';
import { errorMessage, withLogContext } from '../log';
import { Conflict, InvalidInput, NotFound } from '../errors';
import { Filter } from '../crest/queryFilter';
import { ManagedUsers } from '../managed/users';
import { Db, refreshReconStatistics } from '../repo/db';
import { countManagedUsers } from '../repo/managedUsers';
import { isUnavailable, isUniqueViolation } from '../repo/dialect';
import * as links from '../repo/links';
import { AuditEntry, countAudit, queryAudit, streamAudit } from '../repo/reconAudit';
import * as runs from '../repo/reconRuns';
import { WorkflowRuntime } from '../workflow/runtime';
import { SourceConnector } from './connector';
import { CompiledMapping, SourceRecord } from './interfaces';
import { IdSet } from './idSet';
import { DeletionBudget, emptySourceStop, ReconStopped } from './deletionGuard';
import { ResultStats, runResultScript } from './hooks';
import { RunProgress } from './progress';
import { ResyncRequest, ResyncResult, resyncOneNow } from './resyncOne';
import { resyncTarget, TargetResyncRequest, TargetResyncResult } from './resyncTarget';
import { ActiveRun, BATCH, ReconOptions, RunScope } from './runScope';
import { onlyIds, reconcileSourceBatch } from './sourcePhase';
import { reconcileTargets } from './targetPhase';
import { enqueuePages, planSource, prepareWorkflows } from './clustered';

/** The fields audit/recon sorts on (_sortKeys), for the router. */
export { AUDIT_SORT_KEYS } from '../repo/reconAudit';
export { RUN_SORT_KEYS } from '../repo/reconRuns';

export type { ReconOptions } from './runScope';

/** Rows written before a run first refreshes planner statistics (then at each doubling). */
const STATS_FIRST_REFRESH = 2_000;
const FLUSH_MS = 500;
const HEARTBEAT_STALE_MS = 15_000;

/** Per-run choices of the caller. */
export interface RunRequest {
  /** Source ids for reconById (no target phase). */
  ids?: string[];
  /** An administrator's yes to this many deletions/unlinks beyond the mapping's deletionThreshold. */
  confirmDeletions?: number;
}

export class Reconciler {
  private active = new Map<string, ActiveRun>();
  private sweeper: NodeJS.Timeout | null = null;
  /** The most runs this process has had under way at once (health/recon's largestPoolSize). */
  private largestActive = 0;

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

  /** The configured mapping of that name; refuses a missing or unknown name. */
  mapping(name: string | undefined): CompiledMapping {
    if (!name) throw new InvalidInput('The mapping parameter is required');
    const m = this.mappings.get(name);
    if (!m) throw new InvalidInput(`Unknown mapping ${name.slice(0, 200)}`);
    return m;
  }

  /** The connector of the mapping's source. */
  connectorFor(m: CompiledMapping): SourceConnector {
    const c = this.connectors.get(m.source);
    if (!c) throw new InvalidInput(`No connector for source ${m.source}`);
    return c;
  }

  /** sync performAction: re-assesses one source object and applies the action (resyncOne.ts), in its own transaction. */
  resync(req: ResyncRequest): Promise<ResyncResult> {
    return resyncOneNow(this.db.knex, this.users, req);
  }

  /** sync performAction with targetId only: OpenIDM's TargetSyncOperation (resyncTarget.ts), in its own transaction. */
  resyncTarget(req: TargetResyncRequest): Promise<TargetResyncResult> {
    return this.db.knex.transaction((trx) => resyncTarget(trx, this.users, req));
  }

  /** audit/recon: the entries matching `filter`, one page. */
  queryAudit(filter: Filter, offset: number, limit?: number, sort: { field: string[]; descending: boolean }[] = []): Promise<(AuditEntry & { _id: string })[]> {
    return queryAudit(this.db.knex, filter, offset, limit, sort);
  }

  /** queryAudit unpaged: every match from offset on, batch by batch from a cursor. */
  streamAudit(filter: Filter, offset: number, sort: { field: string[]; descending: boolean }[] = []): AsyncGenerator<(AuditEntry & { _id: string })[]> {
    return streamAudit(this.db.knex, filter, offset, sort);
  }

  /** How many audit entries match the filter (a query's EXACT total). */
  countAudit(filter: Filter): Promise<number> {
    return countAudit(this.db.knex, filter);
  }

  /** Runs under way in this process, the most at once since start, and the mappings (at most one run each). */
  activity(): { active: number; largest: number; mappings: number } {
    return { active: this.active.size, largest: this.largestActive, mappings: this.mappings.size };
  }

  mappingNames(): string[] {
    return [...this.mappings.keys()];
  }

  /** Marks runs abandoned by a crash as FAILED now, and keeps watching for stale ones. */
  async start(): Promise<void> {
    // At start, ACTIVE runs recorded under this node's id are from its previous life.
    await this.sweepAbandoned(this.nodeId);
    this.sweeper = setInterval(() => void this.sweepAbandoned(null).catch(() => undefined), 5_000);
    this.sweeper.unref();
  }

  /** Fails ACTIVE runs whose heartbeat is stale by the database's clock (and, at start, this node's earlier ones). */
  async sweepAbandoned(ownNode: string | null): Promise<number> {
    const n = await runs.failAbandonedRuns(this.db.knex, ownNode, HEARTBEAT_STALE_MS, 'The run stopped reporting progress (its server stopped or lost the repository); start a new reconciliation');
    if (n) this.log.warn(`marked ${n} interrupted reconciliation run(s) FAILED`);
    return n;
  }

  /**
   * Starts a run in the background; with wait, resolves when it has ended. With `ids`, only those
   * source entries are reconciled (reconById), and there is no target phase.
   */
  async startRun(mappingName: string | undefined, wait: boolean, startedBy: string | null, request: RunRequest = {}): Promise<runs.RunRow> {
    const { ids, confirmDeletions } = request;
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
        : {
            sourceQuery: { resourceName: mapping.source, queryFilter: 'true' }, targetQuery: { resourceName: mapping.target, queryFilter: 'true' }, startedBy,
            ...(confirmDeletions !== undefined ? { confirmDeletions } : {}),
          },
      progress: new RunProgress().toJSON(),
      situationSummary: new RunProgress().situations,
      statusSummary: { SUCCESS: 0, FAILURE: 0 },
      message: null,
      started: new Date().toISOString(),
      ended: null,
      heartbeat: null, // insertRun writes the database's time
    };
    try {
      await runs.insertRun(this.db.knex, row);
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`A reconciliation of ${mapping.name} is already running`);
      throw e;
    }
    const run: ActiveRun = { row, progress: new RunProgress(), canceled: false, done: Promise.resolve(), ...(mapping.hooks.result && { resultStats: new ResultStats() }) };
    // Every line the run logs, here and below (workflow starts, scripts), names the run.
    run.done = withLogContext({ reconId: row.id, mapping: mapping.name }, () => this.execute(run, mapping, connector, ids, confirmDeletions)).finally(() => this.active.delete(row.id));
    this.active.set(row.id, run);
    this.largestActive = Math.max(this.largestActive, this.active.size);
    if (wait) {
      await run.done;
      // A clustered run goes on in its page jobs, on any node (clustered.ts): wait for its end.
      if (!ids && mapping.clusteredPageSize !== null) return this.waitForEnd(row.id);
      return (await runs.readRun(this.db.knex, row.id))!;
    }
    return row;
  }

  /** Polls the run until it is no longer ACTIVE (IDM refuses waitForCompletion for a clustered run; reconflow waits). */
  private async waitForEnd(id: string): Promise<runs.RunRow> {
    for (;;) {
      const row = (await runs.readRun(this.db.knex, id))!;
      if (row.state !== 'ACTIVE') return row;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Cancels an ACTIVE run (of any node: the one running it sees it at its next flush). */
  async cancel(id: string): Promise<runs.RunRow> {
    const local = this.active.get(id);
    if (local) local.canceled = true;
    const row = await runs.readRun(this.db.knex, id);
    if (!row) throw new NotFound(`Reconciliation run ${id} not found`);
    // OpenIDM's ReconciliationService: cancel of a run that has ended marks nothing and answers as for
    // any cancel; the run keeps its final state (the caller reads it in the answer's `state`).
    if (row.state !== 'ACTIVE') return row;
    await runs.finishRun(this.db.knex, id, { state: 'CANCELED', stage: 'COMPLETED_CANCELED', ended: new Date().toISOString() });
    // A clustered run's touched targets (clustered.ts): a page still running rolls back its own.
    await runs.deleteTouched(this.db.knex, id);
    if (local) await local.done;
    return (await runs.readRun(this.db.knex, id))!;
  }

  async read(id: string): Promise<runs.RunRow> {
    const row = await runs.readRun(this.db.knex, id);
    if (!row) throw new NotFound(`Reconciliation run ${id} not found`);
    return row;
  }

  /** The latest runs, newest first. */
  list(): Promise<runs.RunRow[]> {
    return runs.listRuns(this.db.knex);
  }

  /** Runs as a CREST query: matching the filter, sorted by the keys then newest first, one page. */
  queryRuns(filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[]): Promise<runs.RunRow[]> {
    return runs.queryRuns(this.db.knex, filter, offset, limit, sort);
  }

  /** queryRuns unpaged: every match from offset on, batch by batch from a cursor. */
  streamRuns(filter: Filter, offset: number, sort: { field: string[]; descending: boolean }[]): AsyncGenerator<runs.RunRow[]> {
    return runs.streamRuns(this.db.knex, filter, offset, sort);
  }

  /** How many runs match the filter (a query's EXACT total). */
  countRuns(filter: Filter): Promise<number> {
    return runs.countRuns(this.db.knex, filter);
  }

  /** Waits for local runs to end; new ones are refused by the HTTP layer closing first. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const r of this.active.values()) r.canceled = true;
    await Promise.all([...this.active.values()].map((r) => r.done.catch(() => undefined)));
  }

  /** Writes the run's progress (and, given, its new stage); a run ended elsewhere is canceled here. */
  private async flushProgress(run: ActiveRun, stage?: string): Promise<void> {
    this.reportRows(run);
    if (stage) run.row.stage = stage;
    const stillActive = await runs.writeProgress(this.db.knex, run.row.id, {
      stage: run.row.stage,
      progress: run.progress.toJSON(),
      situationSummary: run.progress.situations,
      statusSummary: run.progress.status,
      heartbeat: 'now',
      state: 'ACTIVE',
    });
    if (!stillActive) run.canceled = true; // canceled (or failed by a sweeper) elsewhere
  }

  /** Hands the rows classified since the last report to metrics (at each flush and at the end). */
  private reportRows(run: ActiveRun): void {
    const m = this.options.metrics;
    if (!m) return;
    for (const [situation, [success, failure]] of Object.entries(run.progress.takeUnreported())) m.reconRows(run.row.mapping, situation, success, failure);
  }

  /** The run from its first flush to its end; whatever happens, the run ends with a state recorded. */
  private async execute(run: ActiveRun, mapping: CompiledMapping, connector: SourceConnector, ids?: string[], confirmDeletions?: number): Promise<void> {
    const scope: RunScope = { db: this.db, users: this.users, runtime: this.runtime, options: this.options, mapping, run };
    let lastFlush = Date.now();
    const maybeFlush = async () => {
      if (Date.now() - lastFlush >= FLUSH_MS) {
        lastFlush = Date.now();
        await this.flushProgress(run);
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
    const heartbeat = setInterval(() => void runs.updateRun(this.db.knex, run.row.id, { heartbeat: 'now' }).catch(() => undefined), 2_000);
    const t0 = performance.now();
    let endState = 'FAILED';
    /** A clustered run, once its pages are enqueued, ends in its jobs (clustered.ts), not here. */
    let handedOver = false;
    this.options.metrics?.reconRunStarted(mapping.name);
    try {
      if (!ids) await refreshReconStatistics(this.db);
      run.progress.linksTotal = await links.countLinks(this.db.knex, mapping.name);
      // ObjectMapping.doRecon queries the target ids before the source phase, and only for a target
      // phase (ReconTypeBase.isRunTargetPhase; reconById has none): targets the run creates are not in it.
      const targetPhase = !ids && mapping.runTargetPhase;
      if (targetPhase) run.progress.targetTotal = await countManagedUsers(this.db.knex);
      run.budget = new DeletionBudget(mapping, run.progress.linksTotal, confirmDeletions);
      if (!ids && mapping.clusteredPageSize !== null) {
        const plan = await planSource(mapping, connector);
        await prepareWorkflows(this.runtime, mapping);
        handedOver = await enqueuePages(this.db, run, mapping, plan, mapping.clusteredPageSize);
        if (handedOver) this.options.onJobsEnqueued?.();
        else endState = 'CANCELED'; // ended before its pages were written
        return;
      }
      await this.flushProgress(run, 'ACTIVE_RECONCILING_SOURCE');
      if (run.resultStats) run.resultStats.source.startTime = Date.now();
      let batch: SourceRecord[] = [];
      for await (const rec of ids ? onlyIds(connector.query(), new Set(ids)) : connector.query()) {
        if (run.canceled) break;
        batch.push(rec);
        if (batch.length >= BATCH) {
          await reconcileSourceBatch(scope, batch, seenSources, touchedTargets);
          batch = [];
          await maybeFlush();
          if (!ids) await maybeRefreshStatistics();
        }
      }
      if (batch.length && !run.canceled) await reconcileSourceBatch(scope, batch, seenSources, touchedTargets);
      run.progress.sourceTotal = run.progress.sourceProcessed;
      if (run.resultStats) run.resultStats.source.endTime = Date.now();
      if (!run.canceled && !ids) {
        // An empty source would make every linked target SOURCE_MISSING (IDM: allowEmptySourceSet).
        if (seenSources.size === 0 && !mapping.allowEmptySourceSet) throw emptySourceStop(mapping, run.progress.sourceProcessed);
        if (targetPhase) {
          await this.flushProgress(run, 'ACTIVE_RECONCILING_TARGET');
          if (run.resultStats) run.resultStats.target.startTime = Date.now();
          await reconcileTargets(scope, seenSources, touchedTargets, maybeFlush);
          if (run.resultStats) run.resultStats.target.endTime = Date.now();
        }
      }
      // ObjectMapping.doResults, on a completed or a canceled run; a failing script fails the run (as in IDM).
      if (run.resultStats) {
        await runResultScript(mapping, run.row.id, run.resultStats, { source: run.progress.sourceProcessed, target: run.progress.targetProcessed }, {
          facade: this.options.scripts, actor: (run.row.parameters.startedBy as string) ?? null,
        });
      }
      const state = run.canceled ? 'CANCELED' : 'SUCCESS';
      endState = state;
      await runs.finishRun(this.db.knex, run.row.id, {
        state,
        stage: run.canceled ? 'COMPLETED_CANCELED' : 'COMPLETED_SUCCESS',
        progress: run.progress.toJSON(),
        situationSummary: run.progress.situations,
        statusSummary: run.progress.status,
        ended: new Date().toISOString(),
        heartbeat: 'now',
      });
      // A cancel elsewhere already wrote CANCELED; make the final counters visible anyway.
      if (run.canceled) await runs.updateRun(this.db.knex, run.row.id, { progress: run.progress.toJSON(), situationSummary: run.progress.situations, statusSummary: run.progress.status });
    } catch (e) {
      endState = 'FAILED';
      const message = e instanceof ReconStopped ? e.message : errorMessage(e);
      if (e instanceof ReconStopped) this.log.warn(`reconciliation ${run.row.id} of ${mapping.name} stopped: ${message}`);
      else this.log.error(`reconciliation ${run.row.id} of ${mapping.name} failed: ${message}`);
      const failed = {
        state: 'FAILED' as const, stage: 'COMPLETED_FAILED', message, ended: new Date().toISOString(),
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
      this.reportRows(run);
      if (!handedOver) this.options.metrics?.reconRunEnded(mapping.name, endState, (performance.now() - t0) / 1000, run.progress.status.SUCCESS + run.progress.status.FAILURE);
    }
  }
}
