// Open user tasks: reading one with its form, the caller's task list, claiming and editing. Who may
// see or act on a task is decided in src/auth (taskAccess.ts); completing one is taskCompletion.ts.
import { isAdmin } from '../auth/authorize';
import type { Principal } from '../auth/interfaces';
import { mayWorkOn, taskScope } from '../auth/taskAccess';
import type { Filter } from '../crest/queryFilter';
import { Conflict, Forbidden, NotFound } from '../errors';
import type { Q } from '../repo/dialect';
import * as tasks from '../repo/tasks';
import { readInstance } from '../repo/processInstances';
import { expandState } from './engine';
import type { ResolvedFormProperty } from './interfaces';
import type { RuntimeContext } from './runtimeContext';

export type { TaskRow, TaskQueryOptions, TaskHistoryRow } from '../repo/tasks';

/** A task row whose form is expanded: the definition's fields with this task's values. */
export type TaskWithForm = tasks.TaskRow & { form: ResolvedFormProperty[] };

/** Expands a task row's stored form values into the definition's form fields with those values. */
export async function withForm(rt: RuntimeContext, t: tasks.TaskRow): Promise<TaskWithForm> {
  if (Array.isArray(t.form)) return t as TaskWithForm;
  const def = await rt.definitions.get(t.definitionId);
  const fields = def.parsed.tasks.find((d) => d.id === t.taskDefinitionKey)?.formProperties ?? [];
  const values = (t.form ?? {}) as Record<string, unknown>;
  return { ...t, form: fields.map((f) => ({ ...f, value: Object.prototype.hasOwnProperty.call(values, f.id) ? values[f.id] : undefined })) };
}

/** The open task with this id, with its full form; NotFound when there is none. */
export async function readTask(rt: RuntimeContext, id: number, q: Q = rt.db.knex): Promise<TaskWithForm> {
  const t = Number.isSafeInteger(id) && id > 0 ? await tasks.readTask(q, id) : null;
  if (!t) throw new NotFound(`Task instance ${id} not found`);
  return withForm(rt, t);
}

/**
 * When the task escalates: the due time (ISO) of the earliest pending timer of a timer boundary
 * event attached to the task's activity, from the instance's stored engine state; null when the
 * activity has no timer boundary event, or none is pending (already fired, or the instance holds
 * no state). Escalation is what such a timer usually models (managedUserApproval's escalationTimer).
 */
export async function escalationDeadline(rt: RuntimeContext, t: tasks.TaskRow, q: Q = rt.db.knex): Promise<string | null> {
  const def = await rt.definitions.get(t.definitionId, q);
  const boundaries = new Set((def.parsed.timerBoundaries ?? []).filter((b) => b.attachedTo === t.taskDefinitionKey).map((b) => b.id));
  if (!boundaries.size) return null;
  const instance = await readInstance(q, t.processInstanceId);
  if (!instance?.state || instance.status !== 'active') return null;
  const stored = await expandState(def.parsed, instance.state, instance.variables);
  const dues = stored.timers.filter((x) => boundaries.has(x.activityId)).map((x) => x.expireAt);
  return dues.length ? new Date(Math.min(...dues)).toISOString() : null;
}

/** A page of the open tasks this principal may see (taskScope) that match the filter, by id. */
export function queryTasks(rt: RuntimeContext, filter: Filter, p: Principal, opts: tasks.TaskQueryOptions): Promise<tasks.TaskRow[] & { total?: number }> {
  return tasks.queryTasks(rt.db.knex, filter, taskScope(p), opts);
}

/** Every open task from opts.offset on that this principal may see and that matches, batch by batch (an unpaged query). */
export function streamTasks(rt: RuntimeContext, filter: Filter, p: Principal, opts: Omit<tasks.TaskQueryOptions, 'limit' | 'countTotal'>): AsyncGenerator<tasks.TaskRow[]> {
  return tasks.streamTasks(rt.db.knex, filter, taskScope(p), opts);
}

export function countTasks(rt: RuntimeContext, filter: Filter, p: Principal, opts: Pick<tasks.TaskQueryOptions, 'candidate' | 'sort'>): Promise<number> {
  return tasks.countTasks(rt.db.knex, filter, taskScope(p), opts);
}

export function streamTaskHistory(rt: RuntimeContext, filter: Filter, p: Principal, opts: { offset: number; sort?: { field: string[]; descending: boolean }[] }): AsyncGenerator<tasks.TaskHistoryRow[]> {
  return tasks.streamTaskHistory(rt.db.knex, filter, taskScope(p), opts);
}

export function countTaskHistory(rt: RuntimeContext, filter: Filter, p: Principal): Promise<number> {
  return tasks.countTaskHistory(rt.db.knex, filter, taskScope(p));
}

/** Finished and open tasks (workflow/taskinstance/history): an administrator sees all, others those they were assigned. */
export function queryTaskHistory(rt: RuntimeContext, filter: Filter, p: Principal, opts: Parameters<typeof tasks.queryTaskHistory>[3]): Promise<tasks.TaskHistoryRow[] & { total?: number }> {
  return tasks.queryTaskHistory(rt.db.knex, filter, taskScope(p), opts);
}

/** Claim: sets the assignee when the task has none (or already has this one). */
export async function claim(rt: RuntimeContext, taskId: number, userId: string, p: Principal): Promise<void> {
  const task = await readTask(rt, taskId);
  if (!isAdmin(p) && userId !== p.userName) throw new Forbidden('Only an administrator may claim a task for someone else');
  if (!mayWorkOn(p, task)) throw new Forbidden(`Task ${taskId} is not available to ${p.userName}`);
  if (task.assignee && task.assignee !== userId) throw new Conflict(`Task ${taskId} is already claimed by ${task.assignee}`);
  if (task.assignee === userId) return;
  if (!(await tasks.updateTask(rt.db.knex, task.id, task.rev, { assignee: userId }))) throw new Conflict(`Task ${taskId} was claimed by someone else`);
}

/** Changes a task's people or labels, at the expected revision when one is given. */
export async function updateTask(
  rt: RuntimeContext,
  taskId: number,
  changes: Partial<Pick<tasks.TaskRow, 'assignee' | 'owner' | 'name' | 'description'>>,
  expectedRev: number | null,
): Promise<void> {
  const task = await readTask(rt, taskId);
  if (expectedRev !== null && expectedRev !== task.rev) throw new Conflict(`Task ${taskId} has changed (revision ${task.rev})`);
  if (!(await tasks.updateTask(rt.db.knex, task.id, task.rev, changes))) throw new Conflict(`Task ${taskId} was changed concurrently`);
}
