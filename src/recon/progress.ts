// A run's counters, in OpenIDM's shape, kept in memory while it runs and flushed to SQL.
import { Situation } from './interfaces';

export const SITUATIONS: Situation[] = [
  'CONFIRMED', 'FOUND', 'FOUND_ALREADY_LINKED', 'ABSENT', 'UNQUALIFIED', 'AMBIGUOUS', 'MISSING', 'SOURCE_IGNORED',
  'UNASSIGNED', 'SOURCE_MISSING', 'TARGET_IGNORED',
];

export const STAGE_DESCRIPTIONS: Record<string, string> = {
  ACTIVE_INITIALIZED: 'Initialized',
  ACTIVE_QUERY_ENTRIES: 'Querying the source, target and links',
  ACTIVE_RECONCILING_SOURCE: 'Reconciling the source',
  ACTIVE_RECONCILING_TARGET: 'Reconciling the target',
  ACTIVE_LINK_CLEANUP: 'Checking links',
  ACTIVE_PROCESSING_RESULTS: 'Processing results',
  ACTIVE_CANCELING: 'Canceling',
  COMPLETED_SUCCESS: 'Reconciliation completed.',
  COMPLETED_CANCELED: 'Reconciliation canceled.',
  COMPLETED_FAILED: 'Reconciliation failed.',
};

export class RunProgress {
  sourceProcessed = 0;
  sourceTotal: number | '?' = '?';
  targetProcessed = 0;
  targetTotal: number | '?' = '?';
  targetCreated = 0;
  linksProcessed = 0;
  linksTotal: number | '?' = '?';
  linksCreated = 0;
  situations: Record<string, number> = Object.fromEntries(SITUATIONS.map((s) => [s, 0]));
  status = { SUCCESS: 0, FAILURE: 0 };

  /** Rows by situation ('NONE': a bad row or a duplicate id) as [success, failure], not yet taken by takeUnreported. */
  private unreported: Record<string, [number, number]> = {};

  count(situation: Situation | null, ok: boolean): void {
    if (situation) this.situations[situation] = (this.situations[situation] ?? 0) + 1;
    if (ok) this.status.SUCCESS++;
    else this.status.FAILURE++;
    (this.unreported[situation ?? 'NONE'] ??= [0, 0])[ok ? 0 : 1]++;
  }

  /** The rows counted since the last call, by situation as [success, failure] (for metrics). */
  takeUnreported(): Record<string, [number, number]> {
    const out = this.unreported;
    this.unreported = {};
    return out;
  }

  toJSON() {
    return {
      source: { existing: { processed: this.sourceProcessed, total: String(this.sourceTotal) } },
      target: { existing: { processed: this.targetProcessed, total: String(this.targetTotal) }, created: this.targetCreated },
      links: { existing: { processed: this.linksProcessed, total: String(this.linksTotal) }, created: this.linksCreated },
    };
  }
}
