// An unbounded cycle (R/PT1H) on a non-interrupting boundary timer (Camunda's
// BoundaryTimerNonInterruptingEventTest.testTimerWithCycle) fires every period while its activity
// waits, each firing stored and recovered, and stops when the activity completes. What it does
// not do yet is open a second timerFiredTask beside the first: bpmn-elements runs one execution of
// an activity at a time, so the token of the second firing waits at timerFiredTask until the first
// is completed (then it opens). These tests pin both down (docs/modeling.md, "Timers").
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, fireDueTimers, parseDefinition, startInstance, type RunResult } from '../../../src/workflow/engine';

const FILE = path.resolve(__dirname, '../../conformance/files/camunda-bpm-platform/BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn20.xml');
const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3600_000;
const keys = (r: RunResult) => r.openTasks.map((t) => t.taskDefinitionKey).sort();
const dues = (r: RunResult) => r.timers.map((t) => [t.activityId, t.expireAt]);

describe('a repeating cycle on a non-interrupting boundary timer', () => {
  const source = fs.readFileSync(FILE, 'utf8');
  // a fresh parse per step, as after a restart
  const fire = async (xml: string, r: RunResult, at: number) => fireDueTimers(await parseDefinition(xml), r.state!, at);
  const complete = async (xml: string, r: RunResult, key: string, at: number) => {
    const task = r.openTasks.find((t) => t.taskDefinitionKey === key)!;
    return completeTask(await parseDefinition(xml), r.state!, task.executionId, {}, { now: () => at, templates: false });
  };

  it('R/PT1H fires every hour while the task waits (each firing a token to timerFiredTask) and stops with the task', async () => {
    const started = await startInstance(await parseDefinition(source), {}, { now: () => T0, start: 'engine' });
    expect(keys(started)).toEqual(['task']);
    expect(dues(started)).toEqual([['timer', T0 + HOUR]]);

    const first = await fire(source, started, T0 + HOUR);
    expect(keys(first)).toEqual(['task', 'timerFiredTask']);
    expect(dues(first)).toEqual([['timer', T0 + 2 * HOUR]]);

    const second = await fire(source, first, T0 + 2 * HOUR);
    expect(second.status).toBe('waiting');
    expect(dues(second)).toEqual([['timer', T0 + 3 * HOUR]]);
    // The second token waits at timerFiredTask while the first one is open.
    expect(keys(second)).toEqual(['task', 'timerFiredTask']);

    const withoutTask = await complete(source, second, 'task', T0 + 2 * HOUR + 1);
    expect(keys(withoutTask)).toEqual(['timerFiredTask']);
    expect(withoutTask.timers).toEqual([]); // the cycle ends with its activity
    const later = await fire(source, withoutTask, T0 + 5 * HOUR);
    expect(keys(later)).toEqual(['timerFiredTask']);

    const firstDone = await complete(source, later, 'timerFiredTask', T0 + 5 * HOUR);
    expect(keys(firstDone)).toEqual(['timerFiredTask']); // the second firing's token
    expect(firstDone.status).toBe('waiting');
    const done = await complete(source, firstDone, 'timerFiredTask', T0 + 5 * HOUR);
    expect(done).toMatchObject({ status: 'ended', endActivityId: 'nonInterruptingEnd' });
  });

  it('catches up: fired two hours late, R/PT1H fires twice and the next is due an hour after the last occurrence', async () => {
    const started = await startInstance(await parseDefinition(source), {}, { now: () => T0, start: 'engine' });
    const late = await fire(source, started, T0 + 2 * HOUR + 60_000);
    expect(dues(late)).toEqual([['timer', T0 + 3 * HOUR]]);
    const firstDone = await complete(source, late, 'timerFiredTask', T0 + 2 * HOUR + 60_000);
    expect(keys(firstDone)).toEqual(['task', 'timerFiredTask']);
  });

  it('R3/PT1H fires three times, then no more', async () => {
    const xml = source.replace('R/PT1H', 'R3/PT1H');
    let r = await startInstance(await parseDefinition(xml), {}, { now: () => T0, start: 'engine' });
    for (let hour = 1; hour <= 3; hour++) {
      expect(dues(r)).toEqual([['timer', T0 + hour * HOUR]]);
      r = await fire(xml, r, T0 + hour * HOUR);
    }
    expect(r.timers).toEqual([]);
    r = await fire(xml, r, T0 + 10 * HOUR);
    let fired = 0;
    while (keys(r).includes('timerFiredTask')) {
      r = await complete(xml, r, 'timerFiredTask', T0 + 10 * HOUR);
      fired++;
    }
    expect(fired).toBe(3);
  });
});
