// What the routers and workers share: one object built by server.ts at start-up.
import { Authenticator } from './auth/authenticator';
import { Sessions } from './auth/sessions';
import { ProjectConfig } from './config/conf';
import { RuntimeOptions } from './config/project';
import { ManagedUsers } from './managed/users';
import type { Metrics } from './metrics';
import type { LiveConfig } from './config/live';
import { Db } from './repo/db';

/**
 * Structured fields on a log line: ids and counts (reconId, instanceId, jobId…), never row values.
 * Password, authorization and cookie fields are redacted; e-mail addresses are masked (src/log.ts).
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, err?: unknown, fields?: LogFields): void;
  /** Only below the default level (LOG_LEVEL=debug); absent on loggers that have no such level. */
  debug?(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries these fields (src/log.ts childLogger wraps one without). */
  child?(fields: LogFields): Logger;
}

export interface AppContext {
  options: RuntimeOptions;
  config: ProjectConfig;
  db: Db;
  log: Logger;
  users: ManagedUsers;
  authenticator: Authenticator;
  sessions: Sessions;
  /** This server's metrics; null when conf/metrics.json turns them off. */
  metrics: Metrics | null;
  /** PUT/DELETE config/<name> at run time, and the objects that may change (src/config/live.ts). */
  liveConfig: LiveConfig;
}
