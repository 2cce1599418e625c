// config and config/<name> (administrators): the project's configuration, read-only, as OpenIDM's
// ConfigObjectService reads it. A conf file `<factoryPid>-<alias>.json` is the factory
// configuration `<factoryPid>/<alias>` (OpenIDM's JSONConfigInstaller naming), e.g.
// provisioner.openicf-csvfile.json is config/provisioner.openicf/csvfile.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { notFound } from '../crest/errors';
import { AppContext } from '../context';

/** authentication.json holds the bootstrap users' passwords: not readable over REST. */
const HIDDEN = new Set(['authentication']);

function idOf(file: string): { _id: string; pid: string; factoryPid: string | null } {
  const name = file.replace(/\.json$/, '');
  const dash = name.indexOf('-');
  if (dash < 0) return { _id: name, pid: name, factoryPid: null };
  const factoryPid = name.slice(0, dash);
  const alias = name.slice(dash + 1);
  return { _id: `${factoryPid}/${alias}`, pid: `${factoryPid}.${alias}`, factoryPid };
}

export function configRouter(ctx: AppContext): Router {
  const r = Router();
  const entries = () => Object.keys(ctx.config.written).filter((f) => f.endsWith('.json') && !HIDDEN.has(f.replace(/\.json$/, ''))).map(idOf);
  const read = (id: string) => {
    const entry = entries().find((e) => e._id === id);
    if (!entry) throw notFound(`No configuration exists for id ${id.slice(0, 200)}`);
    const file = entry.factoryPid ? `${entry.factoryPid}-${id.slice(entry.factoryPid.length + 1)}.json` : `${id}.json`;
    // As written (IDM's config reads show &{…} unresolved): a value from the environment is not served.
    return { _id: id, ...(ctx.config.written[file] as object) };
  };

  // ConfigObjectService.read of the empty path: {_id: "", configurations: [{_id, pid, factoryPid}]}.
  r.get('/config', (_req, res) => {
    requireAdmin(principalOf(res));
    res.json({ _id: '', configurations: entries() });
  });
  // The whole object, as stored (config/sync is every mapping with all its keys).
  r.get('/config/:name', (req, res) => {
    requireAdmin(principalOf(res));
    res.json(read(req.params.name));
  });
  r.get('/config/:factoryPid/:alias', (req, res) => {
    requireAdmin(principalOf(res));
    res.json(read(`${req.params.factoryPid}/${req.params.alias}`));
  });
  return r;
}
