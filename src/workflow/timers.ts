// A bpmn-elements `Timers` that never arms anything: every setTimeout is captured with its due time
// so that a waiting instance can be dropped from memory and its timers stored (and later fired by a
// scheduler through fireDueTimers). Due times follow an injectable clock, not bpmn-engine's Date.

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

/** What TimerEventDefinition passes to register(): its timer content. */
interface TimerOwner {
  id?: string;
  executionId?: string;
  timerType?: string;
  timeDuration?: string;
  timeCycle?: string;
  expireAt?: Date | string | number;
}

/**
 * Due time of a new timer on our clock. bpmn-engine's delay is measured on its own `new Date()`
 * calls (off by a millisecond or so, and wrong under a fake clock): re-derive durations and simple
 * cycles (`R3/PT1H`); timeDate is absolute; anything else falls back to the engine's delay.
 */
function dueTime(owner: TimerOwner | undefined, now: number, delay: number): number {
  const { timerType } = owner ?? {};
  if (timerType === 'timeDate' && owner?.expireAt !== undefined) {
    const at = new Date(owner.expireAt).getTime();
    if (!Number.isNaN(at)) return at;
  }
  const value = timerType === 'timeDuration' ? owner?.timeDuration : timerType === 'timeCycle' ? owner?.timeCycle?.replace(/^R\d*\//, '') : undefined;
  return (value ? addIsoDuration(now, value) : undefined) ?? now + Math.max(0, delay);
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
