// Clustered reconciliation (IDM's clusteredSourceReconEnabled, reconSourceQueryPageSize): a full run
// of such a mapping is split into source pages, durable jobs that any node's worker claims, as
// IDM's clustered recon schedules a sub-job per source page and its target phase once every page
// is done ("Clustered reconciliation": source page phase, completion check, target phase;
// https://backstage.forgerock.com/docs/idm/7.1/synchronization-guide/chap-clustered-recon.html,
// https://docs.pingidentity.com/pingoneaic/idm-synchronization/clustered-recon.html).
//
// - Plan (the starting node, reconciler.ts): the connector's own paging numbers the source's
//   records (the CSV connector's row index); page n is records [n·size, (n+1)·size), stamped with
//   the file's size and time. The run's page count and every page job are written in one
//   transaction, so a run either has all its pages or none (and is then swept as today).
// - Page (any node, `reconPage`): the page's records go through the same source phase as a
//   single-node run, with the page's counters, inside the job's transaction: the actions, links,
//   audit entries, approvals (runtime.startsIn) and the run's counters commit together with the job,
//   or nothing does. A node that dies mid-page leaves nothing; its page is claimed again when the
//   job's lock expires and runs from scratch, so no row is decided, approved or audited twice.
//   Duplicate ids are decided by source order through the index (a later row of an id seen on an
//   earlier page is the duplicate, as in one stream).
// - Completion: each page adds 1 to recon_run.pages_done in its transaction; that row lock makes
//   the pages count one after another, and the one that reads pages_done = pages_total enqueues the
//   finish job under a unique key: the target phase runs once.
// - Finish (any node, `reconFinish`): the target phase, in the job's transaction too. It needs the
//   run's seen source ids and touched targets. Seen sources are the index's valid ids (the same set
//   a full run's source phase sees: every valid row's id, whatever its outcome), read again under
//   the plan's stamp rather than stored per row; touched targets depend on the assessments, so each
//   page stores its own in recon_touched (IDM likewise writes each page's ids to the repository),
//   deleted when the run ends.
// - Cancel marks the run CANCELED: a page that commits after it finds the run not ACTIVE and rolls
//   its work back; pages not yet claimed do nothing. A page or finish job that cannot succeed (the
//   file or the mapping changed, the deletion threshold, an empty source) fails the run with its
//   reason. Progress, situation and status summaries are the sum of the committed pages, so GET
//   recon/<id> on any node shows the run as it stands.
import type { Knex } from 'knex';
import { Logger } from '../context';
import { PermanentJobFailure, type DeadJobHook, type Job, type JobHandler } from '../jobs';
import { enqueue } from '../jobs';
import { ManagedUsers } from '../managed/users';
import { Db } from '../repo/db';
import * as runs from '../repo/reconRuns';
import { WorkflowRuntime } from '../workflow/runtime';
import { SourceConnector, SourcePlan } from './connector';
import { DeletionBudget, emptySourceStop, ReconStopped } from './deletionGuard';
import { IdMarks, IdSet } from './idSet';
import { CompiledMapping } from './interfaces';
import { RunProgress } from './progress';
import { ActiveRun, BATCH, ReconOptions, RunScope } from './runScope';
import { reconcileSourceBatch } from './sourcePhase';
import { reconcileTargets } from './targetPhase';

export const PAGE_JOB = 'reconPage';
export const FINISH_JOB = 'reconFinish';

interface RunRef {
  reconId: string;
  mapping: string;
  /** The mapping's fingerprint at the start: every page and the finish run with the same mapping. */
  fingerprint: string;
  stamp: string;
}
interface PagePayload extends RunRef {
  page: number;
  from: number;
  to: number;
}

/** The run ended (canceled or failed elsewhere) before this job committed: its work is rolled back. */
class RunEnded extends Error {}

