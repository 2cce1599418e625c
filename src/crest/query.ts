// The query parameters every CREST collection shares, and the response envelope.
import { badRequest } from './errors';
import { Filter, parseJsonPointer, parseQueryFilter } from './queryFilter';

export type TotalPolicy = 'NONE' | 'EXACT' | 'ESTIMATE';

export interface QueryRequest {
  filter: Filter;
  sort: { field: string[]; descending: boolean }[];
  pageSize?: number;
  offset: number;
  totalPolicy: TotalPolicy;
}

const MAX_PAGE = 10_000;

function intParam(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw badRequest(`${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw badRequest(`${name} must be between ${min} and ${max}`);
  return n;
}

function decodeCookie(cookie: string): number {
  try {
    const o = JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8'));
    if (Number.isInteger(o.o) && o.o >= 0) return o.o;
  } catch {
    /* falls through */
  }
  throw badRequest('_pagedResultsCookie is not valid');
}

export function encodeCookie(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

/** Reads _queryFilter / _queryId and the paging and sorting parameters. */
export function parseQueryRequest(q: Record<string, unknown>): QueryRequest {
  let filter: Filter;
  if (typeof q._queryFilter === 'string') filter = parseQueryFilter(q._queryFilter);
  else if (q._queryId === 'query-all-ids' || q._queryId === 'query-all') filter = { type: 'literal', value: true };
  else if (q._queryId !== undefined) throw badRequest(`Unknown query id: ${String(q._queryId).slice(0, 100)}`);
  else throw badRequest('A query needs _queryFilter or _queryId');
  const sort = typeof q._sortKeys === 'string' && q._sortKeys !== ''
    ? q._sortKeys.split(',').map((k) => {
        const descending = k.startsWith('-');
        const name = k.replace(/^[+-]/, '');
        if (!name) throw badRequest('_sortKeys has an empty key');
        return { field: parseJsonPointer(name), descending };
      })
    : [];
  if (sort.length > 8) throw badRequest('_sortKeys names too many fields');
  const pageSize = intParam('_pageSize', q._pageSize, 0, MAX_PAGE);
  let offset = intParam('_pagedResultsOffset', q._pagedResultsOffset, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  if (typeof q._pagedResultsCookie === 'string' && q._pagedResultsCookie !== '') offset = decodeCookie(q._pagedResultsCookie);
  const tp = (q._totalPagedResultsPolicy as string | undefined) ?? 'NONE';
  if (!['NONE', 'EXACT', 'ESTIMATE'].includes(tp)) throw badRequest('_totalPagedResultsPolicy must be NONE, EXACT or ESTIMATE');
  return { filter, sort, pageSize: pageSize || undefined, offset, totalPolicy: tp as TotalPolicy };
}

export interface QueryResponse<T> {
  result: T[];
  resultCount: number;
  pagedResultsCookie: string | null;
  totalPagedResultsPolicy: TotalPolicy;
  totalPagedResults: number;
  remainingPagedResults: number;
}

/** `fetched` holds up to pageSize+1 rows: the extra one tells whether another page exists. */
export function envelope<T>(req: QueryRequest, fetched: T[], total?: number): QueryResponse<T> {
  const more = req.pageSize !== undefined && fetched.length > req.pageSize;
  const result = more ? fetched.slice(0, req.pageSize) : fetched;
  const counted = req.totalPolicy !== 'NONE' && total !== undefined;
  return {
    result,
    resultCount: result.length,
    pagedResultsCookie: more ? encodeCookie(req.offset + result.length) : null,
    totalPagedResultsPolicy: counted ? req.totalPolicy : 'NONE',
    totalPagedResults: counted ? total! : -1,
    remainingPagedResults: counted ? Math.max(0, total! - req.offset - result.length) : -1,
  };
}
