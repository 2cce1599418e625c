// config and config/<name> (administrators): the project's configuration as OpenIDM's
// ConfigObjectService serves it: read, and for the objects that change at run time (sync,
// schedule/<name>, metrics) replaced, created and deleted through src/config/live.ts. A conf
// file `<factoryPid>-<alias>.json` is the factory configuration `<factoryPid>/<alias>` (OpenIDM's
// JSONConfigInstaller naming), e.g. provisioner.openicf-csvfile.json is
// config/provisioner.openicf/csvfile.
import { Request, Response, Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { badRequest, notFound } from '../crest/errors';
import { parseEtag } from '../crest/rev';
import { ConfigChange, fileOfId } from '../config/live';
import { AppContext } from '../context';

/** authentication.json holds the bootstrap users' passwords: not readable over REST (a change is 501, read at start only). */
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
  // The version stored over REST (0: the conf file as read at start), as the ETag If-Match compares.
  const etag = (res: Response, id: string) => res.setHeader('ETag', `"${ctx.liveConfig.versionOf(fileOfId(id))}"`);
  const answer = (res: Response, change: ConfigChange, status: number) => {
    res.setHeader('ETag', `"${change.version}"`);
    res.status(status).json({ _id: change.id, ...change.document });
  };
  const put = async (req: Request, res: Response, id: string) => {
    const p = principalOf(res);
    requireAdmin(p);
    const ifNoneMatch = parseEtag(req.header('If-None-Match'));
    if (ifNoneMatch !== null && ifNoneMatch !== '*') throw badRequest('If-None-Match on PUT accepts * only (create)');
    const ifMatch = parseEtag(req.header('If-Match')) ?? undefined;
    const change = await ctx.liveConfig.put(id, req.body, p.userName, { createOnly: ifNoneMatch === '*', ifMatch });
    answer(res, change, change.created ? 201 : 200);
  };
  const remove = async (req: Request, res: Response, id: string) => {
    const p = principalOf(res);
    requireAdmin(p);
    const change = await ctx.liveConfig.remove(id, p.userName, { ifMatch: parseEtag(req.header('If-Match')) ?? undefined });
    answer(res, change, 200);
  };

  // ConfigObjectService.read of the empty path: {_id: "", configurations: [{_id, pid, factoryPid}]}.
  r.get('/config', (_req, res) => {
    requireAdmin(principalOf(res));
    res.json({ _id: '', configurations: entries() });
  });
  // The whole object, as stored (config/sync is every mapping with all its keys).
  r.get('/config/:name', (req, res) => {
    requireAdmin(principalOf(res));
    const body = read(req.params.name);
    etag(res, req.params.name);
    res.json(body);
  });
  r.get('/config/:factoryPid/:alias', (req, res) => {
    requireAdmin(principalOf(res));
    const id = `${req.params.factoryPid}/${req.params.alias}`;
    const body = read(id);
    etag(res, id);
    res.json(body);
  });
  // PUT creates or replaces (CREST's upsert; If-None-Match: * creates only, If-Match: "<rev>" replaces that revision).
  r.put('/config/:name', (req, res) => put(req, res, req.params.name));
  r.put('/config/:factoryPid/:alias', (req, res) => put(req, res, `${req.params.factoryPid}/${req.params.alias}`));
  r.delete('/config/:name', (req, res) => remove(req, res, req.params.name));
  r.delete('/config/:factoryPid/:alias', (req, res) => remove(req, res, `${req.params.factoryPid}/${req.params.alias}`));
  // CREST's create in the config collection: the id is the body's _id (ConfigObjectService.create
  // refuses a create without one: "The passed identifier to create is null").
  r.post('/config', async (req, res) => {
    const p = principalOf(res);
    requireAdmin(p);
    if (req.query._action !== 'create') throw badRequest(`Action ${String(req.query._action ?? '').slice(0, 100)} is not supported on config (supported: create)`);
    const id = (req.body as { _id?: unknown } | undefined)?._id;
    if (typeof id !== 'string' || !id) throw badRequest('The passed identifier to create is null');
    answer(res, await ctx.liveConfig.put(id, req.body, p.userName, { createOnly: true }), 201);
  });
  return r;
}
