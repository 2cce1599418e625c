// Situation assessment, as OpenIDM's SourceSyncOperation / TargetSyncOperation decide it.
// Pure functions: the caller looks up links, targets and correlation results.
import { Situation } from './interfaces';

export interface SourceSituationInput {
  /** validSource (and sourceCondition) passed. */
  validSource: boolean;
  /** The link of this source, if any. */
  link?: { targetId: string };
  /** Whether the linked target still exists (ignored without a link). */
  linkedTargetExists: boolean;
  /** Targets found by correlation (only consulted when there is no link). */
  correlated: Array<{ _id: string; linkedToOtherSource: boolean }>;
}

/** Source phase. */
export function assessSourceSituation(input: SourceSituationInput): Situation {
  const { validSource, link, linkedTargetExists, correlated } = input;
  if (validSource) {
    if (link) return linkedTargetExists ? 'CONFIRMED' : 'MISSING';
    if (correlated.length === 0) return 'ABSENT';
    if (correlated.length === 1) return correlated[0].linkedToOtherSource ? 'FOUND_ALREADY_LINKED' : 'FOUND';
    return 'AMBIGUOUS';
  }
  // Not valid for the mapping. Like IDM, a link alone is enough for UNQUALIFIED (even when its
  // target is gone: the link still has to be dealt with); otherwise a correlated target.
  if (link || correlated.length > 0) return 'UNQUALIFIED';
  return 'SOURCE_IGNORED';
}

export interface TargetSituationInput {
  /** The source the target's link points to still exists. */
  linkedSourceExists: boolean;
  hasLink: boolean;
  validTarget: boolean;
}

/** Target phase: targets the source phase did not account for. */
export function assessTargetSituation(input: TargetSituationInput): Situation {
  if (!input.validTarget) return 'TARGET_IGNORED';
  if (!input.hasLink) return 'UNASSIGNED';
  return input.linkedSourceExists ? 'CONFIRMED' : 'SOURCE_MISSING';
}
