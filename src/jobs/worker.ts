// The worker loop: claim, run the handler and mark done in one transaction, back off on failure.
// Queries live in ./sql; this file only decides when to call them.
import { Knex } from 'knex';
import { Logger } from '../context';
import { isUnavailable } from '../repo/dialect';
import { JobHandler, WorkerOptions } from './interfaces';
import { claimJob } from './sql/claimJob';
import { completeJob } from './sql/completeJob';
import { failJob } from './sql/failJob';

class LostLock extends Error {}

export const defaultWorkerOptions = (workerId: string): WorkerOptions => ({
  workerId,
  concurrency: 4,
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
  private wake: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private readonly types: string[];

  constructor(private knex: Knex, private handlers: Record<string, JobHandler>, private opts: WorkerOptions, private log: Logger) {
    this.types = Object.keys(handlers);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.opts.concurrency }, () => this.loop());
  }

  /** New work was enqueued by this process: don't wait for the next poll. */
  nudge(): void {
    this.wake?.();
  }

  /** Stops claiming and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await Promise.all(this.loops);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const prev = this.wake;
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        done();
        prev?.();
      };
    });
  }

  private async loop(): Promise<void> {
    let idle = 0;
    while (this.running) {
      let worked = false;
      try {
        worked = await this.runOne();
      } catch (e) {
        if (!isUnavailable(e)) this.log.error('job worker error', e);
        await this.sleep(Math.min(5_000, this.opts.pollMs * 4));
        continue;
      }
      if (worked) idle = 0;
      else await this.sleep(Math.min(this.opts.pollMs * 2 ** Math.min(idle++, 3), 2_000));
    }
  }

  /** Runs at most one job; true if one was found. Exposed for tests and the testing kit. */
  async runOne(): Promise<boolean> {
    if (!this.types.length) return false;
    const job = await claimJob(this.knex, this.opts.workerId, this.opts.lockMs, this.types);
    if (!job) return false;
    this.active++;
    try {
      const handler = this.handlers[job.type];
      await this.knex.transaction(async (trx) => {
        const result = await handler(trx, job.payload, job);
        if (!(await completeJob(trx, job.id, this.opts.workerId, result))) throw new LostLock(`job ${job.id} was taken over by another worker`);
      });
    } catch (e) {
      if (e instanceof LostLock) {
        this.log.warn(e.message);
        return true;
      }
      const message = e instanceof Error ? e.message : String(e);
      const outcome = await failJob(this.knex, job.id, this.opts.workerId, message, Date.now() + backoff(job.attempts, this.opts)).catch(() => 'lost');
      this.log.warn(`job ${job.id} (${job.type}) attempt ${job.attempts} failed: ${message}${outcome === 'dead' ? ' — no attempts left, job is dead' : ''}`);
    } finally {
      this.active--;
    }
    return true;
  }
}
