// The action a workflow policy's approval performs. IDM's triggerWorkflowFromSync.js passes
// recon.actionParam, whose action is the situation's default (SyncOperation.determineAction starts
// from Situation.getDefaultAction before the policy's script runs): CREATE on ABSENT, UPDATE on
// FOUND, EXCEPTION on SOURCE_MISSING… An IDM project that wants another one (a DELETE on
// SOURCE_MISSING) sets recon.actionParam.action in its own trigger script; reconflow, which runs
// the default script itself, reads it from the policy's "approvedAction" instead.
import { ACTIONS, Action, Situation } from '../recon/interfaces';

const TARGET_SITUATIONS: readonly string[] = ['SOURCE_MISSING', 'UNASSIGNED', 'TARGET_IGNORED'];
const NEEDS_SOURCE: readonly string[] = ['CREATE', 'UPDATE', 'LINK'];

/**
 * A workflow policy's approvedAction, checked where sync.json's policies are (src/recon/policyScript.ts
 * validatePolicyAction): undefined when absent; throws naming `at` when it could not be performed.
 */
export function checkApprovedAction(value: unknown, situation: Situation, at: string): Action | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(ACTIONS as readonly string[]).includes(value) || value === 'ASYNC') {
    throw new Error(`${at}.approvedAction must be one of ${ACTIONS.filter((a) => a !== 'ASYNC').join(', ')} (got ${JSON.stringify(value)})`);
  }
  // A TargetSyncOperation has no source object: these actions could only fail its approvals.
  if (TARGET_SITUATIONS.includes(situation) && NEEDS_SOURCE.includes(value)) {
    throw new Error(`${at}.approvedAction ${value} needs a source object, which ${situation} (a target-phase situation) has not: use DELETE, UNLINK, IGNORE, REPORT or NOREPORT`);
  }
  return value as Action;
}
