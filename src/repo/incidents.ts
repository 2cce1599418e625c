// SQL for incidents: dead jobs, failed process instances and external tasks out of retries, with
// what an operator needs to act.
import type { Knex } from 'knex';
import { dialectOf, parseJson, Q } from './dialect';
import { externalTasksWithoutRetries, readExternalTask, type ExternalTaskRow } from './externalTasks';

export interface IncidentRow {
  _id: string;
  type: 'failedJob' | 'failedInstance' | 'failedExternalTask';
  processInstanceId: string | null;
  processDefinitionId: string | null;
  activityId: string | null;
  jobId: string | null;
  jobType: string | null;
  /** the external task out of retries (type failedExternalTask) */
  externalTaskId?: string;
  cause: string;
  time: string;
  attempts: number;
}

/** How many incidents of each kind one listing reads at most (the admin console pages over them). */
const LIMIT = 10_000;

function jobIncident(r: Record<string, unknown>, definitions: Map<number, string>): IncidentRow {
  const payload = (parseJson<Record<string, unknown> | null>(r.payload) ?? {}) as Record<string, unknown>;
  const pid = /^[^:]+:(\d+)$/.exec(String(r.key))?.[1] ?? (payload.processInstanceId !== undefined ? String(payload.processInstanceId) : null);
  return {
    _id: `job-${r.id}`, type: 'failedJob', processInstanceId: pid, processDefinitionId: pid ? definitions.get(Number(pid)) ?? null : null,
    activityId: typeof payload.activityId === 'string' ? payload.activityId : null, jobId: String(r.id), jobType: String(r.type),
    cause: (r.last_error as string) || 'The job is dead without a recorded error', time: String(r.updated_at), attempts: Number(r.attempts),
  };
}

/** The activity of a failed timer run, from the error workflow/timerRuns.ts (recordTimerFailure) writes. */
const TIMER_FAILURE = /^timer run failed at ([^:]+):/;

/** A failed instance (status failed), or an active one whose timer run failed (its state kept). */
function instanceIncident(r: Record<string, unknown>): IncidentRow {
  const error = (r.error as string) || 'failed';
  const activityId = r.status === 'active' ? TIMER_FAILURE.exec(error)?.[1] ?? null : ((r.end_activity_id as string) ?? null);
  return {
    _id: `instance-${r.id}`, type: 'failedInstance', processInstanceId: String(r.id), processDefinitionId: String(r.definition_id),
    activityId, jobId: null, jobType: null, cause: error, time: String(r.end_time ?? r.start_time), attempts: 1,
  };
}

/** An external task a worker failed with no retries left (Camunda's failedExternalTask incident). */
function externalTaskIncident(t: ExternalTaskRow): IncidentRow {
  return {
    _id: `externalTask-${t.id}`, type: 'failedExternalTask', processInstanceId: String(t.processInstanceId), processDefinitionId: t.definitionId,
    activityId: t.activityId, jobId: null, jobType: null, externalTaskId: String(t.id),
    cause: t.errorMessage || `The external task (topic ${t.topicName}) has no retries left`, time: t.failedAt ?? t.createTime, attempts: 1,
  };
}

const INSTANCE_COLUMNS = ['id', 'status', 'definition_id', 'end_activity_id', 'error', 'end_time', 'start_time'];

/**
 * A failed instance, or an active one whose timer run failed. Literal SQL, the same text as the
 * partial index process_instance_incident (migration 20261207000026): SQLite uses a partial index
 * only for a WHERE that repeats its predicate with literals, not bound parameters.
 */
export const FAILED_INSTANCE = "status = 'failed' OR (status = 'active' AND error IS NOT NULL)";

/**
 * process_instance rows that are incidents. SQLite is told the index (INDEXED BY): without
 * statistics its planner prefers an OR over the status index, which reads every active instance.
 * MariaDB/MySQL: the indexed generated column that holds the same predicate (same migration).
 */
export function incidentInstances(q: Q): Knex.QueryBuilder {
  if (dialectOf(q) === 'mysql') return q.queryBuilder().from('process_instance').whereRaw('incident = 1');
  const table = dialectOf(q) === 'sqlite' ? (q.raw('process_instance INDEXED BY process_instance_incident') as unknown as string) : 'process_instance';
  return q.queryBuilder().from(table).whereRaw(`(${FAILED_INSTANCE})`);
}

function failedInstances(q: Q) {
  return incidentInstances(q).select(INSTANCE_COLUMNS);
}

async function definitionsOf(q: Q, jobs: Record<string, unknown>[]): Promise<Map<number, string>> {
  const ids = [...new Set(jobs.map((j) => /^[^:]+:(\d+)$/.exec(String(j.key))?.[1]).filter((x): x is string => !!x).map(Number))];
  const out = new Map<number, string>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await q('process_instance').select('id', 'definition_id').whereIn('id', ids.slice(i, i + 500))) out.set(Number(r.id), String(r.definition_id));
  }
  return out;
}

export async function listIncidents(q: Q): Promise<IncidentRow[]> {
  const jobs = await q('job').where({ state: 'dead' }).orderBy('id').limit(LIMIT);
  const failed = await failedInstances(q).orderBy('id').limit(LIMIT);
  const definitions = await definitionsOf(q, jobs);
  const external = await externalTasksWithoutRetries(q, LIMIT);
  return [...jobs.map((j) => jobIncident(j, definitions)), ...failed.map(instanceIncident), ...external.map(externalTaskIncident)];
}

/** One incident by its _id ("job-12", "instance-34"), or null when there is none. */
export async function readIncident(q: Q, id: string): Promise<IncidentRow | null> {
  const m = /^(job|instance|externalTask)-(\d{1,15})$/.exec(id);
  if (!m) return null;
  if (m[1] === 'externalTask') {
    const t = await readExternalTask(q, Number(m[2]));
    return t && t.retries === 0 ? externalTaskIncident(t) : null;
  }
  if (m[1] === 'job') {
    const r = await q('job').where({ id: Number(m[2]), state: 'dead' }).first();
    return r ? jobIncident(r, await definitionsOf(q, [r])) : null;
  }
  const r = await failedInstances(q).andWhere({ id: Number(m[2]) }).first();
  return r ? instanceIncident(r) : null;
}

/** How many incidents of each type are open now (what listIncidents would list, counted). */
export async function countIncidents(q: Q): Promise<Record<IncidentRow['type'], number>> {
  const count = async (qb: Knex.QueryBuilder) => Number(((await qb.count({ n: '*' })) as { n: unknown }[])[0]?.n ?? 0);
  return {
    failedJob: await count(q('job').where({ state: 'dead' })),
    failedInstance: await count(incidentInstances(q)),
    failedExternalTask: await count(q('external_task').where({ retries: 0 })),
  };
}
