// The query parameters every CREST collection shares, and the response envelope.
import { badRequest } from './errors';
import { Filter, parseJsonPointer, parseQueryFilter } from './queryFilter';

export type TotalPolicy = 'NONE' | 'EXACT' | 'ESTIMATE';

export interface QueryRequest {
  filter: Filter;
  /** The `_queryId` given, if any. */
  queryId?: string;
  /** `_queryId=query-all-ids`: each result is only its `_id` and `_rev` (IDM's repository query). */
  idsOnly: boolean;
  /** The request's other parameters (those without a leading `_`): a `_queryId`'s parameters. */
  params: Record<string, string>;
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

/**
 * A resource's named queries: `_queryId` → the filter its parameters make (IDM's repo.jdbc.json
 * queries such as `for-userName` and `get-by-field-value`, the workflow resources' `filtered-query`).
 */
export type QueryIds = Record<string, (params: Record<string, string>) => Filter>;

export interface QueryOptions {
  queryIds?: QueryIds;
  /**
   * The sort keys this resource accepts (top-level names); another is 400 "Sort key: x is not
   * valid", the message of OpenIDM's TaskInstanceResource/ProcessInstanceResource setSortKeys.
   * Absent: any JSON pointer (managed objects sort on any field).
   */
  sortKeys?: readonly string[];
}

/** The value of a parameter that must be given once (the 'simple' query parser gives arrays for repeats). */
export function singleParam(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Parameter ${name} must be given once`);
  return v;
}

/**
 * Reads _queryFilter / _queryId and the paging and sorting parameters (CREST "Query":
 * docs.pingidentity.com/pingidm/8/crest/crest-query.html — `_queryFilter`, `_queryId` and
 * `_queryExpression` cannot be used together).
 */
export function parseQueryRequest(q: Record<string, unknown>, opts: QueryOptions = {}): QueryRequest {
  const queryFilter = singleParam(q, '_queryFilter');
  const queryId = singleParam(q, '_queryId');
  if (q._queryExpression !== undefined) throw badRequest('_queryExpression is not supported: use _queryFilter');
  if (queryFilter !== undefined && queryId !== undefined) throw badRequest('_queryFilter and _queryId cannot be used together');
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (k.startsWith('_')) continue;
    if (typeof v !== 'string') throw badRequest(`Parameter ${k.slice(0, 100)} must be given once`);
    params[k] = v;
  }
  let filter: Filter;
  let idsOnly = false;
  if (queryFilter !== undefined) filter = parseQueryFilter(queryFilter);
  else if (queryId === 'query-all-ids') {
    filter = { type: 'literal', value: true };
    idsOnly = true;
  } else if (queryId === 'query-all') filter = { type: 'literal', value: true };
  else if (queryId !== undefined && opts.queryIds && Object.prototype.hasOwnProperty.call(opts.queryIds, queryId)) filter = opts.queryIds[queryId](params);
  // OpenIDM's resources answer an unknown query id with BadRequestException("Unknown query-id").
  else if (queryId !== undefined) throw badRequest(`Unknown query id: ${queryId.slice(0, 100)}`);
  else throw badRequest('A query needs _queryFilter or _queryId');
  const sortParam = singleParam(q, '_sortKeys');
  const sort = sortParam !== undefined && sortParam !== ''
    ? sortParam.split(',').map((k) => {
        const descending = k.startsWith('-');
        const name = k.replace(/^[+-]/, '');
        if (!name) throw badRequest('_sortKeys has an empty key');
        const field = parseJsonPointer(name);
        if (opts.sortKeys && (field.length !== 1 || !opts.sortKeys.includes(field[0]))) {
          throw badRequest(`Sort key: ${name.slice(0, 100)} is not valid`, { validSortKeys: opts.sortKeys });
        }
        return { field, descending };
      })
    : [];
  if (sort.length > 8) throw badRequest('_sortKeys names too many fields');
  const pageSize = intParam('_pageSize', q._pageSize, 0, MAX_PAGE);
  let offset = intParam('_pagedResultsOffset', q._pagedResultsOffset, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  if (typeof q._pagedResultsCookie === 'string' && q._pagedResultsCookie !== '') offset = decodeCookie(q._pagedResultsCookie);
  const tp = (q._totalPagedResultsPolicy as string | undefined) ?? 'NONE';
  if (!['NONE', 'EXACT', 'ESTIMATE'].includes(tp)) throw badRequest('_totalPagedResultsPolicy must be NONE, EXACT or ESTIMATE');
  return { filter, queryId, idsOnly, params, sort, pageSize: pageSize || undefined, offset, totalPolicy: tp as TotalPolicy };
}

/** What a result shows: `_id` and `_rev` only for query-all-ids, else the object as projected. */
export function resultShape<T extends Record<string, unknown>>(req: QueryRequest, obj: T): Record<string, unknown> {
  if (!req.idsOnly) return obj;
  const out: Record<string, unknown> = { _id: obj._id };
  if (obj._rev !== undefined) out._rev = obj._rev;
  return out;
}

/**
 * Sorts in memory by the request's keys (for resources without SQL: definitions, the CSV source):
 * absent values first ascending, strings in code-point order, then `_id` for a stable order.
 */
export function sortInMemory<T>(items: T[], sort: QueryRequest['sort']): T[] {
  if (!sort.length) return items;
  const at = (o: unknown, path: string[]) => path.reduce<unknown>((c, k) => (c !== null && typeof c === 'object' ? (c as Record<string, unknown>)[k] : undefined), o);
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0;
    if (a === undefined || a === null) return -1;
    if (b === undefined || b === null) return 1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = typeof a === 'string' ? a : JSON.stringify(a);
    const y = typeof b === 'string' ? b : JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...items].sort((a, b) => {
    for (const s of sort) {
      const d = cmp(at(a, s.field), at(b, s.field));
      if (d !== 0) return s.descending ? -d : d;
    }
    return 0;
  });
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
  return envelopeOf(req, result, result.length, more, total);
}

/**
 * The envelope of `count` results, of which `result` is what goes in it: a streamed answer
 * (src/api/queryStream.ts) writes its results first and this envelope, with a placeholder, around them.
 */
export function envelopeOf<T>(req: QueryRequest, result: T[], count: number, more: boolean, total?: number): QueryResponse<T> {
  const counted = req.totalPolicy !== 'NONE' && total !== undefined;
  return {
    result,
    resultCount: count,
    pagedResultsCookie: more ? encodeCookie(req.offset + count) : null,
    totalPagedResultsPolicy: counted ? req.totalPolicy : 'NONE',
    totalPagedResults: counted ? total! : -1,
    remainingPagedResults: counted ? Math.max(0, total! - req.offset - count) : -1,
  };
}
