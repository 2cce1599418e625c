// SQL for open user tasks. A task row exists exactly while its user task waits.
import { Filter } from '../crest/queryFilter';
import { InvalidInput } from '../errors';
import { applyFilter, assertSafeSegment, FieldTarget, orderByField } from './filterToSql';
import { dialectOf, parseJson, Q } from './dialect';
import type { Dialect } from './db';
import { mapRows, streamRows } from './cursor';

export interface TaskRow {
  id: number;
  processInstanceId: number;
  definitionId: string;
  taskDefinitionKey: string;
  executionId: string;
  name: string | null;
  description: string | null;
  assignee: string | null;
  owner: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  /**
   * As stored: the resolved form values by field id ({"requesterName":"bjensen"}); the runtime
   * expands them with the definition's form fields (labels and types are not repeated per task).
   */
  form: unknown;
  formKey: string | null;
  createTime: string;
  dueDate: string | null;
  priority: number;
  rev: number;
  /** Joined from the instance on queries and reads. */
  processVariables?: Record<string, unknown>;
  processDefinitionKey?: string;
}

export type NewTask = Omit<TaskRow, 'id' | 'rev' | 'processVariables' | 'processDefinitionKey'>;

/** A task row from its columns (and, when joined, its instance's variables and definition_key). */
export function taskFromColumns(r: Record<string, unknown>): TaskRow {
  return {
    id: Number(r.id),
    processInstanceId: Number(r.process_instance_id),
    definitionId: r.definition_id as string,
    taskDefinitionKey: r.task_definition_key as string,
    executionId: r.execution_id as string,
    name: (r.name as string) ?? null,
    description: (r.description as string) ?? null,
    assignee: (r.assignee as string) ?? null,
    owner: (r.owner as string) ?? null,
    candidateUsers: parseJson(r.candidate_users) ?? [],
    candidateGroups: parseJson(r.candidate_groups) ?? [],
    form: parseJson(r.form) ?? [],
    formKey: (r.form_key as string) ?? null,
    createTime: r.create_time as string,
    dueDate: (r.due_date as string) ?? null,
    priority: Number(r.priority),
    rev: Number(r.rev),
    processVariables: r.variables === undefined ? undefined : parseJson(r.variables),
    processDefinitionKey: (r.definition_key as string) ?? undefined,
  };
}

function toColumns(t: NewTask): Record<string, unknown> {
  return {
    process_instance_id: t.processInstanceId,
    definition_id: t.definitionId,
    task_definition_key: t.taskDefinitionKey,
    execution_id: t.executionId,
    name: t.name,
    description: t.description,
    assignee: t.assignee,
    owner: t.owner,
    candidate_users: JSON.stringify(t.candidateUsers),
    candidate_groups: JSON.stringify(t.candidateGroups),
    form: JSON.stringify(t.form),
    form_key: t.formKey,
    create_time: t.createTime,
    due_date: t.dueDate,
    priority: t.priority,
  };
}

/** Idempotent per (instance, execution): a resumed engine re-announces the same waiting task. */
export async function insertTasks(q: Q, tasks: NewTask[]): Promise<void> {
  if (!tasks.length) return;
  await q('task').insert(tasks.map(toColumns)).onConflict(['process_instance_id', 'execution_id']).ignore();
  // Their history rows (task_history, workflow/taskinstance/history), by the ids the rows got.
  const instanceIds = [...new Set(tasks.map((t) => t.processInstanceId))];
  for (let i = 0; i < instanceIds.length; i += 500) {
    const rows = await q('task').select(HISTORY_COLUMNS).whereIn('process_instance_id', instanceIds.slice(i, i + 500));
    // SQLite's multi-row insert is a compound SELECT of at most 500 terms.
    for (let k = 0; k < rows.length; k += 200) await q('task_history').insert(rows.slice(k, k + 200)).onConflict('id').ignore();
  }
}

