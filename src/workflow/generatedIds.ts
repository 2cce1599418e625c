// Ids for flow elements that have none. BPMN makes `id` optional and Camunda runs such files (its own
// tests leave sequence flows unnamed), but bpmn-elements keys everything by id: two flows without
// one share a broker consumer tag and the instance fails at start ("Consumer tag must be unique").
// The id is derived from what the document says, never from parse order of a run or a counter of
// the process: a stored state refers to these ids and must find them again when the file is parsed
// anew (a restart, another node). A sequence flow (message flow, association) is
// `flow_<source>_<target>`, its parallel twins `…_2`, `…_3` in document order; any other element
// `<container>_<type>_<position>`. An id the document already uses is never generated.

interface Element {
  $type: string;
  id?: string;
  sourceRef?: { id?: string };
  targetRef?: { id?: string };
  flowElements?: Element[];
  artifacts?: Element[];
  messageFlows?: Element[];
  rootElements?: Element[];
}

const CONNECTORS = new Set(['bpmn:SequenceFlow', 'bpmn:MessageFlow', 'bpmn:Association']);
const localType = (el: Element) => el.$type.replace(/^.*:/, '').replace(/^./, (c) => c.toLowerCase());

/**
 * Gives every flow element, artifact and message flow without an id a generated one (and registers
 * it in `elementsById`), containers first so that children can be named after them.
 * Returns the ids it generated.
 */
export function assignMissingIds(root: Element, elementsById: Record<string, unknown>): string[] {
  const taken = new Set(Object.keys(elementsById));
  const generated: string[] = [];
  const give = (el: Element, base: string) => {
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    el.id = id;
    taken.add(id);
    elementsById[id] = el;
    generated.push(id);
  };
  const visit = (container: Element) => {
    const children = [...(container.flowElements ?? []), ...(container.artifacts ?? []), ...(container.messageFlows ?? [])];
    children.forEach((el, position) => {
      if (el.id) return;
      if (CONNECTORS.has(el.$type)) give(el, `flow_${el.sourceRef?.id ?? 'none'}_${el.targetRef?.id ?? 'none'}`);
      else give(el, `${container.id ?? 'element'}_${localType(el)}_${position + 1}`);
    });
    for (const el of children) if (el.flowElements || el.artifacts) visit(el); // sub-processes
  };
  for (const el of root.rootElements ?? []) if (el.id && (el.flowElements || el.artifacts || el.messageFlows)) visit(el);
  return generated;
}
