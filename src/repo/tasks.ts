// SQL for open user tasks. A task row exists exactly while its user task waits.
import { Filter } from '../crest/queryFilter';
import { InvalidInput } from '../errors';
import { applyFilter, assertSafeSegment, FieldTarget, orderByField } from './filterToSql';
import { dialectOf, parseJson, Q } from './dialect';

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
  return (await qb.del()) === 1;
}

export async function deleteTasksOfInstance(q: Q, processInstanceId: number): Promise<void> {
  await q('task').where({ process_instance_id: processInstanceId }).del();
}

/** Changes assignee/owner/name/description if the task is still at `rev`. */
export async function updateTask(q: Q, id: number, rev: number, changes: Partial<Pick<TaskRow, 'assignee' | 'owner' | 'name' | 'description'>>): Promise<boolean> {
  const n = await q('task').where({ id, rev }).update({ ...changes, rev: rev + 1 });
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

function restrictTo(qb: import('knex').Knex.QueryBuilder, userId: string, groups: string[], dialect: 'sqlite' | 'pg'): void {
  // Candidates are stored as JSON arrays of strings: '"name"' cannot match inside a longer name.
  const contains = dialect === 'pg' ? 'strpos(??, ?) > 0' : 'instr(??, ?) > 0';
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

export async function queryTasks(q: Q, filter: Filter, vis: TaskVisibility, opts: TaskQueryOptions): Promise<TaskRow[] & { total?: number }> {
  const dialect = dialectOf(q);
  const base = () => {
    const qb = q('task').join('process_instance', 'process_instance.id', 'task.process_instance_id');
    applyFilter(qb, filter, taskResolver, dialect);
    if (vis.userId !== null) restrictTo(qb, vis.userId, vis.groups, dialect);
    if (opts.candidate) {
      qb.whereNull('task.assignee');
      const { user, groups = [] } = opts.candidate;
      const contains = dialect === 'pg' ? 'strpos(??, ?) > 0' : 'instr(??, ?) > 0';
      qb.where((w) => {
        w.whereRaw('1 = 0');
        if (user !== undefined) w.orWhereRaw(contains, ['task.candidate_users', JSON.stringify(user)]);
        for (const g of groups) w.orWhereRaw(contains, ['task.candidate_groups', JSON.stringify(g)]);
      });
    }
    return qb;
  };
  const qb = base().select(SELECT);
  for (const s of opts.sort ?? []) orderByField(qb, s.field, s.descending, taskResolver, dialect);
  qb.orderBy('task.id');
  if (opts.offset) qb.offset(opts.offset);
  if (opts.limit !== undefined) qb.limit(opts.limit);
  const rows: TaskRow[] & { total?: number } = (await qb).map(taskFromColumns);
  if (opts.countTotal) {
    const [{ n }] = await base().count({ n: '*' });
    rows.total = Number(n);
  }
  return rows;
}
