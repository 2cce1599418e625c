#!/usr/bin/env node
// `npm start [-- -p PROJECT_DIR]` and `reconflow start [-p DIR]`: runs the server until SIGTERM/SIGINT.
import { runtimeOptions, RuntimeOptions } from '../config/project';
import { ConfigError } from '../config/conf';
import { NodeIdInUse } from '../config/nodeIdentity';
import { consoleLogger, LogConfigError } from '../log';
import { startServer } from '../server';
import { defaultHooks } from '../wiring';
import { ProcessFolderRefused } from '../workflow/definitions';

/**
 * FOR TESTS ONLY: RECONFLOW_TEST_CLOCK_OFFSET_MS=30000 makes this process's Date.now() run that far
 * ahead (negative: behind), as on a machine with a skewed clock. The reliability suite uses it to
 * show that locks, heartbeats and sweeps follow the database's clock. Never set it in production.
 */
function applyTestClockOffset(log: ReturnType<typeof consoleLogger>): void {
  const offset = Number(process.env.RECONFLOW_TEST_CLOCK_OFFSET_MS ?? 0);
  if (!offset || !Number.isFinite(offset)) return;
  const real = Date.now.bind(Date);
  Date.now = () => real() + offset;
  log.warn(`RECONFLOW_TEST_CLOCK_OFFSET_MS=${offset}: this process's clock is skewed on purpose (a test setting)`);
}

/** LOG_LEVEL/LOG_FORMAT are checked before anything else: a bad one stops the start, naming it. */
function logger(): ReturnType<typeof consoleLogger> {
  try {
    return consoleLogger();
  } catch (e) {
    if (!(e instanceof LogConfigError)) throw e;
    process.stderr.write(`start-up refused: ${e.message}\n`);
    process.exit(1);
  }
}

/** Starts the server and keeps the process until a signal stops it; a refused start exits 1. */
export async function runServer(options: () => RuntimeOptions = () => runtimeOptions()): Promise<void> {
  const log = logger();
  applyTestClockOffset(log);
  let server;
  try {
    server = await startServer(options(), defaultHooks(), log);
  } catch (e) {
    if (e instanceof ConfigError) log.error(`configuration error in conf/${e.message}`);
    else if (e instanceof NodeIdInUse || e instanceof ProcessFolderRefused) log.error(`start-up refused: ${e.message}`);
    else log.error('start-up failed', e);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info(`${signal} received: finishing work in flight`);
    server!.stop().then(
      () => process.exit(0),
      (e) => {
        log.error('shutdown failed', e);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (e) => log.error('unhandled rejection (kept running)', e));
}

if (require.main === module) void runServer();
