// SQL for reconciliation runs: one row per run, its counters kept as JSON. A run's progress is
// written only while it is ACTIVE, so a cancel or a sweeper that ended it elsewhere wins. (The
// per-entry audit of a run is reconAudit.ts.)
import { InvalidInput } from '../errors';
import { Filter } from '../crest/queryFilter';
import { applyFilter, FieldTarget, orderByField } from './filterToSql';
import { dbNow, dialectOf, nowMsSql, parseJson, Q } from './dialect';
import { mapRows, streamRows } from './cursor';

export interface RunRow {
  id: string;
  mapping: string;
  state: string;
  stage: string;
  node: string | null;
  parameters: Record<string, unknown>;
  progress: Record<string, unknown>;
  situationSummary: Record<string, number>;
  statusSummary: Record<string, number>;
  message: string | null;
  started: string;
  ended: string | null;
  /** The last sign of life of the node running it, by the database's clock (epoch ms). */
  heartbeat: number | null;
}

/** What a write changes; a heartbeat is always "now" by the database's clock, never a node's. */
export type RunChanges = Omit<Partial<RunRow>, 'heartbeat'> & { heartbeat?: 'now' | null };

function fromColumns(r: Record<string, unknown>): RunRow {
  return {
    id: r.id as string,
    mapping: r.mapping as string,
    state: r.state as string,
    stage: r.stage as string,
    node: (r.node as string) ?? null,
    parameters: parseJson(r.parameters) ?? {},
    progress: parseJson(r.progress) ?? {},
    situationSummary: parseJson(r.situation_summary) ?? {},
    statusSummary: parseJson(r.status_summary) ?? {},
    message: (r.message as string) ?? null,
    started: r.started as string,
    ended: (r.ended as string) ?? null,
    heartbeat: r.heartbeat === null || r.heartbeat === undefined ? null : Number(r.heartbeat),
  };
}

function toColumns(q: Q, r: RunChanges): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (r.id !== undefined) c.id = r.id;
  if (r.mapping !== undefined) c.mapping = r.mapping;
  if (r.state !== undefined) c.state = r.state;
  if (r.stage !== undefined) c.stage = r.stage;
  if (r.node !== undefined) c.node = r.node;
  if (r.parameters !== undefined) c.parameters = JSON.stringify(r.parameters);
  if (r.progress !== undefined) c.progress = JSON.stringify(r.progress);
  if (r.situationSummary !== undefined) c.situation_summary = JSON.stringify(r.situationSummary);
  if (r.statusSummary !== undefined) c.status_summary = JSON.stringify(r.statusSummary);
  if (r.message !== undefined) c.message = r.message;
  if (r.started !== undefined) c.started = r.started;
  if (r.ended !== undefined) c.ended = r.ended;
  if (r.heartbeat !== undefined) c.heartbeat = r.heartbeat === null ? null : dbNow(q);
  return c;
}

/** Fails with a unique violation while another run of the mapping is ACTIVE. */
export async function insertRun(q: Q, r: RunRow): Promise<void> {
  await q('recon_run').insert(toColumns(q, { ...r, heartbeat: 'now' }));
}

export async function updateRun(q: Q, id: string, changes: RunChanges): Promise<void> {
  await q('recon_run').where({ id }).update(toColumns(q, changes));
}

/** One write to a run that is still ACTIVE; false when it is not (ended elsewhere first). */
async function updateActive(q: Q, id: string, changes: RunChanges): Promise<boolean> {
  return (await q('recon_run').where({ id, state: 'ACTIVE' }).update(toColumns(q, changes))) === 1;
}

/**
 * A progress flush of a running run (its stage, counters and heartbeat; state stays ACTIVE).
 * False when the run is no longer ACTIVE: canceled, or failed by a sweeper, elsewhere.
 */
export function writeProgress(q: Q, id: string, changes: RunChanges & { state: 'ACTIVE' }): Promise<boolean> {
  return updateActive(q, id, changes);
}

/**
 * Ends a run (SUCCESS, CANCELED or FAILED, with its end time) only if it is still ACTIVE: a cancel
 * or a sweeper may have got there first. False when it had.
 */
export function finishRun(q: Q, id: string, end: RunChanges & { state: 'SUCCESS' | 'CANCELED' | 'FAILED'; ended: string }): Promise<boolean> {
  return updateActive(q, id, end);
}

