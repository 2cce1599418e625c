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

  /** The counters a run row holds (a clustered run's pages add theirs to it: clustered.ts). */
  static fromRow(row: { progress: Record<string, unknown>; situationSummary: Record<string, number>; statusSummary: Record<string, number> }): RunProgress {
    const p = new RunProgress();
    const at = (path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), row.progress);
    const num = (path: string[]) => Number(at(path) ?? 0) || 0;
    const total = (path: string[]): number | '?' => {
      const v = at(path);
      return v === undefined || v === '?' || v === null ? '?' : Number(v);
    };
    p.sourceProcessed = num(['source', 'existing', 'processed']);
    p.sourceTotal = total(['source', 'existing', 'total']);
    p.targetProcessed = num(['target', 'existing', 'processed']);
    p.targetTotal = total(['target', 'existing', 'total']);
    p.targetCreated = num(['target', 'created']);
    p.linksProcessed = num(['links', 'existing', 'processed']);
    p.linksTotal = total(['links', 'existing', 'total']);
    p.linksCreated = num(['links', 'created']);
    for (const [k, v] of Object.entries(row.situationSummary ?? {})) p.situations[k] = Number(v) || 0;
    p.status = { SUCCESS: Number(row.statusSummary?.SUCCESS ?? 0), FAILURE: Number(row.statusSummary?.FAILURE ?? 0) };
    return p;
  }

  /** Adds another part of the same run's counts (a page's): processed, created, situations, status. */
  add(o: RunProgress): void {
    this.sourceProcessed += o.sourceProcessed;
    this.targetProcessed += o.targetProcessed;
    this.targetCreated += o.targetCreated;
    this.linksProcessed += o.linksProcessed;
    this.linksCreated += o.linksCreated;
    for (const [k, v] of Object.entries(o.situations)) this.situations[k] = (this.situations[k] ?? 0) + v;
    this.status.SUCCESS += o.status.SUCCESS;
    this.status.FAILURE += o.status.FAILURE;
  }

  toJSON() {
    return {
      source: { existing: { processed: this.sourceProcessed, total: String(this.sourceTotal) } },
      target: { existing: { processed: this.targetProcessed, total: String(this.targetTotal) }, created: this.targetCreated },
      links: { existing: { processed: this.linksProcessed, total: String(this.linksTotal) }, created: this.linksCreated },
    };
  }
}
