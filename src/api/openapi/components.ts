// Shared parts of the OpenAPI description: CREST's error and query-result shapes, the common query
// parameters, the error responses and the ways to authenticate. Fragments (one per router) build
// their operations with the helpers below so that every operation lists its error statuses.

type Obj = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** A JSON body (request or response) of `schema`. */
export const json = (schema: Obj, description = 'JSON') => ({ description, content: { 'application/json': { schema } } });

/**
 * Statuses every authenticated operation may answer: not signed in, sign-ins from this address or
 * for this user rate-limited (conf/authentication.json loginRateLimit), internal error, repository
 * unavailable. (Unsafe methods also answer 403 for a session without its CSRF token: index.ts.)
 */
const ALWAYS = [401, 429, 500, 503];

/** Statuses of any operation with a JSON body: unparseable, too large, not JSON. */
export const BODY_ERRORS = [400, 413, 415];

/**
 * An operation: `responses` are its success answers; `errors` the CREST error statuses it answers
 * besides 401/500/503 (and, with `jsonBody`, 400/413/415).
 */
export function op(o: {
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Obj[];
  requestBody?: Obj;
  responses: Record<string, Obj>;
  errors?: number[];
  jsonBody?: boolean;
  public?: boolean;
  security?: Obj[];
}): Obj {
  const errors = new Set([...(o.public ? [500, 503] : ALWAYS), ...(o.errors ?? []), ...(o.jsonBody ? BODY_ERRORS : [])]);
  const responses: Record<string, Obj> = { ...o.responses };
  for (const code of [...errors].sort()) responses[String(code)] ??= { $ref: `#/components/responses/Error${code}` };
  return {
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    tags: o.tags,
    ...(o.security ? { security: o.security } : o.public ? { security: [] } : {}),
    ...(o.parameters?.length ? { parameters: o.parameters } : {}),
    ...(o.requestBody ? { requestBody: o.requestBody } : {}),
    responses,
  };
}

/** A CREST query's envelope around items of `item`. */
export const queryResult = (item: Obj) => ({
  type: 'object',
  required: ['result', 'resultCount', 'pagedResultsCookie', 'totalPagedResultsPolicy', 'totalPagedResults', 'remainingPagedResults'],
  additionalProperties: false,
  properties: {
    // _queryId=query-all-ids answers {_id, _rev} only, on every queryable resource (CREST).
    result: { type: 'array', items: { anyOf: [item, { type: 'object', required: ['_id'], additionalProperties: false, properties: { _id: { type: 'string' }, _rev: { type: 'string' } } }] } },
    resultCount: { type: 'integer', minimum: 0 },
    pagedResultsCookie: { type: ['string', 'null'], description: 'Pass as _pagedResultsCookie for the next page; null on the last page' },
    totalPagedResultsPolicy: { enum: ['NONE', 'EXACT', 'ESTIMATE'] },
    totalPagedResults: { type: 'integer', minimum: -1, description: '-1 unless _totalPagedResultsPolicy asked for a count' },
    remainingPagedResults: { type: 'integer', minimum: -1 },
  },
});

/** The query parameters of a CREST collection (GET with _queryFilter or _queryId). */
export const QUERY_PARAMS = ['queryFilter', 'queryId', 'pageSize', 'pagedResultsCookie', 'pagedResultsOffset', 'totalPagedResultsPolicy', 'sortKeys', 'fields'].map(param);

/** QUERY_PARAMS for a resource that sorts on these keys only (another is 400 "Sort key: x is not valid"). */
export const queryParamsSortingOn = (keys: readonly string[]) => [
  ...['queryFilter', 'queryId', 'pageSize', 'pagedResultsCookie', 'pagedResultsOffset', 'totalPagedResultsPolicy', 'fields'].map(param),
  { name: '_sortKeys', in: 'query', description: `Comma-separated, - for descending, among: ${keys.join(', ')}; another key is 400 "Sort key: x is not valid"`, schema: { type: 'string' } },
];

/** `_action` with the values an endpoint accepts. */
export const action = (...values: string[]) => ({ name: '_action', in: 'query', required: true, schema: { enum: values } });

export const pathId = (name = 'id', description = 'The object id') => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 412: 'Precondition Failed',
  413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 428: 'Precondition Required', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

