// Builds the rooms beyond the foundation (workflow, recon, jobs) and plugs them into the server:
// conf validators, routers, and the background work that start-up begins and shutdown ends.
import path from 'node:path';
import { externalTaskRouter } from './api/externalTasks';
import { jobsRouter } from './api/jobs';
import { reconRouter } from './api/recon';
import { schedulerRouter } from './api/scheduler';
import { systemRouter } from './api/system';
import { crestRouter } from './api/crestEndpoints';
import { uiRouter } from './api/ui';
import { workflowRouter } from './api/workflow';
import { workflowBulkRouter } from './api/workflowBulk';
import { workflowEventsRouter } from './api/workflowEvents';
import { AppContext } from './context';
import { DeadJobHook, JobHandler } from './jobs/interfaces';
import { defaultWorkerOptions, Worker } from './jobs/worker';
import { askAgainOptions } from './approval/askAgain';
import { createUserHandler, recordDeadJob } from './approval/createUser';
import { recordDecision } from './approval/decision';
import { incidentsRouter } from './api/incidents';
import { healthAdminRouter, healthProbesRouter } from './api/health';
import { Health } from './health';
import { SourceConnector } from './recon/connector';
import { loadProvisioner } from './recon/provisioners';
import { CompiledMapping } from './recon/interfaces';
import { ConfigError } from './config/conf';
import { ScriptPath } from './config/scriptPath';
import { compileMapping, validateSyncConfig } from './recon/mapping';
import { mappingsLiveObject } from './recon/liveMappings';
import { Reconciler } from './recon/reconciler';
import { ClusteredRecon, FINISH_JOB, PAGE_JOB } from './recon/clustered';
import { ConfScriptOpts } from './recon/script';
import { Scheduler } from './scheduler/scheduler';
import { ServerHooks } from './server';
import { Definitions, ProcessFolderRefused } from './workflow/definitions';
import { BULK_COMPLETE_TOPIC, recordDeadBulk, WorkflowRuntime } from './workflow/runtime';
import { CONTINUE_TOPIC } from './workflow/asyncBoundaries';
import { CALL_RETURN_TOPIC } from './workflow/calledInstances';
import { watchProcesses } from './workflow/watch';
import { InternalUsers } from './auth/internalUsers';
import { PropertyResolver } from './config/properties';
import { OpenidmFacade } from './scriptApi/openidmFacade';

export interface Services {
  definitions: Definitions;
  runtime: WorkflowRuntime;
  reconciler: Reconciler;
  worker: Worker;
  /** Runs the page and finish jobs of clustered reconciliations (src/recon/clustered.ts). */
  reconWorker: Worker;
  connectors: Map<string, SourceConnector>;
  mappings: Map<string, CompiledMapping>;
  health: Health;
  scheduler: Scheduler;
}

/** Connectors from conf/provisioner.openicf-<name>.json (by connectorRef.connectorName), keyed by system/<name>/<objectType>. */
export function loadConnectors(ctx: AppContext): Map<string, SourceConnector> {
  const out = new Map<string, SourceConnector>();
  for (const [file, json] of Object.entries(ctx.config.raw)) {
    if (!/^provisioner\.openicf-(.+)\.json$/.test(file)) continue;
    for (const c of loadProvisioner(file, json, ctx.config.dir)) out.set(`system/${c.name}/${c.objectType}`, c);
  }
  return out;
}

