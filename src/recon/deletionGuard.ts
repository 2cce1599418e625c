// Deletion protection: a source that comes back empty or shrunk (a wrong file, a cut export) must
// not delete or unlink the mapping's targets without an explicit yes. Two rules, both checked
// before the step that would remove anything:
//  - IDM's allowEmptySourceSet: a run whose source yields no objects stops before its target phase;
//  - reconflow's deletionThreshold: a run removes at most max(minimum, percent% of the mapping's
//    links), unless the run was started with confirmDeletions=<count> of at least what it removes.
import { Action, CompiledMapping, DeletionThreshold, Situation } from './interfaces';

/** An intended stop (a refusal), as opposed to a failure of the run's machinery. */
export class ReconStopped extends Error {}

export function deletionLimit(t: DeletionThreshold, linked: number): number {
  return Math.max(t.minimum, Math.floor((t.percent * linked) / 100));
}

/** True when this action on this entry takes a target or a link away. */
export function removes(action: Action, entry: { targetId: string | null; linked: boolean }): boolean {
  return (action === 'DELETE' && !!entry.targetId) || (action === 'UNLINK' && entry.linked);
}

export function emptySourceStop(mapping: CompiledMapping, rowsRead: number): ReconStopped {
  return new ReconStopped(
    `The source ${mapping.source} returned no objects (${rowsRead} row(s) read, none valid). Mapping ${mapping.name} does not allow an empty source set, ` +
      'so the run stopped before its target phase and deleted or unlinked nothing. If an empty source is intended, set "allowEmptySourceSet": true ' +
      `on mapping ${mapping.name} in conf/sync.json.`,
  );
}

/** What a run may still remove, and what it has removed so far. */
export class DeletionBudget {
  private removed = 0;
  readonly limit: number;

  constructor(private mapping: CompiledMapping, private linked: number, private confirmed: number | undefined) {
    this.limit = Math.max(deletionLimit(mapping.deletionThreshold, linked), confirmed ?? 0);
  }

  /**
   * Throws, before the step acts, when removing `counts` (per "SITUATION → ACTION") would take the
   * run past its limit. `total` says the counts are all the step can remove (a plan, not a batch).
   */
  check(counts: Map<string, number>, total: boolean): void {
    let n = 0;
    for (const c of counts.values()) n += c;
    if (n === 0 || this.removed + n <= this.limit) return;
    const t = this.mapping.deletionThreshold;
    const what = [...counts].map(([k, c]) => `${k}: ${c}`).join(', ');
    const wouldRemove = this.removed + n;
    const before = this.removed ? ` It had removed ${this.removed} before it stopped; nothing more was deleted or unlinked.` : ' Nothing was deleted or unlinked.';
    const confirmed = this.confirmed !== undefined ? ` The run was started with confirmDeletions=${this.confirmed}, fewer than that.` : '';
    throw new ReconStopped(
      `Reconciliation of ${this.mapping.name} stopped: it would delete or unlink ${total ? '' : 'at least '}${wouldRemove} target(s) (${what}), ` +
        `more than the mapping's deletionThreshold allows (${deletionLimit(t, this.linked)}: the larger of ${t.percent}% of ${this.linked} linked target(s) ` +
        `and the minimum ${t.minimum}).${confirmed}${before} If these removals are intended, start the run again with confirmDeletions=${wouldRemove} ` +
        `(POST /openidm/recon?_action=recon&mapping=${this.mapping.name}&confirmDeletions=${wouldRemove}), or change deletionThreshold on the mapping in conf/sync.json.`,
    );
  }

  spend(n: number): void {
    this.removed += n;
  }

  /** What the run has removed so far. */
  get spent(): number {
    return this.removed;
  }
}

/** Adds one removal under its "SITUATION → ACTION" label. */
export function countRemoval(counts: Map<string, number>, situation: Situation, action: Action): void {
  const k = `${situation} → ${action}`;
  counts.set(k, (counts.get(k) ?? 0) + 1);
}
