// External service tasks (Camunda 7's external task pattern): a serviceTask, sendTask or
// businessRuleTask with camunda:type="external" camunda:topic="…" (flowable:type="external-worker"
// flowable:topic="…") is a wait state. The runtime stores one external_task row per waiting
// execution; a worker fetches and locks it over REST and completes it with variables or throws a
// BPMN error at it (externalTaskService.ts). Here: what the parser reads from the element, the
// element behaviour bpmn-elements runs for it, and how a worker's outcome reaches the waiting
// execution.
import { engineExpressions } from './expressions';
import { DefinitionError } from './interfaces';
import type { ModdleElement } from './taskDefinitions';

/* eslint-disable @typescript-eslint/no-require-imports */
const { SignalTask } = require('bpmn-elements') as { SignalTask: unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

export const EXTERNAL_CAPABLE = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

export interface ExternalTaskDef {
  activityId: string;
  topic: string;
  /** camunda:taskPriority as written (a number or a ${…} expression), if any */
  priority?: string;
  /** the attribute that made it external, e.g. camunda:type */
  attribute: string;
  /** camunda:properties of the element (fetchAndLock's includeExtensionProperties) */
  properties?: Record<string, string>;
}

function propertiesOf(el: ModdleElement): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const ext of ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as ModdleElement[]) {
    if (!/:Properties$/.test(ext.$type)) continue;
    for (const p of (ext.values as ModdleElement[] | undefined) ?? []) if (typeof p.name === 'string') out[p.name] = typeof p.value === 'string' ? p.value : '';
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The external task form of a service-like element, undefined when it is not one. Throws a
 * DefinitionError for an external type without a topic (it could never be fetched).
 */
export function externalTaskOf(el: ModdleElement): ExternalTaskDef | undefined {
  if (!EXTERNAL_CAPABLE.has(el.$type)) return undefined;
  const id = el.id ?? '?';
  const kind = el.$type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toLowerCase());
  let found: { attribute: string; topic: unknown } | undefined;
  if (el.type === 'external') found = { attribute: 'camunda:type', topic: el.topic };
  else if (el.$attrs?.['flowable:type'] === 'external-worker') found = { attribute: 'flowable:type', topic: el.$attrs['flowable:topic'] };
  if (!found) return undefined;
  const topic = typeof found.topic === 'string' ? found.topic.trim() : '';
  if (!topic) throw new DefinitionError(`${kind} "${id}" has ${found.attribute}="${found.attribute.startsWith('flowable') ? 'external-worker' : 'external'}" but no topic: add ${found.attribute.split(':')[0]}:topic="…"`, id);
  const priority = typeof el.taskPriority === 'string' && el.taskPriority.trim() ? el.taskPriority.trim() : undefined;
  const properties = propertiesOf(el);
  return { activityId: id, topic, attribute: found.attribute, ...(priority !== undefined && { priority }), ...(properties && { properties }) };
}

/**
 * The element type bpmn-elements runs for an external task: its SignalTask (as for a user task)
 * publishes activity.wait, is re-entered by resume() after recover, completes on a signal and
 * turns an 'error' API message into an ActivityError carrying the error code (what an error
 * boundary event with that errorCode matches).
 */
export const ExternalTaskBehaviour = SignalTask;

/** What a worker reports for a locked external task. */
export type ExternalOutcome =
  | { kind: 'complete'; variables: Record<string, unknown>; localVariables?: Record<string, unknown> }
  | { kind: 'bpmnError'; errorCode: string; errorMessage?: string; variables: Record<string, unknown> };

interface WaitingApi {
  id: string;
  environment: { variables: Record<string, unknown> };
  signal(message?: unknown): void;
  sendApiMessage(action: string, content?: unknown): void;
}

/**
 * Delivers a worker's outcome to the waiting execution: `variables` become process variables (as
 * Camunda sets them on the process instance); local variables are the activity's output only.
 */
export function deliverOutcome(api: WaitingApi, outcome: ExternalOutcome): void {
  Object.assign(api.environment.variables, outcome.variables);
  if (outcome.kind === 'complete') {
    api.signal({ ...(outcome.localVariables ?? {}) });
    return;
  }
  const message = outcome.errorMessage ?? `BPMN error ${outcome.errorCode}`;
  api.sendApiMessage('error', { message, code: outcome.errorCode, type: 'BpmnError' });
}

/** Camunda's default priority when camunda:taskPriority is absent. */
export const DEFAULT_EXTERNAL_PRIORITY = 0;

/** The message a run that ends because a worker's BPMN error found no error boundary fails with. */
export function uncaughtBpmnError(activityId: string, errorCode: string, errorMessage: string | undefined): string {
  return `BPMN error "${errorCode}"${errorMessage ? ` (${errorMessage})` : ''} reported by the external task worker at ${activityId} was not caught: no error boundary event or error event sub-process handles it`;
}

/** The priority of a waiting external task: camunda:taskPriority resolved against the variables. */
export function resolvePriority(def: ExternalTaskDef, variables: Record<string, unknown>): number {
  if (def.priority === undefined) return DEFAULT_EXTERNAL_PRIORITY;
  const value = /\$\{/.test(def.priority) ? engineExpressions.resolveExpression(def.priority, { environment: { variables, output: {}, settings: {} } }) : def.priority;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`camunda:taskPriority "${def.priority}" of ${def.activityId} is not an integer (${String(value)})`);
  return n;
}
