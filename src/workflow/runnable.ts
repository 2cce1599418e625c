// What the runtime can never run, found at deploy so that it never reaches an approver: a script
// format without an engine, a Java delegate, a service-like task (no services are registered),
// connectors (bpmn-engine would skip them silently). Listeners and I/O mappings are run or refused
// by listeners.ts. Asynchronous continuations are placed (or refused) by asyncBoundaries.ts.
import { catchDefinition } from './eventWaits';
import { externalTaskOf } from './externalTasks';
import { DefinitionError } from './interfaces';
import { flowProblem } from './runnableFlow';
import type { ModdleElement } from './taskDefinitions';
import { groovyMissing } from '../scripts/groovyHost';
import { GROOVY, JAVASCRIPT } from './scripts';
import { parseTimer } from './timers';

const DIALECTS = ['activiti', 'flowable'];
const SERVICE_LIKE = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);
const DELEGATES = ['class', 'delegateExpression', 'expression'];
// Extension elements bpmn-engine does not run: accepting them would ignore them silently.
const IGNORED_EXTENSIONS = /:(Connector)$/;

const kind = (el: ModdleElement) => el.$type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toLowerCase());
const named = (el: ModdleElement) => `${kind(el)} "${el.id ?? '?'}"`;

/** A camunda moddle property, else an activiti:/flowable: attribute: [written name, value]. */
function attr(el: ModdleElement, name: string): [string, string] | undefined {
  const own = el[name];
  if (own === true || (typeof own === 'string' && own !== '')) return [`camunda:${name}`, String(own)];
  for (const prefix of DIALECTS) {
    const v = el.$attrs?.[`${prefix}:${name}`];
    if (typeof v === 'string' && v !== '') return [`${prefix}:${name}`, v];
  }
  return undefined;
}

