// The shape of a conformance case: one public BPMN file, the drive a test of its source project
// performs (or BPMN semantics imply), and what must come out. Expectations are written from BPMN
// and the source project's own test of the file, never from what reconflow happens to do.
import type { ElementKey } from '../elements';

/** Variables as JSON: what a REST client would send. */
export type Vars = Record<string, unknown>;

export type Action =
  /** Start the latest version of `key` (start variables; `initiator` = the authenticated starter). */
  | { start: string; variables?: Vars; businessKey?: string; initiator?: string }
  /** Start whatever process has a message start event for this message name. */
  | { startByMessage: string; variables?: Vars; businessKey?: string }
  /** Start whatever process has a signal start event for this signal name. */
  | { startBySignal: string; variables?: Vars }
  /** Complete the oldest open user task with this activity id (in any instance of the case). */
  | { complete: string; variables?: Vars }
  /** Trigger a waiting manual task / receive task / catch event by its activity id. */
  | { trigger: string; variables?: Vars }
  /** Correlate a message by name (optionally to the instance with this business key). */
  | { correlate: string; variables?: Vars; businessKey?: string }
  /** Broadcast a signal by name. */
  | { signal: string; variables?: Vars }
  /** Fetch-and-lock the oldest external task of this topic and complete it. */
  | { completeExternal: string; variables?: Vars }
  /** Move the clock forward by an ISO 8601 duration (or to an ISO date-time) and run the timer scheduler. */
  | { advance: string }
  | { advanceTo: string };

/** Expected properties of one open user task; only the given ones are compared. */
export interface TaskShape {
  name?: string | null;
  assignee?: string | null;
  candidateUsers?: string[];
  candidateGroups?: string[];
  priority?: number;
}

export interface Expectation {
  /** Exactly the open user tasks of the case, by activity id (a multiset: MI tasks repeat), any order. */
  tasks?: string[];
  /** Properties of open tasks by activity id (every open task with that id must match). */
  taskShapes?: Record<string, TaskShape>;
  /** Exactly the open non-user-task waits (manual/receive tasks, message/signal catches, external tasks), by activity id. */
  waits?: string[];
  /** Names of the open tasks with this activity id (a multiset, any order). */
  names?: Record<string, (string | null)[]>;
  /** Assignees of the open tasks with this activity id (a multiset, any order). */
  assignees?: Record<string, (string | null)[]>;
  /** The instance ended at this end event. */
  endedAt?: string;
  /** The instance ended (where an activity without outgoing flow ends it, no end event is named). */
  ended?: true;
  /** The instance is still running (not ended, not failed). */
  running?: true;
  /** The instance's business key. */
  businessKey?: string;
  /** Activities the case's instance passed so far, in this relative order (others may lie between). */
  passedInOrder?: string[];
  /** Activities the case's instance must not have passed so far. */
  notPassed?: string[];
  /** Process variables of the instance (only the given keys are compared). */
  variables?: Vars;
}

/**
 * Expectations about "the instance" are about the one the case's latest start action started
 * (start, startByMessage, startBySignal); open tasks and waits are those of every instance of the
 * case (a called process's task is the case's task too).
 */
export interface Step {
  do: Action;
  /** The action must be refused or fail with a message matching this (and leave what `then` says). */
  fails?: RegExp;
  then: Expectation;
}

interface CaseBase {
  /** unique, `<source>/<file name without extension>` */
  id: string;
  /** the BPMN file, relative to test/conformance/files/ */
  file: string;
  /** files deployed before `file` (a called process), relative to test/conformance/files/ */
  alsoDeploy?: string[];
  /** what the case exercises (see elements.ts) */
  covers: ElementKey[];
  /** where the expectation comes from: the source project's test that uses the file, or BPMN's rule */
  basis: string;
  /** Start of the fake clock (default 2030-01-01T00:00:00Z). */
  now?: string;
}

/** A file reconflow must run: the drive and what each step leaves behind. */
export interface RunCase extends CaseBase {
  steps: Step[];
}

/** A file reconflow must refuse at deploy, naming one of these elements. */
export interface RefusalCase extends CaseBase {
  refused: { elementIds: string[]; reason: RegExp };
}

export type ConformanceCase = RunCase | RefusalCase;

export const isRefusal = (c: ConformanceCase): c is RefusalCase => 'refused' in c;
