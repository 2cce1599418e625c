// system/<connector>/<objectType> (administrators): read the source through its connector; the
// query itself is recon/sourceQuery.ts.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest } from '../crest/query';
import { AppContext } from '../context';
import { SourceConnector } from '../recon/connector';
import { querySource } from '../recon/sourceQuery';
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
      const page = await querySource(c, q.filter, q.offset, q.pageSize, q.totalPolicy !== 'NONE');
      res.json(envelope(q, page.objects.map((o) => project(o, fields)), page.total));
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