const errorResponse = (code: number) => ({
  description: REASONS[code],
  ...(code === 401 ? { headers: { 'WWW-Authenticate': { description: 'Basic challenge, unless the request carried X-Requested-With: XMLHttpRequest', schema: { type: 'string' } } } } : {}),
  ...(code === 503 ? { headers: { 'Retry-After': { schema: { type: 'string' } } } } : {}),
  content: { 'application/json': { schema: { allOf: [ref('CrestError'), { properties: { code: { const: code }, reason: { const: REASONS[code] } } }] } } },
});

export const components = {
  schemas: {
    CrestError: {
      type: 'object',
      description: "Every error's shape (ForgeRock CREST)",
      required: ['code', 'reason', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'integer', minimum: 400, maximum: 599 },
        reason: { type: 'string' },
        message: { type: 'string' },
        detail: { description: 'What the error is about, when there is more to say (a field, an element id, a cause)' },
      },
    },
    Reference: { type: 'object', required: ['_ref'], properties: { _ref: { type: 'string' } } },
    FormProperty: {
      type: 'object',
      required: ['_id', 'name', 'type', 'value', 'readable', 'writable', 'required'],
      additionalProperties: false,
      properties: {
        _id: { type: 'string' },
        name: { type: ['string', 'null'] },
        type: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: ['string', 'null'] }, values: { type: 'object', additionalProperties: { type: ['string', 'null'] } } },
        },
        value: { description: 'The current value (task forms), or null' },
        readable: { type: 'boolean' },
        writable: { type: 'boolean' },
        required: { type: 'boolean' },
        defaultExpression: { type: 'string' },
      },
    },
    Variables: { type: 'object', description: "Process variables: the process's own names and values", additionalProperties: true },
  },
  parameters: {
    queryFilter: { name: '_queryFilter', in: 'query', description: 'A CREST query filter, e.g. `true`, `userName eq "bjensen"`. One of _queryFilter or _queryId is required', schema: { type: 'string' } },
    queryId: { name: '_queryId', in: 'query', description: 'query-all or query-all-ids', schema: { enum: ['query-all', 'query-all-ids'] } },
    pageSize: {
      name: '_pageSize', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 10000 },
      description: 'Absent (or 0): every match, streamed from a database cursor (an answer over 1 MiB is chunked, without an ETag; a failure mid-answer closes the connection). Where a resource filters or sorts in memory, more than conf/repo.json query.maxUnpagedResults unpaged is 400',
    },
    pagedResultsCookie: { name: '_pagedResultsCookie', in: 'query', description: "The previous page's pagedResultsCookie", schema: { type: 'string' } },
    pagedResultsOffset: { name: '_pagedResultsOffset', in: 'query', schema: { type: 'integer', minimum: 0 } },
    totalPagedResultsPolicy: { name: '_totalPagedResultsPolicy', in: 'query', schema: { enum: ['NONE', 'EXACT', 'ESTIMATE'], default: 'NONE' } },
    sortKeys: { name: '_sortKeys', in: 'query', description: 'Comma-separated fields, - for descending', schema: { type: 'string' } },
    fields: { name: '_fields', in: 'query', description: 'Comma-separated fields to return (a projection: only those fields are in the answer)', schema: { type: 'string' } },
    ifMatch: { name: 'If-Match', in: 'header', description: 'The revision the change is based on ("<rev>" or *)', schema: { type: 'string' } },
    reauthPassword: { name: 'X-OpenIDM-Reauth-Password', in: 'header', description: "The caller's current password, required when it changes its own password", schema: { type: 'string' } },
  },
  responses: Object.fromEntries(Object.keys(REASONS).map((c) => [`Error${c}`, errorResponse(Number(c))])),
  securitySchemes: {
    usernameHeader: { type: 'apiKey', in: 'header', name: 'X-OpenIDM-Username', description: 'With X-OpenIDM-Password: the user name' },
    passwordHeader: { type: 'apiKey', in: 'header', name: 'X-OpenIDM-Password', description: 'With X-OpenIDM-Username: the password' },
    basic: { type: 'http', scheme: 'basic' },
    session: {
      type: 'apiKey',
      in: 'cookie',
      name: 'reconflow_session',
      description: 'The web UI session from POST /authentication?_action=login; unsafe methods also need the X-CSRF-Token header it returned',
    },
  },
};

/** Any of these signs a request in. */
export const security = [{ usernameHeader: [], passwordHeader: [] }, { basic: [] }, { session: [] }];
