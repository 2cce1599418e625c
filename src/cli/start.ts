#!/usr/bin/env node
// `npm start [-- -p PROJECT_DIR]`: runs the server until SIGTERM/SIGINT.
import { runtimeOptions } from '../config/project';
import { ConfigError } from '../config/conf';
import { consoleLogger } from '../log';
import { startServer } from '../server';
import { defaultHooks } from '../wiring';

async function main(): Promise<void> {
  const log = consoleLogger();
  const options = runtimeOptions();
  let server;
  try {
    server = await startServer(options, defaultHooks(), log);
  } catch (e) {
    if (e instanceof ConfigError) log.error(`configuration error in conf/${e.message}`);
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

void main();
