// /openidm/scheduler/job, for administrators: IDM's scheduler REST shapes (PingIDM "REST API:
// Schedules", https://docs.pingidentity.com/pingidm/8/rest-api-reference/endpoints/rest-schedules.html,
// and "Configure schedules": create with PUT /job/<id> or POST /job?_action=create, read, update
// (PUT), delete (answers the schedule), query, and the collection actions pauseJobs, resumeJobs
// ({"success": true}) and listCurrentlyExecutingJobs (an array of schedules)). The schedules and
// their firing are src/scheduler.
import { Request, Router } from 'express';
import { badRequest } from '../crest/errors';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest } from '../crest/query';
import { AppContext } from '../context';
import { JobView, Scheduler } from '../scheduler/scheduler';
import { actionOf, objectBody, queryString, unknownAction } from './http';

function valueAt(obj: unknown, field: string[]): unknown {
  let v: unknown = obj;
  for (const k of field) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function schedulerRouter(scheduler: Scheduler) {
  return (_ctx: AppContext): Router => {
    const r = Router();
    r.use('/scheduler', (_req, res, next) => {
      requireAdmin(principalOf(res));
      next();
    });
    const fields = (req: Request) => parseFields(queryString(req, '_fields'));
    // Schedules carry no _rev (as IDM answers them): a conditional write cannot be honoured.
    const noIfMatch = (req: Request) => {
      if (req.get('If-Match') !== undefined) throw badRequest('If-Match is not supported on scheduler jobs (they have no revision); send the request without it');
    };

    r.get('/scheduler/job', async (req, res) => {
      const q = parseQueryRequest(req.query as Record<string, unknown>);
      let all: JobView[] = await scheduler.list(q.filter);
      if (q.sort.length) {
        all = [...all].sort((x, y) => {
          for (const s of q.sort) {
            const c = compare(valueAt(x, s.field), valueAt(y, s.field));
            if (c) return s.descending ? -c : c;
          }
          return 0;
        });
      }
      const page = all.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      const f = fields(req);
      res.json(envelope(q, page.map((v) => project(v, f)), all.length));
    });

    r.post('/scheduler/job', async (req, res) => {
      const action = actionOf(req);
      if (action === 'create') {
        const view = await scheduler.create(objectBody(req));
        res.status(201).json(project(view, fields(req)));
      } else if (action === 'pauseJobs' || action === 'resumeJobs') {
        await scheduler.setPaused(action === 'pauseJobs');
        res.json({ success: true });
      } else if (action === 'listCurrentlyExecutingJobs') {
        res.json(await scheduler.executing());
      } else throw unknownAction(action);
    });

    r.get('/scheduler/job/:id', async (req, res) => {
      res.json(project(await scheduler.read(req.params.id), fields(req)));
    });

    r.put('/scheduler/job/:id', async (req, res) => {
      noIfMatch(req);
      const inm = req.get('If-None-Match');
      if (inm !== undefined && inm !== '*') throw badRequest('If-None-Match on a scheduler job may only be * (create only)');
      const createOnly = inm === '*';
      const { view, created } = await scheduler.put(req.params.id, objectBody(req), { createOnly });
      res.status(created ? 201 : 200).json(project(view, fields(req)));
    });

    r.delete('/scheduler/job/:id', async (req, res) => {
      noIfMatch(req);
      res.json(await scheduler.remove(req.params.id));
    });

    return r;
  };
}
