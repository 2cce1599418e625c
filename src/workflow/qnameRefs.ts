// BPMN references are QNames (BPMN 2.0 §8.2): messageRef="tns:newInvoice", where xmlns:tns is bound
// to the document's targetNamespace, names the element with id "newInvoice" (Camunda and Flowable
// read it so). bpmn-moddle looks the whole text up as an id and reports it unresolved; this resolves
// such references in place (the element's property, which the serializer reads, and the reference
// list) before parse.ts judges the warnings. A prefix bound to another namespace stays unresolved.
import type { ModdleElement } from './taskDefinitions';

interface Warning {
  message: string;
  element?: ModdleElement;
  property?: string;
  value?: string;
}

interface Context {
  rootElement: ModdleElement;
  elementsById: Record<string, ModdleElement>;
  references: { element: ModdleElement; property: string; id: string }[];
  warnings: Warning[];
}

type Settable = ModdleElement & {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  $descriptor?: { propertiesByName?: Record<string, { isMany?: boolean }> };
};

/** Resolves the QName references of `ctx` that name an element of this document; returns the other warnings. */
export function resolveQNameReferences(ctx: Context): Warning[] {
  const root = ctx.rootElement;
  const target = typeof root?.targetNamespace === 'string' ? root.targetNamespace : undefined;
  if (!target) return ctx.warnings;
  return ctx.warnings.filter((w) => {
    const qname = /^unresolved reference <([^:<>]+):([^:<>]+)>$/.exec(w.message);
    if (!qname || !w.element || !w.property || root.$attrs?.[`xmlns:${qname[1]}`] !== target) return true;
    const found = ctx.elementsById[qname[2]];
    if (!found) return true;
    const el = w.element as Settable;
    if (el.$descriptor?.propertiesByName?.[w.property]?.isMany) (el.get(w.property) as unknown[]).push(found);
    else el.set(w.property, found);
    for (const r of ctx.references) if (r.element === w.element && r.property === w.property && r.id === w.value) r.id = qname[2];
    return false;
  });
}
