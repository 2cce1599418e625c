// The express application: body parsing, authentication, one router per resource, CREST errors.
import express, { NextFunction, Request, Response } from 'express';
import { authenticate } from './authenticate';
import { CrestError, notFound, unavailable } from '../crest/errors';
import { DomainError } from '../errors';
import { crestErrorOf } from './errors';
import { AppContext } from '../context';
import { invalidInput, isUnavailable, storageFailure } from '../storageErrors';
import { acceptApiVersion, bodyParserError, jsonBody, prettyPrint } from './http';
import { infoRouter, pingRouter } from './info';
import { configRouter } from './config';
import { internalRouter } from './internal';
import { managedRouter } from './managed';
import { httpMetrics, metricsOnlyGate, metricsRouter } from './metrics';
import { sessionRouter } from './session';
import { principalContext, requestContext } from './requestContext';
import { apiDescriptionRouter } from './apiDescription';
import { conditionalGet } from './conditionalGet';

export type RouterFactory = (ctx: AppContext) => express.Router;

export interface AppParts {
  /** Routers mounted under /openidm after authentication. */
  routers: RouterFactory[];
  /** Routers mounted before authentication (UI assets, sign-in). */
  publicRouters?: RouterFactory[];
  /** Requests in flight, so shutdown can wait for them. */
  inflight?: { count: number };
}

export function createApp(ctx: AppContext, parts: AppParts): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  // ETags of JSON reads are conditionalGet's (below), not express's implicit one on every answer.
  app.set('etag', false);
  const inflight = parts.inflight ?? { count: 0 };
  app.use(requestContext(ctx.log));
  app.use((req, res, next) => {
    inflight.count++;
    res.once('close', () => inflight.count--);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  if (ctx.metrics) app.use(httpMetrics(ctx.metrics));
  app.use(prettyPrint());
  app.use('/openidm', acceptApiVersion());
  app.use('/openidm', conditionalGet());
  app.use(sessionRouter(ctx));
  for (const f of parts.publicRouters ?? []) app.use(f(ctx));
  app.use('/openidm', pingRouter());
  app.use('/openidm', authenticate(ctx.authenticator, ctx.sessions));
  app.use('/openidm', principalContext);
  app.use('/openidm', metricsOnlyGate);
  app.use('/openidm', metricsRouter(ctx.metrics));
  app.use('/openidm', apiDescriptionRouter());
  app.use('/openidm', jsonBody(undefined, ['/workflow/processdefinition']));
  app.use('/openidm', infoRouter());
  app.use('/openidm', managedRouter(ctx));
  app.use('/openidm', configRouter(ctx));
  app.use('/openidm', internalRouter(ctx));
  for (const f of parts.routers) app.use('/openidm', f(ctx));
  app.use((req: Request) => {
    throw notFound(`Resource '${req.path.slice(0, 200)}' not found`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e: CrestError;
    if (err instanceof CrestError) e = err;
    else if (err instanceof DomainError) e = crestErrorOf(err);
    else if (bodyParserError(err)) e = bodyParserError(err)!;
    else if (err instanceof URIError) e = new CrestError(400, 'The URL is not valid');
    else if (invalidInput(err)) e = new CrestError(400, `A value in the request cannot be stored: ${invalidInput(err)}`);
    else if (storageFailure(err)) {
      const f = storageFailure(err)!;
      ctx.log.warn(`repository storage failure ${f.code} on ${req.method} ${req.path.slice(0, 200)}`);
      e = new CrestError(503, f.reason, { cause: f.code });
    } else if (sourceFailure(err)) {
      // The source connector cannot answer (file missing, unreadable, changing): the reason is the answer.
      e = new CrestError(503, (err as Error).message.slice(0, 1000), { cause: (err as { code: string }).code });
    } else if (isUnavailable(err)) {
      ctx.log.warn(`repository unavailable: ${(err as Error).message}`);
      e = unavailable('The repository is unavailable; try again shortly');
    } else {
      ctx.log.error(`${req.method} ${req.path} failed`, err);
      e = new CrestError(500, 'Internal server error');
    }
    if (e.code === 503) res.setHeader('Retry-After', '1');
    // Scripts (the web UI) get no Basic challenge, or the browser would pop up its own sign-in dialog.
    if (e.code === 401 && req.get('X-Requested-With') !== 'XMLHttpRequest') res.setHeader('WWW-Authenticate', 'Basic realm="openidm", charset="UTF-8"');
    if (res.headersSent) return res.end();
    res.status(e.code).json(e.toJSON());
  });
  return app;
}

/** The connectors' errors (recon/csv/sourceErrors.ts: SOURCE_UNAVAILABLE, SOURCE_INVALID, SOURCE_CHANGED). */
function sourceFailure(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return err instanceof Error && (code === 'SOURCE_UNAVAILABLE' || code === 'SOURCE_INVALID' || code === 'SOURCE_CHANGED');
}