const HISTORY_COLUMNS = ['id', 'process_instance_id', 'definition_id', 'task_definition_key', 'execution_id', 'name', 'description', 'assignee', 'owner', 'priority', 'due_date', 'create_time'];

/** Closes the history rows of tasks that are gone: `reason` is Activiti's deleteReason. */
async function closeHistory(q: Q, where: { id?: number; process_instance_id?: number }, reason: 'completed' | 'deleted', endTime: string): Promise<void> {
  await q('task_history').where(where).whereNull('end_time').update({ end_time: endTime, delete_reason: reason });
}

/** The task a completion took: its history row says "completed" (runOutcome.ts, after the run's task rows are settled). */
export async function markTaskCompleted(q: Q, id: number, endTime: string): Promise<void> {
  await q('task_history').where({ id }).update({ end_time: endTime, delete_reason: 'completed' });
}

const SELECT = ['task.*', 'process_instance.variables', 'process_instance.definition_key'];

export async function readTask(q: Q, id: number): Promise<TaskRow | null> {
  const r = await q('task').join('process_instance', 'process_instance.id', 'task.process_instance_id').select(SELECT).where('task.id', id).first();
  return r ? taskFromColumns(r) : null;
}

export async function tasksOfInstance(q: Q, processInstanceId: number): Promise<TaskRow[]> {
  return (await q('task').where({ process_instance_id: processInstanceId }).orderBy('id')).map(taskFromColumns);
}

/** Removes the task if it is still there: exactly one caller gets true. */
export async function takeTask(q: Q, id: number, rev?: number): Promise<boolean> {
  const qb = q('task').where({ id });
  if (rev !== undefined) qb.andWhere({ rev });
  const taken = (await qb.del()) === 1;
  if (taken) await closeHistory(q, { id }, 'deleted', new Date().toISOString());
  return taken;
}

/**
 * The instance waits no more: its tasks go, and their history closes as "deleted", except
 * `completed` (the task whose completion ended it), closed as "completed" at `completedAt` (what
 * markTaskCompleted does after a run that still waits). One statement on PostgreSQL (a
 * data-modifying WITH: the two touch different tables), two on SQLite; a completion used three.
 */
export async function deleteTasksOfInstance(q: Q, processInstanceId: number, completed?: { id: number; at: string }): Promise<void> {
  const deletedAt = new Date().toISOString();
  const close = `UPDATE task_history SET end_time = CASE WHEN id = ? THEN ? ELSE ? END, delete_reason = CASE WHEN id = ? THEN 'completed' ELSE 'deleted' END
    WHERE process_instance_id = ? AND (end_time IS NULL OR id = ?)`;
  const id = completed?.id ?? null;
  const closeArgs = [id, completed?.at ?? deletedAt, deletedAt, id, processInstanceId, id];
  if (dialectOf(q) === 'pg') {
    await q.raw(`WITH gone AS (DELETE FROM task WHERE process_instance_id = ?) ${close}`, [processInstanceId, ...closeArgs] as never[]);
    return;
  }
  await q('task').where({ process_instance_id: processInstanceId }).del();
  await q.raw(close, closeArgs as never[]);
}

/** Changes assignee/owner/name/description if the task is still at `rev`. */
export async function updateTask(q: Q, id: number, rev: number, changes: Partial<Pick<TaskRow, 'assignee' | 'owner' | 'name' | 'description'>>): Promise<boolean> {
  const n = await q('task').where({ id, rev }).update({ ...changes, rev: rev + 1 });
  if (n === 1 && Object.keys(changes).length) await q('task_history').where({ id }).update(changes);
  return n === 1;
}

const COLUMNS: Record<string, string> = {
  _id: 'task.id', name: 'task.name', assignee: 'task.assignee', owner: 'task.owner', taskDefinitionKey: 'task.task_definition_key',
  processInstanceId: 'task.process_instance_id', processDefinitionId: 'task.definition_id', processDefinitionKey: 'process_instance.definition_key',
  createTime: 'task.create_time', dueDate: 'task.due_date', priority: 'task.priority', description: 'task.description',
  executionId: 'task.execution_id',
};

