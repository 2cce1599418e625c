// SQL for process instances: the compact engine state of an active one, the facts of an ended one.
import { Filter } from '../crest/queryFilter';
import { InvalidInput } from '../errors';
import { applyFilter, assertSafeSegment, FieldTarget } from './filterToSql';
import type { Knex } from 'knex';
import { dbNow, dialectOf, insertReturningId, isUniqueViolation, parseJson, Q, rawRows, whereAnyOf } from './dialect';
import { orderPage, pageIds, taskFromColumns, type TaskRow } from './tasks';
import { mapRows, streamRows } from './cursor';

export type InstanceStatus = 'active' | 'ended' | 'failed' | 'canceled';

export interface InstanceRow {
  id: number;
  definitionId: string;
  definitionKey: string;
  businessKey: string | null;
  status: InstanceStatus;
  state: Buffer | null;
  variables: Record<string, unknown>;
  startTime: string;
  startUserId: string | null;
  startActivityId: string | null;
  endTime: string | null;
  endActivityId: string | null;
  error: string | null;
  wakeAt: number | null;
  openKey: string | null;
  version: number;
  /** A called instance's caller: the calling instance and its waiting call activity execution. */
  superInstanceId?: number | null;
  superExecutionId?: string | null;
}

export type NewInstance = Omit<InstanceRow, 'id' | 'version'>;

function fromColumns(r: Record<string, unknown>): InstanceRow {
  return {
    id: Number(r.id),
    definitionId: r.definition_id as string,
    definitionKey: r.definition_key as string,
    businessKey: (r.business_key as string) ?? null,
    status: r.status as InstanceStatus,
    state: r.state ? Buffer.from(r.state as Uint8Array) : null,
    variables: parseJson(r.variables) ?? {},
    startTime: r.start_time as string,
    startUserId: (r.start_user_id as string) ?? null,
    startActivityId: (r.start_activity_id as string) ?? null,
    endTime: (r.end_time as string) ?? null,
    endActivityId: (r.end_activity_id as string) ?? null,
    error: (r.error as string) ?? null,
    wakeAt: r.wake_at === null || r.wake_at === undefined ? null : Number(r.wake_at),
    openKey: (r.open_key as string) ?? null,
    version: Number(r.version),
    superInstanceId: r.super_instance_id === null || r.super_instance_id === undefined ? null : Number(r.super_instance_id),
    superExecutionId: (r.super_execution_id as string) ?? null,
  };
}

function toColumns(i: Partial<InstanceRow>): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (i.definitionId !== undefined) c.definition_id = i.definitionId;
  if (i.definitionKey !== undefined) c.definition_key = i.definitionKey;
  if (i.businessKey !== undefined) c.business_key = i.businessKey;
  if (i.status !== undefined) c.status = i.status;
  if (i.state !== undefined) c.state = i.state;
  if (i.variables !== undefined) c.variables = JSON.stringify(i.variables);
  if (i.startTime !== undefined) c.start_time = i.startTime;
  if (i.startUserId !== undefined) c.start_user_id = i.startUserId;
  if (i.startActivityId !== undefined) c.start_activity_id = i.startActivityId;
  if (i.endTime !== undefined) c.end_time = i.endTime;
  if (i.endActivityId !== undefined) c.end_activity_id = i.endActivityId;
  if (i.error !== undefined) c.error = i.error;
  if (i.wakeAt !== undefined) c.wake_at = i.wakeAt;
  if (i.openKey !== undefined) c.open_key = i.openKey;
  if (i.superInstanceId !== undefined) c.super_instance_id = i.superInstanceId;
  if (i.superExecutionId !== undefined) c.super_execution_id = i.superExecutionId;
  return c;
}

export async function insertInstance(q: Q, i: NewInstance): Promise<number> {
  return insertReturningId(q, 'process_instance', { ...toColumns(i), version: 1 });
}

/**
 * Multi-row insert of new instances; a row whose open key is already taken (before, by a
 * concurrent start, or by an earlier row of `rows`) is skipped: never a second open approval.
 * Answers each row's new id, in the order of `rows`, or null for a row skipped. Keyed rows go in
 * open-key order, so that two batches racing for the same keys wait for each other instead of
 * deadlocking (each holds the keys it inserted while it waits for the next).
 */
