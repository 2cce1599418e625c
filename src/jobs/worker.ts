// The worker loop: claim, run the handler and mark done in one transaction, back off on failure.
// Queries live in ./sql; this file only decides when to call them.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { Logger } from '../context';
import { withLogContext } from '../log';
import { isUnavailable } from '../storageErrors';
import { AttemptResult, DeadJobHook, isPermanentFailure, Job, JobHandler, JobMetrics, WorkerOptions } from './interfaces';
import { claimJobs } from './sql/claimJob';
import { completeJob } from './sql/completeJob';
import { failJob } from './sql/failJob';
import { killJob } from './sql/killJob';
import { releaseNodeJobs, releaseUnheldJobs } from './sql/releaseJob';

class LostLock extends Error {}

/** The ids on every line logged while a job runs: its id and type, and the process instance it continues. */
function jobLogFields(job: Job): Record<string, unknown> {
  const instanceId = (job.payload as { processInstanceId?: unknown } | null)?.processInstanceId;
  return { jobId: job.id, jobType: job.type, ...(typeof instanceId === 'string' || typeof instanceId === 'number' ? { instanceId: String(instanceId) } : {}) };
}

export const defaultWorkerOptions = (nodeId: string): WorkerOptions => ({
  workerId: `${nodeId}/${crypto.randomBytes(4).toString('hex')}`,
  nodeId,
  concurrency: 4,
  claimBatch: 8,
  pollMs: 250,
  lockMs: 60_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 5 * 60_000,
});

export function backoff(attempt: number, opts: Pick<WorkerOptions, 'backoffBaseMs' | 'backoffCapMs'>): number {
  const exp = Math.min(opts.backoffBaseMs * 2 ** Math.max(0, attempt - 1), opts.backoffCapMs);
  return Math.round(exp * (0.75 + Math.random() * 0.5));
}

export class Worker {
  private running = false;
  private active = 0;
  /** The loops asleep now. */
  private sleepers = new Set<() => void>();
  /** A nudge came while every loop was busy: the next loop to finish claims instead of sleeping. */
  private missedNudge = false;
  private loops: Promise<void>[] = [];
  private readonly types: string[];
  /** Jobs this process is running now. */
  private held = new Set<number>();
  /** A claim failed on an unavailable database: it may have committed without our knowing. */
  private claimInDoubt = false;
  /** The last batch failed (the next failure of the streak is not logged again). */
  private failing = false;
  /** Loops started and not returned (a loop returns only once stopped): readiness (src/health.ts) asks. */
  private alive = 0;

  constructor(
    private knex: Knex,
    private handlers: Record<string, JobHandler>,
    private opts: WorkerOptions,
    private log: Logger,
    private onDead?: DeadJobHook,
    private metrics?: JobMetrics,
  ) {
    this.types = Object.keys(handlers);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Jobs this node's previous process held when it died need not wait for their locks to expire.
    const ready = this.opts.nodeId ? this.releasePredecessorJobs(this.opts.nodeId) : Promise.resolve();
    this.loops = Array.from({ length: this.opts.concurrency }, () => {
      // Counted from now: a loop waiting for the release above is starting, not missing.
      this.alive++;
      return ready.then(() => this.loop()).finally(() => this.alive--);
    });
  }

