// Call activities in the engine layer. bpmn-elements' CallActivity publishes `activity.call` and
// waits until its execution is signaled (the called process ended), failed with an error (an error
// end event of the called process: an error boundary with that code catches it) or cancelled. Here:
// what a call activity says (read once at parse: calledElement, binding, in/out mappings in the
// camunda:, activiti: and flowable: forms), the wait a run reports for it (RunResult.waits, kind
// 'call', with the variables the called instance starts with) and what returning to it does (the
// out mappings applied to the called instance's final variables). Starting and finishing the called
// instance durably is calledInstances.ts.
import { FORBIDDEN_KEYS, hasExpression, ownValue, resolveValue } from './expressions';
import type { WaitingExecution } from './interfaces';
import type { ModdleElement } from './taskDefinitions';

export type CallBinding = 'latest' | 'version' | 'deployment';

/** One camunda:in / camunda:out (or activiti:/flowable:) mapping, as written. */
export interface VariableMapping {
  source?: string;
  sourceExpression?: string;
  target?: string;
  /** variables="all" (or flowable:inheritVariables on the call activity) */
  all?: boolean;
  local?: boolean;
  /** camunda:in businessKey="…": the called instance's business key */
  businessKey?: string;
}

export interface CallActivityDef {
  id: string;
  /** a process key, or an expression resolved when the call activity is reached */
  calledElement: string;
  binding: CallBinding;
  /** with binding 'version': a number, or an expression */
  version?: string;
  ins: VariableMapping[];
  outs: VariableMapping[];
}

/** A call as the deploy check sees it: the literal key when there is one. */
export interface CalledElementRef {
  activityId: string;
  /** undefined when calledElement is an expression (resolved at run time) */
  key?: string;
  binding: CallBinding;
  version?: string;
}

/** What a waiting call's WaitingExecution.detail holds. */
export interface CallDetail {
  binding: CallBinding;
  version?: number;
  /** the in mappings resolved: the called instance's start variables */
  variables: Record<string, unknown>;
  /** the called instance's business key, as an expression of the caller's (execution.processBusinessKey) */
  businessKey?: string;
}

/** How a called instance finished, as the caller's call activity receives it. */
export type CallOutcome =
  | { variables: Record<string, unknown> }
  /** an error end event of the called process: an error boundary with that code may catch it */
  | { error: { message: string; code?: string } }
  /** the called instance failed or was canceled: the caller fails naming it */
  | { failure: string };

/** A run-time failure of a call activity (an expression, a mapping): the step fails naming it. */
export class CallActivityError extends Error {
  constructor(
    message: string,
    readonly activityId: string,
  ) {
    super(message);
    this.name = 'CallActivityError';
  }
}

const DIALECTS = ['activiti', 'flowable'];
const named = (el: ModdleElement) => `callActivity "${el.id ?? '?'}"`;
const isTrue = (v: unknown) => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');

