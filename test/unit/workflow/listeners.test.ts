import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance } from '../../../src/workflow/engine';

const root = path.resolve(__dirname, '../../..');
const fixture = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/bpmn', name), 'utf8');

describe('camunda JavaScript listeners', () => {
  it('run at process start, end, take, activity start/end and task assignment/create/complete', async () => {
    const def = await parseDefinition(fixture('h-listeners-camunda.bpmn'), 'h-listeners-camunda.bpmn');
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { owner: 'bjensen' });
    expect(started.error).toBeUndefined();
    expect(started.status).toBe('waiting');
    const [task] = started.openTasks;
    expect(task).toMatchObject({ assignee: 'bjensen.lead', candidateGroups: ['auditors'], priority: 80 });
    expect(started.variables).toMatchObject({ reviewer: 'bjensen.lead', createdBy: 'listener' });
    expect(started.variables.trail).toEqual(['process start', 'start end', 'take toReview', 'review start', 'assignment bjensen.lead', 'create Review']);
    const done = await completeTask(def, started.state!, task.executionId, { approved: 'true' });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('ended');
    expect(done.endActivityId).toBe('yes');
    expect(done.variables.trail).toEqual([
      'process start', 'start end', 'take toReview', 'review start', 'assignment bjensen.lead', 'create Review',
      'complete true', 'review end yes', 'process end',
    ]);
  });
});
