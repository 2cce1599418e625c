// Wait states that are neither user tasks nor timers (manual and receive tasks, message and signal
// catch events, message and signal start events): which activity waits for what is read once from
// the definition (eventWaitsOf, at parse), and a run reports each such execution waiting now in
// RunResult.waits (collectWaits), so that the runtime can store it as a subscription and resume it.
import type { WaitingExecution } from './interfaces';
import type { ModdleElement } from './taskDefinitions';

export interface EventWait {
  kind: 'trigger' | 'message' | 'signal';
  /** the message's or signal's name as written (an expression is resolved by the engine per run) */
  name?: string;
  /** a start event of the process: it starts an instance */
  start?: boolean;
}

export interface EventWaits {
  readonly byActivity: ReadonlyMap<string, EventWait>;
  /** every start event of the process itself (not of its sub-processes), with or without a definition */
  readonly starts: ReadonlySet<string>;
}

const CATCH_EVENTS = new Set(['bpmn:StartEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent']);

const nameOf = (ref: unknown): string | undefined => {
  const name = (ref as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name.trim() ? name : undefined;
};

/** The message or signal event definition of a catch event, if it has one. */
export function catchDefinition(el: ModdleElement): { kind: 'message' | 'signal'; ref: unknown; definition: ModdleElement } | undefined {
  if (!CATCH_EVENTS.has(el.$type)) return undefined;
  for (const ed of (el.eventDefinitions as ModdleElement[] | undefined) ?? []) {
    if (ed.$type === 'bpmn:MessageEventDefinition') return { kind: 'message', ref: ed.messageRef, definition: ed };
    if (ed.$type === 'bpmn:SignalEventDefinition') return { kind: 'signal', ref: ed.signalRef, definition: ed };
  }
  return undefined;
}

/** What each waiting activity of the process waits for (runnable.ts refuses what has no name). */
export function eventWaitsOf(processId: string, flowElements: ModdleElement[]): EventWaits {
  const byActivity = new Map<string, EventWait>();
  const starts = new Set<string>();
  for (const el of flowElements) {
    const id = el.id;
    if (!id) continue;
    const atTop = (el.$parent as ModdleElement | undefined)?.id === processId;
    if (el.$type === 'bpmn:StartEvent' && atTop) starts.add(id);
    // bpmn-elements waits at an intermediate catch event without a definition until it is signalled.
    const bare = el.$type === 'bpmn:IntermediateCatchEvent' && !((el.eventDefinitions as unknown[] | undefined) ?? []).length;
    if (el.$type === 'bpmn:ManualTask' || bare) byActivity.set(id, { kind: 'trigger' });
    else if (el.$type === 'bpmn:ReceiveTask') {
      const name = nameOf(el.messageRef);
      byActivity.set(id, name ? { kind: 'message', name } : { kind: 'trigger' });
    } else {
      const c = catchDefinition(el);
      const name = c && nameOf(c.ref);
      if (c && name) byActivity.set(id, { kind: c.kind, name, ...(el.$type === 'bpmn:StartEvent' && atTop && { start: true }) });
    }
  }
  return { byActivity, starts };
}

/** The slice of a waiting bpmn-elements activity API that collectWaits reads. */
export interface WaitingApi {
  id: string;
  executionId: string;
  content: Record<string, unknown>;
  getPostponed?(): unknown[] | undefined;
}

/**
 * The event waits among the waiting executions of a run. A start event that still waits once the
 * instance has started (another start event fired) is not reported: bpmn-elements keeps it until
 * the process ends, but BPMN starts an instance once.
 */
export function collectWaits(waits: EventWaits, apis: WaitingApi[]): WaitingExecution[] {
  if (!waits.byActivity.size) return [];
  const started = apis.some((a) => !waits.starts.has(a.id));
  const out: WaitingExecution[] = [];
  for (const api of apis) {
    const spec = waits.byActivity.get(api.id);
    if (!spec || (spec.start && started)) continue;
    // A multi-instance body waits through its children, which are reported themselves.
    if (api.getPostponed?.()?.length) continue;
    // The engine resolves the name (an expression in it) when the wait begins.
    const resolved = nameOf(spec.kind === 'signal' ? api.content.signal : spec.kind === 'message' ? api.content.message : undefined);
    const name = resolved ?? spec.name;
    out.push({ executionId: api.executionId, activityId: api.id, kind: spec.kind, ...(name !== undefined && { name }), ...(spec.start && { detail: { start: true } }) });
  }
  return out;
}
