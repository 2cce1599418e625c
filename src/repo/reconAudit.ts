// SQL for the recon audit: one entry per source row (and per untouched target) a run handled, what
// was found and done. Runs write it in bulk (one statement per batch); audit/recon queries it.
import { InvalidInput } from '../errors';
import { Filter } from '../crest/queryFilter';
import { applyFilter, FieldTarget, orderByField } from './filterToSql';
import { dialectOf, Q } from './dialect';
import { mapRows, streamRows } from './cursor';

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
  /** ReconAuditEventBuilder's ambiguousTargetObjectIds: the correlated ids, comma-separated (or null). */
  ambiguousTargetObjectIds?: string | null;
  timestamp: string;
}

/** knex writes SQLite multi-row inserts as a compound SELECT, limited to 500 terms: 400 rows a statement. */
const AUDIT_INSERT_COLUMNS = ['recon_id', 'mapping', 'source_object_id', 'target_object_id', 'situation', 'action', 'status', 'message', 'link_qualifier', 'timestamp', 'ambiguous_target_object_ids'];
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
    e.message ? e.message.slice(0, 2000) : null, e.linkQualifier ?? 'default', e.timestamp, e.ambiguousTargetObjectIds ?? null,
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
  ambiguousTargetObjectIds: 'ambiguous_target_object_ids',
};

/** The fields audit/recon may sort on (_sortKeys): the entry's own. */
export const AUDIT_SORT_KEYS = Object.keys(AUDIT_COLUMNS);

/** The column a query filter's field names; only the entry's own fields can be queried. */
export function auditResolver(field: string[]): FieldTarget {
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(AUDIT_COLUMNS, field[0]) ? AUDIT_COLUMNS[field[0]] : undefined;
  if (!column) throw new InvalidInput(`Recon audit cannot be queried on /${field.join('/')}`);
  return { kind: 'column', column, type: field[0] === '_id' ? 'id' : 'string' };
}

/** audit/recon: entries matching the filter, in insertion order, one page. */
export async function queryAudit(q: Q, filter: Filter, offset: number, limit?: number, sort: { field: string[]; descending: boolean }[] = []): Promise<(AuditEntry & { _id: string })[]> {
  return (await auditList(q, filter, offset, limit, sort)).map(auditEntry);
}

/** queryAudit without a limit, from a cursor, batch by batch (an unpaged audit/recon query). */
export function streamAudit(q: Q, filter: Filter, offset: number, sort: { field: string[]; descending: boolean }[] = []): AsyncGenerator<(AuditEntry & { _id: string })[]> {
  return mapRows(streamRows(q, auditList(q, filter, offset, undefined, sort)), auditEntry);
}

function auditList(q: Q, filter: Filter, offset: number, limit: number | undefined, sort: { field: string[]; descending: boolean }[]) {
  const qb = applyFilter(q('recon_audit').select('*'), filter, auditResolver, dialectOf(q));
  for (const s of sort) orderByField(qb, s.field, s.descending, auditResolver, dialectOf(q));
  qb.orderBy('id');
  if (offset) qb.offset(offset);
  if (limit !== undefined) qb.limit(limit);
  return qb;
}

function auditEntry(r: Record<string, unknown>): AuditEntry & { _id: string } {
  return {
    _id: String(r.id), reconId: r.recon_id as string, mapping: r.mapping as string, sourceObjectId: r.source_object_id as string,
    targetObjectId: r.target_object_id as string, situation: r.situation as string, action: r.action as string,
    status: r.status as 'SUCCESS' | 'FAILURE', message: r.message as string, linkQualifier: r.link_qualifier as string, timestamp: r.timestamp as string,
    ambiguousTargetObjectIds: (r.ambiguous_target_object_ids as string | null) ?? null,
  };
}

/** How many entries match the filter (audit/recon's EXACT total), with the same WHERE as queryAudit. */
export async function countAudit(q: Q, filter: Filter): Promise<number> {
  const [{ n }] = await applyFilter(q('recon_audit'), filter, auditResolver, dialectOf(q)).count({ n: '*' });
  return Number(n);
}
