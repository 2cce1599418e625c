// repo/link: the links recon keeps between source and target objects, in OpenIDM's link shape
// ({_id, linkType, linkQualifier, firstId, secondId}; OpenIDM's repository "links" table).
import type { QueryRequest } from '../crest/query';
import type { Q } from '../repo/dialect';
import { queryLinks as queryLinkRows } from '../repo/links';

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
  return { items: rows.map((r) => ({ _id: String(r.id), linkType: r.linkType, linkQualifier: r.linkQualifier, firstId: r.firstId, secondId: r.secondId })), total };
}
