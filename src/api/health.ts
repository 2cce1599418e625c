// /openidm/health/*. live and ready are anonymous (mounted before authentication): a Kubernetes
// probe or a load balancer cannot sign in, and they reveal only up/down and reason codes. IDM asks
// for credentials on health/*; here os, memory and recon, which describe the host and the work,
// require openidm-admin as every other endpoint of reconflow does.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { Health } from '../health';
import { principalOf } from './authenticate';

/** Mounted at the root before authentication: full paths. */
export function healthProbesRouter(health: () => Health): Router {
  const r = Router();
  r.get('/openidm/health/live', (_req, res) => {
    res.json({ _id: 'live', ...health().live() });
  });
  r.get('/openidm/health/ready', async (_req, res) => {
    const ready = await health().ready();
    res.status(ready.ready ? 200 : 503).json({ _id: 'ready', state: ready.ready ? 'ACTIVE_READY' : 'ACTIVE_NOT_READY', ...ready });
  });
  return r;
}

/** Mounted under /openidm after authentication. */
export function healthAdminRouter(health: () => Health): Router {
  const r = Router();
  r.use('/health', (_req, res, next) => {
    requireAdmin(principalOf(res));
    next();
  });
  r.get('/health/os', (_req, res) => void res.json(health().os()));
  r.get('/health/memory', (_req, res) => void res.json(health().memory()));
  r.get('/health/recon', (_req, res) => void res.json(health().recon()));
  return r;
}
