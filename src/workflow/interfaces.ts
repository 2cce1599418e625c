// Public types of the pure workflow engine layer (no SQL, no HTTP). The persistence and REST
// layers build on exactly these shapes, so change them only together with those layers.
import type { GroovySource } from './groovyScripts';

export interface FormPropertyType {
  name: 'string' | 'enum' | 'boolean' | 'long' | 'date';
  values?: Record<string, string> /* enum id -> label */;
}

export interface FormPropertyDef {
  id: string;
  name: string;
  type: FormPropertyType;
  readable: boolean;
  writable: boolean;
  required: boolean;
  defaultExpression?: string;
  variableName?: string;
}

export interface TaskDefinition {
  id: string;
  name: string;
  documentation?: string;
  // Raw expressions as written in the file; resolved per instance into OpenTask.
  assignee?: string;
  candidateUsers?: string;
  candidateGroups?: string;
  /**
   * <potentialOwner> resource assignments as Activiti/Camunda read them: `user(x)` a candidate
   * user, `group(y)` or a bare name a candidate group (each may hold ${…} expressions).
   */
  potentialOwners?: { kind: 'user' | 'group'; expression: string }[];
  formKey?: string;
  dueDate?: string;
  priority?: string;
  formProperties: FormPropertyDef[];
  /**
   * camunda:property reconflow:freeVariables="true": a submission may also set keys that are not
   * form fields (new variables only; see docs/modeling.md, Completion rules).
   */
  freeVariables?: boolean;
}

export interface EndEventDef {
  id: string;
  name?: string;
  jobTopic?: string;
}

export interface ParsedDefinition {
  key: string;
  name: string;
  category?: string;
  documentation?: string;
  hash: string /* sha256 of xml */;
  tasks: TaskDefinition[];
  endEvents: EndEventDef[];
  startFormProperties: FormPropertyDef[];
  context: unknown /* reusable parsed sourceContext, opaque */;
  /**
   * What the runtime can never run (a script format without an engine, a Java delegate, …): deploy
   * refuses the definition; a version stored before the check still loads, and fails where it runs.
   */
  unrunnable?: DefinitionError;
  /** The start event's camunda:/activiti:/flowable:initiator: the variable set to the starting user's id. */
  initiator?: string;
  /** Timer boundary events and the activity each is attached to (a task's escalation deadline). */
  timerBoundaries?: { id: string; attachedTo: string }[];
  /** Elements with an asynchronous continuation (camunda:asyncBefore, …), as written. */
  asyncActivities?: { id: string; attribute: string }[];
  /** Call activities and the process each calls (a literal key, or none when an expression names it). */
  calledElements?: { activityId: string; key?: string; binding: 'latest' | 'version' | 'deployment'; version?: string }[];
  /** Some script of it is Groovy: it runs on the server's one Groovy sidecar, so never in the engine pool. */
  usesGroovy?: boolean;
  /** Its Groovy scripts, for deploy to compile (groovyScripts.ts). */
  groovySources?: GroovySource[];
}

export interface ResolvedFormProperty extends FormPropertyDef {
  value: unknown /* resolved default, e.g. requesterName = sourceId's value */;
}

export interface OpenTask {
  executionId: string /* bpmn-engine execution id of the waiting user task: stable across recover */;
  taskDefinitionKey: string;
  name: string;
  documentation?: string;
  assignee?: string;
  candidateUsers: string[];
  candidateGroups: string[];
  formKey?: string;
  dueDate?: string /* ISO */;
  priority: number /* default 50 */;
  formProperties: ResolvedFormProperty[];
}

export interface TimerInfo {
  executionId: string;
  activityId: string;
  expireAt: number /* epoch ms */;
}

/**
 * A token waiting at something other than a user task or a timer: what can resume it is named by
 * kind (a REST trigger, a correlated message, a broadcast signal, an external worker, a called
 * process). Every such wait is exposed, or the element is refused at deploy (runnable.ts).
 */
export interface WaitingExecution {
  executionId: string;
  activityId: string;
  kind: 'trigger' | 'message' | 'signal' | 'external' | 'call';
  /** the message or signal name, the external topic, the called process key */
  name?: string;
  /** kind-specific details (a call's input variables and binding, an external task's priority, …) */
  detail?: Record<string, unknown>;
}

export interface RunResult {
  status: 'waiting' | 'ended' | 'failed';
  /** compact serialized engine state when waiting (no embedded definition, deflated) */
  state?: Buffer;
  /** user tasks waiting now */
  openTasks: OpenTask[];
  /** armed timers (captured, never armed in memory), earliest first */
  timers: TimerInfo[];
  /** process variables after the run */
  variables: Record<string, unknown>;
  /** when ended: the end event reached */
  endActivityId?: string;
  /** end/intermediate-throw events with an external job topic reached during this run */
  jobs: { topic: string; activityId: string }[];
  /** when failed */
  error?: { message: string; activityId?: string };
  /** tokens waiting now at something other than a user task or timer (absent: none) */
  waits?: WaitingExecution[];
  /** ids of the activities (and events) that completed during this run, in order (the path taken) */
  passed?: string[];
}

export interface RunOptions {
  /** clock for timer due times and relative due dates (default Date.now) */
  now?: () => number;
  /**
   * The instance this run belongs to, for listener scripts (`execution.processInstanceId`,
   * `execution.businessKey`); a start does not know its instance id yet.
   */
  instance?: { id?: string; businessKey?: string | null };
  /**
   * false: bpmn-engine runs every start and every completion. Default true: a definition's start
   * template (template.ts) and completion plan (completionPlan.ts) answer where they can.
   */
  templates?: boolean;
  /**
   * Worker threads for completions and timer runs (default defaultPoolSize(): one per core, at most
   * 4, when the compiled worker exists); 0 runs the engine in the calling thread.
   */
  engineThreads?: number;
}

/** The definition cannot be deployed; the message names the reason and, when known, the element. */
export class DefinitionError extends Error {
  elementId?: string;

  constructor(message: string, elementId?: string) {
    super(message);
    this.name = 'DefinitionError';
    if (elementId !== undefined) this.elementId = elementId;
  }
}