export interface ClusterDeps {
  db: Db;
  users: ManagedUsers;
  runtime: WorkflowRuntime;
  mappings: Map<string, CompiledMapping>;
  connectors: Map<string, SourceConnector>;
  options: ReconOptions;
  nodeId: string;
  log: Logger;
}

/** The source's plan, or why a clustered run of this mapping cannot page it. */
export async function planSource(mapping: CompiledMapping, connector: SourceConnector): Promise<SourcePlan> {
  const why = connector.paging ? await connector.paging.plan() : `the ${connector.name} connector cannot page its source`;
  if (typeof why === 'string') throw new Error(`Mapping ${mapping.name} has clusteredSourceReconEnabled, but its source ${mapping.source} cannot be split into pages: ${why}. Set "clusteredSourceReconEnabled": false on the mapping`);
  return why;
}

/**
 * Before a page's transaction: the mapping's processes loaded and their start templates stored, so
 * that starts inside the transaction read and write only through it (on SQLite, the one connection).
 */
export async function prepareWorkflows(runtime: WorkflowRuntime, mapping: CompiledMapping): Promise<void> {
  const keys = new Set<string>();
  for (const { policy } of mapping.configuredPolicies) if (policy.kind === 'workflow') keys.add(policy.workflowName);
  for (const key of keys) await runtime.definitions.prepareStarts(key);
}

/**
 * Writes the plan of an ACTIVE run: its page count and stage, and one job per page (the finish job
 * at once for an empty source), in one transaction. False when the run ended meanwhile.
 */
export async function enqueuePages(db: Db, run: ActiveRun, mapping: CompiledMapping, plan: SourcePlan, pageSize: number): Promise<boolean> {
  const pages = Math.ceil(plan.records / pageSize);
  const ref: RunRef = { reconId: run.row.id, mapping: mapping.name, fingerprint: mapping.fingerprint, stamp: plan.stamp };
  return db.knex.transaction(async (trx) => {
    const planned = await runs.planPages(trx, run.row.id, pages, {
      stage: 'ACTIVE_RECONCILING_SOURCE', progress: run.progress.toJSON(), situationSummary: run.progress.situations, statusSummary: run.progress.status, heartbeat: 'now',
      parameters: { ...run.row.parameters, clustered: { pageSize, pages, records: plan.records } },
    });
    if (!planned) return false;
    for (let page = 0; page < pages; page++) {
      const payload: PagePayload = { ...ref, page, from: page * pageSize, to: Math.min(plan.records, (page + 1) * pageSize) };
      await enqueue(trx, { key: `${PAGE_JOB}:${run.row.id}:${page}`, type: PAGE_JOB, payload: payload as unknown as Record<string, unknown> });
    }
    if (pages === 0) await enqueue(trx, { key: `${FINISH_JOB}:${run.row.id}`, type: FINISH_JOB, payload: ref as unknown as Record<string, unknown> });
    return true;
  });
}

export class ClusteredRecon {
  constructor(private deps: ClusterDeps) {}

  /** The job handlers, for the worker (src/wiring.ts). */
  handlers(): Record<string, JobHandler> {
    return {
      [PAGE_JOB]: (trx, payload, job) => this.page(trx, payload as unknown as PagePayload, job),
      [FINISH_JOB]: (trx, payload, job) => this.finish(trx, payload as unknown as RunRef, job),
    };
  }

  /** A page or finish job that will never succeed fails its run with the reason (in the dead job's transaction). */
  readonly onDead: DeadJobHook = async (trx, job, reason) => {
    if (job.type !== PAGE_JOB && job.type !== FINISH_JOB) return;
    const { reconId } = job.payload as unknown as RunRef;
    const failed = await runs.finishRun(trx, reconId, { state: 'FAILED', stage: 'COMPLETED_FAILED', message: reason, ended: new Date().toISOString(), heartbeat: 'now' });
    await runs.deleteTouched(trx, reconId);
    if (failed) this.deps.log.warn(`clustered reconciliation ${reconId} failed: ${reason}`);
  };

