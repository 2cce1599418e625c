// Flow elements bpmn-engine accepts but does not run as BPMN says (issue 15, tasks and gateways):
// each is refused at deploy with the element and the reason, never left to wait for ever or to
// take a path the model does not mean. Called by runnable.ts for every element.
import type { ModdleElement } from './taskDefinitions';

const DIALECTS = ['camunda', 'activiti', 'flowable'];

/** collection / elementVariable as camunda:, activiti: or flowable: write them. */
function loopAttr(loop: ModdleElement, name: string): string | undefined {
  const own = loop[name];
  if (typeof own === 'string' && own.trim()) return own;
  for (const prefix of DIALECTS) {
    const v = loop.$attrs?.[`${prefix}:${name}`];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return undefined;
}

const bodyOf = (expr: unknown) => (expr as { body?: unknown } | undefined)?.body;
const hasBody = (expr: unknown) => typeof bodyOf(expr) === 'string' && (bodyOf(expr) as string).trim() !== '';

function loopProblem(el: ModdleElement, named: string): string | undefined {
  const loop = el.loopCharacteristics as ModdleElement | undefined;
  if (!loop) return undefined;
  if (loop.$type === 'bpmn:StandardLoopCharacteristics') {
    return `${named} has a standardLoopCharacteristics: bpmn-engine ends the loop when loopCondition holds, where BPMN loops while it holds; use a sequential multiInstanceLoopCharacteristics (loopCardinality or collection, completionCondition)`;
  }
  if (loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') return undefined;
  // A loopDataInputRef naming a variable was adopted as the collection (multiInstance.ts); one that
  // names an element of the file (a dataObject, a property) is not read.
  if (loop.loopDataInputRef || (loop.inputDataItem && !loop.collection)) {
    return `${named} has a multi-instance loopDataInputRef/inputDataItem, which reconflow does not read; use camunda:collection="\${list}" camunda:elementVariable="item" (or activiti:/flowable:)`;
  }
  if (!loopAttr(loop, 'collection') && !hasBody(loop.loopCardinality) && !(loop.isSequential === true && hasBody(loop.completionCondition))) {
    return `${named} is multi-instance without loopCardinality or collection: it would fail when reached; give it loopCardinality or camunda:collection (activiti:/flowable:collection)`;
  }
  return undefined;
}

function startsByTimer(sub: ModdleElement): ModdleElement | undefined {
  for (const el of (sub.flowElements as ModdleElement[] | undefined) ?? []) {
    if (el.$type !== 'bpmn:StartEvent') continue;
    if (((el.eventDefinitions as ModdleElement[] | undefined) ?? []).some((d) => d.$type === 'bpmn:TimerEventDefinition')) return el;
  }
  return undefined;
}

/** Why this element cannot run as its model says, or undefined. */
export function flowProblem(el: ModdleElement, named: string): string | undefined {
  switch (el.$type) {
    case 'bpmn:ComplexGateway':
      return `${named} cannot run: bpmn-engine has no complex gateway; model the join with a parallel or inclusive gateway`;
    case 'bpmn:AdHocSubProcess':
      return `${named} cannot run as BPMN says: bpmn-engine starts every activity inside it and waits for all (no choice, no completionCondition); use an embedded subProcess with a parallel or inclusive gateway`;
    case 'bpmn:SubProcess': {
      const timerStart = el.triggeredByEvent === true ? startsByTimer(el) : undefined;
      if (timerStart) return `${named} is an event sub-process started by a timer ("${timerStart.id ?? '?'}"), which bpmn-engine never arms; use a timer boundary event (cancelActivity="false" for a non-interrupting one) on the activity it watches`;
      break;
    }
  }
  return loopProblem(el, named);
}
