// What the runtime can never run, found at deploy so that it never reaches an approver: a script
// format without an engine, a Java delegate, a service-like task (no services are registered),
// connectors (bpmn-engine would skip them silently). Listeners and I/O mappings are run or refused
// by listeners.ts. Asynchronous continuations are placed (or refused) by asyncBoundaries.ts.
import { DefinitionError } from './interfaces';
import type { ModdleElement } from './taskDefinitions';
import { parseTimer } from './timers';

const JAVASCRIPT = /^(javascript|js|ecmascript)$/i;
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
    return `${named(el)} cannot run: reconflow registers no services; model the work as an external job (an end or intermediate throw event with messageEventDefinition camunda:type="external" camunda:topic="…")`;
  }
  if (el.$type === 'bpmn:ScriptTask') {
    const format = typeof el.scriptFormat === 'string' ? el.scriptFormat.trim() : '';
    if (!JAVASCRIPT.test(format)) {
      const lang = format || '(none)';
      return `${named(el)} has scriptFormat "${lang}": ${format ? `${format} is not supported yet; ` : ''}reconflow runs JavaScript scripts only (scriptFormat="javascript")`;
    }
    if (typeof el.script !== 'string' || !el.script.trim()) return `${named(el)} has no inline script (external script resources are not supported)`;
  }
  const condition = el.conditionExpression as ModdleElement | undefined;
  if (condition && typeof condition.language === 'string' && !JAVASCRIPT.test(condition.language.trim())) {
    return `${named(el)} has a condition in language "${condition.language}": ${condition.language} is not supported yet; use a \${…} expression or language="javascript"`;
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

/** The first element of the process the runtime cannot run, as a DefinitionError naming it. */
export function findUnrunnable(elements: ModdleElement[], where: string): DefinitionError | undefined {
  for (const el of elements) {
    const problem = check(el);
    if (problem) return new DefinitionError(`Cannot deploy${where}: ${problem}`, el.id);
  }
  return undefined;
}