  private async page(trx: Knex.Transaction, p: PagePayload, job: Job): Promise<unknown> {
    const prepared = await this.prepare(trx, p);
    if ('skipped' in prepared) return prepared;
    const { mapping, connector, run } = prepared;
    const { records, earlierIds } = await connector.paging!.read(p.stamp, p.from, p.to).catch((e: unknown) => {
      throw new PermanentJobFailure(e instanceof Error ? e.message : String(e));
    });
    const counters = await runs.readPageCounters(trx, p.reconId);
    run.budget!.spend(counters?.removed ?? 0);
    const removedBefore = run.budget!.spent;
    // Ids whose first row is on an earlier page: a row of theirs here is a duplicate, as in one stream.
    const seen = new IdSet();
    for (const id of earlierIds) seen.add(id);
    const touchedSet = new IdSet();
    const touchedNow: string[] = [];
    const touched: IdMarks = {
      has: (id) => touchedSet.has(id),
      add: (id) => {
        if (!touchedSet.has(id)) {
          touchedSet.add(id);
          touchedNow.push(id);
        }
      },
    };
    const out = await this.inSavepoint(trx, async (sp) => {
      const scope = this.scope(sp, mapping, run);
      for (let i = 0; i < records.length; i += BATCH) await reconcileSourceBatch(scope, records.slice(i, i + BATCH), seen, touched);
      // In id order: pages touching the same targets take their row locks in one order (no deadlock).
      await runs.insertTouched(sp, p.reconId, touchedNow.sort());
      const now = await runs.countPage(sp, p.reconId, run.budget!.spent - removedBefore);
      if (!now) throw new RunEnded();
      // Pages of one run may remove in parallel: the sum, counted under the run's row lock, is what the threshold limits.
      if (now.removed > run.budget!.limit) run.budget!.check(new Map([['removals by pages committed at the same time', now.removed - run.budget!.spent]]), false);
      const total = RunProgress.fromRow(now.run);
      total.add(run.progress);
      await runs.writeProgress(sp, p.reconId, { progress: total.toJSON(), situationSummary: total.situations, statusSummary: total.status, heartbeat: 'now', state: 'ACTIVE' });
      if (now.pagesDone === now.pagesTotal) {
        const ref: RunRef = { reconId: p.reconId, mapping: p.mapping, fingerprint: p.fingerprint, stamp: p.stamp };
        await enqueue(sp, { key: `${FINISH_JOB}:${p.reconId}`, type: FINISH_JOB, payload: ref as unknown as Record<string, unknown> });
        this.deps.options.onJobsEnqueued?.();
      }
      return { node: this.deps.nodeId, page: p.page, records: records.length, attempt: job.attempts };
    });
    if (!('skipped' in out)) this.reportRows(mapping, run.progress);
    return out;
  }

