// The status a run records for an action's outcome, as OpenIDM's SourceRecon / TargetRecon do: the
// SynchronizationException of an EXCEPTION policy (SyncOperation.performAction's "Situation X
// marked as EXCEPTION") is intentional, so its audit entry and statusSummary say SUCCESS, with
// that message; any other failure is a FAILURE. sync performAction still refuses it (a 409).
import { Action } from './interfaces';

export function recordedStatus(action: Action, status: 'SUCCESS' | 'FAILURE'): 'SUCCESS' | 'FAILURE' {
  return action === 'EXCEPTION' ? 'SUCCESS' : status;
}