export async function buildServices(ctx: AppContext): Promise<Services> {
  const definitions = new Definitions(ctx.db, ctx.log);
  const connectors = loadConnectors(ctx);
  const scripts = new ScriptPath(ctx.config.dir);
  // sync.json scripts' identityServer.getProperty: a snapshot of the properties each names (script.ts).
  const properties = new PropertyResolver({ projectDir: ctx.config.dir });
  // This server's own, passed to each script it compiles (two servers in one process keep theirs).
  const scriptOpts: Omit<ConfScriptOpts, 'scriptDirs'> = {
    // sync.json scripts' logger lines: the server log, with the script's name (as the script API's logger).
    log: (script, level, text) => {
      if (level === 'error') ctx.log.error(text, undefined, { script });
      else if (level === 'warn') ctx.log.warn(text, { script });
      else if (level === 'info') ctx.log.info(text, { script });
      else ctx.log.debug?.(text, { script });
    },
    properties: (name) => properties.get(name),
  };
  const mappings = new Map(validateSyncConfig(ctx.config.raw['sync.json'] ?? { mappings: [] }, scripts).map((m) => [m.name, compileMapping(m, { ...scriptOpts, scriptDirs: scripts.dirs })]));
  // Asynchronous continuations (camunda:asyncBefore/After, activiti:/flowable:async) deploy only
  // where a worker runs their job (the runtime below, which needs the worker's nudge, runs it).
  const handlers: Record<string, JobHandler> = {
    createUser: createUserHandler({ mappings, connectors, users: ctx.users }),
    [CONTINUE_TOPIC]: (trx, payload, job) => runtime.continueJob(trx, payload, job),
    [CALL_RETURN_TOPIC]: (trx, payload, job) => runtime.callReturnJob(trx, payload, job),
    [BULK_COMPLETE_TOPIC]: (trx, payload, job) => runtime.bulkCompleteJob(trx, payload, job),
  };
  definitions.asyncContinuations = true;
  definitions.callActivities = true;
  const metrics = ctx.metrics ?? undefined;
  const onDead: DeadJobHook = async (trx, job, reason) => {
    await recordDeadJob(trx, job, reason);
    await recordDeadBulk(trx, job, reason);
  };
  const worker = new Worker(ctx.db.knex, handlers, defaultWorkerOptions(ctx.options.nodeId), ctx.log, onDead, metrics);
  const runtime: WorkflowRuntime = new WorkflowRuntime(ctx.db, definitions, ctx.log, { onFinished: recordDecision, onJobsEnqueued: () => worker.nudge(), metrics }, {
    templates: ctx.config.workflow.templates,
  });
  const askAgain = askAgainOptions(ctx.config.raw['sync.json']);
  const facade = scriptApi(ctx, runtime);
  const reconOptions = {
    askAgain,
    startVariables: { escalationDuration: ctx.config.workflow.escalationDuration },
    metrics,
    scripts: facade,
    onJobsEnqueued: () => reconWorker.nudge(),
  };
  const reconciler = new Reconciler(ctx.db, ctx.log, ctx.users, runtime, mappings, connectors, ctx.options.nodeId, reconOptions);
  const cluster = new ClusteredRecon({ db: ctx.db, users: ctx.users, runtime, mappings, connectors, options: reconOptions, nodeId: ctx.options.nodeId, log: ctx.log });
  // A clustered reconciliation's pages and its finish (src/recon/clustered.ts) have a worker of their
  // own that claims one page at a time per loop: the main worker claims in batches of 8 per loop,
  // which would let one node take most of a run's pages (and hold them all for a lock's 60 s if it
  // died). Its lock owner has this node's prefix, so a restart of the node re-queues its pages too
  // (the main worker does that at start; this one does not, or each would re-queue the other's; a
  // page claimed before that release is done runs again, its first commit refused on the lost lock).
  const clusterOptions = { ...defaultWorkerOptions(ctx.options.nodeId), nodeId: undefined, concurrency: 2, claimBatch: 1 };
  const reconWorker = new Worker(ctx.db.knex, cluster.handlers(), clusterOptions, ctx.log, cluster.onDead, metrics);
  facade.attachRecon(reconciler);
  const health = new Health({ db: ctx.db, worker: () => (ctx.options.workers ? worker.status() : null), recon: () => reconciler.activity() });
  const scheduler = new Scheduler(ctx.db, ctx.log, ctx.options.nodeId, reconciler, ctx.config.dir);
  // config/sync and config/schedule/<name> change at run time (src/config/live.ts).
  ctx.liveConfig.register(
    /^sync\.json$/,
    mappingsLiveObject({
      mappings, askAgain, scripts, scriptOpts,
      checkWorkflows: (ms) => refuseUndeployedWorkflows(definitions, ms, ctx.config.workflow.enabled, path.resolve(ctx.config.dir, ctx.config.workflow.processesDir)),
      schedulesByMapping: () => scheduler.schedulesByMapping(),
    }),
    'sync',
  );
  ctx.liveConfig.register(/^schedule-.+\.json$/, { prepare: (file, json) => scheduler.prepareConf(file, json) }, 'schedule/<name>');
  return { definitions, runtime, reconciler, worker, reconWorker, connectors, mappings, health, scheduler };
}

/** IDM's script API (openidm.*, identityServer, logger) for the scripts that may call it. */
function scriptApi(ctx: AppContext, runtime: WorkflowRuntime): OpenidmFacade {
  const auth = ctx.config.authentication;
  return new OpenidmFacade({
    knex: ctx.db.knex,
    users: ctx.users,
    internalUsers: new InternalUsers(ctx.db.knex, auth.passwordPolicy, auth.modules.staticUsers.map((s) => s.userName)),
    runtime,
    properties: new PropertyResolver({ projectDir: ctx.config.dir }),
    log: ctx.log,
  });
}

