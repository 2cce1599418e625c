// system/<connector>/<objectType>: read the source through its connector.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest } from '../crest/query';
import { matchesFilter } from '../crest/queryFilter';
import { AppContext } from '../context';
import { SourceConnector } from '../recon/connector';
import { queryString } from './http';

export function systemRouter(connectors: Map<string, SourceConnector>) {
  return (_ctx: AppContext): Router => {
    const r = Router();
    const connectorOf = (name: string, type: string) => {
      const c = connectors.get(`system/${name}/${type}`);
      if (!c) throw notFound(`No connector system/${name}/${type}`);
      return c;
    };

    r.get('/system/:name/:type', async (req, res) => {
      requireAdmin(principalOf(res));
      const c = connectorOf(req.params.name, req.params.type);
      const q = parseQueryRequest(req.query as Record<string, unknown>);
      const fields = parseFields(queryString(req, '_fields'));
      const out: Record<string, unknown>[] = [];
      let skipped = 0;
      let total = 0;
      const stopAt = q.pageSize !== undefined ? q.pageSize + 1 : Infinity;
      for await (const rec of c.query()) {
        if (!rec.ok || !matchesFilter(q.filter, rec.object)) continue;
        total++;
        if (skipped < q.offset) {
          skipped++;
          continue;
        }
        if (out.length < stopAt) out.push(project(rec.object, fields));
        else if (q.totalPolicy === 'NONE') break;
      }
      res.json(envelope(q, out, total));
    });

    r.get('/system/:name/:type/:id', async (req, res) => {
      requireAdmin(principalOf(res));
      const obj = await connectorOf(req.params.name, req.params.type).read(req.params.id);
      if (!obj) throw notFound(`Object system/${req.params.name}/${req.params.type}/${req.params.id} not found`);
      res.json(project(obj, parseFields(queryString(req, '_fields'))));
    });

    return r;
  };
}