export async function insertInstancesSkippingTakenKeys(q: Q, rows: NewInstance[]): Promise<(number | null)[]> {
  const ids: (number | null)[] = rows.map(() => null);
  const seen = new Set<string>();
  const order: number[] = [];
  for (const i of rows.map((_, i) => i).sort((a, b) => byOpenKey(rows[a], rows[b]) || a - b)) {
    const key = rows[i].openKey;
    if (key && seen.has(key)) continue;
    if (key) seen.add(key);
    order.push(i);
  }
  if (dialectOf(q) === 'mysql') return insertSkippingTakenKeysMySQL(q, rows, order, ids);
  const returned: { id: unknown; open_key: string | null }[] = await q('process_instance')
    .insert(order.map((i) => ({ ...toColumns(rows[i]), version: 1 })))
    .onConflict('open_key')
    .ignore()
    .returning(['id', 'open_key']);
  // Rows come back by open key; rows without one in insertion order (ids ascend with it).
  const byKey = new Map<string, number>();
  const unkeyed: number[] = [];
  for (const r of returned) {
    if (r.open_key) byKey.set(r.open_key, Number(r.id));
    else unkeyed.push(Number(r.id));
  }
  unkeyed.sort((a, b) => a - b);
  let next = 0;
  for (const i of order) ids[i] = rows[i].openKey ? (byKey.get(rows[i].openKey!) ?? null) : unkeyed[next++];
  return ids;
}

/** Unkeyed rows first, in their order; then by open key (code-point order, the same on every node). */
function byOpenKey(a: NewInstance, b: NewInstance): number {
  if (!a.openKey || !b.openKey) return (a.openKey ? 1 : 0) - (b.openKey ? 1 : 0);
  return a.openKey < b.openKey ? -1 : a.openKey > b.openKey ? 1 : 0;
}

/**
 * MariaDB: a plain INSERT … RETURNING (its rows in insertion order). Not INSERT IGNORE: IGNORE
 * turns every error of the statement into a warning, not only the taken key (a too long value is
 * cut, a deadlock leaves a transaction that can only roll back). A taken key fails the statement,
 * which InnoDB undoes alone (the transaction goes on): the keys held now are left out and the
 * rest inserted again. A key whose holder ended meanwhile is tried again with them.
 */
async function insertSkippingTakenKeysMySQL(q: Q, rows: NewInstance[], order: number[], ids: (number | null)[]): Promise<(number | null)[]> {
  let todo = order;
  for (let attempt = 1; todo.length; attempt++) {
    try {
      const { sql, bindings } = q('process_instance').insert(todo.map((i) => ({ ...toColumns(rows[i]), version: 1 }))).toSQL().toNative();
      const inserted = rawRows(q, await q.raw(`${sql} RETURNING id, open_key`, bindings as Knex.RawBinding[]));
      if (inserted.length !== todo.length) throw new Error(`process_instance: ${todo.length} rows inserted, ${inserted.length} returned`);
      todo.forEach((i, k) => {
        if (((inserted[k].open_key as string | null) ?? null) !== (rows[i].openKey ?? null)) throw new Error('process_instance: RETURNING out of insertion order');
        ids[i] = Number(inserted[k].id);
      });
      return ids;
    } catch (e) {
      // Each round leaves out at least the key it met (its holder committed before the error),
      // unless that holder ended in between: bounded, and a failure beyond is an error, not a skip.
      if (!isUniqueViolation(e) || attempt > order.length + 8) throw e;
      const keys = todo.map((i) => rows[i].openKey).filter((k): k is string => !!k);
      const held = new Set<string>();
      for (let k = 0; k < keys.length; k += 500) for (const h of await heldOpenKeys(q, keys.slice(k, k + 500))) held.add(h);
      todo = todo.filter((i) => !rows[i].openKey || !held.has(rows[i].openKey!));
    }
  }
  return ids;
}

export async function readInstance(q: Q, id: number): Promise<InstanceRow | null> {
  const r = await q('process_instance').where({ id }).first();
  return r ? fromColumns(r) : null;
}

const INSTANCE_COLUMNS = ['id', 'definition_id', 'definition_key', 'business_key', 'status', 'state', 'variables', 'start_time', 'start_user_id', 'start_activity_id', 'end_time', 'end_activity_id', 'error', 'wake_at', 'open_key', 'version', 'super_instance_id', 'super_execution_id'];

/**
 * A task's row (as tasks.ts reads it) and its instance's, in one query: a completion needs both,
 * and on PostgreSQL every round trip is a share of the server's CPU.
 */
