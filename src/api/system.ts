// system/<connector>/<objectType> (administrators): read the source through its connector; the
// query itself is recon/sourceQuery.ts. system?_action=test and system/<name>?_action=test answer
// as OpenIDM's SystemObjectSetService/OpenICFProvisionerService test actions do.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { badRequest, notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest, resultShape, sortInMemory } from '../crest/query';
import { AppContext } from '../context';
import { SourceConnector } from '../recon/connector';
import { querySource, streamSource } from '../recon/sourceQuery';
import { refuseUnpagedOver, sendUnpaged, shapeBatches } from './queryStream';
import { actionOf, queryString, unknownAction } from './http';

export function systemRouter(connectors: Map<string, SourceConnector>) {
  return (ctx: AppContext): Router => {
    const r = Router();
    const connectorOf = (name: string, type: string) => {
      const c = connectors.get(`system/${name}/${type}`);
      if (!c) throw notFound(`No connector system/${name}/${type}`);
      return c;
    };
    const systems = () => [...new Set([...connectors.values()].map((c) => c.name))];

    /**
     * IDM's connector test answer: {name, enabled, config, objectTypes, connectorRef, displayName, ok}
     * (OpenICFProvisionerService.getStatus); `ok` is whether every object type of the connector
     * could be read now, and `error` says why not.
     */
    const test = async (name: string) => {
      const conf = (ctx.config.raw[`provisioner.openicf-${name}.json`] ?? {}) as { connectorRef?: Record<string, unknown>; objectTypes?: Record<string, unknown>; enabled?: boolean };
      const own = [...connectors.values()].filter((c) => c.name === name);
      let error: string | undefined;
      for (const c of own) {
        try {
          for await (const _rec of c.query()) break;
        } catch (e) {
          error = `${c.objectType}: ${(e as Error).message}`.slice(0, 1000);
          break;
        }
      }
      return {
        name,
        enabled: conf.enabled !== false,
        config: `config/provisioner.openicf/${name}`,
        objectTypes: ['__ALL__', ...own.map((c) => c.objectType)],
        connectorRef: conf.connectorRef ?? null,
        displayName: conf.connectorRef?.connectorName === 'org.forgerock.openicf.csvfile.CSVFileConnector' ? 'CSV File Connector' : String(conf.connectorRef?.connectorName ?? name),
        ok: error === undefined,
        ...(error !== undefined ? { error } : {}),
      };
    };

    r.post('/system', async (req, res) => {
      requireAdmin(principalOf(res));
      const action = actionOf(req);
      if (action !== 'test') throw unknownAction(action);
      res.json(await Promise.all(systems().map(test)));
    });

    r.post('/system/:name', async (req, res) => {
      requireAdmin(principalOf(res));
      const action = actionOf(req);
      if (action !== 'test') throw unknownAction(action);
      if (!systems().includes(req.params.name)) throw notFound(`No connector system/${req.params.name}`);
      res.json(await test(req.params.name));
    });

    r.get('/system/:name/:type', async (req, res) => {
      requireAdmin(principalOf(res));
      const c = connectorOf(req.params.name, req.params.type);
      const q = parseQueryRequest(req.query as Record<string, unknown>);
      const fields = parseFields(queryString(req, '_fields'));
      if (!q.sort.length && q.pageSize === undefined) {
        // Unpaged: as the connector reads the records, however many match (src/api/queryStream.ts).
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(streamSource(c, q.filter, q.offset), (o) => resultShape(q, project(o, fields))),
          count: async () => (await querySource(c, q.filter, 0, 0, true)).total,
        }, ctx.log);
      }
      if (!q.sort.length) {
        const page = await querySource(c, q.filter, q.offset, q.pageSize, q.totalPolicy !== 'NONE');
        return res.json(envelope(q, page.objects.map((o) => resultShape(q, project(o, fields))), page.total));
      }
      // Sorted: every match is read, then sorted and paged. A sort key must be one of the object
      // type's attributes (every CSV record has the same ones): another is 400, as IDM's.
      const every = await querySource(c, q.filter, 0, undefined, true);
      const first = every.objects[0] as Record<string, unknown> | undefined;
      for (const s of q.sort) {
        if (first && (s.field.length !== 1 || !Object.prototype.hasOwnProperty.call(first, s.field[0]))) {
          throw badRequest(`Sort key: ${s.field.join('/').slice(0, 100)} is not valid`, { validSortKeys: Object.keys(first) });
        }
      }
      // Sorted in memory: an unpaged answer is held whole, so it has a ceiling (conf/repo.json).
      refuseUnpagedOver(q, every.total, ctx.config.repo.query.maxUnpagedResults, 'objects');
      const sorted = sortInMemory(every.objects, q.sort);
      const page = sorted.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      res.json(envelope(q, page.map((o) => resultShape(q, project(o as Record<string, unknown>, fields))), every.total));
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
