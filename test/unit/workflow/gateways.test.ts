// Parallel and inclusive gateways with user tasks on their branches: forks open a task per branch,
// joins wait for every branch taken (and, inclusive, skip the ones not taken), then run what follows
// exactly once. The scripts after each join count how often they ran.
import type { ParsedDefinition } from '../../../src/workflow/engine';
import { EngineRun, loadFixture } from '../../helpers/engineRun';

describe('gateways (h-tasks-gateways.bpmn)', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await loadFixture('h-tasks-gateways.bpmn');
    expect(def.unrunnable).toBeUndefined();
  });

  it('parallel fork: a task per branch; one done, the instance still waits on the other; both, it joins once', async () => {
    const run = await EngineRun.start(def, { needsHr: false, amount: 0 });
    expect(run.keys).toEqual(['legal', 'security']);
    expect(run.task('legal').candidateGroups).toEqual(['legal']);
    await run.complete('security');
    expect(run.result.status).toBe('waiting');
    expect(run.keys).toEqual(['legal']);
    expect(run.result.variables.joined).toBeUndefined();
    await run.complete('legal');
    expect(run.result.variables.joined).toBe(1);
  });

  it('inclusive fork: every true condition is a branch ("TRUE" and "2000" coerced); the join waits for both, runs once', async () => {
    const run = await EngineRun.start(def, { needsHr: 'TRUE', amount: '2000' });
    await run.complete('legal');
    await run.complete('security');
    expect(run.keys).toEqual(['finance', 'hr']);
    await run.complete('hr');
    expect(run.result.status).toBe('waiting');
    expect(run.keys).toEqual(['finance']);
    expect(run.result.variables.merged).toBeUndefined();
    await run.complete('finance');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'end' });
    expect(run.result.variables).toMatchObject({ joined: 1, merged: 1 });
  });

  it('inclusive fork with one true condition: one branch, the join does not wait for the others', async () => {
    const run = await EngineRun.start(def, { needsHr: false, amount: 5000 });
    await run.complete('legal');
    await run.complete('security');
    expect(run.keys).toEqual(['finance']);
    await run.complete('finance');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'end' });
    expect(run.result.variables).toMatchObject({ merged: 1 });
  });

  it('no condition holds ("yes" is false in JUEL, "20" is not > 1000): the default flow', async () => {
    const run = await EngineRun.start(def, { needsHr: 'yes', amount: '20' });
    await run.complete('security');
    await run.complete('legal');
    expect(run.keys).toEqual(['fallback']);
    await run.complete('fallback');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'end' });
    expect(run.result.variables).toMatchObject({ joined: 1, merged: 1 });
  });
});