const NUMERIC: Record<string, 'id' | 'number'> = { _id: 'id', processInstanceId: 'id', priority: 'number' };

export function taskResolver(field: string[]): FieldTarget {
  if (field.length === 1 && Object.prototype.hasOwnProperty.call(COLUMNS, field[0])) {
    return { kind: 'column', column: COLUMNS[field[0]], type: NUMERIC[field[0]] ?? 'string' };
  }
  if (field.length >= 2 && (field[0] === 'processVariables' || field[0] === 'variables')) {
    field.slice(1).forEach(assertSafeSegment);
    return { kind: 'json', column: 'process_instance.variables', path: field.slice(1) };
  }
  throw new InvalidInput(`Tasks cannot be queried on /${field.join('/')}`);
}

export interface TaskVisibility {
  /** null: every task (admin); otherwise only tasks for this user or these groups. */
  userId: string | null;
  groups: string[];
}

/** SQL for "column holds this text" (bindings: column, text). Candidates are stored as JSON arrays of strings: '"name"' cannot match inside a longer name. */
function containsSql(dialect: Dialect): string {
  return dialect === 'pg' ? 'strpos(??, ?) > 0' : 'instr(??, ?) > 0';
}

export function restrictTo(qb: import('knex').Knex.QueryBuilder, userId: string, groups: string[], dialect: Dialect): void {
  const contains = containsSql(dialect);
  qb.where((w) => {
    w.where('task.assignee', userId).orWhereRaw(contains, ['task.candidate_users', JSON.stringify(userId)]);
    for (const g of groups) w.orWhereRaw(contains, ['task.candidate_groups', JSON.stringify(g)]);
  });
}

export interface TaskQueryOptions {
  offset: number;
  limit?: number;
  sort?: { field: string[]; descending: boolean }[];
  /** Activiti's taskCandidateUser / taskCandidateGroup: unassigned tasks offered to this user or one of these groups. */
  candidate?: { user?: string; groups?: string[] };
  /** Also count every matching task (the page aside). */
  countTotal?: boolean;
}

/** Whether a filter names a field of the task's instance (its variables, its definition key). */
function needsInstance(f: Filter, resolve: (field: string[]) => FieldTarget): boolean {
  switch (f.type) {
    case 'literal': return false;
    case 'and': case 'or': return f.operands.some((o) => needsInstance(o, resolve));
    case 'not': return needsInstance(f.operand, resolve);
    default: {
      const t = resolve(f.field);
      return t.kind !== 'column' || t.column.startsWith('process_instance.');
    }
  }
}

/**
 * ORDER BY for a page. A NOT NULL column sorts on itself (no "IS NULL" key first), so an index on
 * it answers the page; the id breaks ties in the direction of the last key, so (column, id)
 * indexes read backwards serve descending sorts (migration 20261207000024).
 */
export function orderPage(qb: import('knex').Knex.QueryBuilder, sortKeys: { field: string[]; descending: boolean }[], resolve: (field: string[]) => FieldTarget,
  dialect: Dialect, idColumn: string, notNull: ReadonlySet<string>, reverse = false): void {
  // reverse: every direction flipped, the tie-break's too: exactly the reverse order.
  const sort = sortKeys.map((s) => ({ field: s.field, descending: s.descending !== reverse }));
  let idSorted = false;
  for (const s of sort) {
    const t = resolve(s.field);
    if (t.kind === 'column' && t.column === idColumn) {
      qb.orderBy(idColumn, s.descending ? 'desc' : 'asc');
      idSorted = true;
      break; // unique: later keys cannot matter
    }
    if (t.kind === 'column' && notNull.has(t.column)) {
      const collate = dialect === 'pg' && (t.type ?? 'string') === 'string' ? ' COLLATE "C"' : '';
      qb.orderByRaw(`?? ${collate ? `${collate} ` : ''}${s.descending ? 'DESC' : 'ASC'}`, [t.column]);
    } else orderByField(qb, s.field, s.descending, resolve, dialect);
  }
  if (!idSorted) qb.orderBy(idColumn, (sort.length ? sort[sort.length - 1].descending : reverse) ? 'desc' : 'asc');
}

