// recon (runs), sync (performAction) and audit/recon, for administrators. Each route parses its
// parameters and calls the Reconciler; the run's HTTP view is reconView.ts.
import { Router } from 'express';
import { requireAdmin } from '../auth/authorize';
import { principalOf } from './authenticate';
import { badRequest, conflict } from '../crest/errors';
import { parseFields, project } from '../crest/fields';
import { envelope, parseQueryRequest, resultShape } from '../crest/query';
import { AUDIT_SORT_KEYS, RUN_SORT_KEYS } from '../recon/reconciler';
import { AppContext } from '../context';
import { Reconciler } from '../recon/reconciler';
import { parseAction } from '../recon/resyncOne';
import { CompiledMapping, Situation, SITUATIONS } from '../recon/interfaces';
import { qualifierView } from '../recon/qualifierView';
import { actionOf, queryString, unknownAction } from './http';
import { runView } from './reconView';
import { sendUnpaged, shapeBatches } from './queryStream';

export function reconRouter(recon: Reconciler) {
  return (ctx: AppContext): Router => {
    const r = Router();

    r.use(['/recon', '/sync', '/audit'], (_req, res, next) => {
      requireAdmin(principalOf(res));
      next();
    });

    r.post('/recon', async (req, res) => {
      const action = actionOf(req);
      const p = principalOf(res);
      // ReconciliationService.handleAction: both actions answer {_id, state}; waitForCompletion=true
      // (default false) answers once the run has ended, with its final state. The run is recon/{id}.
      const wait = queryString(req, 'waitForCompletion') === 'true';
      if (action === 'recon') {
        const run = await recon.startRun(queryString(req, 'mapping'), wait, p.userName, { confirmDeletions: confirmDeletionsOf(queryString(req, 'confirmDeletions')) });
        res.json({ _id: run.id, state: run.state });
      } else if (action === 'reconById') {
        const id = queryString(req, 'id') ?? queryString(req, 'ids');
        if (!id) throw badRequest('The id parameter is required');
        const run = await recon.startRun(queryString(req, 'mapping'), wait, p.userName, { ids: id.split(',').map((x) => x.trim()).filter(Boolean) });
        res.json({ _id: run.id, state: run.state });
      } else throw unknownAction(action);
    });

    r.get('/recon', async (req, res) => {
      // IDM's answer ({reconciliations}, the latest 100) unless the client asks for a CREST query:
      // IDM's own clients send no query parameters and rely on that shape.
      if (req.query._queryFilter === undefined && req.query._queryId === undefined) {
        res.json({ reconciliations: (await recon.list()).map(runView) });
        return;
      }
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: RUN_SORT_KEYS });
      if (q.pageSize === undefined) {
        const fields = parseFields(queryString(req, '_fields'));
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(recon.streamRuns(q.filter, q.offset, q.sort), (run) => resultShape(q, project(runView(run), fields))),
          count: () => recon.countRuns(q.filter),
        }, ctx.log);
      }
      const rows = await recon.queryRuns(q.filter, q.offset, q.pageSize !== undefined ? q.pageSize + 1 : undefined, q.sort);
      const total = q.totalPolicy !== 'NONE' ? await recon.countRuns(q.filter) : undefined;
      const fields = parseFields(queryString(req, '_fields'));
      res.json(envelope(q, rows.map((run) => resultShape(q, project(runView(run), fields))), total));
    });

    r.get('/recon/:id', async (req, res) => {
      res.json(project(runView(await recon.read(req.params.id)), parseFields(queryString(req, '_fields'))));
    });

    r.post('/recon/:id', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'cancel') throw unknownAction(action);
      const run = await recon.cancel(req.params.id);
      // ReconciliationService.actionInstance: {_id, action, status: "SUCCESS"}, also for a run that has
      // already ended; `state` (reconflow's) says whether it was canceled or had ended as it had.
      res.json({ _id: run.id, action: 'cancel', status: 'SUCCESS', state: run.state });
    });

    r.post('/sync', async (req, res) => {
      const action = actionOf(req);
      if (action !== 'performAction') throw unknownAction(action);
      const mapping = recon.mapping(queryString(req, 'mapping'));
      const sourceId = queryString(req, 'sourceId');
      const targetId = queryString(req, 'targetId');
      if (!sourceId && !targetId) throw badRequest('The sourceId parameter (or, for a target-phase situation, targetId) is required');
      const situation = queryString(req, 'situation');
      if (situation !== undefined && !(SITUATIONS as readonly string[]).includes(situation)) throw badRequest(`situation must be one of ${SITUATIONS.join(', ')}`);
      // ObjectMapping.performAction: params.linkQualifier, "default" when absent; the view of that qualifier.
      let view: CompiledMapping;
      try {
        view = qualifierView(mapping, queryString(req, 'linkQualifier') ?? 'default');
      } catch (e) {
        throw badRequest((e as Error).message);
      }
      const common = { mapping: view, connector: recon.connectorFor(mapping), action: parseAction(queryString(req, 'action')), reconId: queryString(req, 'reconId') ?? null, situation: (situation as Situation | undefined) ?? null };
      // No sourceId: OpenIDM's ObjectMapping.performAction runs a TargetSyncOperation on targetId.
      const result = sourceId ? await recon.resync({ ...common, sourceId }) : await recon.resyncTarget({ ...common, targetId: targetId! });
      // OpenIDM's ObjectMapping.performAction throws SynchronizationException (a ConflictException)
      // on failure, e.g. "Expected situation does not match. Expected: ABSENT, Found: FOUND".
      if (result.status === 'FAILURE') throw conflict(result.message ?? `${result.action} failed for ${result.sourceId ?? targetId}`, result);
      // SynchronizationService.actionInstance answers {"status": "OK"}; the rest is reconflow's.
      res.json({ status: 'OK', situation: result.situation, action: result.action, sourceId: result.sourceId, targetId: result.targetId });
    });

    r.get('/audit/recon', async (req, res) => {
      const q = parseQueryRequest(req.query as Record<string, unknown>, { sortKeys: AUDIT_SORT_KEYS });
      const fields = parseFields(queryString(req, '_fields'));
      if (q.pageSize === undefined) {
        return sendUnpaged(req, res, q, {
          batches: shapeBatches(recon.streamAudit(q.filter, q.offset, q.sort), (e) => project(e as unknown as Record<string, unknown>, fields)),
          count: () => recon.countAudit(q.filter),
        }, ctx.log);
      }
      const rows = await recon.queryAudit(q.filter, q.offset, q.pageSize + 1, q.sort);
      const total = q.totalPolicy !== 'NONE' ? await recon.countAudit(q.filter) : undefined;
      res.json(envelope(q, rows.map((e) => project(e as unknown as Record<string, unknown>, fields)), total));
    });

    return r;
  };
}

/** confirmDeletions=<count>: the deletions/unlinks an administrator accepts beyond the mapping's deletionThreshold. */
function confirmDeletionsOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v)) throw badRequest(`confirmDeletions must be a count of targets (a non-negative integer), got "${v.slice(0, 50)}"`);
  return Number(v);
}
