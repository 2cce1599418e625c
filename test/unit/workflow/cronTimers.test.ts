import fs from 'node:fs';
import path from 'node:path';
import { fireDueTimers, parseDefinition, startInstance } from '../../../src/workflow/engine';
import { parseTimer } from '../../../src/workflow/timers';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');
// Wednesday 9 December 2026, 10:07:03 UTC
const T0 = Date.UTC(2026, 11, 9, 10, 7, 3);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const dues = (value: string, n: number, from = T0) => {
  const t = parseTimer('timeCycle', value);
  const out: (string | undefined)[] = [];
  for (let at: number | undefined = from, i = 0; i < n && at !== undefined; i++) out.push(iso((at = t.dueAfter(at))));
  return out;
};

describe('one timer parser (timers.ts)', () => {
  it('reads Quartz cron cycles as Camunda 7 does: seconds, ?, n/step, weekday names and numbers (1 = Sunday), L, #, year; in UTC', () => {
    expect(dues('0/5 0/1 * 1/1 * ?', 3)).toEqual(['2026-12-09T10:07:05.000Z', '2026-12-09T10:07:10.000Z', '2026-12-09T10:07:15.000Z']);
    expect(dues('0 0 9 ? * MON-FRI', 3)).toEqual(['2026-12-10T09:00:00.000Z', '2026-12-11T09:00:00.000Z', '2026-12-14T09:00:00.000Z']);
    expect(dues('0 0 9 ? * 2-6', 3)).toEqual(['2026-12-10T09:00:00.000Z', '2026-12-11T09:00:00.000Z', '2026-12-14T09:00:00.000Z']);
    expect(dues('0 0 12 ? * 1', 1)).toEqual(['2026-12-13T12:00:00.000Z']); // a Sunday
    expect(dues('0 0 12 L * ?', 2)).toEqual(['2026-12-31T12:00:00.000Z', '2027-01-31T12:00:00.000Z']);
    expect(dues('0 0 12 ? * 6#2', 1)).toEqual(['2026-12-11T12:00:00.000Z']); // second Friday
    expect(dues('0 30 8 1 1 ? 2028', 1)).toEqual(['2028-01-01T08:30:00.000Z']);
    expect(parseTimer('timeCycle', '0 0 9 ? * MON-FRI').repeat).toBe(-1);
  });

  it('reads ISO 8601 repeating intervals, durations and dates, ignoring surrounding whitespace', () => {
    expect(dues('R3/PT1H', 1)).toEqual([iso(T0 + 3_600_000)]);
    expect(parseTimer('timeCycle', 'R3/PT1H').repeat).toBe(3);
    expect(parseTimer('timeCycle', 'R/PT1H').repeat).toBe(-1);
    expect(dues('R/2030-01-01T00:00:00Z/P1D', 2)).toEqual(['2030-01-01T00:00:00.000Z', '2030-01-02T00:00:00.000Z']);
    expect(dues('R2/2026-12-08T00:00:00Z/P1D', 2)).toEqual(['2026-12-10T00:00:00.000Z', undefined]); // start + 2 intervals at most
    expect(iso(parseTimer('timeDuration', ' PT1H ').dueAfter(T0))).toBe(iso(T0 + 3_600_000));
    expect(iso(parseTimer('timeDuration', '\n  P1DT2H\n').dueAfter(T0))).toBe(iso(T0 + 26 * 3_600_000));
    expect(iso(parseTimer('timeDate', ' 2027-01-01T00:00:00Z ').dueAfter(T0))).toBe('2027-01-01T00:00:00.000Z');
  });

  it('refuses what it cannot read, naming the value', () => {
    expect(() => parseTimer('timeCycle', '0 0 9 * *')).toThrow(/has 5 fields; a cron timeCycle has 6 or 7/);
    expect(() => parseTimer('timeCycle', '0 0 25 ? * *')).toThrow(/"0 0 25 \? \* \*" is not a valid cron expression/);
    expect(() => parseTimer('timeDuration', 'PT1X')).toThrow(/timeDuration "PT1X" is not an ISO 8601 duration/);
    expect(() => parseTimer('timeDate', 'tomorrow')).toThrow(/timeDate "tomorrow" is not an ISO 8601 date/);
  });
});

