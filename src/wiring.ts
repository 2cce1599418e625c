// Builds the rooms beyond the foundation (workflow, recon, jobs) and plugs them into the server:
// conf validators, routers, and the background work that start-up begins and shutdown ends.
import path from 'node:path';
import { Knex } from 'knex';
import { jobsRouter } from './api/jobs';
import { reconRouter } from './api/recon';
import { systemRouter } from './api/system';
import { uiRouter } from './api/ui';
import { workflowRouter } from './api/workflow';
import { AppContext } from './context';
import { JobHandler } from './jobs/interfaces';
import { defaultWorkerOptions, Worker } from './jobs/worker';
import { insertDecision } from './repo/decisions';
import { createCsvConnector, loadCsvConnectorConfig, SourceConnector } from './recon/connector';
import { CompiledMapping } from './recon/interfaces';
import { compileMapping, validateSyncConfig } from './recon/mapping';
import { Reconciler } from './recon/reconciler';
import { performAction } from './recon/sync';
import { AskAgain } from './recon/workflowTrigger';
import { ServerHooks } from './server';
import { Definitions } from './workflow/definitions';
import { EndedEvent, WorkflowRuntime } from './workflow/runtime';
import { watchProcesses } from './workflow/watch';

export interface Services {
  definitions: Definitions;
  runtime: WorkflowRuntime;
  reconciler: Reconciler;
  worker: Worker;
  connectors: Map<string, SourceConnector>;
  mappings: Map<string, CompiledMapping>;
}

/** Connectors from conf/provisioner.openicf-<name>.json, keyed by system/<name>/account. */
export function loadConnectors(ctx: AppContext): Map<string, SourceConnector> {
  const out = new Map<string, SourceConnector>();
  for (const [file, json] of Object.entries(ctx.config.raw)) {
    const m = /^provisioner\.openicf-(.+)\.json$/.exec(file);
    if (!m) continue;
    const name = ((json as { name?: string }).name ?? m[1]) as string;
    const cfg = loadCsvConnectorConfig(json, ctx.config.dir);
    out.set(`system/${name}/account`, createCsvConnector(cfg));
  }
  return out;
}

/** "Ask again after a rejection" per mapping, from the ABSENT policy's askAgainAfterRejection. */
function askAgainOptions(syncJson: unknown): Record<string, AskAgain> {
  const out: Record<string, AskAgain> = {};
  const mappings = ((syncJson as { mappings?: unknown[] })?.mappings ?? []) as { name: string; policies?: { situation: string; action: unknown }[] }[];
  for (const m of mappings) {
    const absent = m.policies?.find((p) => p.situation === 'ABSENT');
    const v = (absent?.action as { askAgainAfterRejection?: AskAgain } | undefined)?.askAgainAfterRejection;
    out[m.name] = v ?? 'whenSourceChanges';
  }
  return out;
}

/** The decision of an approval: approved if its end enqueued the create-user job. */
async function recordDecision(trx: Knex.Transaction, e: EndedEvent): Promise<void> {
  const v = e.instance.variables;
  if (e.result.status !== 'ended' || typeof v.mapping !== 'string' || typeof v.sourceId !== 'string') return;
  await insertDecision(trx, {
    processInstanceId: e.instance.id,
    taskId: e.taskId ?? null,
    mapping: v.mapping,
    sourceId: v.sourceId,
    sourceHash: typeof v.sourceHash === 'string' ? v.sourceHash : null,
    reconId: typeof v.reconId === 'string' ? v.reconId : null,
    decision: e.result.jobs.some((j) => j.topic === 'createUser') ? 'approved' : 'rejected',
    decidedBy: e.completedBy ?? null,
    decidedAt: new Date().toISOString(),
  });
}

export async function buildServices(ctx: AppContext): Promise<Services> {
  const definitions = new Definitions(ctx.db, ctx.log);
  const connectors = loadConnectors(ctx);
  const mappings = new Map(validateSyncConfig(ctx.config.raw['sync.json'] ?? { mappings: [] }).map((m) => [m.name, compileMapping(m)]));
  const handlers: Record<string, JobHandler> = {
    createUser: async (trx, payload) => {
      const vars = (payload.variables ?? {}) as Record<string, unknown>;
      const mapping = mappings.get(String(vars.mapping));
      if (!mapping) throw new Error(`createUser: unknown mapping ${String(vars.mapping)}`);
      const connector = connectors.get(mapping.source);
      if (!connector) throw new Error(`createUser: no connector for ${mapping.source}`);
      return performAction(trx, ctx.users, {
        mapping, connector, sourceId: String(vars.sourceId), action: 'CREATE', reconId: typeof vars.reconId === 'string' ? vars.reconId : null,
      });
    },
  };
  const worker = new Worker(ctx.db.knex, handlers, defaultWorkerOptions(ctx.options.nodeId), ctx.log);
  const runtime = new WorkflowRuntime(ctx.db, definitions, ctx.log, { onEnded: recordDecision, onJobsEnqueued: () => worker.nudge() }, {
    templates: ctx.config.workflow.templates,
  });
  const reconciler = new Reconciler(ctx.db, ctx.log, ctx.users, runtime, mappings, connectors, ctx.options.nodeId, {
    askAgain: askAgainOptions(ctx.config.raw['sync.json']),
    startVariables: { escalationDuration: ctx.config.workflow.escalationDuration },
  });
  return { definitions, runtime, reconciler, worker, connectors, mappings };
}

export function defaultHooks(onServices?: (s: Services) => void): ServerHooks {
  let services: Services | null = null;
  const need = () => {
    if (!services) throw new Error('services are not started');
    return services;
  };
  return {
    validators: {
      'sync.json': (json) => void validateSyncConfig(json),
      ...Object.fromEntries(['provisioner.openicf-csvfile.json'].map((f) => [f, (json: unknown) => void loadCsvConnectorConfig(json, '.')])),
    },
    onStart: [
      async (ctx) => {
        const s = (services = await buildServices(ctx));
        const processesDir = path.join(ctx.config.dir, ctx.config.workflow.processesDir);
        if (ctx.config.workflow.enabled) {
          const report = await s.definitions.deployDirectory(processesDir);
          if (report.failed.length) ctx.log.warn(`${report.failed.length} process file(s) could not be deployed`);
        }
        const stopWatching = ctx.config.workflow.enabled && ctx.config.workflow.watch ? watchProcesses(processesDir, s.definitions, ctx.log) : null;
        await s.reconciler.start();
        if (ctx.options.workers) s.worker.start();
        const timers = setInterval(() => void s.runtime.fireDue().catch((e) => ctx.log.error('timer scheduler', e)), 1_000);
        timers.unref();
        onServices?.(s);
        return async () => {
          if (stopWatching) {
            stopWatching();
            await stopWatching.idle();
          }
          clearInterval(timers);
          await s.reconciler.stop();
          await s.worker.stop();
        };
      },
    ],
    publicRouters: [uiRouter],
    routers: [
      (ctx) => workflowRouter(need().runtime)(ctx),
      (ctx) => reconRouter(need().reconciler)(ctx),
      (ctx) => systemRouter(need().connectors)(ctx),
      (ctx) => jobsRouter(() => need().worker.nudge())(ctx),
    ],
  };
}
