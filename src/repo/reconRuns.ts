// SQL for reconciliation runs (one row per run, its counters kept as JSON) and the per-entry audit.
import { Filter } from '../crest/queryFilter';
import { badRequest } from '../crest/errors';
import { applyFilter, FieldTarget } from './filterToSql';
import { dialectOf, parseJson, Q } from './dialect';

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
  heartbeat: number | null;
}

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

function toColumns(r: Partial<RunRow>): Record<string, unknown> {
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
  if (r.heartbeat !== undefined) c.heartbeat = r.heartbeat;
  return c;
}

/** Fails with a unique violation while another run of the mapping is ACTIVE. */
export async function insertRun(q: Q, r: RunRow): Promise<void> {
  await q('recon_run').insert(toColumns(r));
}

export async function updateRun(q: Q, id: string, changes: Partial<RunRow>): Promise<void> {
  await q('recon_run').where({ id }).update(toColumns(changes));
}

/** Ends a run only if it is still ACTIVE (a cancel or a sweeper may have got there first). */
export async function finishRun(q: Q, id: string, changes: Partial<RunRow>): Promise<boolean> {
  return (await q('recon_run').where({ id, state: 'ACTIVE' }).update(toColumns(changes))) === 1;
}

export async function readRun(q: Q, id: string): Promise<RunRow | null> {
  const r = await q('recon_run').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export async function listRuns(q: Q, limit = 100): Promise<RunRow[]> {
  return (await q('recon_run').orderBy('started', 'desc').limit(limit)).map(fromColumns);
}

/** ACTIVE runs left behind by a node that died: `ownNode`'s previous life, or a silent heartbeat. */
export async function failAbandonedRuns(q: Q, ownNode: string | null, staleBefore: number, message: string): Promise<number> {
  return q('recon_run')
    .where({ state: 'ACTIVE' })
    .andWhere((w) => {
      w.where('heartbeat', '<', staleBefore).orWhereNull('heartbeat');
      if (ownNode !== null) w.orWhere({ node: ownNode });
    })
    .update({ state: 'FAILED', stage: 'COMPLETED_FAILED', ended: new Date().toISOString(), message });
}

export interface AuditEntry {
  reconId: string;
  mapping: string;
  sourceObjectId: string | null;
  targetObjectId: string | null;
  situation: string | null;
  action: string | null;
  status: 'SUCCESS' | 'FAILURE';
  message: string | null;
  linkQualifier?: string;
  timestamp: string;
}

/** knex writes SQLite multi-row inserts as a compound SELECT, limited to 500 terms: 400 rows a statement. */
const AUDIT_INSERT_COLUMNS = ['recon_id', 'mapping', 'source_object_id', 'target_object_id', 'situation', 'action', 'status', 'message', 'link_qualifier', 'timestamp'];
const AUDIT_CHUNK = 400;
const auditRow = `(${AUDIT_INSERT_COLUMNS.map(() => '?').join(', ')})`;
/** INSERT … VALUES with n rows: one SQL text per chunk size, so SQLite's prepared statement is reused. */
const auditInsertSql = (n: number) => `insert into recon_audit (${AUDIT_INSERT_COLUMNS.join(', ')}) values ${Array(n).fill(auditRow).join(', ')}`;
const FULL_CHUNK_SQL = auditInsertSql(AUDIT_CHUNK);

/** PostgreSQL: the rows as one JSON parameter; a small constant statement instead of 4,000 parameters. */
const PG_AUDIT_INSERT = `insert into recon_audit (${AUDIT_INSERT_COLUMNS.join(', ')}) select ${AUDIT_INSERT_COLUMNS.join(', ')} from json_populate_recordset(null::recon_audit, ?::json)`;

function auditValues(e: AuditEntry): (string | null)[] {
  return [
    // Object ids fit their varchar(255) columns (a longer source id is reported, not a failed run).
    e.reconId, e.mapping, e.sourceObjectId?.slice(0, 255) ?? null, e.targetObjectId?.slice(0, 255) ?? null, e.situation, e.action, e.status,
    e.message ? e.message.slice(0, 2000) : null, e.linkQualifier ?? 'default', e.timestamp,
  ];
}

/**
 * A recon writes one audit entry per source row, so this is a bulk insert: knex's builder spent
 * more time compiling these than the database spent storing them. SQLite: multi-row VALUES with
 * plain bindings (one SQL text per chunk size, so the prepared statement is reused).
 */
export async function insertAudit(q: Q, entries: AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  if (dialectOf(q) === 'pg') {
    const rows = entries.map((e) => {
      const values = auditValues(e);
      return Object.fromEntries(AUDIT_INSERT_COLUMNS.map((c, k) => [c, values[k]]));
    });
    await q.raw(PG_AUDIT_INSERT, [JSON.stringify(rows)]);
    return;
  }
  for (let i = 0; i < entries.length; i += AUDIT_CHUNK) {
    const part = entries.slice(i, i + AUDIT_CHUNK);
    const bindings: (string | null)[] = [];
    for (const e of part) bindings.push(...auditValues(e));
    await q.raw(part.length === AUDIT_CHUNK ? FULL_CHUNK_SQL : auditInsertSql(part.length), bindings);
  }
}

const AUDIT_COLUMNS: Record<string, string> = {
  _id: 'id', reconId: 'recon_id', mapping: 'mapping', sourceObjectId: 'source_object_id', targetObjectId: 'target_object_id',
  situation: 'situation', action: 'action', status: 'status', message: 'message', timestamp: 'timestamp', linkQualifier: 'link_qualifier',
};

export function auditResolver(field: string[]): FieldTarget {
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(AUDIT_COLUMNS, field[0]) ? AUDIT_COLUMNS[field[0]] : undefined;
  if (!column) throw badRequest(`Recon audit cannot be queried on /${field.join('/')}`);
  return { kind: 'column', column, type: field[0] === '_id' ? 'id' : 'string' };
}

export async function queryAudit(q: Q, filter: Filter, offset: number, limit?: number): Promise<(AuditEntry & { _id: string })[]> {
  const qb = applyFilter(q('recon_audit').select('*'), filter, auditResolver, dialectOf(q)).orderBy('id');
  if (offset) qb.offset(offset);
  if (limit !== undefined) qb.limit(limit);
  return (await qb).map((r: Record<string, unknown>) => ({
    _id: String(r.id), reconId: r.recon_id as string, mapping: r.mapping as string, sourceObjectId: r.source_object_id as string,
    targetObjectId: r.target_object_id as string, situation: r.situation as string, action: r.action as string,
    status: r.status as 'SUCCESS' | 'FAILURE', message: r.message as string, linkQualifier: r.link_qualifier as string, timestamp: r.timestamp as string,
  }));
}
