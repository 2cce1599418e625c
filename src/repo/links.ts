// SQL for links between a source object and a target object of a mapping.
import { dialectOf, Q, whereAnyOf } from './dialect';

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

export async function deleteLinkBySource(q: Q, linkType: string, firstId: string): Promise<void> {
  await q('link').where({ link_type: linkType, first_id: firstId }).del();
}

export async function deleteLinkByTarget(q: Q, linkType: string, secondId: string): Promise<void> {
  await q('link').where({ link_type: linkType, second_id: secondId }).del();
}

/** A link, with the current rev of its target (null when the target is gone). */
export type LinkWithTargetRev = LinkRow & { currentTargetRev: string | null };

/**
 * Links by source id, each with its target's current rev (one query: a recon compares it with the
 * rev the link remembers, and reads whole targets only for the links that changed).
 */
export async function linksBySource(q: Q, linkType: string, firstIds: string[]): Promise<Map<string, LinkWithTargetRev>> {
  const out = new Map<string, LinkWithTargetRev>();
  for (const part of chunks(firstIds)) {
    // A correlated subquery, not a join: one primary-key probe per link on both backends (PostgreSQL
    // planned the join as a hash join over every managed user: 20 ms per batch at 100,000 users).
    const rows = q('link')
      .select('link.*', q('managed_user').select('rev').whereRaw('managed_user.id = link.second_id').as('current_target_rev'))
      .where('link.link_type', linkType);
    whereAnyOf(rows, 'link.first_id', part, dialectOf(q));
    for (const r of await rows) {
      const link = fromColumns(r) as LinkWithTargetRev;
      link.currentTargetRev = (r.current_target_rev as string) ?? null;
      out.set(r.first_id, link);
    }
  }
  return out;
}

export async function linksByTarget(q: Q, linkType: string, secondIds: string[]): Promise<Map<string, LinkRow>> {
  const out = new Map<string, LinkRow>();
  for (const part of chunks(secondIds)) {
    for (const r of await whereAnyOf(q('link').where({ link_type: linkType }), 'second_id', part, dialectOf(q))) out.set(r.second_id, fromColumns(r));
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
export async function markLinksSynced(q: Q, linkType: string, marks: SyncMark[]): Promise<void> {
  for (const m of marks) {
    await q('link').where({ link_type: linkType, first_id: m.firstId }).update({ source_hash: m.sourceHash, target_rev: m.targetRev });
  }
}
