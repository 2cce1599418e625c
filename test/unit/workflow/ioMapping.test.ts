import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';
import { decodeState, encodeState } from '../../../src/workflow/stateCodec';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');
const user = { name: 'Babs', manager: 'scarter', department: 'hr', limit: 50 };

describe('camunda:inputOutput (Camunda 7: inputs are local to the activity, outputs go to the process)', () => {
  it('maps text, ${expressions}, lists, maps, empty (null) and script values, and keeps inputs local', async () => {
    const def = await parseDefinition(fixture('h-listeners-io.bpmn'), 'h-listeners-io.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { user });
    expect(started.error).toBeUndefined();
    // The script task saw its inputs; its assignment to an input stayed local; its output went to the process.
    expect(started.variables).toEqual({ user, punctuation: '!', message: 'Hi, Babs!', seenByListener: 'scarter/null' });
    // The user task's expressions and listeners read its inputs.
    expect(started.openTasks[0]).toMatchObject({ assignee: 'scarter', candidateGroups: ['reviewers', 'hr'] });

    // Inputs are stored with the waiting task: a fresh engine (a restart) still has them for the outputs.
    const restored = encodeState(decodeState(started.state!));
    const done = await completeTask(def, restored, started.openTasks[0].executionId, { approved: 'true' });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('ended');
    expect(done.variables).toEqual({
      user, punctuation: '!', message: 'Hi, Babs!', seenByListener: 'scarter/null', approved: 'true',
      reviewedBy: 'scarter', reviewLimits: { amount: 100, currency: 'EUR' }, verdict: 'granted 100', closed: 'true',
    });
    for (const local of ['greeting', 'who', 'approver', 'groups', 'limits', 'nothing']) expect(done.variables).not.toHaveProperty(local);
  });

  it('refuses what it cannot map, naming the element', async () => {
    const xml = fixture('h-listeners-io.bpmn').replace('<camunda:script scriptFormat="javascript">variables.approved', '<camunda:script scriptFormat="groovy">variables.approved');
    const def = await parseDefinition(xml, 'io.bpmn');
    expect(def.unrunnable?.message).toBe('Cannot deploy io.bpmn: camunda:outputParameter "verdict" of userTask "review" has a script in "groovy": groovy is not supported yet; reconflow runs JavaScript only');
    expect(def.unrunnable?.elementId).toBe('review');
  });
});
