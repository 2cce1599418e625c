// Hot deployment from the processes folder (conf/workflow.json "watch": true): a change to a
// *.bpmn / *.bpmn20.xml file or a *.bar archive deploys the folder again, 300 ms after the last change, through
// Definitions.deployDirectory. A file changed since the folder last held it becomes a new version
// (running instances stay on theirs; Definitions.deployFile has the rule); an unchanged one is skipped; a file that does not parse is logged and deploys nothing,
// so the last good version stays the latest.
import fs from 'node:fs';
import { Logger } from '../context';
import { Definitions, DeployReport, isDeployable } from './definitions';

export const WATCH_DEBOUNCE_MS = 300;

/** Stops watching; `idle()` resolves once a deployment in progress (if any) has finished. */
export type StopWatching = (() => void) & { idle(): Promise<void> };

export interface WatchOptions {
  debounceMs?: number;
  /** Called after every deployment pass (tests, metrics). */
  onDeployed?: (report: DeployReport) => void;
}

export function watchProcesses(dir: string, definitions: Definitions, log: Logger, opts: WatchOptions = {}): StopWatching {
  const debounceMs = opts.debounceMs ?? WATCH_DEBOUNCE_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const deploy = async (): Promise<void> => {
    do {
      again = false;
      try {
        const report = await definitions.deployDirectory(dir);
        // deployDirectory logs each deployed version and each file it could not deploy.
        if (report.failed.length) log.warn(`processes watch: ${report.failed.length} file(s) not deployed; their previous versions stay in use`);
        opts.onDeployed?.(report);
      } catch (e) {
        log.error(`processes watch: deploying ${dir} failed`, e);
      }
    } while (again && !stopped);
  };

  const schedule = () => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      // A change during a deployment runs one more pass after it: the file may have been half written.
      if (running) {
        again = true;
        return;
      }
      running = deploy().finally(() => {
        running = undefined;
      });
    }, debounceMs);
    timer.unref();
  };

  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(dir, { persistent: false }, (_event, filename) => {
      // Editors' swap and backup files are not process files; no name (some platforms): look anyway.
      const name = filename === null || filename === undefined ? null : String(filename);
      if (name === null || isDeployable(name)) schedule();
    });
  } catch (e) {
    log.error(`processes watch: cannot watch ${dir}`, e);
    return Object.assign(() => undefined, { idle: async () => undefined });
  }
  watcher.on('error', (e) => log.error(`processes watch: ${dir}`, e));
  log.info(`watching ${dir} for process changes`);

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    watcher.close();
  };
  return Object.assign(stop, {
    idle: async () => {
      while (running) await running;
    },
  });
}
