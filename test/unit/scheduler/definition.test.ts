// The schedule format (src/scheduler/definition.ts): IDM's keys with their defaults, and every key
// reconflow cannot honour refused by name (fixtures: test/fixtures/schedules, see SOURCES.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSchedule, parseScheduleTime, ScheduleInvalid, timingOf } from '../../../src/scheduler/definition';

const FIXTURES = path.join(__dirname, '../../fixtures/schedules');
const MAPPING = 'systemCsvfileAccounts_managedUser';
let projectDir: string;
const ctx = () => ({ mappings: new Set([MAPPING]), projectDir });

beforeAll(() => {
  projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconflow-sched-'));
  fs.mkdirSync(path.join(projectDir, 'script'));
  fs.writeFileSync(path.join(projectDir, 'script', 'tick.js'), "'tick ' + input['scheduled-fire-time']");
});
afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));

const read = (dir: string, f: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, f), 'utf8'));

describe('valid schedules', () => {
  it.each(fs.readdirSync(path.join(FIXTURES, 'valid')))('%s parses', (f) => {
    expect(() => parseSchedule(read('valid', f), ctx())).not.toThrow();
  });

  it('fills in IDM defaults and writes the service as IDM answers it', () => {
    const d = parseSchedule(read('valid', 'schedule-every30min_simple.json'), ctx());
    expect(d).toEqual({
      enabled: false, persisted: true, recoverable: false, misfirePolicy: 'fireAndProceed', schedule: null, repeatInterval: 1800000, repeatCount: -1,
      type: 'simple', invokeService: 'org.forgerock.openidm.sync', invokeContext: { action: 'reconcile', mapping: MAPPING }, invokeLogLevel: 'info',
      timeZone: null, startTime: null, endTime: null, concurrentExecution: false,
    });
    const s = parseSchedule(read('valid', 'schedule-script_inline.json'), ctx());
    expect(s.invokeService).toBe('org.forgerock.openidm.script');
    expect(s.invokeContext).toEqual({ script: { type: 'text/javascript', source: "input['scheduled-fire-time'] + ' ' + greeting", globals: { greeting: 'hello' } } });
  });

  it('takes back what a GET answered for a cron schedule (repeatInterval 0, repeatCount 0, nulls)', () => {
    const body = { ...read('valid', 'schedule-reconcile_nightly.json'), repeatInterval: 0, repeatCount: 0, startTime: null, endTime: null, recoverable: false, invokeLogLevel: 'info' };
    expect(parseSchedule(body, ctx()).schedule).toBe('0 0 2 ? * MON-FRI');
  });
});

const INVALID: Record<string, string> = {
  'unknown-key': 'repeatEvery',
  livesync: 'invokeService',
  'no-service': 'invokeService',
  'bad-cron': 'schedule',
  'cron-no-schedule': 'schedule',
  'bad-type': 'type',
  'not-persisted': 'persisted',
  recoverable: 'recoverable',
  'bad-misfire': 'misfirePolicy',
  'bad-timezone': 'timeZone',
  'bad-start': 'startTime',
  'end-before-start': 'endTime',
  'unknown-mapping': 'invokeContext.mapping',
  'sync-extra-key': 'invokeContext.reconId',
  'sync-livesync-action': 'invokeContext.action',
  'script-groovy': 'invokeContext.script.type',
  'script-both': 'invokeContext.script',
  'script-syntax': 'invokeContext.script.source',
  'script-missing-file': 'invokeContext.script.file',
  'script-outside': 'invokeContext.script.file',
  'simple-no-interval': 'repeatInterval',
  'simple-with-schedule': 'schedule',
  'cron-with-interval': 'repeatInterval',
  'enabled-string': 'enabled',
  'log-level': 'invokeLogLevel',
};

