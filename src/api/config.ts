// config/<name>: the project's configuration, read-only, for administrators (the UI lists mappings).
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { notFound } from '../crest/errors';
import { AppContext } from '../context';

export function configRouter(ctx: AppContext): Router {
  const r = Router();
  r.get('/config/sync', (_req, res) => {
    requireAdmin(principalOf(res));
    const sync = (ctx.config.raw['sync.json'] ?? { mappings: [] }) as { mappings: { name: string; source: string; target: string }[] };
    res.json({ _id: 'sync', mappings: sync.mappings.map((m) => ({ name: m.name, source: m.source, target: m.target })) });
  });
  r.get('/config/:name', (req, res) => {
    requireAdmin(principalOf(res));
    // As written (IDM's config reads show &{…} unresolved): a value from the environment is not served.
    const json = ctx.config.written[`${req.params.name}.json`];
    if (json === undefined || req.params.name === 'authentication') throw notFound(`Configuration ${req.params.name} not found`);
    res.json({ _id: req.params.name, ...(json as object) });
  });
  return r;
}
