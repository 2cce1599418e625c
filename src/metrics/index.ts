// The metrics of one server: a prom-client registry of its own (never prom-client's global one, so
// that several servers in one process keep apart), counters the rooms increment where things
// happen (they see only their own small interfaces: ReconMetrics, WorkflowMetrics, JobMetrics,
// wired in src/wiring.ts), and gauges read from the repository at each scrape. docs/operations.md
// lists every metric.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Logger } from '../context';
import { countIncidents } from '../repo/incidents';
import { observeQueries, poolStats, QueryKind } from '../repo/instrumentation';
import { activeInstanceCounts, openTaskStats } from '../repo/operationalStats';
import { Db } from '../repo/db';
import { queueStats } from '../jobs';
import type { AttemptResult, JobMetrics } from '../jobs/interfaces';
import type { ReconMetrics } from '../recon/runScope';
import type { WorkflowMetrics } from '../workflow/runtimeContext';
import { MetricsConfig } from './config';

export { validateMetricsConfig, metricsLiveObject, type MetricsConfig } from './config';

/** Seconds: HTTP requests and job attempts (1 ms to 10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: one SQL statement (0.1 ms to 2.5 s). */
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds: a whole reconciliation run (1 s to 4 h). */
const RUN_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400];

/** Task label sets remembered at 0 (definitions × user task ids: small, but bounded all the same). */
const MAX_TASK_GROUPS = 1_000;

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class Metrics implements ReconMetrics, WorkflowMetrics, JobMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  /** false after PUT config/metrics {"enabled": false}: /openidm/metrics/prometheus answers 404 (src/config/live.ts). */
  served = true;
  private detach: (() => void) | null = null;
  private scraping: Promise<string> | null = null;
  /** Task label sets seen by earlier scrapes, so that their count reads 0 once their tasks are done. */
  private taskGroups = new Map<string, Record<'process_definition_key' | 'process_definition_version' | 'task_definition_key', string>>();

  private readonly httpRequests = new Counter({ name: 'reconflow_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code', labelNames: ['method', 'route', 'status_code'], registers: [this.registry] });
  private readonly httpDuration = new Histogram({ name: 'reconflow_http_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its response, by method, route pattern and status code', labelNames: ['method', 'route', 'status_code'], buckets: LATENCY_BUCKETS, registers: [this.registry] });

  private readonly reconRuns = new Counter({ name: 'reconflow_recon_runs_total', help: 'Reconciliation runs this process ran to their end, by mapping and final state (SUCCESS, FAILED, CANCELED)', labelNames: ['mapping', 'state'], registers: [this.registry] });
  private readonly reconRunDuration = new Histogram({ name: 'reconflow_recon_run_duration_seconds', help: 'Duration of the reconciliation runs this process ran, by mapping and final state', labelNames: ['mapping', 'state'], buckets: RUN_BUCKETS, registers: [this.registry] });
  private readonly reconRunning = new Gauge({ name: 'reconflow_recon_runs_running', help: 'Reconciliation runs this process is running now, by mapping', labelNames: ['mapping'], registers: [this.registry] });
  private readonly reconRowsTotal = new Counter({ name: 'reconflow_recon_rows_total', help: 'Rows (source entries and target objects) reconciliation classified, by mapping, situation (NONE: a bad row or a duplicate id) and outcome; rate() gives rows per second', labelNames: ['mapping', 'situation', 'outcome'], registers: [this.registry] });
  private readonly reconLastRate = new Gauge({ name: 'reconflow_recon_last_run_rows_per_second', help: 'Rows per second of the last run of each mapping that ended in this process', labelNames: ['mapping'], registers: [this.registry] });

  private readonly instancesStartedTotal = new Counter({ name: 'reconflow_process_instances_started_total', help: 'Process instances started (committed), by definition key and version', labelNames: ['process_definition_key', 'process_definition_version'], registers: [this.registry] });
  private readonly instancesCompleted = new Counter({ name: 'reconflow_process_instances_completed_total', help: 'Process instances that reached an end (committed), by definition key and version', labelNames: ['process_definition_key', 'process_definition_version'], registers: [this.registry] });
  private readonly instancesFailed = new Counter({ name: 'reconflow_process_instances_failed_total', help: 'Process instances that failed (committed), by definition key and version', labelNames: ['process_definition_key', 'process_definition_version'], registers: [this.registry] });

  private readonly jobAttempts = new Counter({ name: 'reconflow_job_attempts_total', help: 'Job attempts this process ran, by type and result (done, retry, dead, lost)', labelNames: ['type', 'result'], registers: [this.registry] });
  private readonly jobFailures = new Counter({ name: 'reconflow_job_failures_total', help: 'Job attempts whose handler failed, by type', labelNames: ['type'], registers: [this.registry] });
  private readonly jobsDead = new Counter({ name: 'reconflow_jobs_dead_total', help: 'Jobs this process marked dead (no attempts left, or a permanent failure), by type', labelNames: ['type'], registers: [this.registry] });
  private readonly jobDuration = new Histogram({ name: 'reconflow_job_attempt_duration_seconds', help: 'Duration of job attempts, by type and result', labelNames: ['type', 'result'], buckets: LATENCY_BUCKETS, registers: [this.registry] });

  private readonly queryDuration = new Histogram({ name: 'reconflow_db_query_duration_seconds', help: 'Duration of SQL statements (not BEGIN/COMMIT), by kind (select, insert, update, delete, ddl, other)', labelNames: ['operation'], buckets: QUERY_BUCKETS, registers: [this.registry] });
  private readonly queryErrors = new Counter({ name: 'reconflow_db_query_errors_total', help: 'SQL statements that failed, by kind', labelNames: ['operation'], registers: [this.registry] });

  // Read at each scrape.
  private readonly poolConnections = new Gauge({ name: 'reconflow_db_pool_connections', help: 'Connections of the database pool, by state (used, free)', labelNames: ['state'], registers: [this.registry] });
  private readonly poolPending = new Gauge({ name: 'reconflow_db_pool_pending', help: 'Waiting on the database pool: callers for a connection (acquire), connections being opened (create)', labelNames: ['kind'], registers: [this.registry] });
  private readonly poolMax = new Gauge({ name: 'reconflow_db_pool_max_connections', help: 'The database pool\'s size limit', registers: [this.registry] });
  private readonly repositoryUp = new Gauge({ name: 'reconflow_metrics_repository_up', help: '1 when this scrape read the repository gauges below, 0 when the repository could not be read (they are then absent)', registers: [this.registry] });
  private readonly repositorySeconds = new Gauge({ name: 'reconflow_metrics_repository_scrape_seconds', help: 'Time this scrape spent reading the repository', registers: [this.registry] });
  private readonly tasksOpen = new Gauge({ name: 'reconflow_tasks_open', help: 'Open user tasks (all nodes), by process definition key and version and task definition key', labelNames: ['process_definition_key', 'process_definition_version', 'task_definition_key'], registers: [this.registry] });
  private readonly tasksOldest = new Gauge({ name: 'reconflow_tasks_open_oldest_age_seconds', help: 'Age of the oldest open user task (all nodes), by process definition key and version and task definition key', labelNames: ['process_definition_key', 'process_definition_version', 'task_definition_key'], registers: [this.registry] });
  private readonly instancesActive = new Gauge({ name: 'reconflow_process_instances_active', help: 'Active process instances (all nodes), by definition key', labelNames: ['process_definition_key'], registers: [this.registry] });
  private readonly jobsByState = new Gauge({ name: 'reconflow_jobs', help: 'Jobs in the queue table (all nodes), by type and state (queued, running, done, dead)', labelNames: ['type', 'state'], registers: [this.registry] });
  private readonly jobsReady = new Gauge({ name: 'reconflow_jobs_ready', help: 'Queued jobs due now (all nodes): the queue depth, by type', labelNames: ['type'], registers: [this.registry] });
  private readonly jobsOldestReady = new Gauge({ name: 'reconflow_jobs_oldest_ready_age_seconds', help: 'How long the oldest job due now has been due (by the database\'s clock), by type', labelNames: ['type'], registers: [this.registry] });
  private readonly incidentsOpen = new Gauge({ name: 'reconflow_incidents_open', help: 'Open incidents (all nodes), by type (failedJob, failedInstance, failedExternalTask)', labelNames: ['type'], registers: [this.registry] });

  constructor(private db: Db, private log: Logger) {
    // Node's runtime: event-loop lag, heap, GC, CPU, handles (prom-client's standard names).
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times every statement of this server's pool; stop() detaches. */
  observeDatabase(): void {
    const children = new Map<QueryKind, ReturnType<Histogram<'operation'>['labels']>>();
    this.detach = observeQueries(this.db.knex, (kind, seconds, ok) => {
      let child = children.get(kind);
      if (!child) children.set(kind, (child = this.queryDuration.labels(kind)));
      child.observe(seconds);
      if (!ok) this.queryErrors.inc({ operation: kind });
    });
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  // ---- HTTP (src/api/metrics.ts) ----

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: HTTP_METHODS.has(method) ? method : 'other', route, status_code: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  // ---- recon ----

  reconRunStarted(mapping: string): void {
    this.reconRunning.inc({ mapping });
  }

  reconRows(mapping: string, situation: string, success: number, failure: number): void {
    if (success) this.reconRowsTotal.inc({ mapping, situation, outcome: 'SUCCESS' }, success);
    if (failure) this.reconRowsTotal.inc({ mapping, situation, outcome: 'FAILURE' }, failure);
  }

  reconRunEnded(mapping: string, state: string, seconds: number, rows: number): void {
    this.reconRunning.dec({ mapping });
    this.reconRuns.inc({ mapping, state });
    this.reconRunDuration.observe({ mapping, state }, seconds);
    if (seconds > 0) this.reconLastRate.set({ mapping }, rows / seconds);
  }

  // ---- workflow ----

  instancesStarted(definitionKey: string, version: number, n: number): void {
    this.instancesStartedTotal.inc({ process_definition_key: definitionKey, process_definition_version: String(version) }, n);
  }

  instanceFinished(definitionKey: string, version: number, status: 'ended' | 'failed'): void {
    (status === 'ended' ? this.instancesCompleted : this.instancesFailed).inc({ process_definition_key: definitionKey, process_definition_version: String(version) });
  }

  // ---- jobs ----

  jobAttempt(type: string, result: AttemptResult, seconds: number, handlerFailed: boolean): void {
    this.jobAttempts.inc({ type, result });
    this.jobDuration.observe({ type, result }, seconds);
    if (handlerFailed) this.jobFailures.inc({ type });
    if (result === 'dead') this.jobsDead.inc({ type });
  }

  // ---- the scrape ----

  /** The text exposition; concurrent scrapes share one reading of the repository. */
  scrape(): Promise<string> {
    return (this.scraping ??= this.collect().finally(() => (this.scraping = null)));
  }

  private async collect(): Promise<string> {
    const pool = poolStats(this.db.knex);
    this.poolConnections.reset();
    this.poolPending.reset();
    if (pool) {
      this.poolConnections.set({ state: 'used' }, pool.used);
      this.poolConnections.set({ state: 'free' }, pool.free);
      this.poolPending.set({ kind: 'acquire' }, pool.pendingAcquires);
      this.poolPending.set({ kind: 'create' }, pool.pendingCreates);
      this.poolMax.set(pool.max);
    }
    const repositoryGauges = [this.tasksOpen, this.tasksOldest, this.instancesActive, this.jobsByState, this.jobsReady, this.jobsOldestReady, this.incidentsOpen];
    for (const g of repositoryGauges) g.reset();
    const t0 = performance.now();
    try {
      const q = this.db.knex;
      const tasks = await openTaskStats(q);
      const active = await activeInstanceCounts(q);
      const queue = await queueStats(q);
      const incidents = await countIncidents(q);
      const now = Date.now();
      // A group whose tasks are all done reads 0 (not absent) for as long as this process runs.
      for (const labels of this.taskGroups.values()) this.tasksOpen.set(labels, 0);
      for (const t of tasks) {
        const labels = { process_definition_key: t.definitionKey, process_definition_version: String(t.definitionVersion), task_definition_key: t.taskDefinitionKey };
        this.tasksOpen.set(labels, t.open);
        if (this.taskGroups.size < MAX_TASK_GROUPS) this.taskGroups.set(Object.values(labels).join('\0'), labels);
        const created = Date.parse(t.oldest);
        if (Number.isFinite(created)) this.tasksOldest.set(labels, Math.max(0, (now - created) / 1000));
      }
      for (const a of active) this.instancesActive.set({ process_definition_key: a.definitionKey }, a.active);
      for (const j of queue.byTypeAndState) {
        this.jobsByState.set({ type: j.type, state: j.state }, j.n);
        this.jobsReady.set({ type: j.type }, 0);
      }
      for (const r of queue.ready) {
        this.jobsReady.set({ type: r.type }, r.n);
        this.jobsOldestReady.set({ type: r.type }, r.oldestAgeMs / 1000);
      }
      for (const [type, n] of Object.entries(incidents)) this.incidentsOpen.set({ type }, n);
      this.repositoryUp.set(1);
    } catch (e) {
      // Half-read gauges would mislead: all of them are left out, and repository_up says why.
      for (const g of repositoryGauges) g.reset();
      this.repositoryUp.set(0);
      this.log.warn(`metrics: the repository could not be read: ${(e as Error).message}`);
    }
    this.repositorySeconds.set((performance.now() - t0) / 1000);
    return this.registry.metrics();
  }
}