function extensionsOf(el: ModdleElement): ModdleElement[] {
  return ((el.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? []) as ModdleElement[];
}

function check(el: ModdleElement): string | undefined {
  for (const holder of [el, ...((el.eventDefinitions as ModdleElement[] | undefined) ?? [])]) {
    for (const name of DELEGATES) {
      // camunda:expression exists on service-like elements only; bpmn's own `expression` elsewhere is not a delegate.
      if (name === 'expression' && !SERVICE_LIKE.has(el.$type) && holder === el) continue;
      const a = attr(holder, name);
      if (a) return `${named(el)} names a Java delegate (${a[0]}="${a[1]}"): reconflow runs no Java; model the work as an external job (an end or intermediate throw event with messageEventDefinition camunda:type="external" camunda:topic="…")`;
    }
  }
  if (SERVICE_LIKE.has(el.$type)) {
    // The external task form (camunda:type="external" + topic) is a wait state a worker resumes.
    let external;
    try {
      external = externalTaskOf(el);
    } catch (e) {
      return (e as Error).message;
    }
    if (!external) {
      return `${named(el)} cannot run: reconflow registers no services; make it an external service task (camunda:type="external" camunda:topic="…", done by a worker over /openidm/external-task) or model the work as an external job (an end or intermediate throw event with messageEventDefinition camunda:type="external" camunda:topic="…")`;
    }
  }
  if (el.$type === 'bpmn:ScriptTask') {
    const format = typeof el.scriptFormat === 'string' ? el.scriptFormat.trim() : '';
    if (GROOVY.test(format)) {
      const missing = groovyMissing(named(el));
      if (missing) return missing;
    } else if (!JAVASCRIPT.test(format)) {
      const lang = format || '(none)';
      return `${named(el)} has scriptFormat "${lang}": ${format ? `${format} is not supported; ` : ''}reconflow runs JavaScript and Groovy scripts (scriptFormat="javascript" or "groovy")`;
    }
    if (typeof el.script !== 'string' || !el.script.trim()) return `${named(el)} has no inline script (external script resources are not supported)`;
  }
  const waitProblem = unresumable(el);
  if (waitProblem) return waitProblem;
  const flow = flowProblem(el, named(el));
  if (flow) return flow;
  const condition = el.conditionExpression as ModdleElement | undefined;
  if (condition && typeof condition.language === 'string' && GROOVY.test(condition.language.trim())) {
    const missing = groovyMissing(`the condition of ${named(el)}`);
    if (missing) return missing;
  } else if (condition && typeof condition.language === 'string' && !JAVASCRIPT.test(condition.language.trim())) {
    return `${named(el)} has a condition in language "${condition.language}": ${condition.language} is not supported; use a \${…} expression or language="javascript" or "groovy"`;
  }
  for (const ed of (el.eventDefinitions as ModdleElement[] | undefined) ?? []) {
    if (ed.$type !== 'bpmn:TimerEventDefinition') continue;
    for (const type of ['timeDate', 'timeDuration', 'timeCycle'] as const) {
      const body = (ed[type] as { body?: unknown } | undefined)?.body;
      // An expression is read when the timer starts (a bad value then fails the instance there).
      if (typeof body !== 'string' || /[$#]\{/.test(body)) continue;
      try {
        parseTimer(type, body);
      } catch (err) {
        return `${named(el)} has ${type} "${body.trim()}", which cannot be read: ${(err as Error).message}`;
      }
    }
  }
  for (const ext of extensionsOf(el)) {
    if (IGNORED_EXTENSIONS.test(ext.$type)) {
      const what = ext.$type.replace(/^[^:]+:/, '').replace(/^./, (c) => c.toLowerCase());
      return `${named(el)} has a ${ext.$type.split(':')[0]}:${what}, which reconflow does not run; remove it (a script task or an external job does the work instead)`;
    }
  }
  return undefined;
}

const hasName = (ref: unknown) => {
  const name = (ref as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name.trim() !== '';
};

/** A wait nothing could resume (eventWaits.ts names what can): a message or signal without a name, a condition. */
function unresumable(el: ModdleElement): string | undefined {
  for (const ed of (el.eventDefinitions as ModdleElement[] | undefined) ?? []) {
    if (ed.$type === 'bpmn:ConditionalEventDefinition') {
      return `${named(el)} has a conditionalEventDefinition: nothing re-evaluates its condition, so it would wait for ever; use an exclusive gateway, a message or a signal`;
    }
  }
  const c = catchDefinition(el);
  if (c && !hasName(c.ref)) {
    const attr = c.kind === 'message' ? 'messageRef' : 'signalRef';
    return `${named(el)} waits for a ${c.kind} without a name (${attr} missing, or its bpmn:${c.kind} has no name): nothing could ${c.kind === 'message' ? 'correlate' : 'broadcast'} it; give the ${c.kind} a name`;
  }
  if (c && el.$type === 'bpmn:StartEvent' && (el.$parent as ModdleElement | undefined)?.$type !== 'bpmn:Process') {
    return `${named(el)} is a ${c.kind} start event of a sub-process: an event sub-process started by a ${c.kind} is not supported yet`;
  }
  if (el.$type === 'bpmn:ReceiveTask' && el.messageRef && !hasName(el.messageRef)) {
    return `${named(el)} waits for a message without a name: nothing could correlate it; give the message a name (or drop messageRef to trigger the task by its execution)`;
  }
  return undefined;
}

/**
 * A process with a none start event and message or signal start events: bpmn-elements runs every
 * start event of a process at once, so a start by message would also take the none start's path.
 */
function mixedStarts(elements: ModdleElement[]): string | undefined {
  const starts = elements.filter((el) => el.$type === 'bpmn:StartEvent' && (el.$parent as ModdleElement | undefined)?.$type === 'bpmn:Process');
  const plain = starts.find((el) => !((el.eventDefinitions as unknown[] | undefined) ?? []).length);
  const evented = starts.find((el) => catchDefinition(el));
  if (!plain || !evented) return undefined;
  return `${named(evented)} is a ${catchDefinition(evented)!.kind} start event next to the none start event "${plain.id ?? '?'}": bpmn-engine starts every start event of a process at once, so a start by ${catchDefinition(evented)!.kind} would also run the none start's path; deploy them as two processes`;
}

/** The first element of the process the runtime cannot run, as a DefinitionError naming it. */
export function findUnrunnable(elements: ModdleElement[], where: string): DefinitionError | undefined {
  for (const el of elements) {
    const problem = check(el);
    if (problem) return new DefinitionError(`Cannot deploy${where}: ${problem}`, el.id);
  }
  const mixed = mixedStarts(elements);
  if (mixed) {
    const id = /"([^"]+)"/.exec(mixed)?.[1];
    return new DefinitionError(`Cannot deploy${where}: ${mixed}`, id);
  }
  return undefined;
}
