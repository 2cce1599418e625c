// What the routers and workers share: one object built by server.ts at start-up.
import { Authenticator } from './auth/authenticator';
import { Sessions } from './auth/sessions';
import { ProjectConfig } from './config/conf';
import { RuntimeOptions } from './config/project';
import { ManagedUsers } from './managed/users';
import type { Metrics } from './metrics';
import { Db } from './repo/db';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
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
}
