// workflow/incident (administrators): dead jobs, failed instance steps and external tasks out of
// retries, read and retried.
//   GET  /workflow/incident?_queryFilter=…   CREST envelope of {_id, type, processInstanceId, processDefinitionId,
//                                            activityId, jobId, jobType, cause, time, attempts}
//   GET  /workflow/incident/{id}             one ("job-12", "instance-34", "externalTask-5"), 404 when none
//   POST /workflow/incident/{id}?_action=retry → {_id, status: "retried"}
//   POST /workflow/incident?_action=retry&_queryFilter=… → {matched, retried, failed, results} (at most
//                                            1,000 matching; 400 above, or when none matches; 409 when none was retried)
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { badRequest } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { parseQueryFilter } from '../crest/queryFilter';
import { envelope, parseQueryRequest, sortInMemory } from '../crest/query';
import { AppContext } from '../context';
import { refuseUnpagedOver } from './queryStream';
import { getIncident, queryIncidents, retryIncident, retryIncidentsMatching } from '../approval/incidents';
import { actionOf, queryString, unknownAction } from './http';

/** An incident's fields (src/repo/incidents.ts IncidentRow), the keys _sortKeys accepts. */
export const INCIDENT_SORT_KEYS = ['_id', 'type', 'processInstanceId', 'processDefinitionId', 'activityId', 'jobId', 'jobType', 'externalTaskId', 'cause', 'time', 'attempts'];

export function incidentsRouter(onRetry: () => void) {
  return (ctx: AppContext): Router => {
    const r = Router();
    r.use('/workflow/incident', (_req, res, next) => {
      requireAdmin(principalOf(res));
      next();
    });
    r.get('/workflow/incident', async (req, res) => {
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: INCIDENT_SORT_KEYS });
      // Newest first unless _sortKeys says otherwise (a stable sort keeps that order among equals).
      const all = sortInMemory(await queryIncidents(ctx.db.knex, q.filter), q.sort);
      // Sorted in memory: an unpaged answer is held whole, so it has a ceiling (conf/repo.json).
      refuseUnpagedOver(q, all.length, ctx.config.repo.query.maxUnpagedResults, 'incidents');
      const page = all.slice(q.offset, q.pageSize !== undefined ? q.offset + q.pageSize + 1 : undefined);
      const fields = parseFields(queryString(req, '_fields'));
      res.json(envelope(q, page.map((i) => project(i as unknown as Record<string, unknown>, fields)), all.length));
    });
    r.post('/workflow/incident', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'retry') throw unknownAction(action);
      const filter = queryString(req, '_queryFilter');
      if (filter === undefined) throw badRequest('Retry by query needs _queryFilter (one incident: POST workflow/incident/{id}?_action=retry)');
      const out = await retryIncidentsMatching(ctx.db.knex, parseQueryFilter(filter));
      onRetry();
      res.json(out);
    });
    r.get('/workflow/incident/:id', async (req, res) => {
      res.json(await getIncident(ctx.db.knex, req.params.id));
    });
    r.post('/workflow/incident/:id', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'retry') throw unknownAction(action);
      const out = await retryIncident(ctx.db.knex, req.params.id);
      onRetry();
      res.json(out);
    });
    return r;
  };
}