export async function readTaskAndInstance(q: Q, taskId: number): Promise<{ task: TaskRow; instance: InstanceRow } | null> {
  const r = await q('task')
    .join('process_instance', 'process_instance.id', 'task.process_instance_id')
    .select('task.*', ...INSTANCE_COLUMNS.map((c) => `process_instance.${c} as pi_${c}`))
    .where('task.id', taskId)
    .first();
  if (!r) return null;
  const inst: Record<string, unknown> = {};
  const task: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
    if (k.startsWith('pi_')) inst[k.slice(3)] = v;
    else task[k] = v;
  }
  // The task view shows these two of its instance's columns (tasks.ts reads them by these names).
  task.variables = inst.variables;
  task.definition_key = inst.definition_key;
  return { task: taskFromColumns(task), instance: fromColumns(inst) };
}

/** Which of these open keys an instance holds now (a batch of starts checks them at once). */
export async function heldOpenKeys(q: Q, keys: string[]): Promise<string[]> {
  const rows: { open_key: string }[] = await whereAnyOf(q('process_instance').select('open_key'), 'open_key', keys, dialectOf(q));
  return rows.map((r) => r.open_key);
}

export async function findActiveByOpenKey(q: Q, openKey: string): Promise<InstanceRow | null> {
  const r = await q('process_instance').where({ open_key: openKey }).first();
  return r ? fromColumns(r) : null;
}

/** Optimistic update: only the caller that read `version` may write; false means someone else did. */
export async function updateInstance(q: Q, id: number, version: number, changes: Partial<InstanceRow>): Promise<boolean> {
  const n = await q('process_instance').where({ id, version }).update({ ...toColumns(changes), version: version + 1 });
  return n === 1;
}

/**
 * An operator's retry of a failed timer run (an active instance whose timers failed, see
 * workflow/timerRuns.ts): due now by the database's clock; false when it is not one.
 */
export async function wakeFailedTimersNow(q: Q, id: number): Promise<boolean> {
  const n = await q('process_instance').where({ id, status: 'active' }).whereNotNull('error').whereNotNull('state').update({ wake_at: dbNow(q), version: q.raw('version + 1') });
  return n === 1;
}

/** The instances a call activity of this instance started (any status), oldest first. */
export async function calledInstancesOf(q: Q, superInstanceId: number): Promise<{ id: number; status: InstanceStatus; superExecutionId: string }[]> {
  const rows: { id: unknown; status: InstanceStatus; super_execution_id: string }[] = await q('process_instance')
    .select('id', 'status', 'super_execution_id')
    .where({ super_instance_id: superInstanceId })
    .orderBy('id');
  return rows.map((r) => ({ id: Number(r.id), status: r.status, superExecutionId: r.super_execution_id }));
}

export async function countActiveInstancesOf(q: Q, definitionId: string): Promise<number> {
  const [{ n }] = await q('process_instance').where({ definition_id: definitionId }).whereIn('status', ['active']).count({ n: '*' });
  return Number(n);
}

export async function dueInstanceIds(q: Q, now: number, limit: number): Promise<number[]> {
  const rows = await q('process_instance').select('id').where('status', 'active').whereNotNull('wake_at').andWhere('wake_at', '<=', now).orderBy('wake_at').limit(limit);
  return rows.map((r: { id: unknown }) => Number(r.id));
}

const COLUMNS: Record<string, string> = {
  _id: 'id', processInstanceId: 'id', processDefinitionId: 'definition_id', processDefinitionKey: 'definition_key',
  businessKey: 'business_key', status: 'status', startTime: 'start_time', endTime: 'end_time',
  startUserId: 'start_user_id', endActivityId: 'end_activity_id', superProcessInstanceId: 'super_instance_id',
  processInstanceBusinessKey: 'business_key',
};

export function instanceResolver(field: string[]): FieldTarget {
  if (field.length === 1 && Object.prototype.hasOwnProperty.call(COLUMNS, field[0])) {
    return { kind: 'column', column: COLUMNS[field[0]], type: field[0] === '_id' || field[0] === 'processInstanceId' || field[0] === 'superProcessInstanceId' ? 'id' : 'string' };
  }
  // processVariables/x or variables/x filter on the stored variables.
  if (field.length >= 2 && (field[0] === 'processVariables' || field[0] === 'variables')) {
    field.slice(1).forEach(assertSafeSegment);
    return { kind: 'json', column: 'variables', path: field.slice(1) };
  }
  throw new InvalidInput(`Process instances cannot be queried on /${field.join('/')}`);
}

