// What every part of the workflow runtime works with (starts, tasks, timers, continuations): the
// database, the deployed definitions, the hooks of the rooms around it and the engine pool. One
// object per WorkflowRuntime, built by its constructor and shared by reference.
import type { Knex } from 'knex';
import type { Logger } from '../context';
import type { Db } from '../repo/db';
import type { InstanceRow } from '../repo/processInstances';
import type { Definitions, LoadedDefinition } from './definitions';
import type { RunOptions, RunResult } from './interfaces';
import type { EnginePool } from './pool';

/** An instance whose run has finished: it ended at an end event, or it failed. */
export interface FinishedEvent {
  instance: InstanceRow;
  result: RunResult;
  definition: LoadedDefinition;
  /** The task whose completion finished the instance, and who completed it. */
  taskId?: number;
  completedBy?: string;
  /** The completer's _comment (at most 2000 characters), stored with an approval's decision. */
  comment?: string | null;
}

/** The former name of FinishedEvent (it also covers failed instances). */
export type EndedEvent = FinishedEvent;

export interface RuntimeHooks {
  /**
   * An instance ended or failed: runs inside the transaction that stores it, so its writes commit
   * with it (`e.result.status` says which).
   */
  onFinished?: (trx: Knex.Transaction, e: FinishedEvent) => Promise<void>;
  /** Called after a commit that enqueued jobs. */
  onJobsEnqueued?: () => void;
  /** Told of instances started and finished, once their transaction has committed. */
  metrics?: WorkflowMetrics;
}

/** What metrics count of the runtime (src/metrics implements it). */
export interface WorkflowMetrics {
  instancesStarted(definitionKey: string, version: number, n: number): void;
  instanceFinished(definitionKey: string, version: number, status: 'ended' | 'failed'): void;
}

export interface RuntimeContext {
  readonly db: Db;
  readonly definitions: Definitions;
  readonly log: Logger;
  readonly hooks: RuntimeHooks;
  readonly runOptions: RunOptions;
  /** Worker threads for completions and timers (started on first use; off under ts-jest). */
  readonly pool: EnginePool;
  /** The runtime's clock, epoch ms (RunOptions.now, else Date.now). */
  now(): number;
  /** The same clock as an ISO 8601 string. */
  iso(): string;
}
