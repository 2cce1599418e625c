// config/sync at run time (src/recon/liveMappings.ts): the new mappings are swapped into the one Map
// the reconciler reads, while a run under way keeps the CompiledMapping object it started with
// (OpenIDM's SynchronizationService builds new ObjectMappings for new runs only).
import fs from 'node:fs';
import path from 'node:path';
import { ScriptPath } from '../../../src/config/scriptPath';
import { packageRoot } from '../../../src/config/project';
import { AskAgain } from '../../../src/approval/askAgain';
import { CompiledMapping } from '../../../src/recon/interfaces';
import { compileMapping, validateSyncConfig } from '../../../src/recon/mapping';
import { mappingsLiveObject } from '../../../src/recon/liveMappings';

const scripts = new ScriptPath(packageRoot());
const own = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'conf', 'sync.json'), 'utf8'));

function setUp(schedules: Map<string, string[]> = new Map()) {
  const mappings = new Map<string, CompiledMapping>(validateSyncConfig(own, scripts).map((m) => [m.name, compileMapping(m, { scriptDirs: scripts.dirs })]));
  const askAgain: Record<string, AskAgain> = { gone: 'always' };
  const live = mappingsLiveObject({ mappings, askAgain, scripts, checkWorkflows: async () => undefined, schedulesByMapping: async () => schedules });
  return { mappings, askAgain, live };
}

describe('config/sync applied at run time', () => {
  it('swaps the mappings for new runs; the object a run holds is left as it was', async () => {
    const { mappings, askAgain, live } = setUp();
    const running = mappings.get(own.mappings[0].name)!;
    const changed = JSON.parse(JSON.stringify(own));
    changed.mappings[0].correlation = { targetField: 'mail', sourceField: 'email' };
    delete changed.mappings[0].correlationQuery;
    changed.mappings.push({ ...JSON.parse(JSON.stringify(own.mappings[0])), name: 'second' });
    const apply = await live.prepare('sync.json', changed);
    // prepare changes nothing by itself
    expect([...mappings.keys()]).toEqual([own.mappings[0].name]);
    await apply();
    expect([...mappings.keys()]).toEqual([own.mappings[0].name, 'second']);
    expect(mappings.get(own.mappings[0].name)).not.toBe(running);
    expect(running.name).toBe(own.mappings[0].name);
    expect(askAgain.gone).toBeUndefined();
  });

  it('refuses to drop a mapping that a schedule reconciles, naming both', async () => {
    const { mappings, live } = setUp(new Map([[own.mappings[0].name, ['nightly']]]));
    await expect(live.prepare('sync.json', { mappings: [] })).rejects.toThrow(/systemCsvfileAccounts_managedUser is reconciled by schedule nightly/);
    expect(mappings.size).toBe(1);
  });
});