export async function readRun(q: Q, id: string): Promise<RunRow | null> {
  const r = await q('recon_run').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export async function listRuns(q: Q, limit = 100): Promise<RunRow[]> {
  return (await q('recon_run').orderBy('started', 'desc').limit(limit)).map(fromColumns);
}

const RUN_COLUMNS: Record<string, string> = {
  _id: 'id', mapping: 'mapping', state: 'state', stage: 'stage', node: 'node', message: 'message', started: 'started', ended: 'ended',
};

/** The fields recon (as a CREST query) may filter and sort on: the run's own scalar columns. */
export const RUN_SORT_KEYS = Object.keys(RUN_COLUMNS);

function runResolver(field: string[]): FieldTarget {
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(RUN_COLUMNS, field[0]) ? RUN_COLUMNS[field[0]] : undefined;
  if (!column) throw new InvalidInput(`Reconciliation runs cannot be queried on /${field.join('/')}`);
  // Run ids are UUIDs: compared as strings, not as numeric ids.
  return { kind: 'column', column, type: 'string' };
}

/** recon as a CREST query: runs matching the filter, by the given keys or newest first, one page. */
export async function queryRuns(q: Q, filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[]): Promise<RunRow[]> {
  return (await runList(q, filter, offset, limit, sort)).map(fromColumns);
}

/** queryRuns without a limit, from a cursor, batch by batch (an unpaged query). */
export function streamRuns(q: Q, filter: Filter, offset: number, sort: { field: string[]; descending: boolean }[]): AsyncGenerator<RunRow[]> {
  return mapRows(streamRows(q, runList(q, filter, offset, undefined, sort)), fromColumns);
}

function runList(q: Q, filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[]) {
  const qb = applyFilter(q('recon_run').select('*'), filter, runResolver, dialectOf(q));
  for (const s of sort) orderByField(qb, s.field, s.descending, runResolver, dialectOf(q));
  // Then newest first, and id for a stable order between runs started in the same millisecond.
  qb.orderBy('started', 'desc').orderBy('id', 'desc');
  if (offset) qb.offset(offset);
  if (limit !== undefined) qb.limit(limit);
  return qb;
}

/** How many runs match the filter (the query's EXACT total). */
export async function countRuns(q: Q, filter: Filter): Promise<number> {
  const [{ n }] = await applyFilter(q('recon_run'), filter, runResolver, dialectOf(q)).count({ n: '*' });
  return Number(n);
}

/**
 * ACTIVE runs left behind by a node that died: `ownNode`'s previous life, or a heartbeat silent
 * for `staleMs` by the database's clock (a node's own clock may run ahead of the others').
 */
export async function failAbandonedRuns(q: Q, ownNode: string | null, staleMs: number, message: string): Promise<number> {
  return q('recon_run')
    .where({ state: 'ACTIVE' })
    // A clustered run whose pages are planned lives in its jobs (claimed again when a node dies), not in a node.
    .whereNull('pages_total')
    .andWhere((w) => {
      w.whereRaw(`heartbeat < ${nowMsSql(dialectOf(q))} - ?`, [staleMs]).orWhereNull('heartbeat');
      if (ownNode !== null) w.orWhere({ node: ownNode });
    })
    .update({ state: 'FAILED', stage: 'COMPLETED_FAILED', ended: new Date().toISOString(), message });
}

// --- clustered runs (src/recon/clustered.ts) ---

/** A clustered run's page counters. */
export interface PageCounters {
  pagesTotal: number | null;
  pagesDone: number;
  removed: number;
}

/** Records the page plan of an ACTIVE run (its stage and counters too); false when it is no longer ACTIVE. */
export async function planPages(q: Q, id: string, pagesTotal: number, changes: RunChanges): Promise<boolean> {
  return (await q('recon_run').where({ id, state: 'ACTIVE' }).update({ ...toColumns(q, changes), pages_total: pagesTotal })) === 1;
}

/**
 * Counts one committed page of an ACTIVE run, in the page's transaction: the update locks the run's
 * row until that commits, so concurrent pages count one after another and exactly one of them reads
 * pages_done = pages_total. Null when the run is no longer ACTIVE (canceled or failed).
 */
export async function countPage(q: Q, id: string, removed: number): Promise<(PageCounters & { run: RunRow }) | null> {
  const n = await q('recon_run')
    .where({ id, state: 'ACTIVE' })
    .update({ pages_done: q.raw('pages_done + 1'), removed: q.raw('removed + ?', [removed]), heartbeat: dbNow(q) });
  if (n !== 1) return null;
  const r = await q('recon_run').where({ id }).first();
  return { pagesTotal: r.pages_total === null ? null : Number(r.pages_total), pagesDone: Number(r.pages_done), removed: Number(r.removed), run: fromColumns(r) };
}

/** The page counters of a run (null when there is no such run). */
export async function readPageCounters(q: Q, id: string): Promise<PageCounters | null> {
  const r = await q('recon_run').where({ id }).first('pages_total', 'pages_done', 'removed');
  return r ? { pagesTotal: r.pages_total === null ? null : Number(r.pages_total), pagesDone: Number(r.pages_done), removed: Number(r.removed) } : null;
}

/** Targets a clustered run's source pages reached (insert-or-ignore: a page run again adds nothing). */
export async function insertTouched(q: Q, reconId: string, targetIds: string[]): Promise<void> {
  for (let i = 0; i < targetIds.length; i += TOUCHED_CHUNK) {
    await q('recon_touched').insert(targetIds.slice(i, i + TOUCHED_CHUNK).map((id) => ({ recon_id: reconId, target_id: id }))).onConflict(['recon_id', 'target_id']).ignore();
  }
}

/** SQLite compiles a multi-row insert into a compound SELECT of at most 500 terms. */
const TOUCHED_CHUNK = 400;

/** The run's touched targets after `after`, in id order, at most `limit`. */
export async function touchedAfter(q: Q, reconId: string, after: string | null, limit: number): Promise<string[]> {
  const qb = q('recon_touched').where({ recon_id: reconId }).orderBy('target_id').limit(limit).select('target_id');
  if (after !== null) qb.andWhere('target_id', '>', after);
  return (await qb).map((r: { target_id: string }) => r.target_id);
}

export async function deleteTouched(q: Q, reconId: string): Promise<void> {
  await q('recon_touched').where({ recon_id: reconId }).delete();
}
