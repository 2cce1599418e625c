// User task metadata: read once from the moddle tree at parse time (camunda attributes and form data,
// activiti:/flowable: attributes and form properties), resolved against process variables when a task
// starts waiting.

import { FORBIDDEN_KEYS, hasExpression, ownValue, resolveTemplate, resolveValue } from './expressions';
import { addIsoDuration } from './timers';
import { DefinitionError, type FormPropertyDef, type FormPropertyType, type OpenTask, type ResolvedFormProperty, type TaskDefinition } from './interfaces';

/** The parts of a bpmn-moddle element this module reads. */
export interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  $attrs?: Record<string, string>;
  [key: string]: unknown;
}

const ATTRIBUTE_PREFIXES = ['activiti', 'flowable'];

/** camunda attributes are moddle properties; activiti/flowable ones sit in $attrs (see vendorPrefixes.ts). */
function attribute(el: ModdleElement, name: string): string | undefined {
  const own = el[name];
  if (typeof own === 'string' && own !== '') return own;
  for (const prefix of ATTRIBUTE_PREFIXES) {
    const value = el.$attrs?.[`${prefix}:${name}`];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function documentationOf(el: ModdleElement): string | undefined {
  const docs = el.documentation as { text?: string }[] | undefined;
  const text = docs?.map((d) => d.text ?? '').filter(Boolean).join('\n');
  return text || undefined;
}

function typeOf(raw: string | undefined): FormPropertyType['name'] {
  const t = (raw ?? 'string').toLowerCase();
  if (t === 'string' || t === 'enum' || t === 'boolean' || t === 'long' || t === 'date') return t;
  if (t === 'int' || t === 'integer' || t === 'short') return 'long';
  return 'string'; // custom types are presented as text
}

function enumValues(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of (values as { id?: string; name?: string }[] | undefined) ?? []) {
    if (v.id !== undefined) out[v.id] = v.name ?? v.id;
  }
  return out;
}

function type(raw: string | undefined, values: unknown): FormPropertyType {
  const name = typeOf(raw);
  return name === 'enum' ? { name, values: enumValues(values) } : { name };
}

const flag = (raw: unknown, fallback: boolean) => (typeof raw === 'string' ? raw.trim().toLowerCase() === 'true' : fallback);

function fromCamundaField(field: ModdleElement): FormPropertyDef {
  const constraints = ((field.validation as { constraints?: { name?: string }[] } | undefined)?.constraints ?? []).map((c) => c.name);
  const def: FormPropertyDef = {
    id: field.id ?? '',
    name: (field.label as string | undefined) ?? field.id ?? '',
    type: type(field.type as string | undefined, field.values),
    readable: true,
    writable: !constraints.includes('readonly'),
    required: constraints.includes('required'),
  };
  if (typeof field.defaultValue === 'string') def.defaultExpression = field.defaultValue;
  return def;
}

// activiti:formProperty / flowable:formProperty / camunda:formProperty share Activiti's attribute set.
function fromFormProperty(prop: ModdleElement): FormPropertyDef {
  const def: FormPropertyDef = {
    id: prop.id ?? '',
    name: prop.name ?? prop.id ?? '',
    type: type(prop.type as string | undefined, prop.values),
    readable: flag(prop.readable, true),
    writable: flag(prop.writable, true),
    required: flag(prop.required, false),
  };
  const expression = (prop.expression ?? prop.default) as string | undefined;
  if (expression) def.defaultExpression = expression;
  if (typeof prop.variable === 'string' && prop.variable) def.variableName = prop.variable;
  return def;
}

export function formPropertiesOf(el: ModdleElement): FormPropertyDef[] {
  const out: FormPropertyDef[] = [];
  const values = ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as ModdleElement[];
  for (const ext of values) {
    if (ext.$type === 'camunda:FormData') {
      for (const field of (ext.fields as ModdleElement[] | undefined) ?? []) out.push(fromCamundaField(field));
    } else if (/^(camunda|activiti|flowable):FormProperty$/.test(ext.$type)) {
      out.push(fromFormProperty(ext));
    }
  }
  return out;
}

/** camunda:properties / camunda:property name="…" value="…" of an element. */
export function camundaProperty(el: ModdleElement, name: string): string | undefined {
  const values = ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as ModdleElement[];
  for (const ext of values) {
    if (ext.$type !== 'camunda:Properties') continue;
    for (const p of (ext.values as ModdleElement[] | undefined) ?? []) if (p.name === name && typeof p.value === 'string') return p.value;
  }
  return undefined;
}

/** camunda:initiator / activiti:initiator / flowable:initiator of a start event: the variable that gets the starting user's id. */
export function initiatorOf(el: ModdleElement): string | undefined {
  return attribute(el, 'initiator')?.trim() || undefined;
}

export const FREE_VARIABLES_PROPERTY = 'reconflow:freeVariables';

/** The formal expression text of a <humanPerformer>/<potentialOwner>. */
function resourceExpression(role: ModdleElement): string | undefined {
  const rae = role.resourceAssignmentExpression as { expression?: { body?: unknown } } | undefined;
  const body = rae?.expression?.body;
  return typeof body === 'string' && body.trim() ? body.trim() : undefined;
}

/**
 * BPMN's standard resource assignments, as Activiti's and Camunda's parsers read them: the
 * humanPerformer's expression is the assignee; a potentialOwner's is split at commas into
 * `user(x)` (a candidate user), `group(y)` and bare names (candidate groups); a potentialOwner's
 * resourceRef names a candidate group.
 */
function resourceAssignments(el: ModdleElement, def: TaskDefinition): void {
  for (const role of (el.resources as ModdleElement[] | undefined) ?? []) {
    const text = resourceExpression(role);
    if (role.$type === 'bpmn:HumanPerformer') {
      if (!text) continue;
      if (def.assignee !== undefined) {
        throw new DefinitionError(`Invalid BPMN: userTask "${el.id ?? '?'}" declares its assignee twice (humanPerformer and an assignee attribute)`, el.id);
      }
      def.assignee = text;
    } else if (role.$type === 'bpmn:PotentialOwner' && !text && role.resourceRef) {
      // <resourceRef>r</resourceRef>: Flowable's UserTaskXMLConverter makes the resource's name (else its id) a candidate group.
      const res = role.resourceRef as ModdleElement;
      const name = (typeof res.name === 'string' && res.name.trim()) || res.id;
      if (name) (def.potentialOwners ??= []).push({ kind: 'group', expression: name });
    } else if (role.$type === 'bpmn:PotentialOwner' && text) {
      for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
        const m = /^(user|group)\((.*)\)$/.exec(part);
        (def.potentialOwners ??= []).push(m ? { kind: m[1] as 'user' | 'group', expression: m[2].trim() } : { kind: 'group', expression: part });
      }
    }
  }
}

