// Builds the rooms beyond the foundation (workflow, recon, jobs) and plugs them into the server:
// conf validators, routers, and the background work that start-up begins and shutdown ends.
import path from 'node:path';
import { externalTaskRouter } from './api/externalTasks';
import { jobsRouter } from './api/jobs';
import { reconRouter } from './api/recon';
import { systemRouter } from './api/system';
import { crestRouter } from './api/crestEndpoints';
import { uiRouter } from './api/ui';
import { workflowRouter } from './api/workflow';
import { workflowEventsRouter } from './api/workflowEvents';
import { AppContext } from './context';
import { JobHandler } from './jobs/interfaces';
import { defaultWorkerOptions, Worker } from './jobs/worker';
import { askAgainOptions } from './approval/askAgain';
import { createUserHandler, recordDeadJob } from './approval/createUser';
import { recordDecision } from './approval/decision';
import { incidentsRouter } from './api/incidents';
import { createCsvConnector, loadCsvConnectorConfig, SourceConnector } from './recon/connector';
import { CompiledMapping } from './recon/interfaces';
import { compileMapping, validateSyncConfig } from './recon/mapping';
import { Reconciler } from './recon/reconciler';
import { ServerHooks } from './server';
import { Definitions, ProcessFolderRefused } from './workflow/definitions';
import { WorkflowRuntime } from './workflow/runtime';
import { CONTINUE_TOPIC } from './workflow/asyncBoundaries';
import { CALL_RETURN_TOPIC } from './workflow/calledInstances';
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

export async function buildServices(ctx: AppContext): Promise<Services> {
  const definitions = new Definitions(ctx.db, ctx.log);
  const connectors = loadConnectors(ctx);
  const mappings = new Map(validateSyncConfig(ctx.config.raw['sync.json'] ?? { mappings: [] }).map((m) => [m.name, compileMapping(m)]));
  // Asynchronous continuations (camunda:asyncBefore/After, activiti:/flowable:async) deploy only
  // where a worker runs their job (the runtime below, which needs the worker's nudge, runs it).
  const handlers: Record<string, JobHandler> = {
    createUser: createUserHandler({ mappings, connectors, users: ctx.users }),
    [CONTINUE_TOPIC]: (trx, payload, job) => runtime.continueJob(trx, payload, job),
    [CALL_RETURN_TOPIC]: (trx, payload, job) => runtime.callReturnJob(trx, payload, job),
  };
  definitions.asyncContinuations = true;
  definitions.callActivities = true;
  const worker = new Worker(ctx.db.knex, handlers, defaultWorkerOptions(ctx.options.nodeId), ctx.log, recordDeadJob);
  const runtime: WorkflowRuntime = new WorkflowRuntime(ctx.db, definitions, ctx.log, { onFinished: recordDecision, onJobsEnqueued: () => worker.nudge() }, {
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
          if (report.failed.length) throw new ProcessFolderRefused(processesDir, report.failed);
        }
        // Waiting instances stored as template references before templates were stored (issue 15).
        if (ctx.config.workflow.enabled) await s.definitions.storeTemplatesOfActiveDefinitions();
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
          await s.runtime.close();
        };
      },
    ],
    publicRouters: [uiRouter],
    routers: [
      (ctx) => workflowRouter(need().runtime)(ctx),
      (ctx) => workflowEventsRouter(need().runtime)(ctx),
      (ctx) => reconRouter(need().reconciler)(ctx),
      (ctx) => systemRouter(need().connectors)(ctx),
      (ctx) => jobsRouter(() => need().worker.nudge())(ctx),
      (ctx) => incidentsRouter(() => need().worker.nudge())(ctx),
      (ctx) => externalTaskRouter(need().runtime.externalTasks)(ctx),
      (ctx) => crestRouter(need().runtime)(ctx),
    ],
  };
}
