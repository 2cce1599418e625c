// Asynchronous continuations: camunda:asyncBefore / asyncAfter (camunda:async, activiti:async and
// flowable:async mean "before"). At parse time each boundary becomes a wait state of the engine's
// own kind: a synthetic manual task spliced into the flow right before (or after) the element. A run
// that reaches it waits there, so the step that got there (a completion, a timer) commits its state
// and a durable job (topic workflow.continue, enqueued in the same transaction) continues from it:
// the job's handler recovers the instance, signals the boundary and runs to the next wait state in
// the job's own transaction, retried by the job queue when it fails. The stored XML is untouched
// (the diagram never shows the synthetic elements).
import type { ModdleElement } from './taskDefinitions';

export const CONTINUE_TOPIC = 'workflow.continue';

export interface AsyncBoundary {
  /** The element the modeler marked. */
  activityId: string;
  position: 'before' | 'after';
  /** The attribute as written, e.g. camunda:asyncBefore. */
  attribute: string;
}

export interface ModdleReference {
  element: ModdleElement;
  property: string;
  id: string;
}

export interface SpliceContext {
  elementsById: Record<string, ModdleElement>;
  references: ModdleReference[];
  create(type: string, attrs: Record<string, unknown>): ModdleElement;
}

const isTrue = (v: unknown) => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');

/** The async flags of an element: [position, attribute as written]. */
export function asyncFlags(el: ModdleElement): [AsyncBoundary['position'], string][] {
  const out: [AsyncBoundary['position'], string][] = [];
  if (isTrue(el.asyncBefore)) out.push(['before', 'camunda:asyncBefore']);
  else if (isTrue(el.async)) out.push(['before', 'camunda:async']);
  else {
    for (const prefix of ['activiti', 'flowable']) {
      if (isTrue(el.$attrs?.[`${prefix}:async`])) {
        out.push(['before', `${prefix}:async`]);
        break;
      }
    }
  }
  if (isTrue(el.asyncAfter)) out.push(['after', 'camunda:asyncAfter']);
  return out;
}

const JOINING_GATEWAYS = new Set(['bpmn:ParallelGateway', 'bpmn:InclusiveGateway', 'bpmn:ComplexGateway', 'bpmn:EventBasedGateway']);

type Flow = ModdleElement & { sourceRef?: ModdleElement; targetRef?: ModdleElement };

/** Why this boundary cannot be placed (undefined: it can). */
export function placementProblem(el: ModdleElement, position: AsyncBoundary['position'], attribute: string, flows: Flow[]): string | undefined {
  const type = el.$type;
  const where = `${type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toLowerCase())} "${el.id ?? '?'}" has ${attribute}="true"`;
  if (type === 'bpmn:StartEvent' || type === 'bpmn:BoundaryEvent') return `${where}: a continuation is supported on elements reached by a sequence flow, not on start or boundary events`;
  if (position === 'before') {
    if (!flows.some((f) => f.targetRef === el)) return `${where}: the element has no incoming sequence flow to continue from`;
    if (JOINING_GATEWAYS.has(type)) return `${where}: a continuation before a ${type.replace(/^bpmn:/, '')} would break its join; put it on the element after the gateway`;
  } else {
    if (type === 'bpmn:EndEvent') return `${where}: nothing follows an end event; use asyncBefore`;
    if (/Gateway$/.test(type)) return `${where}: a continuation after a gateway would change how its outgoing flows are chosen; put asyncBefore on the elements after it`;
    if (!flows.some((f) => f.sourceRef === el)) return `${where}: the element has no outgoing sequence flow to continue on`;
  }
  return undefined;
}

/**
 * Splices a synthetic manual task before/after `el` (in el's container); returns its id. Flows
 * are rewired in the moddle tree and in the context's references (what the serializer reads).
 */
export function spliceBoundary(ctx: SpliceContext, el: ModdleElement, position: AsyncBoundary['position']): string {
  const container = el.$parent as (ModdleElement & { flowElements: ModdleElement[] }) | undefined;
  if (!container?.flowElements) throw new Error(`element ${el.id} has no container`);
  const suffix = position === 'before' ? 'asyncBefore' : 'asyncAfter';
  const id = `${el.id}__${suffix}`;
  const flowId = `${id}__flow`;
  if (ctx.elementsById[id] || ctx.elementsById[flowId]) throw new Error(`the id ${id} is taken`);
  const wait = ctx.create('bpmn:ManualTask', { id, name: `${position === 'before' ? 'Before' : 'After'} ${el.name ?? el.id}` });
  wait.$parent = container;
  const flow = ctx.create('bpmn:SequenceFlow', { id: flowId }) as Flow;
  flow.$parent = container;
  const moved = position === 'before' ? 'bpmn:targetRef' : 'bpmn:sourceRef';
  for (const r of ctx.references) {
    if (r.property !== moved || r.id !== el.id || r.element.$type !== 'bpmn:SequenceFlow') continue;
    r.id = id;
    (r.element as Flow)[position === 'before' ? 'targetRef' : 'sourceRef'] = wait;
  }
  if (position === 'before') {
    flow.sourceRef = wait;
    flow.targetRef = el;
  } else {
    flow.sourceRef = el;
    flow.targetRef = wait;
  }
  ctx.references.push({ element: flow, property: 'bpmn:sourceRef', id: flow.sourceRef.id! }, { element: flow, property: 'bpmn:targetRef', id: flow.targetRef.id! });
  container.flowElements.push(wait, flow);
  ctx.elementsById[id] = wait;
  ctx.elementsById[flowId] = flow;
  return id;
}