export function extractTaskDefinition(el: ModdleElement): TaskDefinition {
  const def: TaskDefinition = { id: el.id ?? '', name: el.name ?? el.id ?? '', formProperties: formPropertiesOf(el) };
  if (camundaProperty(el, FREE_VARIABLES_PROPERTY)?.trim().toLowerCase() === 'true') def.freeVariables = true;
  const documentation = documentationOf(el);
  if (documentation) def.documentation = documentation;
  for (const key of ['assignee', 'candidateUsers', 'candidateGroups', 'formKey', 'dueDate', 'priority'] as const) {
    const value = attribute(el, key);
    if (value !== undefined) def[key] = value;
  }
  resourceAssignments(el, def);
  return def;
}

// ---- runtime resolution ---------------------------------------------------------------------------

function list(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

// Camunda/Activiti accept a Date, an ISO date string or (Activiti) an ISO duration from task creation.
function dueDateOf(value: unknown, now: number, raw: string): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  const text = String(value).trim();
  const epoch = text.startsWith('P') ? addIsoDuration(now, text) : Date.parse(text);
  if (epoch === undefined || Number.isNaN(epoch)) throw new Error(`dueDate "${raw}" is neither a date nor an ISO 8601 duration`);
  return new Date(epoch).toISOString();
}

