// What the phases of one reconciliation run share: the run (its row, live counters, cancel flag
// and deletion budget), its mapping, and the services it reads and writes through. The reconciler
// (reconciler.ts) makes one scope per run; the source phase (sourcePhase.ts) and the target phase
// (targetPhase.ts) receive it.
import { ManagedUsers } from '../managed/users';
import { Db } from '../repo/db';
import { RunRow } from '../repo/reconRuns';
import { WorkflowRuntime } from '../workflow/runtime';
import type { OpenidmFacade } from '../scriptApi/openidmFacade';
import type { AskAgain } from '../approval/askAgain';
import { DeletionBudget } from './deletionGuard';
import type { ResultStats } from './hooks';
import { Action, CompiledMapping, Situation } from './interfaces';
import { RunProgress } from './progress';

/** Source records per batch (one transaction, one audit insert), and target ids per page. */
export const BATCH = 500;

export interface ReconOptions {
  askAgain: Record<string, AskAgain>;
  /** Per mapping and situation, a workflow policy's approvedAction (src/approval/approvedAction.ts). */
  /** Variables every started approval gets (escalationDuration). */
  startVariables?: Record<string, unknown>;
  metrics?: ReconMetrics;
  /** IDM's script API for policy action scripts (src/recon/policyScript.ts). */
  scripts?: OpenidmFacade;
  /** Told when a run enqueued jobs (a clustered run's pages), so this node's worker claims at once. */
  onJobsEnqueued?: () => void;
}

/** Told of runs and of the rows they classify (src/metrics implements it). */
export interface ReconMetrics {
  reconRunStarted(mapping: string): void;
  /** Rows of one situation ('NONE' for a bad row or a duplicate id) and outcome since the last call. */
  reconRows(mapping: string, situation: string, success: number, failure: number): void;
  reconRunEnded(mapping: string, state: string, seconds: number, rows: number): void;
}

/** A run this node executes. */
export interface ActiveRun {
  row: RunRow;
  progress: RunProgress;
  /** Set by a cancel (here or, seen at the next flush, elsewhere) and by stop(): the phases end at the next batch. */
  canceled: boolean;
  done: Promise<void>;
  budget?: DeletionBudget;
  /** Kept when the mapping has a result script, which is given every entry's id by situation. */
  resultStats?: ResultStats;
}

export interface RunScope {
  db: Db;
  users: ManagedUsers;
  /** Only its starts: a clustered page's are bound to the page's transaction (clustered.ts). */
  runtime: Pick<WorkflowRuntime, 'startMany'>;
  options: ReconOptions;
  mapping: CompiledMapping;
  run: ActiveRun;
}