describe('a cron timeCycle in a process', () => {
  it('waits with the reminder due at the next weekday 09:00 UTC and fires it, then the next one', async () => {
    const def = await parseDefinition(fixture('h-listeners-cron.bpmn'), 'h-listeners-cron.bpmn');
    const started = await startInstance(def, {}, { now: () => T0 });
    expect(started.error).toBeUndefined();
    expect(started.status).toBe('waiting');
    expect(started.timers.map((t) => [t.activityId, iso(t.expireAt)])).toEqual([['weekdayReminder', '2026-12-10T09:00:00.000Z']]);
    const fired = await fireDueTimers(def, started.state!, Date.UTC(2026, 11, 10, 9, 0, 1));
    expect(fired.error).toBeUndefined();
    expect(fired.status).toBe('waiting');
    expect(fired.jobs).toEqual([{ topic: 'sendReminder', activityId: 'reminded' }]);
    expect(fired.openTasks).toHaveLength(1);
    expect(fired.timers.map((t) => [t.activityId, iso(t.expireAt)])).toEqual([['weekdayReminder', '2026-12-11T09:00:00.000Z']]);
  });

  it('reads a cycle given by an expression the same way, on the engine layer\'s clock', async () => {
    const def = await parseDefinition(fixture('h-listeners-cron.bpmn').replace('0 0 9 ? * MON-FRI', '${reminderCycle}'));
    expect(def.unrunnable).toBeUndefined();
    const started = await startInstance(def, { reminderCycle: '0 30 7 ? * 1' }, { now: () => T0 });
    expect(started.timers.map((t) => iso(t.expireAt))).toEqual(['2026-12-13T07:30:00.000Z']); // the next Sunday
  });

  it('fails a timer value that cannot be read at its element, with the parser\'s words', async () => {
    const def = await parseDefinition(fixture('h-listeners-cron.bpmn').replace('0 0 9 ? * MON-FRI', '0 0 9 * *'), 'bad.bpmn');
    // Refused at deploy, naming the element …
    expect(def.unrunnable?.message).toBe('Cannot deploy bad.bpmn: boundaryEvent "weekdayReminder" has timeCycle "0 0 9 * *", which cannot be read: "0 0 9 * *" has 5 fields; a cron timeCycle has 6 or 7 (seconds minutes hours day-of-month month day-of-week [year])');
    expect(def.unrunnable?.elementId).toBe('weekdayReminder');
    // … and a version stored before the check fails where the timer starts.
    const run = await startInstance(def, {}, { now: () => T0 });
    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/has 5 fields/);
  });
});

describe('the start template and the engine read a timer alike', () => {
  const withDuration = (d: string) =>
    fixture('h-listeners-cron.bpmn')
      .replace(/<bpmn:timeCycle[\s\S]*?<\/bpmn:timeCycle>/, `<bpmn:timeDuration>${d}</bpmn:timeDuration>`)
      .replace('cancelActivity="false"', 'cancelActivity="true"');

  it('" PT1H " (surrounding whitespace) is due in one hour either way', async () => {
    const def = await parseDefinition(withDuration(' PT1H '));
    const engine = await startInstance(def, {}, { now: () => T0, start: 'engine' });
    expect(engine.error).toBeUndefined();
    expect(engine.timers.map((t) => t.expireAt)).toEqual([T0 + 3_600_000]);
    const templated = await startInstance(def, {}, { now: () => T0 });
    expect(templated.timers.map((t) => t.expireAt)).toEqual([T0 + 3_600_000]);
  });
});