function optionalString(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

function resolveFormProperty(p: FormPropertyDef, vars: Record<string, unknown>): ResolvedFormProperty {
  const value = p.defaultExpression !== undefined ? resolveValue(p.defaultExpression, vars) : ownValue(vars, p.variableName ?? p.id);
  return { ...p, type: { ...p.type, ...(p.type.values && { values: { ...p.type.values } }) }, value };
}

function owners(def: TaskDefinition, kind: 'user' | 'group', at: (raw: string) => unknown): string[] {
  return (def.potentialOwners ?? []).filter((o) => o.kind === kind).flatMap((o) => list(at(o.expression)));
}

/** Resolves assignee, candidates, due date, priority and form defaults against current variables. */
export function resolveOpenTask(def: TaskDefinition, executionId: string, vars: Record<string, unknown>, now: number): OpenTask {
  const at = (raw: string | undefined) => (raw === undefined ? undefined : resolveValue(raw, vars));
  const priority = Number(at(def.priority) ?? 50);
  const task: OpenTask = {
    executionId,
    taskDefinitionKey: def.id,
    // Camunda and Activiti resolve a name's expressions too ("Vote ${loopCounter + 1} of ${nrOfInstances}").
    name: hasExpression(def.name) ? resolveTemplate(def.name, vars) : def.name,
    candidateUsers: [...new Set([...list(at(def.candidateUsers)), ...owners(def, 'user', at)])],
    candidateGroups: [...new Set([...list(at(def.candidateGroups)), ...owners(def, 'group', at)])],
    priority: Number.isFinite(priority) ? Math.trunc(priority) : 50,
    formProperties: def.formProperties.map((p) => resolveFormProperty(p, vars)),
  };
  const assignee = optionalString(at(def.assignee));
  if (assignee) task.assignee = assignee;
  if (def.documentation) task.documentation = resolveTemplate(def.documentation, vars);
  const formKey = optionalString(at(def.formKey));
  if (formKey) task.formKey = formKey;
  const dueDate = def.dueDate === undefined ? undefined : dueDateOf(at(def.dueDate), now, def.dueDate);
  if (dueDate) task.dueDate = dueDate;
  return task;
}

/** A submitted form is invalid (missing required value, unknown enum id): code FORM_VALIDATION. */
export class FormValidationError extends Error {
  readonly code = 'FORM_VALIDATION';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FormValidationError';
  }
}

const sameValue = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The variables an instance was started with are what its approval is bound to: a submission may
 * resend one unchanged, never change it (whatever form field or free key carries it).
 */
export function guardStartVariables(startKeys: Iterable<string>, current: Record<string, unknown>, submitted: Record<string, unknown>): void {
  for (const key of startKeys) {
    if (!Object.hasOwn(submitted, key) || sameValue(submitted[key], current[key])) continue;
    throw new FormValidationError(`'${key}' was set when the process instance started and a task cannot change it`, key);
  }
}

/**
 * The start variables of an instance stored before they were recorded with its state: every current
 * variable that no user task's form writes (those could only have come from a submission).
 */
export function presumedStartKeys(tasks: Iterable<TaskDefinition>, current: Record<string, unknown>): string[] {
  const written = new Set<string>();
  for (const t of tasks) for (const p of t.formProperties) written.add(p.variableName ?? p.id);
  return Object.keys(current).filter((k) => !written.has(k));
}

const isBooleanEnum = (p: FormPropertyDef) => {
  const ids = Object.keys(p.type.values ?? {});
  return ids.length > 0 && ids.every((id) => id === 'true' || id === 'false');
};

/**
 * Turns submitted task values into process variables: drops keys that could pollute prototypes,
 * maps booleans onto 'true'/'false' enum ids (so `${requestApproved == 'true'}` holds either way),
 * stores a property under its `variable` name, and enforces `required` and enum membership.
 */
export function submittedVariables(def: TaskDefinition | undefined, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values ?? {})) if (!FORBIDDEN_KEYS.has(key)) out[key] = value;
  for (const p of def?.formProperties ?? []) {
    let value = out[p.id];
    if (p.type.name === 'enum' && typeof value === 'boolean' && isBooleanEnum(p)) value = String(value);
    const missing = value === undefined || value === null || value === '';
    if (p.required && p.writable && missing) throw new FormValidationError(`form property '${p.id}' is required`, p.id);
    if (!missing && p.type.name === 'enum' && p.type.values && !Object.hasOwn(p.type.values, String(value))) {
      throw new FormValidationError(`form property '${p.id}' does not allow the value '${String(value)}'`, p.id);
    }
    if (value === undefined) continue;
    delete out[p.id];
    out[p.variableName ?? p.id] = value;
  }
  return out;
}