function vendorAttr(el: ModdleElement, name: string): string | undefined {
  for (const prefix of DIALECTS) {
    const v = el.$attrs?.[`${prefix}:${name}`];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The in/out mappings of a call activity, or the reason one cannot run. */
function mappingsOf(el: ModdleElement, direction: 'In' | 'Out'): VariableMapping[] | string {
  const values = ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as ModdleElement[];
  const out: VariableMapping[] = [];
  for (const m of values) {
    const [prefix, type] = m.$type.split(':');
    if (type !== direction) continue;
    const written = `${prefix}:${direction.toLowerCase()}`;
    const variables = str(m.variables);
    const mapping: VariableMapping = {
      ...(str(m.source) && { source: str(m.source) }),
      ...(str(m.sourceExpression) && { sourceExpression: str(m.sourceExpression) }),
      ...(str(m.target) && { target: str(m.target) }),
      ...(str(m.businessKey) && { businessKey: str(m.businessKey) }),
      ...(isTrue(m.local) && { local: true }),
    };
    if (variables !== undefined) {
      if (variables !== 'all') return `${named(el)} has ${written} variables="${variables}": only variables="all" is defined`;
      mapping.all = true;
    }
    if (direction === 'Out' && mapping.businessKey) return `${named(el)} has ${written} businessKey: a business key is passed in only (${prefix}:in businessKey="…")`;
    // A local out mapping writes the call activity's own scope, which ends with it: nothing would be kept.
    if (direction === 'Out' && mapping.local) return `${named(el)} has ${written} local="true": reconflow keeps no call-activity-local variables; drop local to write process variables`;
    if ((mapping.source || mapping.sourceExpression) && !mapping.target) return `${named(el)} has a ${written} with ${mapping.source ? 'source' : 'sourceExpression'} but no target`;
    if (mapping.target && !mapping.source && !mapping.sourceExpression) return `${named(el)} has a ${written} with target "${mapping.target}" but no source or sourceExpression`;
    if (mapping.target && FORBIDDEN_KEYS.has(mapping.target)) return `${named(el)} has a ${written} with target "${mapping.target}", which is not a variable name`;
    if (!mapping.all && !mapping.target && !mapping.businessKey) return `${named(el)} has a ${written} that maps nothing (source/sourceExpression + target, variables="all" or businessKey)`;
    out.push(mapping);
  }
  return out;
}

/** A call activity's definition, or the reason it cannot run (refused at deploy). */
export function callActivityOf(el: ModdleElement): CallActivityDef | string {
  const calledElement = str(el.calledElement);
  if (!calledElement) return `${named(el)} has no calledElement: name the key of the process it starts`;
  if (el.loopCharacteristics) return `${named(el)} is a multi-instance call activity, which is not supported yet`;
  if (str(el.caseRef)) return `${named(el)} calls a CMMN case (camunda:caseRef), which reconflow does not run`;
  for (const name of ['variableMappingClass', 'variableMappingDelegateExpression']) {
    if (str(el[name])) return `${named(el)} names a Java variable mapping (camunda:${name}): reconflow runs no Java; use camunda:in / camunda:out`;
  }
  if (str(el.calledElementTenantId)) return `${named(el)} has camunda:calledElementTenantId: reconflow has no tenants`;
  const type = vendorAttr(el, 'calledElementType');
  if (type && type !== 'key') return `${named(el)} has calledElementType="${type}": reconflow calls processes by key only`;
  let binding: CallBinding = 'latest';
  const written = str(el.calledElementBinding);
  if (written && written !== 'latest') {
    if (written !== 'version' && written !== 'deployment') return `${named(el)} has camunda:calledElementBinding="${written}": reconflow supports latest, version and deployment`;
    binding = written;
  }
  if (isTrue(vendorAttr(el, 'sameDeployment'))) binding = 'deployment';
  const version = str(el.calledElementVersion);
  if (binding === 'version') {
    if (!version) return `${named(el)} has calledElementBinding="version" but no camunda:calledElementVersion`;
    if (!hasExpression(version) && !/^[1-9]\d*$/.test(version)) return `${named(el)} has camunda:calledElementVersion="${version}", which is not a version number`;
  }
  const ins = mappingsOf(el, 'In');
  if (typeof ins === 'string') return ins;
  const outs = mappingsOf(el, 'Out');
  if (typeof outs === 'string') return outs;
  if (isTrue(vendorAttr(el, 'inheritVariables'))) ins.unshift({ all: true });
  if (isTrue(vendorAttr(el, 'inheritBusinessKey'))) ins.push({ businessKey: '${execution.processBusinessKey}' });
  return { id: el.id ?? '', calledElement, binding, ...(binding === 'version' && { version }), ins, outs };
}

/** The calls a deployment check looks at. */
export function calledElementRef(def: CallActivityDef): CalledElementRef {
  return {
    activityId: def.id,
    ...(!hasExpression(def.calledElement) && { key: def.calledElement }),
    binding: def.binding,
    ...(def.version !== undefined && { version: def.version }),
  };
}

/** Error end events of a process: id → the error code (and name) they end with. */
export function errorEndOf(el: ModdleElement): { code?: string; name?: string } | undefined {
  if (el.$type !== 'bpmn:EndEvent') return undefined;
  for (const ed of (el.eventDefinitions as ModdleElement[] | undefined) ?? []) {
    if (ed.$type !== 'bpmn:ErrorEventDefinition') continue;
    const ref = ed.errorRef as { errorCode?: unknown; name?: unknown } | undefined;
    return { ...(str(ref?.errorCode) && { code: str(ref?.errorCode) }), ...(str(ref?.name) && { name: str(ref?.name) }) };
  }
  return undefined;
}

// Keys bpmn-elements copies from a run message into the variables (engine.ts leaves them out too).
const RUN_MESSAGE_KEYS = ['fields', 'content', 'properties'];

function plain(vars: Record<string, unknown>): Record<string, unknown> {
  const fromMessage = typeof (vars.fields as { routingKey?: unknown } | undefined)?.routingKey === 'string';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (!(fromMessage && RUN_MESSAGE_KEYS.includes(k))) out[k] = v;
  // Variables are JSON (they are stored so): the called instance gets its own copy.
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** Applies in or out mappings: `from` is the caller's variables (in) or the called instance's (out). */
export function mapVariables(activityId: string, mappings: VariableMapping[], from: Record<string, unknown>): Record<string, unknown> {
  const vars = plain(from);
  const out: Record<string, unknown> = {};
  for (const m of mappings) {
    if (m.all) Object.assign(out, vars);
    if (!m.target) continue;
    if (m.source !== undefined) {
      const v = ownValue(vars, m.source);
      out[m.target] = v === undefined ? null : v; // as Camunda: a missing source is null
    } else if (m.sourceExpression !== undefined) {
      try {
        const v = resolveValue(m.sourceExpression, vars);
        out[m.target] = v === undefined ? null : v;
      } catch (err) {
        throw new CallActivityError(`call activity "${activityId}": sourceExpression ${m.sourceExpression} of target "${m.target}" failed: ${(err as Error).message}`, activityId);
      }
    }
  }
  return out;
}

function resolveText(activityId: string, what: string, text: string, vars: Record<string, unknown>): string {
  if (!hasExpression(text)) return text;
  let v: unknown;
  try {
    v = resolveValue(text, vars);
  } catch (err) {
    throw new CallActivityError(`call activity "${activityId}": ${what} ${text} failed: ${(err as Error).message}`, activityId);
  }
  if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '') {
    throw new CallActivityError(`call activity "${activityId}": ${what} ${text} resolved to ${JSON.stringify(v) ?? 'undefined'}, not a value`, activityId);
  }
  return String(v).trim();
}

/** The wait a call activity execution is reported as (resolved against its variables now). */
export function callWait(def: CallActivityDef, executionId: string, variables: Record<string, unknown>): WaitingExecution {
  const key = resolveText(def.id, 'calledElement', def.calledElement, variables);
  let version: number | undefined;
  if (def.binding === 'version') {
    const v = resolveText(def.id, 'calledElementVersion', def.version!, variables);
    if (!/^[1-9]\d*$/.test(v)) throw new CallActivityError(`call activity "${def.id}": calledElementVersion ${def.version} is "${v}", not a version number`, def.id);
    version = Number(v);
  }
  const businessKey = def.ins.find((m) => m.businessKey)?.businessKey;
  const detail: CallDetail = {
    binding: def.binding,
    ...(version !== undefined && { version }),
    variables: mapVariables(def.id, def.ins, variables),
    ...(businessKey && { businessKey }),
  };
  return { executionId, activityId: def.id, kind: 'call', name: key, detail: detail as unknown as Record<string, unknown> };
}

/** The called instance's business key: the in mapping's expression over the caller's variables and business key. */
export function calledBusinessKey(detail: CallDetail, variables: Record<string, unknown>, callerBusinessKey: string | null): string | null {
  if (!detail.businessKey) return null;
  const v = resolveValue(detail.businessKey, { ...variables, execution: { processBusinessKey: callerBusinessKey } });
  return v === null || v === undefined || v === '' ? null : String(v);
}

/** The slice of a waiting bpmn-elements activity api a return needs. */
interface CallApi {
  id: string;
  environment: { variables: Record<string, unknown> };
  signal(message?: unknown): void;
  sendApiMessage?(action: string, content?: unknown): void;
}

/**
 * What returning `outcome` to a waiting call activity does, as one engine step (mappings are applied
 * first: a failing out mapping throws a CallActivityError and nothing is signaled). A failure is
 * not given to the engine: the caller fails with it (Run.returnFromCall).
 */
export function callReturn(def: CallActivityDef, api: CallApi, outcome: Exclude<CallOutcome, { failure: string }>): () => void {
  if ('error' in outcome) {
    // bpmn-elements' CallActivity turns an api 'error' into an ActivityError with this code: an
    // error boundary with the same errorCode (or none) catches it, else the process fails with it.
    return () => api.sendApiMessage!('error', { message: outcome.error.message, ...(outcome.error.code !== undefined && { code: outcome.error.code }) });
  }
  const vars = mapVariables(def.id, def.outs, outcome.variables);
  return () => {
    // The activity's environment is its process's: gateways after the call read these.
    Object.assign(api.environment.variables, vars);
    api.signal(vars);
  };
}
