// PUT/DELETE config/sync at run time (src/config/live.ts): the mappings are checked and compiled
// as at start, then swapped in the one Map the reconciler, the createUser job and the scheduler
// read. A run under way holds the CompiledMapping it started with, so it finishes with it; the
// next run uses the new one (OpenIDM's SynchronizationService also re-reads sync.json for new
// runs only).
import { askAgainOptions, AskAgain } from '../approval/askAgain';
import { ConfigError } from '../config/conf';
import { ScriptPath } from '../config/scriptPath';
import { CompiledMapping } from './interfaces';
import { compileMapping, validateSyncConfig } from './mapping';
import { ConfScriptOpts } from './script';

export interface LiveMappingsDeps {
  mappings: Map<string, CompiledMapping>;
  askAgain: Record<string, AskAgain>;
  scripts: ScriptPath;
  /** The server's conf-script log and properties (as at start). */
  scriptOpts?: Omit<ConfScriptOpts, 'scriptDirs'>;
  /** Throws a ConfigError when a policy starts a workflow that is not deployed (as at start). */
  checkWorkflows(mappings: Iterable<CompiledMapping>): Promise<void>;
  /** The schedules that start each mapping's reconciliation. */
  schedulesByMapping(): Promise<Map<string, string[]>>;
}

export function mappingsLiveObject(deps: LiveMappingsDeps) {
  return {
    async prepare(file: string, json: unknown | null) {
      const doc = json ?? { mappings: [] };
      const compiled = new Map(validateSyncConfig(doc, deps.scripts).map((m) => [m.name, compileMapping(m, { ...deps.scriptOpts, scriptDirs: deps.scripts.dirs })]));
      await deps.checkWorkflows(compiled.values());
      // A schedule that names a mapping that would no longer exist would fail at every fire.
      const orphans = [...(await deps.schedulesByMapping())].filter(([m]) => !compiled.has(m));
      if (orphans.length) {
        throw new ConfigError(file, `mappings: ${orphans.map(([m, ids]) => `${m} is reconciled by schedule ${ids.join(', ')}`).join('; ')}: keep the mapping, or delete or change the schedule first`);
      }
      const askAgain = askAgainOptions(doc);
      return () => {
        deps.mappings.clear();
        for (const [name, m] of compiled) deps.mappings.set(name, m);
        for (const k of Object.keys(deps.askAgain)) delete deps.askAgain[k];
        Object.assign(deps.askAgain, askAgain);
      };
    },
  };
}
