// Timers: the one parser of timer values (ISO 8601 dates, durations, repeating intervals and
// Quartz cron cycles as Camunda 7 accepts them), used by bpmn-engine's timer event definitions
// (TimerEventDefinition below replaces bpmn-elements' own parse), by the captured timers' due times,
// by task due dates and by the start template. And a bpmn-elements `Timers` that never arms
// anything: every setTimeout is captured with its due time so that a waiting instance can be
// dropped from memory and its timers stored (and later fired by a scheduler through
// fireDueTimers). Due times follow an injectable clock, not bpmn-engine's Date.

import { Cron } from 'croner';
import type { TimerInfo } from './interfaces';

type Callback = (...args: unknown[]) => unknown;

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Adds an ISO 8601 duration (PnYnMnWnDTnHnMnS) to an epoch, in UTC calendar arithmetic. */
export function addIsoDuration(from: number, duration: string): number | undefined {
  const text = duration.trim();
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  const date = new Date(from);
  date.setUTCFullYear(date.getUTCFullYear() + y, date.getUTCMonth() + mo, date.getUTCDate() + w * 7 + d);
  return date.getTime() + ((h * 60 + mi) * 60 + s) * 1000;
}

export type TimerType = 'timeDate' | 'timeDuration' | 'timeCycle';

/** A timer value as parsed: when it is due first after a given time, and how often it repeats. */
export interface ParsedTimer {
  /** -1: unbounded (R/…, cron); undefined: fires once */
  repeat?: number;
  /** the first due time strictly after `from` (a date: that date, even when past); undefined when none is left */
  dueAfter(from: number): number | undefined;
}

export class TimerFormatError extends RangeError {}

// Quartz fields: seconds, minutes, hours, day of month, month, day of week (1 = Sunday), [year].
const CRON_MAX = [59, 59, 23, 31, 12, 7, 2099];

/**
 * A Quartz cron expression (what Camunda 7 accepts in timeCycle) for croner: croner reads seconds,
 * L, W, # and the optional year, and with alternativeWeekdays numbers weekdays as Quartz does (1 =
 * Sunday); it takes `?` as "any" only when written `*`, and a step from a single start only as a
 * range (`0/5` → `0-59/5`).
 */
function quartzCron(text: string, timezone = 'UTC'): Cron {
  const fields = text.split(/\s+/);
  if (fields.length < 6 || fields.length > 7) throw new TimerFormatError(`"${text}" has ${fields.length} fields; a cron timeCycle has 6 or 7 (seconds minutes hours day-of-month month day-of-week [year])`);
  const converted = fields.map((f, i) =>
    f
      .split(',')
      .map((part) => (part === '?' ? '*' : part.replace(/^(\d+)\/(\d+)$/, (_m, start: string, step: string) => `${start}-${CRON_MAX[i]}/${step}`)))
      .join(','),
  );
  try {
    return new Cron(converted.join(' '), { timezone, alternativeWeekdays: true, legacyMode: true, paused: true });
  } catch (err) {
    throw new TimerFormatError(`"${text}" is not a valid cron expression: ${(err as Error).message}`);
  }
}

/**
 * A Quartz cron expression as the scheduler (src/scheduler) reads it, by the same conversion as a
 * timeCycle, evaluated in `timeZone` (an IANA name): the first occurrence strictly after `from`.
 */