describe('invalid schedules are refused naming the key', () => {
  it('every fixture has its expected key', () => {
    expect(fs.readdirSync(path.join(FIXTURES, 'invalid')).map((f) => f.replace(/\.json$/, '')).sort()).toEqual(Object.keys(INVALID).sort());
  });

  it.each(Object.entries(INVALID))('%s → %s', (name, key) => {
    let err: unknown;
    try {
      parseSchedule(read('invalid', `${name}.json`), ctx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScheduleInvalid);
    expect((err as ScheduleInvalid).key).toBe(key);
    expect((err as Error).message.startsWith(`${key} `)).toBe(true);
  });

  it('a non-object is refused', () => {
    expect(() => parseSchedule([], ctx())).toThrow(ScheduleInvalid);
  });
});

describe('when a schedule fires', () => {
  const base = { persisted: true, invokeService: 'sync', invokeContext: { action: 'reconcile', mapping: MAPPING } };
  const at = (s: string) => Date.parse(s);

  it('a Quartz cron with seconds and ? fires at each matching second', () => {
    const t = timingOf(parseSchedule({ ...base, type: 'cron', schedule: '0/15 * * * * ?' }, ctx()), 0);
    expect(t.nextAfter(at('2030-01-01T00:00:00Z'))).toBe(at('2030-01-01T00:00:15Z'));
    expect(t.nextAfter(at('2030-01-01T00:00:14.999Z'))).toBe(at('2030-01-01T00:00:15Z'));
    expect(t.nextAfter(at('2030-01-01T00:00:45Z'))).toBe(at('2030-01-01T00:01:00Z'));
  });

  it('a cron in a time zone fires at that zone\'s wall time; day 2 is Monday as in Quartz', () => {
    const t = timingOf(parseSchedule({ ...base, type: 'cron', schedule: '0 30 2 ? * 2', timeZone: 'Europe/Paris' }, ctx()), 0);
    // Monday 2030-01-07 02:30 in Paris (UTC+1) is 01:30Z.
    expect(new Date(t.nextAfter(at('2030-01-01T00:00:00Z'))!).toISOString()).toBe('2030-01-07T01:30:00.000Z');
  });

  it('startTime and endTime bound a cron; a time without offset is in the time zone', () => {
    const def = parseSchedule({ ...base, type: 'cron', schedule: '0 0 * * * ?', timeZone: 'America/New_York', startTime: '2030-06-01T10:00:00', endTime: '2030-06-01T12:00:00' }, ctx());
    const t = timingOf(def, 0);
    expect(new Date(t.nextAfter(0)!).toISOString()).toBe('2030-06-01T14:00:00.000Z'); // 10:00 EDT
    expect(t.nextAfter(at('2030-06-01T15:30:00Z'))).toBe(at('2030-06-01T16:00:00Z'));
    expect(t.nextAfter(at('2030-06-01T16:00:00Z'))).toBeNull();
  });

  it('a simple trigger fires at its anchor, then every repeatInterval, repeatCount more times', () => {
    const t = timingOf(parseSchedule({ ...base, type: 'simple', repeatInterval: 1000, repeatCount: 2 }, ctx()), 10_000);
    expect(t.nextAfter(9_999)).toBe(10_000);
    expect(t.nextAfter(10_000)).toBe(11_000);
    expect(t.nextAfter(11_500)).toBe(12_000);
    expect(t.nextAfter(12_000)).toBeNull();
    const forever = timingOf(parseSchedule({ ...base, type: 'simple', repeatInterval: 1000 }, ctx()), 0);
    expect(forever.nextAfter(1e9)).toBe(1e9 + 1000);
  });

  it('parses IDM times with and without offsets', () => {
    expect(parseScheduleTime('2017-10-31T15:53:00+05:00', null, 'startTime')).toBe(at('2017-10-31T10:53:00Z'));
    expect(parseScheduleTime('2017-10-31T15:53:00', null, 'startTime')).toBe(at('2017-10-31T15:53:00Z'));
    expect(() => parseScheduleTime('2017-02-30T00:00:00', null, 'startTime')).toThrow(ScheduleInvalid);
  });
});
