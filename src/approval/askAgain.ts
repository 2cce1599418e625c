// When a recon that finds a row without a user asks for an approval, and when it does not:
//  - an open request for the same row content: not again; for changed content: it is superseded
//    (ended with that reason) and a new one is asked, in the transaction that starts the new one;
//  - approved, the user not created yet (the job has not run, or failed and awaits a retry of its
//    incident): not again (the job creates the approved snapshot, or finds the row changed);
//  - approved and superseded (the row changed before the job ran), or created (the user has since
//    been deleted): asked again;
//  - rejected: per askAgainAfterRejection (whenSourceChanges, the default: only for changed content;
//    always: IDM's behaviour; never).
import { RequestState } from '../repo/decisions';

export type AskAgain = 'whenSourceChanges' | 'always' | 'never';

export type Verdict =
  | { kind: 'ask' }
  | { kind: 'supersede'; instanceId: number; reason: string }
  | { kind: 'skip'; processInstanceId: number | null; message: string };

/** "Ask again after a rejection" per mapping, from the ABSENT policy's askAgainAfterRejection. */
export function askAgainOptions(syncJson: unknown): Record<string, AskAgain> {
  const out: Record<string, AskAgain> = {};
  const mappings = ((syncJson as { mappings?: unknown[] })?.mappings ?? []) as { name: string; policies?: { situation: string; action: unknown }[] }[];
  for (const m of mappings) {
    const absent = m.policies?.find((p) => p.situation === 'ABSENT');
    const v = (absent?.action as { askAgainAfterRejection?: AskAgain } | undefined)?.askAgainAfterRejection;
    out[m.name] = v ?? 'whenSourceChanges';
  }
  return out;
}

/** The verdict for one row, from its requests (oldest first) and the row's hash now. */
export function verdict(requests: RequestState[], sourceHash: string, askAgain: AskAgain): Verdict {
  const latest = requests[requests.length - 1];
  if (latest?.instanceStatus === 'active') {
    if (latest.sourceHash === sourceHash) return { kind: 'skip', processInstanceId: latest.processInstanceId, message: `An approval is already open (instance ${latest.processInstanceId})` };
    return { kind: 'supersede', instanceId: latest.processInstanceId, reason: `superseded: the source row changed (hash ${latest.sourceHash ?? 'unknown'} → ${sourceHash}); a new approval was requested` };
  }
  const decided = [...requests].reverse().find((r) => r.decision !== null);
  if (!decided) return { kind: 'ask' };
  const by = `${decided.decidedBy ?? 'an approver'} at ${decided.decidedAt}`;
  if (decided.decision === 'approved') {
    // Another action than CREATE (issue 16) is named as such.
    const other = decided.action && decided.action !== 'CREATE' ? decided.action : null;
    if (decided.outcome === null) {
      const what = other ? `${other} has not been performed yet` : 'the user has not been created yet';
      return { kind: 'skip', processInstanceId: decided.processInstanceId, message: `Approved by ${by}; ${what} (instance ${decided.processInstanceId}, its createUser job is pending)` };
    }
    if (decided.outcome === 'failed' && decided.sourceHash === sourceHash) {
      const what = other ? `${other} could not be performed` : 'the account could not be created';
      return { kind: 'skip', processInstanceId: decided.processInstanceId, message: `Approved by ${by}, but ${what} (instance ${decided.processInstanceId}): ${decided.outcomeMessage ?? 'see its incident'}; retry the incident` };
    }
    return { kind: 'ask' };
  }
  if (askAgain === 'always') return { kind: 'ask' };
  if (askAgain === 'never' || decided.sourceHash === sourceHash) {
    return { kind: 'skip', processInstanceId: null, message: `Rejected by ${by}; the source row has not changed since` };
  }
  return { kind: 'ask' };
}
