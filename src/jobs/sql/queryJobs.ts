// Jobs for the REST resource and the admin console.
import { Filter } from '../../crest/queryFilter';
import { applyFilter, FieldTarget, orderByField } from '../../repo/filterToSql';
import { InvalidInput } from '../../errors';
import { dialectOf, Q } from '../../repo/dialect';
import { mapRows, streamRows } from '../../repo/cursor';
import { Job } from '../interfaces';
import { rowToJob } from './rowToJob';

const COLUMNS: Record<string, string> = {
  _id: 'id', key: 'key', type: 'type', state: 'state', attempts: 'attempts', lastError: 'last_error',
  lockedBy: 'locked_by', runAt: 'run_at', createdAt: 'created_at', updatedAt: 'updated_at',
};

/** The fields a job query may sort on (_sortKeys): its columns. */
export const JOB_SORT_KEYS = Object.keys(COLUMNS);

export function jobResolver(field: string[]): FieldTarget {
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(COLUMNS, field[0]) ? COLUMNS[field[0]] : undefined;
  if (!column) throw new InvalidInput(`Jobs cannot be queried on /${field.join('/')}`);
  const type = field[0] === '_id' ? 'id' : field[0] === 'attempts' || field[0] === 'runAt' ? 'number' : 'string';
  return { kind: 'column', column, type };
}

function jobList(q: Q, filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[]) {
  const qb = applyFilter(q('job').select('*'), filter, jobResolver, dialectOf(q));
  for (const s of sort) orderByField(qb, s.field, s.descending, jobResolver, dialectOf(q));
  qb.orderBy('id');
  if (offset) qb.offset(offset);
  if (limit !== undefined) qb.limit(limit);
  return qb;
}

export async function queryJobs(q: Q, filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[] = []): Promise<Job[]> {
  return (await jobList(q, filter, offset, limit, sort)).map(rowToJob);
}

/** queryJobs without a limit, from a cursor, batch by batch (an unpaged query). */
export function streamJobs(q: Q, filter: Filter, offset: number, sort: { field: string[]; descending: boolean }[] = []): AsyncGenerator<Job[]> {
  return mapRows(streamRows(q, jobList(q, filter, offset, undefined, sort)), rowToJob);
}

/** How many jobs match the filter (a query's EXACT total), with the same WHERE as queryJobs. */
export async function countJobs(q: Q, filter: Filter): Promise<number> {
  const [{ n }] = await applyFilter(q('job'), filter, jobResolver, dialectOf(q)).count({ n: '*' });
  return Number(n);
}

export async function readJob(q: Q, id: number): Promise<Job | null> {
  const r = await q('job').where({ id }).first();
  return r ? rowToJob(r) : null;
}

export async function countJobsByState(q: Q): Promise<Record<string, number>> {
  const rows = await q('job').select('state').count({ n: '*' }).groupBy('state');
  return Object.fromEntries(rows.map((r: Record<string, unknown>) => [r.state as string, Number(r.n)]));
}
