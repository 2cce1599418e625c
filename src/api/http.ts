// Small helpers every router uses: body parsing with CREST errors, ETags, action dispatch.
import express, { NextFunction, Request, Response } from 'express';
import { CrestError, badRequest } from '../crest/errors';
import { parseEtag } from '../crest/rev';

export const JSON_LIMIT = '1mb';

/** JSON bodies only; a body with another content type is refused with 415. */
export function jsonBody(limit = JSON_LIMIT, rawPaths: string[] = []) {
  const parse = express.json({ limit, strict: true, type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    // Uploads (BPMN XML) are read by their own route, with their own type and size limit.
    if (req.method === 'POST' && rawPaths.includes(req.path)) return next();
    const hasBody = Number(req.get('Content-Length') ?? 0) > 0 || req.get('Transfer-Encoding') !== undefined;
    if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method)) {
      req.body = undefined;
      return next();
    }
    const type = req.get('Content-Type') ?? '';
    if (!/^application\/(json|json-patch\+json)\b/i.test(type) && !/^[^;]*\+json\b/i.test(type)) {
      return next(new CrestError(415, `Unsupported media type "${type.slice(0, 100)}": send application/json`));
    }
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      // PostgreSQL cannot store U+0000 in text or jsonb (SQLite can): refused alike on both.
      if (containsNul(req.body)) return next(badRequest('The request body contains a NUL character (\\u0000)'));
      next();
    });
  };
}

/** Whether any string or key in a parsed JSON value contains U+0000; iterative (bodies may nest deeply). */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** Maps body-parser's errors to CREST errors. */
export function bodyParserError(err: unknown): CrestError | null {
  const e = err as { type?: string; message?: string; limit?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return badRequest(`The request body is not valid JSON: ${String(e.message).slice(0, 200)}`);
    case 'entity.too.large':
      return new CrestError(413, `The request body is larger than the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new CrestError(415, String(e.message));
    case 'request.aborted':
      return badRequest('The request was aborted');
    default:
      return null;
  }
}

export function objectBody(req: Request): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('The request body must be a JSON object');
  return b as Record<string, unknown>;
}

export function sendObject(res: Response, obj: { _rev?: unknown } & Record<string, unknown>, status = 200): void {
  if (typeof obj._rev === 'string') res.setHeader('ETag', `"${obj._rev}"`);
  res.status(status).json(obj);
}

/**
 * A read whose If-None-Match names the object's current revision (or is *): 304 Not Modified with
 * the ETag and no body (CREST "ETags and conditional requests"); else the object as sendObject.
 */
export function sendReadObject(req: Request, res: Response, obj: { _rev?: unknown } & Record<string, unknown>): void {
  const header = req.get('If-None-Match');
  if (header !== undefined && typeof obj._rev === 'string') {
    const tags = header.split(',').map((t) => parseEtag(t));
    if (tags.includes('*') || tags.includes(obj._rev)) {
      res.setHeader('ETag', `"${obj._rev}"`);
      res.status(304).end();
      return;
    }
  }
  sendObject(res, obj);
}

export function ifMatch(req: Request): string | null {
  return parseEtag(req.get('If-Match'));
}

export function ifNoneMatch(req: Request): string | null {
  return parseEtag(req.get('If-None-Match'));
}

export function queryString(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Parameter ${name} must be given once`);
  return v;
}

export function actionOf(req: Request): string | undefined {
  return queryString(req, '_action');
}

export function unknownAction(action: string | undefined): CrestError {
  return badRequest(action === undefined ? 'This resource needs an _action' : `Unknown action "${action.slice(0, 64)}"`);
}

/**
 * `_prettyPrint=true` indents every JSON answer (CREST's common parameter; CREST "About
 * ForgeRock Common REST", docs.pingidentity.com/pingidm/8/crest/about-crest.html).
 */
export function prettyPrint() {
  return (req: Request, res: Response, next: NextFunction) => {
    const v = (req.query as Record<string, unknown>)._prettyPrint;
    if (v === 'true') {
      res.json = function (this: Response, body: unknown) {
        if (!this.get('Content-Type')) this.type('application/json');
        return this.send(JSON.stringify(body, null, 2));
      };
    }
    next();
  };
}

/** The resource versions reconflow serves: every resource is at 1.0, as IDM's sync and workflow resources. */
const RESOURCE_MAJOR = 1;
const RESOURCE_MINOR = 0;
/** CREST protocol versions 1.x and 2.x are spoken (the parameters and answers reconflow uses exist in both). */
const PROTOCOL_MAJORS = [1, 2];

/**
 * `Accept-API-Version: protocol=2.1,resource=1.0`, checked as CREST's HTTP adapter does
 * (forgerock-commons json-resource-http HttpUtils, PingIDM "REST API versioning"): absent means
 * the latest; a value that does not parse is 400; an unsupported protocol is 400; a resource version
 * no route serves is 404 (CREST's versioned router finds no route; a route at 1.0 serves 1.0 only).
 */
export function acceptApiVersion() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('Accept-API-Version');
    if (header === undefined || header.trim() === '') return next();
    const seen: Record<string, [number, number]> = {};
    for (const part of header.split(',')) {
      const m = /^\s*(protocol|resource)\s*=\s*(\d{1,4})(?:\.(\d{1,4}))?\s*$/.exec(part);
      if (!m || seen[m[1]]) return next(badRequest(`Malformed Accept-API-Version header: "${header.slice(0, 100)}" (expected protocol=<major.minor>,resource=<major.minor>)`));
      seen[m[1]] = [Number(m[2]), Number(m[3] ?? 0)];
    }
    if (seen.protocol && !PROTOCOL_MAJORS.includes(seen.protocol[0])) {
      return next(badRequest(`Unsupported protocol version ${seen.protocol.join('.')} in Accept-API-Version: supported are 1.x and 2.x`));
    }
    if (seen.resource && (seen.resource[0] !== RESOURCE_MAJOR || seen.resource[1] > RESOURCE_MINOR)) {
      return next(new CrestError(404, `Resource version ${seen.resource.join('.')} of '${req.path.slice(0, 200)}' not found: this server serves resource=${RESOURCE_MAJOR}.${RESOURCE_MINOR}`));
    }
    next();
  };
}