export function parseQuartzCron(text: string, timeZone = 'UTC'): { nextAfter(from: number): number | undefined } {
  const cron = quartzCron(String(text ?? '').trim(), timeZone);
  return { nextAfter: (from) => cron.nextRun(new Date(from))?.getTime() };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

function isoDate(text: string, what: string): number {
  const at = ISO_DATE.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw new TimerFormatError(`${what} "${text}" is not an ISO 8601 date`);
  return at;
}

function isoDuration(text: string, what: string): string {
  if (addIsoDuration(0, text) === undefined) throw new TimerFormatError(`${what} "${text}" is not an ISO 8601 duration`);
  return text;
}

/**
 * Parses a timer value the way every part of reconflow reads it: surrounding whitespace is
 * ignored; timeDate is an ISO 8601 date; timeDuration an ISO 8601 duration; timeCycle an ISO 8601
 * repeating interval (R3/PT1H, R/PT1H, R3/2030-01-01T00:00:00Z/P1D, R/P1D/2030-01-01T00:00:00Z) or a
 * Quartz cron expression (0/5 0/1 * 1/1 * ?, 0 0 9 ? * MON-FRI; evaluated in UTC). Throws
 * TimerFormatError naming the value.
 */
export function parseTimer(type: TimerType, value: string): ParsedTimer {
  const text = String(value ?? '').trim();
  if (!text) throw new TimerFormatError(`${type} is empty`);
  if (type === 'timeDate') {
    const at = isoDate(text, type);
    return { dueAfter: () => at };
  }
  if (type === 'timeDuration') {
    const duration = isoDuration(text, type);
    return { dueAfter: (from) => addIsoDuration(from, duration) };
  }
  if (!text.startsWith('R')) {
    const cron = quartzCron(text);
    return { repeat: -1, dueAfter: (from) => cron.nextRun(new Date(from))?.getTime() };
  }
  const parts = text.split('/');
  const count = /^R(\d*)$/.exec(parts[0]);
  if (!count || parts.length < 2 || parts.length > 3) throw new TimerFormatError(`timeCycle "${text}" is neither an ISO 8601 repeating interval (R3/PT1H) nor a cron expression`);
  const repeat = count[1] === '' ? -1 : Number(count[1]);
  if (parts.length === 2) {
    const duration = isoDuration(parts[1], 'timeCycle interval');
    return { repeat, dueAfter: (from) => addIsoDuration(from, duration) };
  }
  // R/start/duration: start, start+d, …; R/duration/end: every d until end.
  if (parts[1].startsWith('P')) {
    const duration = isoDuration(parts[1], 'timeCycle interval');
    const end = isoDate(parts[2], 'timeCycle end');
    return { repeat, dueAfter: (from) => {
      const at = addIsoDuration(from, duration);
      return at !== undefined && at <= end ? at : undefined;
    } };
  }
  const start = isoDate(parts[1], 'timeCycle start');
  const duration = isoDuration(parts[2], 'timeCycle interval');
  return {
    repeat,
    dueAfter: (from) => {
      let at = start;
      for (let i = 0; at <= from; i++) {
        if (repeat >= 0 && i >= repeat) return undefined;
        const next = addIsoDuration(at, duration);
        if (next === undefined || next <= at) return undefined;
        at = next;
      }
      return at;
    },
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
const { TimerEventDefinition: BpmnTimerEventDefinition } = require('bpmn-elements') as {
  TimerEventDefinition: new (activity: unknown, def: unknown) => { activity?: { id?: string } };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * bpmn-elements' TimerEventDefinition with reconflow's parser (parseTimer): cron cycles and trimmed
 * values. Registered by parse.ts through the type resolver.
 */
export class TimerEventDefinition extends BpmnTimerEventDefinition {
  /** The value last parsed (expressions resolved): what the captured timer's due time is derived from. */
  resolvedTimer: { type: TimerType; value: string } | undefined;

  parse(timerType: TimerType, value: string): { expireAt?: Date; repeat?: number; delay?: number } {
    this.resolvedTimer = { type: timerType, value };
    // bpmn-elements measures the timeout on its own `new Date()`: so does this; the due time that
    // counts is re-derived on the engine layer's clock when the timer is captured (dueTime).
    const now = Date.now();
    let parsed: ParsedTimer;
    try {
      parsed = parseTimer(timerType, value);
    } catch (err) {
      throw new TimerFormatError(`timer "${this.activity?.id ?? '?'}": ${(err as Error).message}`);
    }
    const due = parsed.dueAfter(now);
    if (due === undefined) throw new TimerFormatError(`timer "${this.activity?.id ?? '?'}": ${timerType} "${String(value).trim()}" has no occurrence left`);
    // bpmn-elements completes a timer at once when its due time is not after its own `new Date()`,
    // read before this one: a due time of now (PT0S, a past date) is set a minute back so that it
    // completes at once however far apart the two reads are (one millisecond was not enough on a
    // loaded machine: a pause between them left a PT0S timer waiting).
    const at = due <= now ? Math.min(due, now - 60_000) : due;
    return { expireAt: new Date(at), delay: at - now, ...(parsed.repeat !== undefined && { repeat: parsed.repeat }) };
  }
}

/** What TimerEventDefinition passes to register(): its timer content. */
interface TimerOwner {
  id?: string;
  executionId?: string;
  resolvedTimer?: { type: TimerType; value: string };
  // bpmn-elements' own TimerEventDefinition (a definition parsed without ours): its raw values
  timerType?: string;
  timeDuration?: string;
  timeCycle?: string;
  timeDate?: string;
  expireAt?: Date | string | number;
}

/**
 * Due time of a new timer on our clock (the clock of a firing timer is its due time: a cycle's next
 * occurrence counts from there), by the same parser, from the same value (expressions resolved) the
 * timer definition just parsed.
 */
function dueTime(owner: TimerOwner | undefined, now: number, delay: number): number {
  if (!owner?.resolvedTimer && owner?.timerType === 'timeDate' && owner.expireAt !== undefined) {
    const at = new Date(owner.expireAt).getTime();
    if (!Number.isNaN(at)) return at;
  }
  const type = owner?.timerType as TimerType | undefined;
  const raw = type && (owner?.[type] as string | undefined);
  const resolved = owner?.resolvedTimer ?? (type && raw && !/[$#]\{/.test(raw) ? { type, value: raw } : undefined);
  if (resolved) {
    try {
      const due = parseTimer(resolved.type, resolved.value).dueAfter(now);
      if (due !== undefined) return due;
    } catch {
      // the definition's parse has reported it; keep the engine's delay
    }
  }
  return now + Math.max(0, delay);
}

export interface CapturedTimer extends TimerInfo {
  readonly callback: Callback;
  readonly args: unknown[];
  readonly delay: number;
}

export class CapturingTimers {
  private readonly pending = new Set<CapturedTimer>();
  private count = 0;
  /** While a timer fires, the times it derives start at its due time, not at "now" (catch-up). */
  private firingAt: number | undefined;

  /**
   * @param now the clock for new timers
   * @param known due times of timers captured in an earlier run, by execution id: a recovered
   *   timer keeps its original due time although bpmn-engine re-arms it with a fresh delay.
   */
  constructor(
    private readonly now: () => number,
    private readonly known: ReadonlyMap<string, number> = new Map(),
  ) {
    this.setTimeout = this.setTimeout.bind(this);
    this.clearTimeout = this.clearTimeout.bind(this);
  }

  /** bpmn-engine clears these when an execution ends or stops. */
  get executing(): CapturedTimer[] {
    return [...this.pending];
  }

  register(owner: TimerOwner) {
    return {
      setTimeout: (callback: Callback, delay: number, ...args: unknown[]) => this.capture(owner, callback, delay, args),
      clearTimeout: (ref: CapturedTimer) => this.clearTimeout(ref),
    };
  }

  setTimeout(callback: Callback, delay: number, ...args: unknown[]): CapturedTimer {
    return this.capture(undefined, callback, delay, args);
  }

  clearTimeout(ref: CapturedTimer | undefined): undefined {
    if (ref) this.pending.delete(ref);
    return undefined;
  }

  /** The clock as seen by the engine layer (due dates, new timers). */
  clock(): number {
    return this.firingAt ?? this.now();
  }

  private capture(owner: TimerOwner | undefined, callback: Callback, delay: number, args: unknown[]): CapturedTimer {
    const executionId = owner?.executionId ?? `timer_${this.count++}`;
    const expireAt = this.known.get(executionId) ?? dueTime(owner, this.clock(), delay);
    const timer: CapturedTimer = { executionId, activityId: owner?.id ?? '', expireAt, callback, args, delay };
    this.pending.add(timer);
    return timer;
  }

  /** Fires the earliest timer due at `now`; false when none is due. */
  fireNextDue(now: number): boolean {
    let next: CapturedTimer | undefined;
    for (const t of this.pending) if (t.expireAt <= now && (!next || t.expireAt < next.expireAt)) next = t;
    if (!next) return false;
    this.pending.delete(next);
    this.firingAt = next.expireAt;
    try {
      next.callback(...next.args);
    } finally {
      this.firingAt = undefined;
    }
    return true;
  }

  list(): TimerInfo[] {
    return [...this.pending]
      .sort((a, b) => a.expireAt - b.expireAt)
      .map(({ executionId, activityId, expireAt }) => ({ executionId, activityId, expireAt }));
  }
}