/**
 * A sync.json policy that starts a process whose key has no deployed definition would fail every
 * row it meets (an audit FAILURE per row while the run says SUCCESS): start-up stops instead,
 * naming the mapping, the situation, the key and the folder that was deployed.
 */
async function refuseUndeployedWorkflows(definitions: Definitions, mappings: Iterable<CompiledMapping>, enabled: boolean, processesDir: string): Promise<void> {
  const missing: string[] = [];
  for (const m of mappings) {
    // Every configured policy, whatever its condition (no default action is a workflow); an action
    // script's workflowName (IDM's convention, e.g. a project's triggerWorkflowFromSync.js) counts too.
    for (const { situation, policy: p } of m.configuredPolicies) {
      const key = p.kind === 'workflow' ? p.workflowName : p.kind === 'script' && typeof p.script.globals.workflowName === 'string' ? p.script.globals.workflowName : null;
      if (key === null) continue;
      const deployed = enabled && (await definitions.latest(key).then(() => true, () => false));
      if (!deployed) missing.push(`mapping ${m.name} policy ${situation} starts workflow "${key}"`);
    }
  }
  if (!missing.length) return;
  throw new ConfigError(
    'sync.json',
    `${missing.join('; ')}, but ${enabled ? `no process definition has that key: ${processesDir} holds no process file (*.bpmn, *.bpmn20.xml, *.bar) that defines it` : 'workflow.json has "enabled": false'}. ` +
      'Put the process in the workflow folder (workflow.json "workflowDirectory"), or change the policy',
  );
}

export function defaultHooks(onServices?: (s: Services) => void): ServerHooks {
  let services: Services | null = null;
  const need = () => {
    if (!services) throw new Error('services are not started');
    return services;
  };
  return {
    validators: {
      'sync.json': (json, _file, projectDir) => void validateSyncConfig(json, new ScriptPath(projectDir)),
    },
    onStart: [
      async (ctx) => {
        const s = (services = await buildServices(ctx));
        // conf/schedule-*.json: a bad file stops the start (file and key named) before anything runs.
        await s.scheduler.loadConf(ctx.config.raw);
        const processesDir = path.resolve(ctx.config.dir, ctx.config.workflow.processesDir);
        for (const w of ctx.config.workflow.warnings) ctx.log.warn(w);
        if (ctx.config.workflow.enabled) {
          const report = await s.definitions.deployDirectory(processesDir);
          if (report.failed.length) throw new ProcessFolderRefused(processesDir, report.failed);
        }
        await refuseUndeployedWorkflows(s.definitions, s.mappings.values(), ctx.config.workflow.enabled, processesDir);
        // Waiting instances stored as template references before templates were stored (issue 15).
        if (ctx.config.workflow.enabled) await s.definitions.storeTemplatesOfActiveDefinitions();
        const stopWatching = ctx.config.workflow.enabled && ctx.config.workflow.watch ? watchProcesses(processesDir, s.definitions, ctx.log) : null;
        await s.reconciler.start();
        if (ctx.options.workers) s.worker.start();
        if (ctx.options.workers) s.reconWorker.start();
        if (ctx.options.workers) s.scheduler.start();
        const timers = setInterval(() => void s.runtime.fireDue().catch((e) => ctx.log.error('timer scheduler', e)), 1_000);
        timers.unref();
        onServices?.(s);
        return async () => {
          if (stopWatching) {
            stopWatching();
            await stopWatching.idle();
          }
          clearInterval(timers);
          await s.scheduler.stop();
          await s.reconciler.stop();
          await s.worker.stop();
          await s.reconWorker.stop();
          await s.runtime.close();
        };
      },
    ],
    publicRouters: [uiRouter, () => healthProbesRouter(() => need().health)],
    routers: [
      (ctx) => workflowRouter(need().runtime)(ctx),
      (ctx) => workflowEventsRouter(need().runtime)(ctx),
      () => workflowBulkRouter(need().runtime),
      (ctx) => reconRouter(need().reconciler)(ctx),
      (ctx) => schedulerRouter(need().scheduler)(ctx),
      (ctx) => systemRouter(need().connectors)(ctx),
      (ctx) => jobsRouter(() => need().worker.nudge())(ctx),
      (ctx) => incidentsRouter(() => need().worker.nudge())(ctx),
      (ctx) => externalTaskRouter(need().runtime.externalTasks)(ctx),
      () => healthAdminRouter(() => need().health),
      (ctx) => crestRouter(need().runtime)(ctx),
    ],
  };
}