const INSTANCE_NOT_NULL: ReadonlySet<string> = new Set(['start_time', 'definition_id', 'definition_key', 'status']);
const ALL_STATUSES: readonly InstanceStatus[] = ['active', 'ended', 'failed', 'canceled'];
const LIST_COLUMNS = ['id', 'definition_id', 'definition_key', 'business_key', 'status', 'variables', 'start_time', 'start_user_id', 'start_activity_id', 'end_time', 'end_activity_id', 'error', 'wake_at', 'open_key', 'version', 'super_instance_id', 'super_execution_id'];

type InstanceQuery = { statuses: InstanceStatus[]; offset: number; limit?: number; sort?: { field: string[]; descending: boolean }[]; countTotal?: boolean };

function instanceBase(q: Q, filter: Filter, statuses: InstanceStatus[]): import('knex').Knex.QueryBuilder {
  const qb = applyFilter(q('process_instance'), filter, instanceResolver, dialectOf(q));
  // Every status asked (the history): no condition on it, which would only cost a check per row.
  return ALL_STATUSES.every((st) => statuses.includes(st)) ? qb : qb.whereIn('status', statuses);
}

/** Every matching instance from opts.offset on, in queryInstances' order, from a cursor. */
export function streamInstances(q: Q, filter: Filter, opts: Pick<InstanceQuery, 'statuses' | 'offset' | 'sort'>): AsyncGenerator<InstanceRow[]> {
  const qb = instanceBase(q, filter, opts.statuses).select(LIST_COLUMNS);
  orderPage(qb, opts.sort ?? [], instanceResolver, dialectOf(q), 'id', INSTANCE_NOT_NULL);
  if (opts.offset) qb.offset(opts.offset);
  return mapRows(streamRows(q, qb), fromColumns);
}

export async function countInstances(q: Q, filter: Filter, statuses: InstanceStatus[]): Promise<number> {
  const [{ n }] = await instanceBase(q, filter, statuses).count({ n: '*' });
  return Number(n);
}

export async function queryInstances(q: Q, filter: Filter, opts: InstanceQuery): Promise<InstanceRow[] & { total?: number }> {
  const dialect = dialectOf(q);
  const base = () => instanceBase(q, filter, opts.statuses);
  const count = () => base().count({ n: '*' }).then(([{ n }]) => Number(n));
  let rows: InstanceRow[];
  let total: number | undefined;
  if (opts.offset) {
    // A later page: the ids first (the rows it skips are not read whole), then the page.
    const ids = async (reverse: boolean, offset: number, limit?: number) => {
      const idq = base().select('id');
      orderPage(idq, opts.sort ?? [], instanceResolver, dialect, 'id', INSTANCE_NOT_NULL, reverse);
      if (offset) idq.offset(offset);
      if (limit !== undefined) idq.limit(limit);
      return (await idq).map((r: { id: unknown }) => Number(r.id));
    };
    const page = await pageIds(ids, count, opts);
    total = page.total;
    const byId = new Map<number, InstanceRow>();
    for (let i = 0; i < page.ids.length; i += 500) {
      for (const r of await q('process_instance').select(LIST_COLUMNS).whereIn('id', page.ids.slice(i, i + 500))) byId.set(Number(r.id), fromColumns(r));
    }
    rows = page.ids.map((id) => byId.get(id)).filter((r): r is InstanceRow => r !== undefined);
  } else {
    const qb = base().select(LIST_COLUMNS);
    orderPage(qb, opts.sort ?? [], instanceResolver, dialect, 'id', INSTANCE_NOT_NULL);
    if (opts.limit !== undefined) qb.limit(opts.limit);
    // The page and the count at once: on PostgreSQL they run on two connections.
    [rows, total] = await Promise.all([qb.then((r: Record<string, unknown>[]) => r.map(fromColumns)), opts.countTotal ? count() : undefined]);
  }
  const out: InstanceRow[] & { total?: number } = rows;
  if (total !== undefined) out.total = total;
  return out;
}

/** The definition versions that active instances with a stored state run on. */
export async function activeDefinitionIds(q: Q): Promise<string[]> {
  const rows = await q('process_instance').distinct('definition_id').where('status', 'active').whereNotNull('state');
  return rows.map((r: { definition_id: string }) => r.definition_id);
}