  /**
   * releaseNodeJobs, tried again a few times: a failure is logged, never silent, and then the
   * jobs run again only when their locks expire (lockMs), which is what a restart must not wait for.
   */
  private async releasePredecessorJobs(nodeId: string): Promise<void> {
    for (let attempt = 1, delay = 250; ; attempt++, delay *= 2) {
      try {
        const n = await releaseNodeJobs(this.knex, nodeId, this.opts.workerId);
        if (n) this.log.warn(`re-queued ${n} job(s) left running by an earlier process of node ${nodeId}`);
        return;
      } catch (e) {
        if (attempt >= 5 || !this.running) {
          this.log.error(`cannot re-queue the jobs an earlier process of node ${nodeId} left running: they run again when their locks expire (${this.opts.lockMs} ms)`, e);
          return;
        }
        this.log.warn(`re-queueing the jobs an earlier process of node ${nodeId} left running failed (attempt ${attempt}), trying again: ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** For readiness (src/health.ts): started and not stopped, and how many of its loops still run. */
  status(): { running: boolean; loops: number; concurrency: number } {
    return { running: this.running, loops: this.alive, concurrency: this.opts.concurrency };
  }

  /**
   * New work was enqueued by this process: one sleeping loop claims now instead of at its next
   * poll. (Waking them all made every loop but one claim nothing, per commit.) A loop that finds a
   * full batch wakes another.
   */
  nudge(): void {
    const [wake] = this.sleepers;
    if (wake) wake();
    else this.missedNudge = true;
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Stops claiming and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeAll();
    await Promise.all(this.loops);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private async loop(): Promise<void> {
    let idle = 0;
    const limit = this.opts.claimBatch ?? 1;
    while (this.running) {
      let ran = 0;
      try {
        ran = await this.runBatch(limit);
      } catch (e) {
        // An unavailable database (or a deadlock, a lock wait) is said once per streak, not per poll.
        if (!isUnavailable(e)) this.log.error('job worker error', e);
        else if (!this.failing) this.log.warn(`job worker: claiming or running jobs failed, trying again: ${e instanceof Error ? e.message : String(e)}`);
        this.failing = true;
        await this.sleep(Math.min(5_000, this.opts.pollMs * 4));
        continue;
      }
      if (this.failing) this.log.info('job worker: claiming jobs works again');
      this.failing = false;
      // A full batch: more may be waiting. A partial one emptied the queue as of its claim; what was
      // enqueued here since nudged (missedNudge when no loop slept), so claiming again at once would
      // mostly find nothing: a round trip per job on PostgreSQL. Other nodes' jobs wait for the poll.
      if (ran === limit) {
        idle = 0;
        continue;
      }
      if (this.missedNudge) {
        this.missedNudge = false;
        idle = 0;
        continue;
      }
      if (ran > 0) idle = 0;
      await this.sleep(Math.min(this.opts.pollMs * 2 ** Math.min(idle++, 3), 2_000));
    }
  }

  /** Runs at most one job; true if one was found. Exposed for tests and the testing kit. */
  async runOne(): Promise<boolean> {
    return (await this.runBatch(1)) > 0;
  }

  /**
   * Claims up to `limit` jobs in one statement and runs them one after another, each in its own
   * transaction; a stop lets the claimed ones finish (they are in hand). Returns how many ran.
   */
  private async runBatch(limit: number): Promise<number> {
    if (!this.types.length) return 0;
    if (this.claimInDoubt) {
      // Another loop may be claiming right now; the worst case is that its job is re-queued and its
      // completeJob then finds the lock gone (LostLock): never done twice.
      const n = await releaseUnheldJobs(this.knex, this.opts.workerId, [...this.held]);
      this.claimInDoubt = false;
      if (n) this.log.warn(`re-queued ${n} job(s) claimed while the database was unreachable`);
    }
    let jobs: Job[];
    try {
      jobs = await claimJobs(this.knex, this.opts.workerId, this.opts.lockMs, this.types, limit);
    } catch (e) {
      if (isUnavailable(e)) this.claimInDoubt = true;
      throw e;
    }
    for (const job of jobs) this.held.add(job.id);
    if (jobs.length === limit) this.nudge(); // more may be waiting
    for (const job of jobs) await withLogContext(jobLogFields(job), () => this.runClaimed(job));
    return jobs.length;
  }

  private async runClaimed(job: Job): Promise<void> {
    this.active++;
    const t0 = performance.now();
    let result: AttemptResult = 'done';
    let handlerFailed = false;
    try {
      const handler = this.handlers[job.type];
      await this.knex.transaction(async (trx) => {
        const result = await handler(trx, job.payload, job);
        if (!(await completeJob(trx, job.id, this.opts.workerId, result))) throw new LostLock(`job ${job.id} was taken over by another worker`);
      });
    } catch (e) {
      if (e instanceof LostLock) {
        result = 'lost';
        this.log.warn(e.message);
        return;
      }
      handlerFailed = true;
      const message = e instanceof Error ? e.message : String(e);
      const permanent = isPermanentFailure(e);
      const outcome = await this.recordFailure(job, message, permanent ? null : Date.now() + backoff(job.attempts, this.opts));
      result = outcome === 'queued' ? 'retry' : outcome;
      const why = permanent ? ' — trying again cannot help, job is dead' : ' — no attempts left, job is dead';
      this.log.warn(`job ${job.id} (${job.type}) attempt ${job.attempts} failed: ${message}${outcome === 'dead' ? why : ''}`);
    } finally {
      this.active--;
      this.held.delete(job.id);
      this.metrics?.jobAttempt(job.type, result, (performance.now() - t0) / 1000, handlerFailed);
    }
  }

  /**
   * failJob (or, with no retryAt, killJob with the dead-job hook in its transaction), retried while
   * the database is unavailable (until the lock would expire anyway).
   */
  private async recordFailure(job: Job, message: string, retryAt: number | null): Promise<'queued' | 'dead' | 'lost'> {
    const deadline = job.lockedUntil ?? Date.now() + this.opts.lockMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        if (retryAt === null) {
          return await this.knex.transaction(async (trx) => {
            if (!(await killJob(trx, job.id, this.opts.workerId, message))) return 'lost';
            await this.onDead?.(trx, job, message);
            return 'dead';
          });
        }
        const outcome = await failJob(this.knex, job.id, this.opts.workerId, message, retryAt);
        if (outcome === 'dead' && this.onDead) await this.knex.transaction((trx) => this.onDead!(trx, job, message)).catch((e) => this.log.error(`cannot record the end of dead job ${job.id}`, e));
        return outcome;
      } catch (e) {
        if (!isUnavailable(e) || Date.now() + delay >= deadline) return 'lost';
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
