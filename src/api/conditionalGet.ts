// Conditional GET for every JSON read under /openidm (issue 17: the web UI polls its lists with
// If-None-Match). An answer that sets no ETag of its own (managed/user's and a task's carry their
// revision, and keep it) gets a weak one, the hash of its body; an If-None-Match naming it answers
// 304 without a body. One middleware, wrapping res.json, instead of a line in every router.
import crypto from 'node:crypto';
import { NextFunction, Request, Response } from 'express';

/** W/"<sha1 of the JSON, base64url>": weak, since the same content may be sent indented (_prettyPrint). */
export function weakEtagOf(body: unknown): string {
  return `W/"${crypto.createHash('sha1').update(JSON.stringify(body) ?? '').digest('base64url')}"`;
}

/** If-None-Match's weak comparison (RFC 9110 13.1.2): W/ is ignored on both sides; * matches any. */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}

export function conditionalGet() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const send = res.json;
    res.json = function (this: Response, body: unknown) {
      if (this.statusCode !== 200) return send.call(this, body);
      // An answer's own ETag (a revision) is kept; the others get the hash of their body.
      const own = this.get('ETag');
      const etag = typeof own === 'string' && own ? own : weakEtagOf(body);
      if (etag !== own) this.setHeader('ETag', etag);
      if (noneMatchHits(req.get('If-None-Match'), etag)) {
        this.status(304);
        return this.end() as Response;
      }
      return send.call(this, body);
    };
    next();
  };
}
