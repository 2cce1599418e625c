// Deployment parsing: validate the XML, parse it ONCE with bpmn-moddle (camunda + activiti/flowable
// descriptors), extract task/end-event metadata and build the serializable context that every Engine
// of this definition version reuses.

import { createHash } from 'node:crypto';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import camundaDescriptor from 'camunda-bpmn-moddle/resources/camunda.json';
import { groovyHost, groovyInstallation } from '../scripts/groovyHost';
import { DefinitionError, type EndEventDef, type ParsedDefinition, type TaskDefinition } from './interfaces';
import { vendorDescriptors } from './vendorPrefixes';
import { asyncFlags, placementProblem, spliceBoundary, type AsyncBoundary, type ModdleReference } from './asyncBoundaries';
import { eventWaitsOf, type EventWaits } from './eventWaits';
import { callActivityOf, calledElementRef, errorEndOf, type CallActivityDef } from './callActivities';
import { externalTaskOf, ExternalTaskBehaviour, type ExternalTaskDef } from './externalTasks';
import { extendTypes } from './elementTypes';
import { assignMissingIds } from './generatedIds';
import { LearnedState } from './learned';
import { adoptLoopDataInputs, adoptVendorLoopAttributes } from './multiInstance';
import { reservedFormField } from './reservedVariables';
import { collectHooks, type ElementHooks } from './listeners';
import { groovySourcesOf, markAutoStore } from './groovyScripts';
import { resolveQNameReferences } from './qnameRefs';
import { findUnrunnable } from './runnable';
import { TimerEventDefinition } from './timers';
import { documentationOf, extractTaskDefinition, formPropertiesOf, initiatorOf, type ModdleElement } from './taskDefinitions';

