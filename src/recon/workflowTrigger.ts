// The recon's side of the ABSENT → workflow policy: src/approval decides what is asked and binds
// the approval to its snapshot; the reconciler only hands it the batch's rows.
export type { AskAgain } from '../approval/askAgain';
export { openKeyFor } from '../approval/contract';
export { requestApprovals as triggerWorkflows } from '../approval/trigger';
export type { ApprovalInput as TriggerInput, ApprovalOutcome as TriggerOutcome } from '../approval/trigger';