/** From this offset on, a counted page may be read from the other end (pageIds). */
const DEEP_OFFSET = 10_000;

/**
 * The ids of a later page (offset > 0), with the EXACT total when asked. An offset costs the rows
 * it skips: a deep page waits for the count and, past the middle, reads the same rows from the
 * other end in reverse order (the last page of 1,100,000 then skips none). Otherwise the ids and the
 * count are read at once (two connections on PostgreSQL).
 */
export async function pageIds(ids: (reverse: boolean, offset: number, limit?: number) => Promise<number[]>, count: () => Promise<number>,
  opts: { offset: number; limit?: number; countTotal?: boolean }): Promise<{ ids: number[]; total?: number }> {
  if (!opts.countTotal || opts.limit === undefined || opts.offset < DEEP_OFFSET) {
    const [list, total] = await Promise.all([ids(false, opts.offset, opts.limit), opts.countTotal ? count() : undefined]);
    return { ids: list, total };
  }
  const total = await count();
  if (opts.offset <= total / 2) return { ids: await ids(false, opts.offset, opts.limit), total };
  const end = Math.min(opts.offset + opts.limit, total);
  if (end <= opts.offset) return { ids: [], total };
  return { ids: (await ids(true, total - end, end - opts.offset)).reverse(), total };
}

const TASK_NOT_NULL: ReadonlySet<string> = new Set(['task.create_time', 'task.process_instance_id', 'task.definition_id', 'task.task_definition_key', 'task.execution_id', 'task.priority']);

/** The open tasks that match, as queryTasks and streamTasks read them (join: with their instance). */
function taskBase(q: Q, filter: Filter, vis: TaskVisibility, opts: Pick<TaskQueryOptions, 'candidate'>, join: boolean): import('knex').Knex.QueryBuilder {
  const dialect = dialectOf(q);
  const qb = q('task');
  if (join) qb.join('process_instance', 'process_instance.id', 'task.process_instance_id');
  applyFilter(qb, filter, taskResolver, dialect);
  if (vis.userId !== null) restrictTo(qb, vis.userId, vis.groups, dialect);
  if (opts.candidate) {
    qb.whereNull('task.assignee');
    const { user, groups = [] } = opts.candidate;
    const contains = containsSql(dialect);
    qb.where((w) => {
      w.whereRaw('1 = 0');
      if (user !== undefined) w.orWhereRaw(contains, ['task.candidate_users', JSON.stringify(user)]);
      for (const g of groups) w.orWhereRaw(contains, ['task.candidate_groups', JSON.stringify(g)]);
    });
  }
  return qb;
}

/** The instance is joined only where the filter or the sort reads it (every task has one). */
function taskJoinNeeded(filter: Filter, sort: TaskQueryOptions['sort']): boolean {
  return needsInstance(filter, taskResolver) || (sort ?? []).some((s) => needsInstance({ type: 'present', field: s.field }, taskResolver));
}

/** Every matching open task from opts.offset on, in the order of queryTasks, read from a cursor. */
export function streamTasks(q: Q, filter: Filter, vis: TaskVisibility, opts: Omit<TaskQueryOptions, 'limit' | 'countTotal'>): AsyncGenerator<TaskRow[]> {
  const qb = taskBase(q, filter, vis, opts, true).select(SELECT);
  orderPage(qb, opts.sort ?? [], taskResolver, dialectOf(q), 'task.id', TASK_NOT_NULL);
  if (opts.offset) qb.offset(opts.offset);
  return mapRows(streamRows(q, qb), taskFromColumns);
}

