// Boundary events as BPMN says, on real runs recovered at every step: timers on a waiting user task
// (non-interrupting leaves it open and adds the new path's task; interrupting replaces it), an
// error thrown by a script or an error end event caught by an error boundary, a non-interrupting
// escalation boundary, and a terminate end event that ends the instance with a task still open.
import type { ParsedDefinition } from '../../../src/workflow/engine';
import { EngineRun, loadFixture } from '../../helpers/engineRun';

const HOUR = 3600_000;

describe('timer boundaries on a user task (h-tasks-boundary-timers.bpmn)', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await loadFixture('h-tasks-boundary-timers.bpmn');
  });

  it('non-interrupting PT1H: the task stays open (same execution) and the reminder task opens beside it', async () => {
    const run = await EngineRun.start(def);
    const approve = run.task('approve');
    expect(run.result.timers.map((t) => t.activityId).sort()).toEqual(['deadline', 'reminder']);
    await run.advance(HOUR - 1);
    expect(run.keys).toEqual(['approve']);
    await run.advance(1);
    expect(run.keys).toEqual(['approve', 'remind']);
    expect(run.task('approve').executionId).toBe(approve.executionId);
    expect(run.task('remind').assignee).toBe('bob');
    expect(run.result.timers.map((t) => t.activityId)).toEqual(['deadline']);
    await run.complete('remind');
    expect(run.keys).toEqual(['approve']);
    await run.complete('approve');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'done', timers: [] });
  });

  it('interrupting P1D: the task is taken away, the escalated one opens', async () => {
    const run = await EngineRun.start(def);
    await run.advance(24 * HOUR);
    expect(run.keys).toEqual(['escalated', 'remind']);
    await run.complete('remind');
    expect(run.keys).toEqual(['escalated']);
    await run.complete('escalated');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'escalatedDone' });
  });
});

describe('error and escalation boundaries (h-tasks-boundary-errors.bpmn)', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await loadFixture('h-tasks-boundary-errors.bpmn');
  });

  it('a script task that throws is caught by its error boundary', async () => {
    const run = await EngineRun.start(def, { mode: 'script' });
    expect(run.result.status).toBe('waiting');
    expect(run.task('fixIt').assignee).toBe('openidm-admin');
    await run.complete('fixIt');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'fixedEnd' });
  });

  it('the script that does not throw goes on', async () => {
    const run = await EngineRun.start(def, { mode: 'script', ok: true });
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'computedEnd', variables: { computed: true } });
  });

  it('an error end event in a sub-process (after a task completed there) is caught by the boundary on it', async () => {
    const run = await EngineRun.start(def, { mode: 'sub' });
    await run.complete('verify', { isValid: 'false' });
    expect(run.result.status).toBe('waiting');
    expect(run.keys).toEqual(['handleInvalid']);
    await run.complete('handleInvalid');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'invalidHandled' });
  });

  it('a valid check leaves the sub-process normally', async () => {
    const run = await EngineRun.start(def, { mode: 'sub' });
    await run.complete('verify', { isValid: 'True' });
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'checkedEnd' });
  });

  it('a non-interrupting escalation boundary adds the manager task while the sub-process goes on', async () => {
    const run = await EngineRun.start(def, { mode: 'esc' });
    await run.complete('step1');
    expect(run.keys).toEqual(['notifyManager', 'step2']);
    expect(run.task('notifyManager').candidateGroups).toEqual(['managers']);
    await run.complete('notifyManager');
    expect(run.keys).toEqual(['step2']);
    await run.complete('step2');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'workedEnd' });
  });
});

describe('terminate end event (h-tasks-terminate.bpmn)', () => {
  it('ends the instance with the other branch still waiting: no task left', async () => {
    const def = await loadFixture('h-tasks-terminate.bpmn');
    const run = await EngineRun.start(def);
    expect(run.keys).toEqual(['slow', 'veto']);
    await run.complete('veto');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'vetoed', openTasks: [] });
  });
});

describe('a non-interrupting timer inside a multi-instance sub-process (h-tasks-mi-timer.bpmn)', () => {
  it('fires once per iteration, each nudge task names its iteration, and the body ends with the last task', async () => {
    const def = await loadFixture('h-tasks-mi-timer.bpmn');
    const run = await EngineRun.start(def, { regions: ['eu', 'us'] });
    expect(run.tasks.map((t) => t.name)).toEqual(['Review eu', 'Review us']);
    expect(run.result.timers.map((t) => t.activityId)).toEqual(['nudge', 'nudge']);
    await run.advance(HOUR);
    expect(run.tasks.map((t) => t.name).sort()).toEqual(['Nudge eu', 'Nudge us', 'Review eu', 'Review us']);
    for (const name of ['Nudge eu', 'Review eu', 'Nudge us']) await run.complete(run.task(name.startsWith('Nudge') ? 'n' : 't', (t) => t.name === name));
    expect(run.tasks.map((t) => t.name)).toEqual(['Review us']);
    await run.complete('t');
    expect(run.result).toMatchObject({ status: 'ended', endActivityId: 'end' });
  });
});
