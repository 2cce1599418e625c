// docs/modeling.md's kit examples, run as written: a process with sub-processes, one with
// multi-instance activities, and one that waits for a message (issue 15, deliverable 9).
import { processTestKit, ProcessTestKit } from '../../src/testing';

describe('kit examples (docs/modeling.md, Testing a process with the kit)', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: '2030-01-01T09:00:00Z' });
  });
  afterEach(() => kit.close());

  it('a sub-process: the tasks inside it, nested, and the path out of it', async () => {
    await kit.deploy('test/fixtures/bpmn/h-tasks-subprocess.bpmn');
    const p = await kit.start('hTasksSubprocess', { sourceId: 'bjensen', checker: 'ann', signer: 'bob' });
    await p.expectWaitingAt('check', { name: 'Check bjensen', assignee: 'ann' });
    await p.complete('check', { help: false });
    await p.expectWaitingAt('sign', { assignee: 'bob' });
    await p.complete('sign', { signed: 'true' });
    await p.expectEndedAt('approved');
    await p.expectPassedInOrder('check', 'sign', 'deeper', 'review', 'decide', 'approved');
    await p.expectNotPassed('assist');
  });

  it('multi-instance: one task per approver, done when two said yes; then a sequential sign-off and a sub-process per region', async () => {
    await kit.deploy('test/fixtures/bpmn/h-tasks-multi-instance.bpmn');
    const p = await kit.start('hTasksMultiInstance', { approvers: ['ann', 'bob', 'cy'], signatures: 1, regionList: ['us'] });
    expect((await p.tasks()).map((t) => [t.taskDefinitionKey, t.assignee])).toEqual([['vote', 'ann'], ['vote', 'bob'], ['vote', 'cy']]);
    await p.complete('vote', { yes: 1 }, { assignee: 'ann' });
    await p.complete('vote', { yes: 2 }, { assignee: 'bob' });
    await p.expectNotWaitingAt('vote'); // cy's vote is no longer needed
    await p.expectWaitingAt('signOff', { assignee: 'signer0' });
    await p.complete('signOff');
    await p.expectWaitingAt('regionReview', { name: 'Review us', candidateGroups: ['us-admins'] });
    await p.complete('regionReview', { usDone: true });
    await p.expectEndedAt('done');
  });

  it('a message: the instance waits for it after the task, and a correlation by business key resumes it', async () => {
    await kit.deploy('test/fixtures/bpmn/h-events-task-then-message.bpmn');
    const p = await kit.start('hTaskThenMessage', {}, { businessKey: 'order-1' });
    await p.complete('approve');
    expect((await p.waits()).map((w) => [w.activityId, w.kind, w.name])).toEqual([['ack', 'message', 'acknowledged']]);
    await expect(kit.message('acknowledged', { businessKey: 'order-2' })).rejects.toMatchObject({ code: 400 });
    await kit.message('acknowledged', { businessKey: 'order-1', processVariables: { by: 'warehouse' } });
    await p.expectEndedAt('done');
    await p.expectVariables({ by: 'warehouse' });
  });
});