/** How many open tasks match (streamTasks' EXACT total past its end). */
export async function countTasks(q: Q, filter: Filter, vis: TaskVisibility, opts: Pick<TaskQueryOptions, 'candidate' | 'sort'>): Promise<number> {
  const [{ n }] = await taskBase(q, filter, vis, opts, taskJoinNeeded(filter, opts.sort)).count({ n: '*' });
  return Number(n);
}

export async function queryTasks(q: Q, filter: Filter, vis: TaskVisibility, opts: TaskQueryOptions): Promise<TaskRow[] & { total?: number }> {
  const dialect = dialectOf(q);
  // The instance is joined only where the filter or the sort reads it: every task has one, so a
  // count or an id page without it is the same, and reads the task table alone.
  const joinNeeded = taskJoinNeeded(filter, opts.sort);
  const base = (join: boolean) => taskBase(q, filter, vis, opts, join);
  const count = () => base(joinNeeded).count({ n: '*' }).then(([{ n }]) => Number(n));
  let rows: TaskRow[];
  let total: number | undefined;
  if (opts.offset) {
    // A later page: the ids first (the rows it skips are not joined nor read whole), then the page.
    const ids = async (reverse: boolean, offset: number, limit?: number) => {
      const idq = base(joinNeeded).select('task.id');
      orderPage(idq, opts.sort ?? [], taskResolver, dialect, 'task.id', TASK_NOT_NULL, reverse);
      if (offset) idq.offset(offset);
      if (limit !== undefined) idq.limit(limit);
      return (await idq).map((r: { id: unknown }) => Number(r.id));
    };
    const page = await pageIds(ids, count, opts);
    total = page.total;
    const byId = new Map<number, TaskRow>();
    for (let i = 0; i < page.ids.length; i += 500) {
      const part = await q('task').join('process_instance', 'process_instance.id', 'task.process_instance_id').select(SELECT).whereIn('task.id', page.ids.slice(i, i + 500));
      for (const r of part) byId.set(Number(r.id), taskFromColumns(r));
    }
    rows = page.ids.map((id) => byId.get(id)).filter((t): t is TaskRow => t !== undefined);
  } else {
    const qb = base(true).select(SELECT);
    orderPage(qb, opts.sort ?? [], taskResolver, dialect, 'task.id', TASK_NOT_NULL);
    if (opts.limit !== undefined) qb.limit(opts.limit);
    // The page and the count at once: on PostgreSQL they run on two connections.
    [rows, total] = await Promise.all([qb.then((r: Record<string, unknown>[]) => r.map(taskFromColumns)), opts.countTotal ? count() : undefined]);
  }
  const out: TaskRow[] & { total?: number } = rows;
  if (total !== undefined) out.total = total;
  return out;
}

// ---- history (workflow/taskinstance/history) ----

export interface TaskHistoryRow {
  id: number;
  processInstanceId: number;
  definitionId: string;
  processDefinitionKey: string | null;
  taskDefinitionKey: string;
  executionId: string;
  name: string | null;
  description: string | null;
  assignee: string | null;
  owner: string | null;
  priority: number;
  dueDate: string | null;
  createTime: string;
  endTime: string | null;
  deleteReason: string | null;
}

const HISTORY_FIELDS: Record<string, string> = {
  _id: 'task_history.id', taskId: 'task_history.id', name: 'task_history.name', taskName: 'task_history.name', assignee: 'task_history.assignee',
  owner: 'task_history.owner', description: 'task_history.description', taskDefinitionKey: 'task_history.task_definition_key',
  processInstanceId: 'task_history.process_instance_id', processDefinitionId: 'task_history.definition_id', processDefinitionKey: 'process_instance.definition_key',
  executionId: 'task_history.execution_id', createTime: 'task_history.create_time', startTime: 'task_history.create_time', endTime: 'task_history.end_time',
  dueDate: 'task_history.due_date', priority: 'task_history.priority', deleteReason: 'task_history.delete_reason',
};

