// Wires the rooms together: configuration, repository, accounts, workflow, recon, jobs, HTTP.
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createApp, RouterFactory } from './api/app';
import { accountLookup } from './auth/accounts';
import { Authenticator } from './auth/authenticator';
import { bootstrapAccounts } from './auth/bootstrap';
import { LoginRateLimiter } from './auth/rateLimiter';
import { dummyHash, setScryptParams } from './auth/passwords';
import { Sessions } from './auth/sessions';
import { ConfigError, ConfValidator, loadProjectConfig, ProjectConfig } from './config/conf';
import { claimNodeIdentity, NodeIdentity } from './config/nodeIdentity';
import { RuntimeOptions } from './config/project';
import { AppContext, Logger } from './context';
import { consoleLogger } from './log';
import { ManagedUsers } from './managed/users';
import { Metrics, MetricsConfig, metricsLiveObject, validateMetricsConfig } from './metrics';
import { LiveConfig } from './config/live';
import { listStoredConfig, StoredConfig } from './repo/config';
import { migrate, openDb } from './repo/db';

export interface RunningServer {
  ctx: AppContext;
  url: string;
  port: number;
  /** The listening HTTP server (tests observe its responses: test/helpers/openapi.ts). */
  httpServer: http.Server;
  /** Stops accepting, lets requests in flight and the current job finish, then closes the pool. */
  stop(): Promise<void>;
}

export interface ServerHooks {
  validators?: Record<string, ConfValidator>;
  routers?: RouterFactory[];
  publicRouters?: RouterFactory[];
  /** Runs after migrations and before listening; returns a stopper for background work. */
  onStart?: Array<(ctx: AppContext) => Promise<(() => Promise<void>) | void>>;
}

export async function startServer(options: RuntimeOptions, hooks: ServerHooks = {}, log: Logger = consoleLogger()): Promise<RunningServer> {
  // Checked before the repository is opened, so that a bad conf file fails fast.
  let config = loadProjectConfig(options.projectDir, hooks.validators);
  const db = openDb({ url: options.databaseUrl, schema: options.databaseSchema, projectDir: options.projectDir, sqliteSynchronous: config.repo.sqlite.synchronous });
  if (db.dialect !== 'sqlite' && (config.raw['repo.json'] as { sqlite?: unknown } | undefined)?.sqlite !== undefined) {
    log.warn(`repo.json: sqlite.synchronous has no effect on ${db.describe.split(' ')[0]} (the repository is not SQLite)`);
  }
  let identity: NodeIdentity;
  let stored: StoredConfig[];
  let metricsConfig: MetricsConfig;
  try {
    await migrate(db, options.databaseSchema);
    // Objects changed over REST (PUT/DELETE config/<name>, src/config/live.ts) replace their conf file.
    stored = await listStoredConfig(db.knex);
    if (stored.length) config = loadStoredOverrides(options.projectDir, hooks.validators, stored, log);
    metricsConfig = validateMetricsConfig(config.raw['metrics.json']);
  } catch (e) {
    await db.knex.destroy();
    throw e;
  }
  for (const w of config.warnings) log.warn(w);
  setScryptParams(config.authentication.passwordHashing.scrypt);
  // Made now, so that the first unknown user name does not cost two hashes.
  void dummyHash().catch(() => undefined);
  try {
    await bootstrapAccounts(db.knex, config.authentication, log);
    // Before the worker and reconciler take back what this node id's earlier process left.
    identity = await claimNodeIdentity(db.knex, options.nodeId, options.nodeIdDefault ?? false, log);
    options = { ...options, nodeId: identity.nodeId };
  } catch (e) {
    await db.knex.destroy();
    throw e;
  }
  const limiter = new LoginRateLimiter(db.knex, config.authentication.loginRateLimit.maxFailures, config.authentication.loginRateLimit.windowSeconds * 1000);
  const accounts = accountLookup(db.knex, config.authentication.modules);
  const authenticator = new Authenticator(accounts, limiter, log);
  const sessions = new Sessions(db.knex, accounts, config.authentication.sessions);
  authenticator.onRehash((before, after) => sessions.rebind(before, after));
  const metrics = metricsConfig.enabled ? new Metrics(db, log) : null;
  // PUT/DELETE config/<name> at run time; the rooms register what they can change (wiring.ts).
  const liveConfig = new LiveConfig({ db, log, config, validators: hooks.validators ?? {} });
  liveConfig.startedWith(stored);
  liveConfig.register(/^metrics\.json$/, metricsLiveObject({ metrics }), 'metrics');
  const ctx: AppContext = {
    options,
    config,
    db,
    log,
    users: new ManagedUsers(config.managed.find((o) => o.name === 'user'), config.authentication.passwordPolicy),
    authenticator,
    sessions,
    metrics,
    liveConfig,
  };
  ctx.metrics?.observeDatabase();
  // Run last at stop (stoppers run in reverse): the id is free only once the worker has stopped.
  const stoppers: Array<() => Promise<void>> = [() => identity.release()];
  try {
    for (const start of hooks.onStart ?? []) {
      const stop = await start(ctx);
      if (stop) stoppers.push(stop);
    }
  } catch (e) {
    // A refused start (e.g. a process file that cannot run) leaves nothing running behind it.
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
    await db.knex.destroy();
    throw e;
  }
  ctx.liveConfig.startPolling();
  stoppers.push(() => ctx.liveConfig.stop());
  const inflight = { count: 0 };
  const app = createApp(ctx, { routers: hooks.routers ?? [], publicRouters: hooks.publicRouters, inflight });
  const server = http.createServer(app);
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/openidm`;
  log.info(`ready on port ${port} (project ${options.projectDir}, repository ${db.describe})`);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + 10_000;
      while (inflight.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      for (const s of stoppers.reverse()) await s();
      ctx.metrics?.stop();
      await db.knex.destroy();
    })());
  return { ctx, url, port, httpServer: server, stop };
}

/** The configuration with the stored objects in place of their files; each replacement is logged. */
function loadStoredOverrides(projectDir: string, validators: Record<string, ConfValidator> | undefined, stored: StoredConfig[], log: Logger): ProjectConfig {
  const docs = Object.fromEntries(stored.map((r) => [`${r.name}.json`, r.document]));
  let config: ProjectConfig;
  try {
    config = loadProjectConfig(projectDir, validators, process.env, docs);
  } catch (e) {
    const row = e instanceof ConfigError ? stored.find((r) => `${r.name}.json` === e.file) : undefined;
    if (!row || !(e instanceof ConfigError)) throw e;
    const problem = e.message.slice(e.file.length + 2);
    throw new ConfigError(e.file, `(version ${row.version} stored in the repository by PUT config/${row.name}, which replaces conf/${e.file}) ${problem}; PUT a corrected document or DELETE it on a running node`);
  }
  for (const r of stored) {
    log.warn(`conf/${r.name}.json is replaced by version ${r.version} stored in the repository by ${r.updatedBy ?? 'a REST request'} (PUT/DELETE config/${r.name.replace('-', '/')})${r.document === null ? ': the object was deleted' : ''}`);
  }
  return config;
}
