// The engine layer keeps the start variables of an instance with its state and refuses a completion
// that would change one, whatever path answers it (engine run, completion plan) and whatever state
// format holds it (a template reference, a full state, one stored before the names were recorded).
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';
import { decodeState, encodeState } from '../../../src/workflow/stateCodec';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const VARS = { sourceId: 'bjensen', mapping: 'm', reconId: 'r1' };

describe('start variables', () => {
  it('are recorded with a full state and guarded on completion', async () => {
    const def = await parseDefinition(read('test/fixtures/bpmn/completion-rules.bpmn'));
    const started = await startInstance(def, VARS, { start: 'engine' });
    expect(decodeState(started.state!).start).toEqual(['sourceId', 'mapping', 'reconId']);
    const exec = started.openTasks[0].executionId;
    await expect(completeTask(def, started.state!, exec, { decision: 'yes', sourceId: 'scarter' })).rejects.toMatchObject({ code: 'FORM_VALIDATION', field: 'sourceId' });
    const next = await completeTask(def, started.state!, exec, { decision: 'yes', sourceId: 'bjensen' });
    expect(next).toMatchObject({ status: 'waiting', openTasks: [expect.objectContaining({ taskDefinitionKey: 'notes' })] });
    // Carried on to the next stored state: a later task cannot change them either.
    expect(decodeState(next.state!).start).toEqual(['sourceId', 'mapping', 'reconId']);
    await expect(completeTask(def, next.state!, next.openTasks[0].executionId, { sourceId: 'x' })).rejects.toMatchObject({ field: 'sourceId' });
  });

  it('of a template-started instance are all its variables, on the engine and the plan path', async () => {
    const def = await parseDefinition(read('processes/managedUserApproval.bpmn'));
    const run = async (values: Record<string, unknown>, vars: Record<string, unknown> = VARS) => {
      const s = await startInstance(def, vars, { externalVariables: true });
      return completeTask(def, s.state!, s.openTasks[0].executionId, values, { variables: s.variables });
    };
    // The engine alone (as in a worker thread), expanding the template reference:
    const s = await startInstance(def, { ...VARS, requestApproved: 'false' }, { externalVariables: true });
    await expect(completeTask(def, s.state!, s.openTasks[0].executionId, { requestApproved: 'true' }, { variables: s.variables, templates: false })).rejects.toMatchObject({ field: 'requestApproved' });
    // The first completion of the path runs the engine, the next ones are answered by the plan.
    for (let i = 0; i < 3; i++) {
      await expect(run({ requestApproved: 'true' }, { ...VARS, requestApproved: 'false' })).rejects.toMatchObject({ field: 'requestApproved' });
      expect(await run({ requestApproved: 'true' })).toMatchObject({ status: 'ended', endActivityId: 'approved' });
    }
  });

  it('of a state stored before they were recorded: every variable no form writes', async () => {
    const def = await parseDefinition(read('processes/managedUserApproval.bpmn'));
    const started = await startInstance(def, VARS, { start: 'engine' });
    const legacy = decodeState(started.state!);
    delete legacy.start;
    const state = encodeState(legacy);
    const exec = started.openTasks[0].executionId;
    await expect(completeTask(def, state, exec, { requestApproved: 'true', sourceId: 'scarter' })).rejects.toMatchObject({ field: 'sourceId' });
    expect(await completeTask(def, state, exec, { requestApproved: 'true' })).toMatchObject({ status: 'ended', variables: expect.objectContaining({ sourceId: 'bjensen' }) });
  });
});
