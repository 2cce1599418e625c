// jobs: the durable queue, for operators (openidm-admin): failed or dead jobs and their retry.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { conflict, notFound } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest } from '../crest/query';
import { AppContext } from '../context';
import * as jobs from '../jobs';
import type { Job } from '../jobs/interfaces';
import { actionOf, queryString, unknownAction } from './http';
import { sendUnpaged, shapeBatches } from './queryStream';

export function jobView(j: Job) {
  return {
    _id: String(j.id), key: j.key, type: j.type, state: j.state, attempts: j.attempts, maxAttempts: j.maxAttempts,
    runAt: new Date(j.runAt).toISOString(), lockedBy: j.lockedBy, lastError: j.lastError, payload: j.payload, result: j.result,
    createdAt: j.createdAt, updatedAt: j.updatedAt,
  };
}

export function jobsRouter(onRetry: () => void) {
  return (ctx: AppContext): Router => {
    const r = Router();
    const id = (raw: string) => (/^\d{1,15}$/.test(raw) ? Number(raw) : -1);
    r.use('/jobs', (_req, res, next) => {
      requireAdmin(principalOf(res));
      next();
    });
    r.get('/jobs', async (req, res) => {
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: jobs.JOB_SORT_KEYS });
      const fields = parseFields(queryString(req, '_fields'));
      if (q.pageSize === undefined) {
        // Unpaged: from a cursor, however many match (src/api/queryStream.ts).
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(jobs.stream(ctx.db.knex, q.filter, q.offset, q.sort), (j) => project(jobView(j), fields)),
          count: () => jobs.count(ctx.db.knex, q.filter),
        }, ctx.log);
      }
      const rows = await jobs.query(ctx.db.knex, q.filter, q.offset, q.pageSize + 1, q.sort);
      // The total only when asked for (EXACT or ESTIMATE): a count over the same filter.
      const total = q.totalPolicy !== 'NONE' ? await jobs.count(ctx.db.knex, q.filter) : undefined;
      res.json(envelope(q, rows.map((j) => project(jobView(j), fields)), total));
    });
    r.get('/jobs/_summary', async (_req, res) => {
      res.json({ _id: '_summary', states: await jobs.countJobsByState(ctx.db.knex) });
    });
    r.get('/jobs/:id', async (req, res) => {
      const job = await jobs.read(ctx.db.knex, id(req.params.id));
      if (!job) throw notFound(`Job ${req.params.id} not found`);
      res.json(jobView(job));
    });
    r.post('/jobs/:id', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'retry') throw unknownAction(action);
      const job = await jobs.read(ctx.db.knex, id(req.params.id));
      if (!job) throw notFound(`Job ${req.params.id} not found`);
      if (!(await jobs.retry(ctx.db.knex, job.id))) throw conflict(`Job ${job.id} is ${job.state}; only dead jobs can be retried`);
      onRetry();
      res.json(jobView((await jobs.read(ctx.db.knex, job.id))!));
    });
    return r;
  };
}
