// The durable runtime (kit: real SQL, a fake clock, the timer scheduler) with boundary timers on a
// waiting user task and tasks in sub-processes: task rows follow the engine exactly.
import { processTestKit, ProcessTestKit } from '../../src/testing';

const START = Date.UTC(2030, 0, 1, 9);

describe('boundary timers on a waiting task, durably', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: START });
    await kit.deploy('test/fixtures/bpmn/h-tasks-boundary-timers.bpmn');
  });
  afterEach(() => kit.close());

  it('non-interrupting: the same task row stays open and the reminder task is added; interrupting: it is replaced', async () => {
    const p = await kit.start('hTasksBoundaryTimers');
    const approve = await p.expectWaitingAt('approve', { assignee: 'alice' });
    await p.expectTimer('reminder', { at: START + 3600_000 });
    expect(await kit.advance('PT1H')).toBe(1);
    expect((await p.expectWaitingAt('approve')).id).toBe(approve.id);
    await p.expectWaitingAt('remind', { assignee: 'bob' });
    await p.complete('remind');
    await p.expectNotWaitingAt('remind');
    expect((await p.expectWaitingAt('approve')).id).toBe(approve.id);
    await kit.advance('PT23H');
    await p.expectNotWaitingAt('approve');
    await p.complete('escalated');
    await p.expectEndedAt('escalatedDone');
  });
});

describe('tasks in sub-processes, durably', () => {
  let kit: ProcessTestKit;
  beforeEach(async () => {
    kit = await processTestKit({ now: START });
    await kit.deploy('test/fixtures/bpmn/h-tasks-subprocess.bpmn');
    await kit.deploy('test/fixtures/bpmn/h-tasks-boundary-errors.bpmn');
  });
  afterEach(() => kit.close());

  it('a nested task and an event sub-process task, completed as the REST API would', async () => {
    const p = await kit.start('hTasksSubprocess', { sourceId: 'bjensen', checker: 'carol', signer: 'sam' });
    await p.expectWaitingAt('check', { name: 'Check bjensen', assignee: 'carol', formFields: ['help'] });
    await p.complete('check', { help: 'true' });
    await p.expectWaitingAt('sign', { assignee: 'sam' });
    await p.expectWaitingAt('assist', { name: 'Assist carol' });
    await p.complete('sign', { signed: 'FALSE' });
    await p.complete('assist');
    await p.expectEndedAt('helpEnd');
    expect(await p.variables()).toMatchObject({ help: true, signed: 'FALSE' });
  });

  it('an error end event in a sub-process: its boundary path opens a task, the sub-process task row is gone', async () => {
    const p = await kit.start('hTasksBoundaryErrors', { mode: 'sub' });
    await p.complete('verify', { isValid: 'no' });
    await p.expectNotWaitingAt('verify');
    await p.complete('handleInvalid');
    await p.expectEndedAt('invalidHandled');
  });
});
