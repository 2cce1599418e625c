// SQL for event subscriptions: the waits of active instances other than user tasks and timers
// (mirrored with each stored run), and the message and signal start events of definition versions.
import { parseJson, Q } from './dialect';

export interface SubscriptionRow {
  id: number;
  /** null: a start event of the definition version */
  processInstanceId: number | null;
  definitionId: string;
  definitionKey: string;
  executionId: string | null;
  activityId: string;
  kind: string;
  name: string | null;
  created: string;
}

export type NewSubscription = Omit<SubscriptionRow, 'id'>;

/** A waiting execution's subscription with what correlation reads of its (active) instance. */
export interface WaitingSubscription extends SubscriptionRow {
  processInstanceId: number;
  executionId: string;
  businessKey: string | null;
  variables: Record<string, unknown>;
}

function fromColumns(r: Record<string, unknown>): SubscriptionRow {
  return {
    id: Number(r.id),
    processInstanceId: r.process_instance_id === null || r.process_instance_id === undefined ? null : Number(r.process_instance_id),
    definitionId: r.definition_id as string,
    definitionKey: r.definition_key as string,
    executionId: (r.execution_id as string) ?? null,
    activityId: r.activity_id as string,
    kind: r.kind as string,
    name: (r.name as string) ?? null,
    created: r.created as string,
  };
}

function waitingFromColumns(r: Record<string, unknown>): WaitingSubscription {
  return { ...(fromColumns(r) as WaitingSubscription), businessKey: (r.business_key as string) ?? null, variables: parseJson(r.variables) ?? {} };
}

const subKey = (s: NewSubscription) => (s.processInstanceId === null ? `d:${s.definitionId}:${s.activityId}` : `i:${s.processInstanceId}:${s.executionId}`);

/** Idempotent per (instance, execution) and per (definition, start event). */
export async function insertSubscriptions(q: Q, rows: NewSubscription[]): Promise<void> {
  if (!rows.length) return;
  await q('event_subscription')
    .insert(
      rows.map((s) => ({
        sub_key: subKey(s), process_instance_id: s.processInstanceId, definition_id: s.definitionId, definition_key: s.definitionKey,
        execution_id: s.executionId, activity_id: s.activityId, kind: s.kind, name: s.name, created: s.created,
      })),
    )
    .onConflict('sub_key')
    .ignore();
}

export async function subscriptionsOfInstance(q: Q, processInstanceId: number): Promise<SubscriptionRow[]> {
  return (await q('event_subscription').where({ process_instance_id: processInstanceId }).orderBy('id')).map(fromColumns);
}

export async function deleteSubscriptions(q: Q, ids: number[]): Promise<void> {
  if (ids.length) await q('event_subscription').whereIn('id', ids).del();
}

export async function deleteSubscriptionsOfInstance(q: Q, processInstanceId: number): Promise<void> {
  await q('event_subscription').where({ process_instance_id: processInstanceId }).del();
}

export async function deleteSubscriptionsOfDefinition(q: Q, definitionId: string): Promise<void> {
  await q('event_subscription').where({ definition_id: definitionId }).whereNull('process_instance_id').del();
}

const WAITING = ['event_subscription.*', 'process_instance.business_key', 'process_instance.variables'];

function waitingQuery(q: Q) {
  return q('event_subscription')
    .join('process_instance', 'process_instance.id', 'event_subscription.process_instance_id')
    .where('process_instance.status', 'active')
    .select(WAITING);
}

/** The subscription of a waiting execution of an active instance. */
export async function readWaiting(q: Q, id: number): Promise<WaitingSubscription | null> {
  const r = await waitingQuery(q).where('event_subscription.id', id).first();
  return r ? waitingFromColumns(r) : null;
}

/** The executions of active instances waiting for this message or signal (of one business key), by id. */
export async function waitingFor(q: Q, kind: string, name: string, businessKey?: string): Promise<WaitingSubscription[]> {
  const qb = waitingQuery(q).where({ 'event_subscription.kind': kind, 'event_subscription.name': name });
  if (businessKey !== undefined) qb.where('process_instance.business_key', businessKey);
  return (await qb.orderBy('event_subscription.id')).map(waitingFromColumns);
}

/** Every waiting execution of an active instance (the admin's list), by id. */
export async function listWaiting(q: Q, kinds: string[], opts: { offset: number; limit?: number }): Promise<WaitingSubscription[]> {
  const qb = waitingQuery(q).whereIn('event_subscription.kind', kinds).orderBy('event_subscription.id');
  if (opts.offset) qb.offset(opts.offset);
  if (opts.limit !== undefined) qb.limit(opts.limit);
  return (await qb).map(waitingFromColumns);
}

/** The start events for this message or signal of the latest version of every definition key. */
export async function latestStartsFor(q: Q, kind: string, name: string): Promise<SubscriptionRow[]> {
  const rows = await q('event_subscription as s')
    .join('process_definition as d', 'd.id', 's.definition_id')
    .whereNull('s.process_instance_id')
    .where({ 's.kind': kind, 's.name': name })
    .whereNotExists((sub) => sub.select(q.raw('1')).from('process_definition as newer').whereRaw('newer.key = d.key').whereRaw('newer.version > d.version'))
    .select('s.*')
    .orderBy('s.id');
  return rows.map(fromColumns);
}
