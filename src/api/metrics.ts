// GET /openidm/metrics/prometheus (IDM's path), the HTTP side of src/metrics: the request counter
// and latency histogram by route pattern, and the gate that keeps a metrics-only account (role
// openidm-prometheus) to this one endpoint.
import { NextFunction, Request, Response, Router } from 'express';
import { confinedToMetrics, requireMetricsReader } from '../auth/authorize';
import { forbidden, notFound } from '../crest/errors';
import type { Metrics } from '../metrics';
import { principalOf } from './authenticate';

export const METRICS_PATH = '/metrics/prometheus';

/** Where createApp mounts routers: the route label is the mount plus the matched route's pattern. */
const API_MOUNT = '/openidm';

/**
 * The route pattern that answered (`/openidm/workflow/taskinstance/:id`), never the raw URL, so
 * that the label's values stay as few as the routes. A request that reached no route (refused by
 * authentication, a static UI file, not found) is `(unmatched)`.
 */
export function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || route.path === undefined) return '(unmatched)';
  const pattern = Array.isArray(route.path) ? route.path.map(String).join('|') : String(route.path);
  // Routers mounted at /openidm declare their paths without it; a root router (sign-in) has it.
  const mounted = req.originalUrl.startsWith(`${API_MOUNT}/`) && !pattern.startsWith(API_MOUNT);
  return mounted ? API_MOUNT + pattern : pattern;
}

/** Counts every request at the end of its response. */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const t0 = performance.now();
    res.once('finish', () => metrics.httpRequest(req.method, routeLabel(req), res.statusCode, (performance.now() - t0) / 1000));
    next();
  };
}

/** After authentication: an account that may read metrics only gets 403 anywhere else. */
export function metricsOnlyGate(req: Request, res: Response, next: NextFunction): void {
  if (req.path !== METRICS_PATH && confinedToMetrics(principalOf(res))) throw forbidden('Access denied: this account may read /openidm/metrics/prometheus only');
  next();
}

export function metricsRouter(metrics: Metrics | null): Router {
  const r = Router();
  r.get(METRICS_PATH, async (_req, res) => {
    requireMetricsReader(principalOf(res));
    if (!metrics) throw notFound('Metrics are disabled: conf/metrics.json has "enabled": false; set it to true (or remove the file) and restart to serve them');
    if (!metrics.served) throw notFound('Metrics are disabled: config/metrics has "enabled": false; PUT it with "enabled": true to serve them again');
    const text = await metrics.scrape();
    res.setHeader('Content-Type', metrics.contentType);
    res.send(text);
  });
  return r;
}
