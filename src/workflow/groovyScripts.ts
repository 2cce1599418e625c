// A definition's Groovy: every script task, condition, listener and mapping script written in it,
// each with the element it belongs to. Deploy compiles them on the sidecar (definitions.ts), so that
// a syntax error is refused naming its element, and the first run of each is not its compilation.
import type { ElementHooks, IoValue } from './listeners';
import { GROOVY } from './scripts';
import type { ModdleElement } from './taskDefinitions';

export interface GroovySource {
  elementId: string;
  /** e.g. `scriptTask "prepare"`, `taskListener create of userTask "review"` */
  what: string;
  source: string;
}

const kind = (el: ModdleElement) => el.$type.replace(/^bpmn:/, '').replace(/^./, (c) => c.toLowerCase());

function ioScripts(value: IoValue, elementId: string, out: GroovySource[]): void {
  if (value.kind === 'script' && value.language === 'groovy') out.push({ elementId, what: value.name, source: value.source });
  else if (value.kind === 'list') for (const v of value.items) ioScripts(v, elementId, out);
  else if (value.kind === 'map') for (const [, v] of value.entries) ioScripts(v, elementId, out);
}

/** The property a script task's behaviour carries when names its script assigns are to be stored (scripts.ts). */
export const AUTO_STORE = 'reconflowAutoStoreVariables';

/**
 * Marks the script tasks with Activiti's/Flowable's `autoStoreVariables="true"` (Camunda has no such
 * attribute) with an own property: bpmn-engine's behaviour copies an element's own properties, and
 * moddle keeps unknown attributes in $attrs, which it does not copy.
 */
export function markAutoStore(flowElements: ModdleElement[]): void {
  for (const el of flowElements) {
    if (el.$type !== 'bpmn:ScriptTask') continue;
    const on = Object.entries(el.$attrs ?? {}).some(([k, v]) => /^(activiti|flowable):autoStoreVariables$/.test(k) && String(v).trim().toLowerCase() === 'true');
    if (on) (el as Record<string, unknown>)[AUTO_STORE] = true;
  }
}

export function groovySourcesOf(flowElements: ModdleElement[], hooks: Map<string, ElementHooks>): GroovySource[] {
  const out: GroovySource[] = [];
  for (const el of flowElements) {
    const id = el.id ?? '?';
    if (el.$type === 'bpmn:ScriptTask' && typeof el.scriptFormat === 'string' && GROOVY.test(el.scriptFormat.trim()) && typeof el.script === 'string') {
      out.push({ elementId: id, what: `${kind(el)} "${id}"`, source: el.script });
    }
    const condition = el.conditionExpression as ModdleElement | undefined;
    if (condition && typeof condition.language === 'string' && GROOVY.test(condition.language.trim()) && typeof condition.body === 'string') {
      out.push({ elementId: id, what: `the condition of ${kind(el)} "${id}"`, source: condition.body });
    }
  }
  for (const [elementId, h] of hooks) {
    for (const l of [...h.execution, ...h.task]) if (l.language === 'groovy') out.push({ elementId, what: l.name, source: l.source });
    for (const p of [...h.inputs, ...h.outputs]) ioScripts(p.value, elementId, out);
  }
  return out;
}
