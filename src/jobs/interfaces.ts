// Types shared by the job queue's SQL operations, the worker loop and the REST resource.
import type { Knex } from 'knex';

export type JobState = 'queued' | 'running' | 'done' | 'dead';

export interface Job {
  id: number;
  key: string;
  type: string;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  result: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface NewJob {
  /** Idempotency key: a second enqueue with the same key is a no-op. */
  key: string;
  type: string;
  payload: Record<string, unknown>;
  runAt?: number;
  maxAttempts?: number;
}

/**
 * A handler does its work inside `trx`, the same transaction that marks the job done, so a job
 * either completes with its effects or leaves no trace. It must still be idempotent: a job whose
 * worker died after committing elsewhere may run again.
 */
export type JobHandler = (trx: Knex.Transaction, payload: Record<string, unknown>, job: Job) => Promise<unknown>;

/**
 * Thrown by a handler when trying again cannot help (the target already exists, the work is not
 * defined): the job is dead at once with this message, instead of after every attempt.
 */
export class PermanentJobFailure extends Error {
  readonly permanent = true;
}

export function isPermanentFailure(e: unknown): boolean {
  return (e as { permanent?: unknown } | null)?.permanent === true;
}

/** Called in the transaction that marks a job dead (or right after it), e.g. to record the outcome it will never have. */
export type DeadJobHook = (trx: Knex.Transaction, job: Job, reason: string) => Promise<void>;

export interface WorkerOptions {
  /** Unique per process: the lock owner written into job.locked_by. */
  workerId: string;
  /** The node (NODE_ID) this process runs as; a restart of the node re-queues what its previous process held. */
  nodeId?: string;
  concurrency: number;
  /** Jobs a loop claims in one statement (default 1); it runs them one after another. */
  claimBatch?: number;
  pollMs: number;
  lockMs: number;
  /** Backoff for attempt n (1-based): min(base * 2^(n-1), cap), with jitter. */
  backoffBaseMs: number;
  backoffCapMs: number;
}

/**
 * How an attempt ended, for metrics: done; failed and queued again (retry) or dead; or lost (the
 * lock passed to another worker, so this attempt's outcome is not this worker's to record).
 */
export type AttemptResult = 'done' | 'retry' | 'dead' | 'lost';

/** Told of every attempt this worker runs (src/metrics implements it). */
export interface JobMetrics {
  jobAttempt(type: string, result: AttemptResult, seconds: number, handlerFailed: boolean): void;
}
