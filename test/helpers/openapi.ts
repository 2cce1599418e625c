// Every response the API tests see is checked against the OpenAPI description
// (src/api/openapi/): its method, path and status must be described, and a JSON body must validate
// against the operation's schema for that status (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
// Non-JSON bodies (the UI's files, errorDetails' text) are checked by content type only.
//
// startTestServer (server.ts) observes its HTTP server, so responses to any client (call(), fetch,
// http.request, the external task client) are checked; call() also checks its own answer at once,
// so the failing test names it. A new endpoint without a description fails the first test that
// calls it.
import fs from 'node:fs';
import http from 'node:http';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { apiDescription, OpenApiDocument } from '../../src/api/openapi';

type Obj = Record<string, any>;

export interface ObservedResponse {
  method: string;
  /** The URL as requested: path (with /openidm) and query. */
  url: string;
  status: number;
  contentType: string | null;
  /** The body's text; undefined when not captured (not JSON). */
  body: string | undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

interface Route {
  key: string;
  re: RegExp;
  params: number;
  item: Obj;
}

/** OpenAPI's own keywords beside JSON Schema's, which ajv must pass over (OAS 3.1 dialect). */
const OAS_KEYWORDS = ['openapi', 'info', 'servers', 'security', 'paths', 'components', 'tags', 'webhooks', 'jsonSchemaDialect', 'externalDocs', 'discriminator', 'xml', 'example'];

/** The description with every `required` list removed: answers projected by _fields hold only the fields asked for. */
function withoutRequired(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutRequired);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'required' && Array.isArray(x))).map(([k, x]) => [k, withoutRequired(x)]));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class ResponseValidator {
  private routes: Route[];
  private ajv: Ajv2020;
  private cache = new Map<string, ValidateFunction>();

  constructor(private doc: OpenApiDocument = apiDescription()) {
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addVocabulary(OAS_KEYWORDS);
    this.ajv.addSchema(doc as unknown as Obj, 'openapi.json');
    this.ajv.addSchema(withoutRequired(doc) as Obj, 'openapi-projected.json');
    const base = doc.servers[0].url;
    this.routes = Object.entries(doc.paths).map(([key, item]) => {
      const server = ((item as Obj).servers?.[0]?.url as string | undefined) ?? base;
      const full = (server.replace(/\/$/, '') + key) || '/';
      const re = new RegExp('^' + full.split(/(\{[^}]+\})/).map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : escapeRe(part))).join('') + '$');
      return { key, re, params: (key.match(/\{/g) ?? []).length, item: item as Obj };
    });
    // The most specific first: /jobs/_summary before /jobs/{id}.
    this.routes.sort((a, b) => a.params - b.params);
  }

  /** Compiles the shared schemas (CREST's error) ahead of the first response. */
  warm(): void {
    this.checkBody('warm-up', { method: 'GET', url: '/', status: 404, contentType: 'application/json', body: '{"code":404,"reason":"Not Found","message":"x"}' }, '#/components/schemas/CrestError', false);
  }

  /** The operation a request reaches, or null when the description has none. */
  operation(method: string, url: string): { key: string; method: string; op: Obj } | null {
    const u = new URL(url, 'http://x');
    let m = method.toLowerCase();
    if (m === 'head') m = 'get';
    // ?_api on any /openidm URL is the description (api.ts, /openidm/): OpenAPI cannot key it on the query.
    if (m === 'get' && u.searchParams.has('_api') && /^\/openidm(\/|$)/.test(u.pathname)) return { key: '/openidm/', method: 'get', op: this.doc.paths['/openidm/'].get as Obj };
    let path: string;
    try {
      path = decodeURI(u.pathname);
    } catch {
      path = u.pathname;
    }
    for (const r of this.routes) {
      if (r.re.test(path) || r.re.test(u.pathname)) return r.item[m] ? { key: r.key, method: m, op: r.item[m] } : null;
    }
    return null;
  }

  /** What is wrong with a response, or null when it is as described. */
  check(r: ObservedResponse): string | null {
    const what = `${r.method} ${r.url.slice(0, 300)} → ${r.status}`;
    const found = this.operation(r.method, r.url);
    // OPENAPI_TRACE=<file>: one line per response checked (which operations the tests reach).
    if (process.env.OPENAPI_TRACE) fs.appendFileSync(process.env.OPENAPI_TRACE, `${found ? `${found.method.toUpperCase()} ${found.key}` : `UNDESCRIBED ${r.method} ${r.url.split('?')[0].slice(0, 200)}`} ${r.status}\n`);
    if (!found) {
      // Not described: the app answers 404 (401 first when not signed in), in CREST's shape.
      if (r.status === 401 || r.status === 404) return this.checkBody(what, r, '#/components/schemas/CrestError', false);
      return `${what}: the OpenAPI description has no ${r.method} operation for this path`;
    }
    const responses = found.op.responses as Obj;
    let response = responses[String(r.status)];
    if (!response) return `${what}: status ${r.status} is not described for ${found.method.toUpperCase()} ${found.key} (described: ${Object.keys(responses).join(', ')})`;
    if (response.$ref) response = this.resolve(response.$ref);
    const content = response.content as Obj | undefined;
    const type = (r.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!content) {
      // A redirect's short note is not content; a 204 has none.
      if (r.status === 204 && r.body) return `${what}: a 204 must have no body, the response has ${r.contentType}`;
      return null;
    }
    if (!content[type]) return `${what}: content type "${r.contentType}" is not described (described: ${Object.keys(content).join(', ')})`;
    if (type !== 'application/json' || r.method === 'HEAD') return null;
    const ptr = (response === responses[String(r.status)] ? `#/${pointer('paths', found.key, found.method, 'responses', String(r.status))}` : (responses[String(r.status)].$ref as string)) + `/${pointer('content', type, 'schema')}`;
    const projected = new URL(r.url, 'http://x').searchParams.has('_fields');
    return this.checkBody(what, r, ptr, projected);
  }

  private resolve(ref: string): Obj {
    let v: any = this.doc;
    for (const part of ref.replace(/^#\//, '').split('/')) v = v[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return v;
  }

  private checkBody(what: string, r: ObservedResponse, ptr: string, projected: boolean): string | null {
    const type = (r.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (ptr === '#/components/schemas/CrestError' && type !== 'application/json') return `${what}: an error must be JSON, got ${r.contentType}`;
    if (r.body === undefined) return `${what}: the JSON body was not captured`;
    let value: unknown;
    try {
      value = JSON.parse(r.body);
    } catch {
      return `${what}: the body is not JSON: ${r.body.slice(0, 200)}`;
    }
    const id = `${projected ? 'openapi-projected.json' : 'openapi.json'}${ptr}`;
    let validate = this.cache.get(id);
    if (!validate) {
      validate = this.ajv.compile({ $ref: id });
      this.cache.set(id, validate);
    }
    if (validate(value)) return null;
    const errors = (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
    return `${what}: the body does not match the OpenAPI description (${ptr}${projected ? ', projected by _fields' : ''}):\n  ${errors.join('\n  ')}\n  body: ${r.body.slice(0, 500)}`;
  }
}

let shared: ResponseValidator | null = null;
export function responseValidator(): ResponseValidator {
  return (shared ??= new ResponseValidator());
}

/** Messages already reported (call() throws at once; the server-side observer then stays quiet). */
const reported = new Set<string>();

/** call()'s check: throws, naming method, path and status, when the response is not as described. */
export function assertDescribed(r: ObservedResponse): void {
  const problem = responseValidator().check(r);
  if (problem) {
    reported.add(problem);
    throw new Error(`OpenAPI: ${problem}`);
  }
}

const MAX_CAPTURE = 32 * 1024 * 1024;

/**
 * Observes every response `server` sends and checks it; problems() lists those not already thrown
 * by call(). Bodies are captured when JSON.
 */
export function observeResponses(server: http.Server): { problems(): string[] } {
  const found: string[] = [];
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Express rewrites req.url while routing (mount paths): the URL as requested is read now.
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    let size = 0;
    const capture = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const type = String(res.getHeader('content-type') ?? '');
      if (!/json/i.test(type) || size > MAX_CAPTURE) return;
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += b.length;
      chunks.push(b);
    };
    const write = res.write;
    const end = res.end;
    res.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (end as (...a: unknown[]) => http.ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
    res.once('finish', () => {
      const contentType = (res.getHeader('content-type') as string | undefined) ?? null;
      const json = /json/i.test(contentType ?? '');
      const body = json ? Buffer.concat(chunks).toString('utf8') : chunks.length || Number(res.getHeader('content-length') ?? 0) > 0 ? '(not captured)' : '';
      const problem = responseValidator().check({ method, url, status: res.statusCode, contentType, body: json ? body : body || undefined });
      if (problem && !reported.has(problem)) found.push(problem);
    });
  });
  return { problems: () => found.filter((p) => !reported.has(p)) };
}
