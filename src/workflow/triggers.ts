// Resuming the waits that are not user tasks or timers (eventWaits.ts): trigger one waiting
// execution, deliver a named message or signal to an instance, or start an instance at a message
// or signal start event. Like completeTask, each call recovers the stored state in a fresh engine
// and resumes it (a signal sent before resume() would be dropped), then signals the waiting
// activity through its own API: bpmn-elements completes a ReceiveTask, a message or signal event
// definition and a manual task on an activity 'signal', so every kind resumes the same way; an
// event-based gateway then discards its other catches by itself.
import { recoverRun, startRun, type ResumeOptions, type Run } from './engine';
import type { ParsedDefinition, RunOptions, RunResult, WaitingExecution } from './interfaces';

export type EventKind = 'trigger' | 'message' | 'signal';

/** Which waits of an instance to resume: one execution, some, or every wait of a kind and name. */
export interface WaitTarget {
  executionId?: string;
  /** several executions of the instance, in turn (those a former one ended are skipped) */
  executionIds?: string[];
  kind?: EventKind;
  name?: string;
}

const EVENT_KINDS = new Set<string>(['trigger', 'message', 'signal']);

function notWaiting(message: string): Error {
  return Object.assign(new Error(message), { code: 'NOT_WAITING' });
}

function describe(t: WaitTarget): string {
  if (t.executionId) return `execution ${t.executionId}`;
  if (t.executionIds) return `execution ${t.executionIds.join(', ')}`;
  return `a ${t.kind ?? 'waiting'} ${t.name ? `"${t.name}"` : 'execution'}`;
}

/** The waits of a live run (as RunResult.waits reports them) that this target names. */
function targetsOf(run: Run, t: WaitTarget): WaitingExecution[] {
  return run.waits().filter(
    (w) =>
      EVENT_KINDS.has(w.kind) &&
      (t.executionId === undefined || w.executionId === t.executionId) &&
      (t.executionIds === undefined || t.executionIds.includes(w.executionId)) &&
      (t.kind === undefined || w.kind === t.kind) &&
      (t.name === undefined || w.name === t.name),
  );
}

/**
 * Resumes each target in turn (one may end another: an event-based gateway discards its other
 * catches); once a start event has fired, the other start events still waiting are discarded.
 */
async function resume(run: Run, targets: WaitingExecution[], variables: Record<string, unknown>): Promise<RunResult> {
  for (const t of targets) {
    const api = run.waitingExecution(t.executionId);
    if (!api || run.failed) continue;
    await run.resumeAt(api, variables);
    if (t.detail?.start) {
      for (const other of run.waitingExecutions()) if (other.executionId !== t.executionId && isStart(run, other.id)) await run.discardAt(other);
    }
  }
  return run.result();
}

function isStart(run: Run, activityId: string): boolean {
  return run.startEventIds.has(activityId);
}

/**
 * Resumes waiting executions of a stored instance: `executionId` alone triggers that execution
 * (whatever it waits for); `kind` and `name` deliver a message or a signal (to every execution of
 * the instance waiting for it, unless `executionId` narrows it to one). The variables become
 * process variables. Throws (code NOT_WAITING) when nothing targeted waits, (code FORM_VALIDATION)
 * when a variable would change a start variable.
 */
export async function resumeWaits(def: ParsedDefinition, state: Buffer, target: WaitTarget, variables: Record<string, unknown>, opts: ResumeOptions = {}): Promise<RunResult> {
  const run = await recoverRun(def, state, opts);
  if (run.failed) return run.result();
  const targets = targetsOf(run, target);
  if (!targets.length) throw notWaiting(`${describe(target)} is not waiting in this instance`);
  return resume(run, targets, variables);
}

/**
 * Starts an instance at its start event waiting for this message or signal: bpmn-engine runs from
 * the start events (each event start waits), then that one fires. Throws (code NOT_WAITING) when
 * the definition has no such start event.
 */
export async function startByEvent(def: ParsedDefinition, kind: 'message' | 'signal', name: string, variables: Record<string, unknown>, opts: RunOptions = {}): Promise<RunResult> {
  const run = await startRun(def, variables, opts);
  if (run.failed) return run.result();
  const targets = targetsOf(run, { kind, name }).filter((w) => w.detail?.start);
  if (!targets.length) throw notWaiting(`${def.key} has no ${kind} start event "${name}"`);
  // The start variables are already set: the firing start event adds none.
  return resume(run, targets.slice(0, 1), {});
}