/* eslint-disable @typescript-eslint/no-require-imports */
// bpmn-engine 25 bundles bpmn-moddle 9 (CommonJS); the top-level bpmn-moddle may be a newer ESM-only
// major (pulled in by bpmn-js). Use the engine's own copy so that parsing matches what it executes.
const BpmnModdle = require(require.resolve('bpmn-moddle', { paths: [path.dirname(require.resolve('bpmn-engine'))] })) as new (
  packages: Record<string, unknown>,
) => { fromXML(xml: string): Promise<ModdleContext>; create(type: string, attrs: Record<string, unknown>): ModdleElement };
const Elements = require('bpmn-elements') as Record<string, unknown>;
const { default: Serializer, TypeResolver } = require('moddle-context-serializer') as {
  default: (ctx: ModdleContext, resolver: unknown) => SourceContext;
  TypeResolver: (types: Record<string, unknown>, extender?: (typeMapper: Record<string, unknown>) => void) => unknown;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A script, condition or listener in Groovy (scriptFormat/language attributes, or a listener's language field). */
const GROOVY_SCRIPT = /\b(?:scriptFormat|language)\s*=\s*["']\s*groovy\s*["']|<(?:[\w-]+:)?string>\s*groovy\s*<\/(?:[\w-]+:)?string>|stringValue\s*=\s*["']\s*groovy\s*["']/i;

export const MAX_XML_BYTES = 5 * 1024 * 1024;

interface ModdleWarning {
  message: string;
  element?: ModdleElement;
  property?: string;
  value?: string;
}

interface ModdleContext {
  rootElement: ModdleElement;
  elementsById: Record<string, ModdleElement>;
  references: ModdleReference[];
  warnings: ModdleWarning[];
}

/** moddle-context-serializer's result: what bpmn-engine accepts as `sourceContext`. */
export interface SourceContext {
  id?: string;
  getActivityById(id: string): unknown;
}

/** The opaque ParsedDefinition.context: engine input plus lookups the engine layer needs per run. */
export interface CompiledDefinition {
  readonly sourceContext: SourceContext;
  readonly processId: string;
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
  /** end and intermediate throw events with an external job (camunda:type="external"), id → topic */
  readonly jobTopics: ReadonlyMap<string, string>;
  readonly endEventIds: ReadonlySet<string>;
  /** external service tasks (camunda:type="external"), id → definition (externalTasks.ts) */
  readonly externalTasks: ReadonlyMap<string, ExternalTaskDef>;
  /** synthetic wait id → the asynchronous continuation it stands for (asyncBoundaries.ts) */
  readonly asyncBoundaries: ReadonlyMap<string, AsyncBoundary>;
  /** manual/receive tasks and message/signal catches: what each waits for (eventWaits.ts) */
  readonly eventWaits: EventWaits;
  /** call activities by id (callActivities.ts) */
  readonly calls: ReadonlyMap<string, CallActivityDef>;
  /** error end events by id → the error they end with (a called process's error end reaches its caller) */
  readonly errorEnds: ReadonlyMap<string, { code?: string; name?: string }>;
  /** Listeners and I/O mappings by element id (listeners.ts) */
  readonly hooks: ReadonlyMap<string, ElementHooks>;
  /** What running this definition has taught the engine layer (template, completion plan): learned.ts */
  readonly learned: LearnedState;
}

const moddle = new BpmnModdle({ camunda: camundaDescriptor, ...vendorDescriptors });

function label(resourceName: string | undefined): string {
  return resourceName ? ` ${resourceName}` : '';
}

function checkRawXml(xml: string, where: string): void {
  if (typeof xml !== 'string' || !xml.trim()) throw new DefinitionError(`Invalid BPMN${where}: empty document`);
  if (Buffer.byteLength(xml, 'utf8') > MAX_XML_BYTES) throw new DefinitionError(`Invalid BPMN${where}: larger than ${MAX_XML_BYTES} bytes`);
  // Refuse DTDs outright: external entities (XXE) and entity expansion (billion laughs).
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new DefinitionError(`Invalid BPMN${where}: DOCTYPE/ENTITY declarations are not allowed`);
}

/**
 * An unresolved reference that cannot affect a run: one from diagram interchange (a shape, edge or
 * plane drawn for something that is not there), or a participant's processRef naming no process
 * (a pool without a process). Camunda deploys such files; they are common in modeler exports.
 */
function outsideExecution(w: ModdleWarning): boolean {
  const type = w.element?.$type ?? '';
  return /^(bpmndi|di|dc):/.test(type) || (type === 'bpmn:Participant' && w.property === 'bpmn:processRef');
}

function checkWarnings(warnings: ModdleWarning[], where: string): void {
  for (const w of warnings) {
    // Attributes of known namespaces that no descriptor declares (activiti:assignee, …) are read from $attrs.
    if (/^unknown attribute/.test(w.message)) continue;
    // The text is already decoded (xmlEncoding.ts): the declaration's encoding has been honoured.
    if (/^unsupported document encoding/.test(w.message)) continue;
    const elementId = w.element?.id;
    const missing = /^unresolved reference <(.*)>/.exec(w.message);
    if (missing) {
      if (outsideExecution(w)) continue;
      const prop = (w.property ?? 'reference').replace(/^bpmn:/, '');
      throw new DefinitionError(
        `Invalid BPMN${where}: ${w.element?.$type ?? 'element'} "${elementId ?? '?'}" ${prop} references unknown element "${missing[1]}"`,
        elementId,
      );
    }
    throw new DefinitionError(`Invalid BPMN${where}: ${w.message.split('\n').join(' ').replace(/\s+/g, ' ')}`, elementId);
  }
}

type FlowNode = ModdleElement & { flowElements?: FlowNode[]; sourceRef?: ModdleElement; targetRef?: ModdleElement; attachedToRef?: ModdleElement };

function allFlowElements(container: FlowNode): FlowNode[] {
  const out: FlowNode[] = [];
  for (const el of container.flowElements ?? []) {
    out.push(el);
    if (el.flowElements) out.push(...allFlowElements(el)); // sub-processes
  }
  return out;
}

function jobTopicOf(el: ModdleElement): string | undefined {
  for (const ed of (el.eventDefinitions as ModdleElement[] | undefined) ?? []) {
    if (ed.$type === 'bpmn:MessageEventDefinition' && ed.type === 'external' && typeof ed.topic === 'string' && ed.topic) return ed.topic;
  }
  return undefined;
}

/** Parses and validates a BPMN 2.0 document with exactly one executable process. */
export async function parseDefinition(xml: string, resourceName?: string): Promise<ParsedDefinition> {
  const where = label(resourceName);
  checkRawXml(xml, where);

  let moddleContext: ModdleContext;
  try {
    moddleContext = await moddle.fromXML(xml);
  } catch (err) {
    throw new DefinitionError(`Invalid BPMN${where}: ${(err as Error).message.split('\n').join(' ')}`);
  }
  checkWarnings(adoptLoopDataInputs(resolveQNameReferences(moddleContext)), where);

  const root = moddleContext.rootElement;
  // bpmn-elements keys flows by id; BPMN lets them have none (generatedIds.ts).
  if (root) assignMissingIds(root, moddleContext.elementsById);
  if (root?.$type !== 'bpmn:Definitions') throw new DefinitionError(`Invalid BPMN${where}: root element is not bpmn:definitions`);
  const all = ((root.rootElements as FlowNode[] | undefined) ?? []).filter((el) => el.$type === 'bpmn:Process');
  let processes = all.filter((el) => el.isExecutable === true);
  // Activiti and Flowable treat a single process without isExecutable as executable (BPMN's own
  // default is false, hence only when nothing says otherwise).
  if (!processes.length && all.length === 1 && all[0].isExecutable === undefined) {
    processes = all;
    all[0].isExecutable = true; // bpmn-elements runs executable processes only
  }
  if (processes.length !== 1) {
    throw new DefinitionError(`Invalid BPMN${where}: expected exactly one executable process, found ${processes.length}`);
  }
  const [proc] = processes;
  const key = proc.id;
  if (!key) throw new DefinitionError(`Invalid BPMN${where}: the executable process has no id`);

  const flowElements = allFlowElements(proc);
  let unrunnable = findUnrunnable([proc, ...flowElements], where);
  const hooks = collectHooks(proc, flowElements, where);
  markAutoStore(flowElements);
  unrunnable ??= hooks.error;
  const flows = flowElements.filter((el) => el.$type === 'bpmn:SequenceFlow');
  const marked: { el: FlowNode; boundary: AsyncBoundary }[] = [];
  for (const el of flowElements) {
    for (const [position, attribute] of asyncFlags(el)) {
      const problem = placementProblem(el, position, attribute, flows);
      if (problem && !unrunnable) unrunnable = new DefinitionError(`Cannot deploy${where}: ${problem}`, el.id);
      marked.push({ el, boundary: { activityId: el.id ?? '', position, attribute } });
    }
  }
  const tasks: TaskDefinition[] = [];
  const endEvents: EndEventDef[] = [];
  const jobTopics = new Map<string, string>();
  const calls = new Map<string, CallActivityDef>();
  const errorEnds = new Map<string, { code?: string; name?: string }>();
  const externalTasks = new Map<string, ExternalTaskDef>();
  let startFormProperties: ReturnType<typeof formPropertiesOf> = [];
  let initiator: string | undefined;
  for (const el of flowElements) {
    const id = el.id ?? '';
    if (el.$type === 'bpmn:SequenceFlow' && (!el.sourceRef || !el.targetRef)) {
      throw new DefinitionError(`Invalid BPMN${where}: sequenceFlow "${id}" needs both sourceRef and targetRef`, id);
    }
    if (el.$type === 'bpmn:BoundaryEvent' && !el.attachedToRef) {
      throw new DefinitionError(`Invalid BPMN${where}: boundaryEvent "${id}" is not attached to an activity`, id);
    }
    if (el.$type === 'bpmn:UserTask') {
      try {
        tasks.push(extractTaskDefinition(el));
      } catch (err) {
        if (err instanceof DefinitionError) throw new DefinitionError(err.message.replace(/^Invalid BPMN:/, `Invalid BPMN${where}:`), err.elementId);
        throw err;
      }
    }
    if (el.$type === 'bpmn:CallActivity') {
      const call = callActivityOf(el);
      if (typeof call !== 'string') {
        calls.set(id, call);
        // bpmn-elements would run a called process of this same file inline, inside the caller's
        // state: every call goes to a deployed version, durably (calledInstances.ts), instead.
        el.calledElement = undefined;
      } else if (!unrunnable) unrunnable = new DefinitionError(`Cannot deploy${where}: ${call}`, id);
    }
    const errorEnd = errorEndOf(el);
    if (errorEnd) errorEnds.set(id, errorEnd);
    // A topic-less external type was refused above (runnable.ts): only well-formed ones land here.
    const external = unrunnable ? undefined : externalTaskOf(el);
    if (external) externalTasks.set(id, external);
    adoptVendorLoopAttributes(el);
    if (el.$type === 'bpmn:StartEvent' && !startFormProperties.length) startFormProperties = formPropertiesOf(el);
    if (el.$type === 'bpmn:StartEvent' && !initiator && proc.flowElements?.includes(el)) initiator = initiatorOf(el);
    if (el.$type === 'bpmn:EndEvent' || el.$type === 'bpmn:IntermediateThrowEvent') {
      const topic = jobTopicOf(el);
      if (topic) jobTopics.set(id, topic);
      if (el.$type === 'bpmn:EndEvent') endEvents.push({ id, ...(el.name && { name: el.name }), ...(topic && { jobTopic: topic }) });
    }
  }

  const asyncBoundaries = new Map<string, AsyncBoundary>();
  if (!unrunnable) {
    const splice = { elementsById: moddleContext.elementsById, references: moddleContext.references, create: (t: string, a: Record<string, unknown>) => moddle.create(t, a) };
    for (const { el, boundary } of marked) {
      try {
        asyncBoundaries.set(spliceBoundary(splice, el, boundary.position), boundary);
      } catch (err) {
        unrunnable = new DefinitionError(`Cannot deploy${where}: ${boundary.attribute} on "${el.id}": ${(err as Error).message}`, el.id);
      }
    }
  }

  // bpmn-engine recovers a definition by matching the saved id with the context's id; without an id
  // the saved one is a generated "Def" that matches nothing and recover() throws. Give it one.
  if (!root.id) root.id = `${key}_definitions`;

  // moddle-context-serializer reads every role's resourceAssignmentExpression; a role given by
  // resourceRef has none. Its candidate group is in the task definitions already (taskDefinitions.ts),
  // and bpmn-elements needs no roles: leave it out of what the engine sees.
  for (const el of flowElements) {
    if (Array.isArray(el.resources)) el.resources = (el.resources as ModdleElement[]).filter((role) => role.resourceAssignmentExpression);
  }
  // Likewise the <resource> root elements those roles name: bpmn-elements has no type for them.
  root.rootElements = ((root.rootElements as ModdleElement[] | undefined) ?? []).filter((el) => el.$type !== 'bpmn:Resource');

  let sourceContext: SourceContext;
  try {
    const resolve = TypeResolver({ ...Elements, TimerEventDefinition }, extendTypes) as (entity: { id?: string; Behaviour?: unknown }) => void;
    // An external service task runs as a wait state (externalTasks.ts), not as bpmn-elements' ServiceTask.
    sourceContext = Serializer(moddleContext, (entity: { id?: string; Behaviour?: unknown }) => {
      resolve(entity);
      if (entity.id !== undefined && externalTasks.has(entity.id)) entity.Behaviour = ExternalTaskBehaviour;
    });
  } catch (err) {
    // bpmn-engine has no type for some elements (complexGateway): the refusal naming it says more.
    throw unrunnable ?? new DefinitionError(`Invalid BPMN${where}: ${(err as Error).message}`);
  }

  const context: CompiledDefinition = {
    sourceContext,
    processId: key,
    tasks: new Map(tasks.map((t) => [t.id, t])),
    jobTopics,
    externalTasks,
    endEventIds: new Set(endEvents.map((e) => e.id)),
    asyncBoundaries,
    eventWaits: eventWaitsOf(key, flowElements),
    calls,
    errorEnds,
    hooks: hooks.hooks,
    learned: new LearnedState(),
  };
  // A start template or completion plan would skip the listeners: such a definition always runs the engine.
  if (hooks.hooks.size) context.learned.template = Promise.resolve(undefined);
  const definition: ParsedDefinition = {
    key,
    name: proc.name ?? key,
    hash: createHash('sha256').update(xml, 'utf8').digest('hex'),
    tasks,
    endEvents,
    startFormProperties,
    context,
  };
  unrunnable ??= reservedFormField(tasks, startFormProperties, where);
  if (unrunnable) definition.unrunnable = unrunnable;
  if (calls.size) definition.calledElements = [...calls.values()].map(calledElementRef);
  if (initiator) definition.initiator = initiator;
  if (GROOVY_SCRIPT.test(xml)) {
    definition.usesGroovy = true;
    definition.groovySources = groovySourcesOf(flowElements, hooks.hooks);
    // The sidecar JVM takes seconds to boot: start it now, not at the first script.
    if (!unrunnable && isMainThread && typeof groovyInstallation() !== 'string') groovyHost();
  }
  const timerBoundaries = flowElements
    .filter((el) => el.$type === 'bpmn:BoundaryEvent' && el.attachedToRef?.id && ((el as { eventDefinitions?: ModdleElement[] }).eventDefinitions ?? []).some((d) => d.$type === 'bpmn:TimerEventDefinition'))
    .map((el) => ({ id: el.id ?? '', attachedTo: el.attachedToRef!.id as string }));
  if (timerBoundaries.length) definition.timerBoundaries = timerBoundaries;
  if (marked.length) definition.asyncActivities = marked.map((m) => ({ id: m.boundary.activityId, attribute: m.boundary.attribute }));
  // Activiti (and so IDM) reports the definitions' targetNamespace as the process category.
  if (typeof root.targetNamespace === 'string' && root.targetNamespace) definition.category = root.targetNamespace;
  const documentation = documentationOf(proc);
  if (documentation) definition.documentation = documentation;
  return definition;
}

/** The engine-side view of ParsedDefinition.context, checked. */
export function compiledOf(def: ParsedDefinition): CompiledDefinition {
  const c = def?.context as CompiledDefinition | undefined;
  if (!c || typeof c !== 'object' || !c.sourceContext || !(c.tasks instanceof Map)) {
    throw new TypeError('ParsedDefinition.context must come from parseDefinition()');
  }
  return c;
}
