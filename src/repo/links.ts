// SQL for links between a source object and a target object of a mapping.
import { Filter } from '../crest/queryFilter';
import { InvalidInput } from '../errors';
import { applyFilter, FieldTarget, orderByField } from './filterToSql';
import { dialectOf, Q, whereAnyOf } from './dialect';
import { mapRows, streamRows } from './cursor';

export interface LinkRow {
  linkType: string;
  linkQualifier: string;
  firstId: string;
  secondId: string;
  /** The last sync: the source row's hash (with the mapping's fingerprint) and the target's rev. */
  sourceHash?: string | null;
  targetRev?: string | null;
}

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function fromColumns(r: Record<string, unknown>): LinkRow {
  return {
    linkType: r.link_type as string, linkQualifier: r.link_qualifier as string, firstId: r.first_id as string, secondId: r.second_id as string,
    sourceHash: (r.source_hash as string) ?? null, targetRev: (r.target_rev as string) ?? null,
  };
}

export async function insertLink(q: Q, l: LinkRow): Promise<void> {
  await q('link').insert({ link_type: l.linkType, link_qualifier: l.linkQualifier, first_id: l.firstId, second_id: l.secondId });
}

// Every lookup names the qualifier: a mapping's links are per (linkType, linkQualifier), the unique keys' leading columns.
export async function deleteLinkBySource(q: Q, linkType: string, linkQualifier: string, firstId: string): Promise<void> {
  await q('link').where({ link_type: linkType, link_qualifier: linkQualifier, first_id: firstId }).del();
}

export async function deleteLinkByTarget(q: Q, linkType: string, linkQualifier: string, secondId: string): Promise<void> {
  await q('link').where({ link_type: linkType, link_qualifier: linkQualifier, second_id: secondId }).del();
}

/** A link, with the current rev of its target (null when the target is gone). */
export type LinkWithTargetRev = LinkRow & { currentTargetRev: string | null };

/**
 * Links by source id, each with its target's current rev (one query: a recon compares it with the
 * rev the link remembers, and reads whole targets only for the links that changed).
 */
export async function linksBySource(q: Q, linkType: string, linkQualifier: string, firstIds: string[]): Promise<Map<string, LinkWithTargetRev>> {
  const out = new Map<string, LinkWithTargetRev>();
  for (const part of chunks(firstIds)) {
    // A correlated subquery, not a join: one primary-key probe per link on both backends (PostgreSQL
    // planned the join as a hash join over every managed user: 20 ms per batch at 100,000 users).
    const rows = q('link')
      .select('link.*', q('managed_user').select('rev').whereRaw('managed_user.id = link.second_id').as('current_target_rev'))
      .where('link.link_type', linkType)
      .where('link.link_qualifier', linkQualifier);
    whereAnyOf(rows, 'link.first_id', part, dialectOf(q));
    for (const r of await rows) {
      const link = fromColumns(r) as LinkWithTargetRev;
      link.currentTargetRev = (r.current_target_rev as string) ?? null;
      out.set(r.first_id, link);
    }
  }
  return out;
}

export async function linksByTarget(q: Q, linkType: string, linkQualifier: string, secondIds: string[]): Promise<Map<string, LinkRow>> {
  const out = new Map<string, LinkRow>();
  for (const part of chunks(secondIds)) {
    for (const r of await whereAnyOf(q('link').where({ link_type: linkType, link_qualifier: linkQualifier }), 'second_id', part, dialectOf(q))) out.set(r.second_id, fromColumns(r));
  }
  return out;
}

export async function countLinks(q: Q, linkType: string): Promise<number> {
  const [{ n }] = await q('link').where({ link_type: linkType }).count({ n: '*' });
  return Number(n);
}

export interface SyncMark {
  firstId: string;
  sourceHash: string;
  targetRev: string;
}

/** Records that these links' targets match their source rows as of the given hash and target rev. */
export async function markLinksSynced(q: Q, linkType: string, linkQualifier: string, marks: SyncMark[]): Promise<void> {
  for (const m of marks) {
    await q('link').where({ link_type: linkType, link_qualifier: linkQualifier, first_id: m.firstId }).update({ source_hash: m.sourceHash, target_rev: m.targetRev });
  }
}

const LINK_COLUMNS: Record<string, string> = { _id: 'id', linkType: 'link_type', linkQualifier: 'link_qualifier', firstId: 'first_id', secondId: 'second_id' };

/** repo/link as OpenIDM's repository exposes links: these fields only. */
export function linkResolver(field: string[]): FieldTarget {
  const column = field.length === 1 && Object.prototype.hasOwnProperty.call(LINK_COLUMNS, field[0]) ? LINK_COLUMNS[field[0]] : undefined;
  if (!column) throw new InvalidInput(`Links cannot be queried on /${field.join('/')}: use _id, linkType, linkQualifier, firstId or secondId`);
  return { kind: 'column', column, type: field[0] === '_id' ? 'id' : 'string' };
}

export interface LinkRecord extends LinkRow {
  id: number;
}

function linkList(q: Q, filter: Filter, opts: { offset: number; limit?: number; sort: { field: string[]; descending: boolean }[] }) {
  const dialect = dialectOf(q);
  const qb = applyFilter(q('link'), filter, linkResolver, dialect).select('id', 'link_type', 'link_qualifier', 'first_id', 'second_id');
  for (const s of opts.sort) orderByField(qb, s.field, s.descending, linkResolver, dialect);
  qb.orderBy('id');
  if (opts.offset) qb.offset(opts.offset);
  if (opts.limit !== undefined) qb.limit(opts.limit);
  return qb;
}

const linkRecord = (r: Record<string, unknown>): LinkRecord => ({ id: Number(r.id), ...fromColumns(r) });

/** queryLinks without a limit, from a cursor, batch by batch (an unpaged repo/link query). */
export function streamLinks(q: Q, filter: Filter, opts: { offset: number; sort: { field: string[]; descending: boolean }[] }): AsyncGenerator<LinkRecord[]> {
  return mapRows(streamRows(q, linkList(q, filter, opts)), linkRecord);
}

export async function countMatchingLinks(q: Q, filter: Filter): Promise<number> {
  const [{ n }] = await applyFilter(q('link'), filter, linkResolver, dialectOf(q)).count({ n: '*' });
  return Number(n);
}

/** A page of links matching `filter` (repo/link queries), sorted, with the total when asked. */
export async function queryLinks(
  q: Q,
  filter: Filter,
  opts: { offset: number; limit?: number; sort: { field: string[]; descending: boolean }[]; countTotal: boolean },
): Promise<{ rows: LinkRecord[]; total?: number }> {
  const rows = (await linkList(q, filter, opts)).map(linkRecord);
  return { rows, total: opts.countTotal ? await countMatchingLinks(q, filter) : undefined };
}
