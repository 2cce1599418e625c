// The action a workflow policy's approval performs. IDM's triggerWorkflowFromSync.js passes
// recon.actionParam, whose action is the situation's default (SyncOperation.determineAction starts
// from Situation.getDefaultAction before the policy's script runs): CREATE on ABSENT, UPDATE on
// FOUND, EXCEPTION on SOURCE_MISSING… An IDM project that wants another one (a DELETE on
// SOURCE_MISSING) sets recon.actionParam.action in its own trigger script; reconflow, which runs
// the default script itself, reads it from the policy's "approvedAction" instead.
import { ACTIONS, Action, Situation } from '../recon/interfaces';

const TARGET_SITUATIONS: readonly string[] = ['SOURCE_MISSING', 'UNASSIGNED', 'TARGET_IGNORED'];
const NEEDS_SOURCE: readonly string[] = ['CREATE', 'UPDATE', 'LINK'];

/** Per mapping, the situations whose workflow policy names an approvedAction; throws naming a bad one. */
export function approvedActions(syncJson: unknown): Record<string, Partial<Record<Situation, Action>>> {
  const out: Record<string, Partial<Record<Situation, Action>>> = {};
  const mappings = ((syncJson as { mappings?: unknown[] })?.mappings ?? []) as { name: string; policies?: { situation: Situation; action: unknown }[] }[];
  mappings.forEach((m, i) => {
    (m.policies ?? []).forEach((p, j) => {
      const v = typeof p.action === 'object' && p.action !== null ? (p.action as { approvedAction?: unknown }).approvedAction : undefined;
      if (v === undefined) return;
      if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v) || v === 'ASYNC') {
        throw new Error(`mappings[${i}].policies[${j}].action.approvedAction must be one of ${ACTIONS.filter((a) => a !== 'ASYNC').join(', ')} (got ${JSON.stringify(v)})`);
      }
      // A TargetSyncOperation has no source object: these actions could only fail its approvals.
      if (TARGET_SITUATIONS.includes(p.situation) && NEEDS_SOURCE.includes(v)) {
        throw new Error(`mappings[${i}].policies[${j}].action.approvedAction ${v} needs a source object, which ${p.situation} (a target-phase situation) has not: use DELETE, UNLINK, IGNORE, REPORT or NOREPORT`);
      }
      (out[m.name] ??= {})[p.situation] = v as Action;
    });
  });
  return out;
}