export function taskHistoryResolver(field: string[]): FieldTarget {
  if (field.length === 1 && Object.prototype.hasOwnProperty.call(HISTORY_FIELDS, field[0])) {
    const type = field[0] === '_id' || field[0] === 'taskId' || field[0] === 'processInstanceId' ? 'id' : field[0] === 'priority' ? 'number' : 'string';
    return { kind: 'column', column: HISTORY_FIELDS[field[0]], type };
  }
  if (field.length >= 2 && (field[0] === 'processVariables' || field[0] === 'variables')) {
    field.slice(1).forEach(assertSafeSegment);
    return { kind: 'json', column: 'process_instance.variables', path: field.slice(1) };
  }
  throw new InvalidInput(`Task history cannot be queried on /${field.join('/')}`);
}

type HistoryOptions = { offset: number; limit?: number; sort?: { field: string[]; descending: boolean }[]; countTotal?: boolean };

function historyBase(q: Q, filter: Filter, vis: TaskVisibility): import('knex').Knex.QueryBuilder {
  const qb = q('task_history').join('process_instance', 'process_instance.id', 'task_history.process_instance_id');
  applyFilter(qb, filter, taskHistoryResolver, dialectOf(q));
  // Without candidates kept in history, a non-administrator sees the tasks it was assigned.
  if (vis.userId !== null) qb.where('task_history.assignee', vis.userId);
  return qb;
}

function historyList(q: Q, filter: Filter, vis: TaskVisibility, opts: HistoryOptions): import('knex').Knex.QueryBuilder {
  const qb = historyBase(q, filter, vis).select('task_history.*', 'process_instance.definition_key');
  for (const s of opts.sort ?? []) orderByField(qb, s.field, s.descending, taskHistoryResolver, dialectOf(q));
  qb.orderBy('task_history.id');
  if (opts.offset) qb.offset(opts.offset);
  if (opts.limit !== undefined) qb.limit(opts.limit);
  return qb;
}

function historyRow(r: Record<string, unknown>): TaskHistoryRow {
  return {
    id: Number(r.id), processInstanceId: Number(r.process_instance_id), definitionId: r.definition_id as string,
    processDefinitionKey: (r.definition_key as string) ?? null, taskDefinitionKey: r.task_definition_key as string, executionId: r.execution_id as string,
    name: (r.name as string) ?? null, description: (r.description as string) ?? null, assignee: (r.assignee as string) ?? null, owner: (r.owner as string) ?? null,
    priority: Number(r.priority), dueDate: (r.due_date as string) ?? null, createTime: r.create_time as string, endTime: (r.end_time as string) ?? null,
    deleteReason: (r.delete_reason as string) ?? null,
  };
}

/** Every matching history row from opts.offset on, in queryTaskHistory's order, from a cursor. */
export function streamTaskHistory(q: Q, filter: Filter, vis: TaskVisibility, opts: Pick<HistoryOptions, 'offset' | 'sort'>): AsyncGenerator<TaskHistoryRow[]> {
  return mapRows(streamRows(q, historyList(q, filter, vis, opts)), historyRow);
}

export async function countTaskHistory(q: Q, filter: Filter, vis: TaskVisibility): Promise<number> {
  const [{ n }] = await historyBase(q, filter, vis).count({ n: '*' });
  return Number(n);
}

export async function queryTaskHistory(q: Q, filter: Filter, vis: TaskVisibility, opts: HistoryOptions): Promise<TaskHistoryRow[] & { total?: number }> {
  const rows: TaskHistoryRow[] & { total?: number } = (await historyList(q, filter, vis, opts)).map(historyRow);
  if (opts.countTotal) rows.total = await countTaskHistory(q, filter, vis);
  return rows;
}
