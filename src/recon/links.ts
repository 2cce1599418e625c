// repo/link: the links recon keeps between source and target objects, in OpenIDM's link shape
// ({_id, linkType, linkQualifier, firstId, secondId}; OpenIDM's repository "links" table).
import type { QueryRequest } from '../crest/query';
import type { Q } from '../repo/dialect';
import { countMatchingLinks, LinkRecord, queryLinks as queryLinkRows, streamLinks } from '../repo/links';

export interface LinkView extends Record<string, unknown> {
  _id: string;
  linkType: string;
  linkQualifier: string;
  firstId: string;
  secondId: string;
}

export async function queryLinks(q: Q, req: QueryRequest): Promise<{ items: LinkView[]; total?: number }> {
  const { rows, total } = await queryLinkRows(q, req.filter, {
    offset: req.offset, limit: req.pageSize !== undefined ? req.pageSize + 1 : undefined, sort: req.sort, countTotal: req.totalPolicy !== 'NONE',
  });
  return { items: rows.map(linkView), total };
}

const linkView = (r: LinkRecord): LinkView => ({ _id: String(r.id), linkType: r.linkType, linkQualifier: r.linkQualifier, firstId: r.firstId, secondId: r.secondId });

/** An unpaged repo/link query: every match from req.offset on, batch by batch from a cursor. */
export async function* streamLinkViews(q: Q, req: QueryRequest): AsyncGenerator<LinkView[]> {
  for await (const rows of streamLinks(q, req.filter, { offset: req.offset, sort: req.sort })) yield rows.map(linkView);
}

export function countLinkViews(q: Q, req: QueryRequest): Promise<number> {
  return countMatchingLinks(q, req.filter);
}
