// Every request gets an id: the caller's X-Request-ID when it is a safe token (so a proxy's or a
// client's id follows the request through the logs), else a new one; it is returned in the
// response's X-Request-ID and carried on every line logged while the request is handled
// (src/log.ts withLogContext), with the principal once authentication has made one.
import crypto from 'node:crypto';
import { NextFunction, Request, Response } from 'express';
import { Logger } from '../context';
import { debugEnabled, logContext, withLogContext } from '../log';
import { Principal } from '../auth/interfaces';

export const REQUEST_ID_HEADER = 'X-Request-ID';
/** What an accepted X-Request-ID looks like: a UUID, a trace id, `host-123/4`… no spaces, quotes or controls. */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}$/;

export function requestIdOf(req: Request): string {
  const given = req.get(REQUEST_ID_HEADER);
  return given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/**
 * First in the chain: the id, the response header, the log context for everything after; at
 * LOG_LEVEL=debug one line per request when it ends (method, path without the query, status, ms).
 */
export function requestContext(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const reqId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, reqId);
    const started = process.hrtime.bigint();
    // Now, before routers mounted at a prefix rewrite req.url.
    const path = req.path.slice(0, 200);
    withLogContext({ reqId }, () => {
      if (log.debug && debugEnabled(log)) {
        const ctx = logContext();
        res.once('finish', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          // The finish event comes from the socket, outside the request's context: its ids are passed along.
          withLogContext(ctx ?? { reqId }, () => log.debug!('request', { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }));
        });
      }
      next();
    });
  };
}

/** After authentication: the principal joins the request's log context (its resource id, not its user name). */
export function principalContext(req: Request, res: Response, next: NextFunction): void {
  const p = res.locals.principal as Principal | undefined;
  const ctx = logContext();
  if (p && ctx) ctx.principal = `${p.component}/${p.id}`;
  next();
}
