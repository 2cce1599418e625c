// workflow/bulk/{id}: the progress of a bulk completion started by POST
// workflow/taskinstance?_action=complete&_queryFilter=… (src/workflow/bulkCompletion.ts), and its
// cancel. Only its starter or an administrator sees it (404 to anyone else).
import { Router } from 'express';
import { notFound } from '../crest/errors';
import type { WorkflowRuntime } from '../workflow/runtime';
import { principalOf } from './authenticate';
import { actionOf, unknownAction } from './http';

function bulkId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw notFound(`Bulk operation ${raw.slice(0, 64)} not found`);
  return Number(raw);
}

export function workflowBulkRouter(runtime: WorkflowRuntime): Router {
  const r = Router();
  r.get('/workflow/bulk/:id', async (req, res) => {
    res.json(await runtime.readBulkCompletion(bulkId(req.params.id), principalOf(res)));
  });
  r.post('/workflow/bulk/:id', async (req, res) => {
    const action = actionOf(req);
    if (action !== 'cancel') throw unknownAction(action);
    res.json(await runtime.cancelBulkCompletion(bulkId(req.params.id), principalOf(res)));
  });
  return r;
}