  /** The target phase, once, after every page committed; then the run's end. */
  private async finish(trx: Knex.Transaction, p: RunRef, job: Job): Promise<unknown> {
    const prepared = await this.prepare(trx, p);
    if ('skipped' in prepared) return prepared;
    const { mapping, connector, run } = prepared;
    const counters = await runs.readPageCounters(trx, p.reconId);
    run.budget!.spend(counters?.removed ?? 0);
    run.progress = RunProgress.fromRow(run.row);
    run.progress.sourceTotal = run.progress.sourceProcessed;
    const ids = await connector.paging!.validIds(p.stamp).catch((e: unknown) => {
      throw new PermanentJobFailure(e instanceof Error ? e.message : String(e));
    });
    const seen = new IdSet();
    for (const id of ids) seen.add(id);
    if (seen.size === 0 && !mapping.allowEmptySourceSet) throw new PermanentJobFailure(emptySourceStop(mapping, run.progress.sourceProcessed).message);
    return this.inSavepoint(trx, async (sp) => {
      if (mapping.runTargetPhase) {
        const touched = new IdSet();
        for (let after: string | null = null; ;) {
          const part = await runs.touchedAfter(sp, p.reconId, after, 5_000);
          if (!part.length) break;
          for (const id of part) touched.add(id);
          after = part[part.length - 1];
        }
        await runs.updateRun(sp, p.reconId, { stage: 'ACTIVE_RECONCILING_TARGET' });
        await reconcileTargets(this.scope(sp, mapping, run), seen, touched, async () => undefined);
      }
      await runs.deleteTouched(sp, p.reconId);
      const ended = await runs.finishRun(sp, p.reconId, {
        state: 'SUCCESS', stage: 'COMPLETED_SUCCESS', progress: run.progress.toJSON(), situationSummary: run.progress.situations, statusSummary: run.progress.status,
        ended: new Date().toISOString(), heartbeat: 'now',
      });
      if (!ended) throw new RunEnded();
      this.deps.options.metrics?.reconRunEnded(mapping.name, 'SUCCESS', (Date.now() - Date.parse(run.row.started)) / 1000, run.progress.status.SUCCESS + run.progress.status.FAILURE);
      return { node: this.deps.nodeId, finished: true, attempt: job.attempts };
    });
  }

  /** The run (ACTIVE), its mapping as it was planned, and its connector; or why the job has nothing to do. */
  private async prepare(trx: Knex.Transaction, p: RunRef): Promise<{ skipped: string } | { mapping: CompiledMapping; connector: SourceConnector; run: ActiveRun }> {
    const row = await runs.readRun(trx, p.reconId);
    if (!row || row.state !== 'ACTIVE') return { skipped: `run ${p.reconId} is ${row ? row.state : 'gone'}` };
    const mapping = this.deps.mappings.get(p.mapping);
    if (!mapping || mapping.fingerprint !== p.fingerprint) {
      throw new PermanentJobFailure(`Mapping ${p.mapping} changed (or is not configured on node ${this.deps.nodeId}) during the clustered reconciliation; start a new reconciliation`);
    }
    const connector = this.deps.connectors.get(mapping.source);
    if (!connector?.paging) throw new PermanentJobFailure(`No paging connector for source ${mapping.source} on node ${this.deps.nodeId}`);
    const linksTotal = Number((row.progress.links as { existing?: { total?: unknown } } | undefined)?.existing?.total ?? 0) || 0;
    const confirm = row.parameters.confirmDeletions;
    const run: ActiveRun = {
      row, progress: new RunProgress(), canceled: false, done: Promise.resolve(),
      budget: new DeletionBudget(mapping, linksTotal, typeof confirm === 'number' ? confirm : undefined),
    };
    return { mapping, connector, run };
  }

  private scope(trx: Knex.Transaction, mapping: CompiledMapping, run: ActiveRun): RunScope {
    const { db, users, runtime, options } = this.deps;
    return { db: { ...db, knex: trx }, users, runtime: runtime.startsIn(trx), options, mapping, run };
  }

  /**
   * Runs the work in a savepoint of the job's transaction: a run that ended meanwhile rolls the
   * work back and the job is done (nothing to do); a deletion threshold or a refused row fails the run.
   */
  private async inSavepoint<T>(trx: Knex.Transaction, work: (sp: Knex.Transaction) => Promise<T>): Promise<T | { skipped: string }> {
    try {
      return await trx.transaction(work);
    } catch (e) {
      if (e instanceof RunEnded) return { skipped: 'the run ended before this job committed; its work was rolled back' };
      if (e instanceof ReconStopped) throw new PermanentJobFailure(e.message);
      throw e;
    }
  }

  private reportRows(mapping: CompiledMapping, progress: RunProgress): void {
    const m = this.deps.options.metrics;
    if (!m) return;
    for (const [situation, [success, failure]] of Object.entries(progress.takeUnreported())) m.reconRows(mapping.name, situation, success, failure);
  }
}
