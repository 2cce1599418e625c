import fs from 'node:fs';
import path from 'node:path';
import { completeTask, fireDueTimers, parseDefinition, startInstance, type ParsedDefinition, type RunResult } from '../../../src/workflow/engine';
import { CapturingTimers } from '../../../src/workflow/timers';

const xml = fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn/timer-boundary.bpmn'), 'utf8');
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const HOUR = 3_600_000;

describe('timers are captured, never armed', () => {
  let def: ParsedDefinition;
  let started: RunResult;
  beforeAll(async () => {
    def = await parseDefinition(xml, 'timer-boundary.bpmn');
    jest.spyOn(global, 'setTimeout');
    started = await startInstance(def, {}, { now: () => T0 });
  });
  afterAll(() => jest.restoreAllMocks());

  it('starts waiting at approve with the PT2S escalation due on the injected clock', () => {
    expect(started.status).toBe('waiting');
    expect(started.openTasks.map((t) => [t.taskDefinitionKey, t.assignee])).toEqual([['approve', 'async.admin']]);
    expect(started.timers).toEqual([{ executionId: expect.stringMatching(/^escalationTimer_/), activityId: 'escalationTimer', expireAt: T0 + 2000 }]);
    // Nothing was scheduled on the real event loop with the timer's delay.
    expect((setTimeout as unknown as jest.Mock).mock.calls.filter(([, delay]) => delay === 2000)).toEqual([]);
  });

  it('leaves a timer that is not due yet waiting, unchanged', async () => {
    const run = await fireDueTimers(def, started.state!, T0 + 1000);
    expect(run.status).toBe('waiting');
    expect(run.timers).toEqual(started.timers);
    expect(run.openTasks.map((t) => t.executionId)).toEqual(started.openTasks.map((t) => t.executionId));
  });

  it('escalates once due: the interrupting timer cancels approve and openidm-admin gets the task', async () => {
    const escalated = await fireDueTimers(def, started.state!, T0 + 3000);
    expect(escalated.status).toBe('waiting');
    expect(escalated.openTasks.map((t) => [t.taskDefinitionKey, t.assignee])).toEqual([['escalated', 'openidm-admin']]);
    // The reminder on the escalated task counts from the escalation's due time.
    expect(escalated.timers).toEqual([{ executionId: expect.stringMatching(/^reminderTimer_/), activityId: 'reminderTimer', expireAt: T0 + 2000 + HOUR }]);
    await expect(completeTask(def, escalated.state!, started.openTasks[0].executionId, {})).rejects.toMatchObject({ code: 'TASK_NOT_WAITING' });
  });

  it('fires a non-interrupting R3/PT1H cycle once per due occurrence, three times at most', async () => {
    const escalated = await fireDueTimers(def, started.state!, T0 + 3000);
    const twoDue = await fireDueTimers(def, escalated.state!, T0 + 2000 + 2 * HOUR + 5);
    expect(twoDue.status).toBe('waiting');
    expect(twoDue.jobs).toEqual([
      { topic: 'sendReminder', activityId: 'reminderSent' },
      { topic: 'sendReminder', activityId: 'reminderSent' },
    ]);
    expect(twoDue.timers).toEqual([expect.objectContaining({ activityId: 'reminderTimer', expireAt: T0 + 2000 + 3 * HOUR })]);
    expect(twoDue.openTasks.map((t) => t.executionId)).toEqual(escalated.openTasks.map((t) => t.executionId));

    const last = await fireDueTimers(def, twoDue.state!, T0 + 10 * HOUR);
    expect(last.jobs).toHaveLength(1);
    expect(last.timers).toEqual([]);
    expect(last.status).toBe('waiting');

    const done = await completeTask(def, last.state!, last.openTasks[0].executionId, {});
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'escalatedDone', timers: [] });
  });

  it('completing before the escalation ends the process and drops its timers', async () => {
    const done = await completeTask(def, started.state!, started.openTasks[0].executionId, {}, { now: () => T0 + 500 });
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'done', timers: [], jobs: [] });
  });

  it('a recovered timer keeps its due time even when real time has moved on', async () => {
    // bpmn-engine would re-arm with a delay from its own clock; the stored due time decides.
    const later = await fireDueTimers(def, started.state!, T0 + 1999);
    expect(later.timers[0].expireAt).toBe(T0 + 2000);
    const fired = await fireDueTimers(def, later.state!, T0 + 2000);
    expect(fired.openTasks[0].taskDefinitionKey).toBe('escalated');
  });
});

describe('CapturingTimers', () => {
  it('captures, lists earliest first, clears and fires due ones', () => {
    let now = 1000;
    const timers = new CapturingTimers(() => now);
    const fired: string[] = [];
    const a = timers.register({ id: 'a', executionId: 'a_1', timerType: 'timeDuration', timeDuration: 'PT10S' }).setTimeout(() => fired.push('a'), 9999);
    timers.register({ id: 'b', executionId: 'b_1', timerType: 'timeCycle', timeCycle: 'R2/PT5S' }).setTimeout(() => fired.push('b'), 1);
    timers.register({ id: 'c', executionId: 'c_1', timerType: 'timeDate', expireAt: new Date(500) }).setTimeout(() => fired.push('c'), 0);
    timers.setTimeout(() => fired.push('plain'), 20_000);
    expect(timers.list().map((t) => [t.activityId, t.expireAt])).toEqual([['c', 500], ['b', 6000], ['a', 11_000], ['', 21_000]]);
    timers.clearTimeout(a);
    now = 50_000;
    while (timers.fireNextDue(now));
    expect(fired).toEqual(['c', 'b', 'plain']);
    expect(timers.list()).toEqual([]);
  });
});
