// The createUser step of an approved request (its job's topic is the sample's, createUser; a request
// for another action than CREATE is performed by performApproved.ts): creates exactly the snapshot the approver saw, read
// from approval_request by the job's own instance (never from variables or the job's payload), if
// the source row still has the snapshot's hash. Outcomes:
//  - created: the user was made now → job done;
//  - superseded: the row changed or is gone since the request → nothing created, job done (not an
//    error: the next recon asks again with the new content, or has nothing to ask);
//  - failed: trying again cannot help (a user appeared since the request, the id or userName is
//    taken, a policy refuses the snapshot, no snapshot) → PermanentJobFailure, the job is dead at once and the worker's dead-job hook
//    records the outcome; anything else (the source unreadable, the database) is retried, then dead.
import type { Knex } from 'knex';
import { DeadJobHook, Job, JobHandler, PermanentJobFailure } from '../jobs/interfaces';
import { ManagedUsers } from '../managed/users';
import { claimCreation, readRequest, RequestRow, setOutcome } from '../repo/decisions';
import { insertAudit } from '../repo/reconAudit';
import { applyAction } from '../recon/applyAction';
import { assessOne } from '../recon/assess';
import { SourceConnector } from '../recon/connector';
import { CompiledMapping } from '../recon/interfaces';
import { HookFailed } from '../recon/hooks';
import { isFinalRefusal } from '../recon/refusal';
import { canonicalHash } from './contract';
import { NO_SNAPSHOT } from './decision';
import { performApproved } from './performApproved';

export interface CreateUserDeps {
  mappings: Map<string, CompiledMapping>;
  connectors: Map<string, SourceConnector>;
  users: ManagedUsers;
}

export interface CreateUserResult {
  outcome: 'created' | 'performed' | 'superseded';
  sourceId: string | null;
  targetId: string | null;
  message: string | null;
}

/**
 * The mapping as the request was asked under: its link qualifier's view (OpenIDM's performAction
 * with recon.actionParam.linkQualifier), which re-assesses, creates and links under that qualifier.
 */
export function requestView(deps: CreateUserDeps, req: Pick<RequestRow, 'processInstanceId' | 'mapping' | 'linkQualifier'>): CompiledMapping {
  const mapping = deps.mappings.get(req.mapping);
  if (!mapping) throw new PermanentJobFailure(`The mapping ${req.mapping} of instance ${req.processInstanceId} is not configured in sync.json`);
  const q = req.linkQualifier ?? 'default';
  if (q === mapping.qualifier) return mapping;
  if (!(mapping.qualifiersOf(null) ?? []).includes(q)) {
    throw new PermanentJobFailure(`The link qualifier "${q}" of instance ${req.processInstanceId} is not one of mapping ${req.mapping}'s linkQualifiers in sync.json: nothing was done`);
  }
  return mapping.forQualifier(q);
}

/** The instance a createUser job belongs to: its key says so ("createUser:<id>"), and the payload must agree. */
function instanceOf(job: Pick<Job, 'key'>, payload: Record<string, unknown>): number {
  const m = /^createUser:(\d+)$/.exec(job.key);
  if (!m) throw new PermanentJobFailure(`Job ${job.key} is not a createUser job of a process instance`);
  const id = Number(m[1]);
  if (payload.processInstanceId !== undefined && Number(payload.processInstanceId) !== id) {
    throw new PermanentJobFailure(`Job ${job.key} names process instance ${String(payload.processInstanceId)} in its payload`);
  }
  return id;
}

/** Refusals of the repository, and a mapping hook's exception, that a retry would meet again. */
function permanent(e: unknown): unknown {
  return isFinalRefusal(e) || e instanceof HookFailed ? new PermanentJobFailure((e as Error).message) : e;
}

/** The createUser job's handler: the snapshot of the job's own instance, created (see the header). */
export function createUserHandler(deps: CreateUserDeps): JobHandler {
  return async (trx, payload, job) => {
    try {
      return await createFromSnapshot(trx, deps, instanceOf(job, payload));
    } catch (e) {
      throw permanent(e);
    }
  };
}

async function createFromSnapshot(trx: Knex.Transaction, deps: CreateUserDeps, instanceId: number): Promise<CreateUserResult> {
  const at = new Date().toISOString();
  // One statement on the hot path: marks the request created and returns its snapshot; a failure
  // below rolls the mark back with everything else.
  const req = await claimCreation(trx, instanceId, at);
  if (!req) {
    const done = await readRequest(trx, instanceId);
    if (!done) throw new PermanentJobFailure(`Process instance ${instanceId} has no approval request: only an approval that a reconciliation asked for creates a user (what it creates is the snapshot the approver was shown)`);
    // Already done or superseded (an earlier run committed): the same answer again.
    return { outcome: done.outcome === 'superseded' || done.outcome === 'performed' ? done.outcome : 'created', sourceId: done.sourceId, targetId: null, message: done.outcomeMessage };
  }
  // Any other action than CREATE (issue 16): performAction's semantics, performApproved.ts.
  if (req.action && req.action !== 'CREATE') return performApproved(trx, deps, req, at);
  if (!req.target || req.sourceId === null) throw new PermanentJobFailure(NO_SNAPSHOT(instanceId));
  const sourceId = req.sourceId;
  const mapping = requestView(deps, req);
  const connector = deps.connectors.get(mapping.source);
  if (!connector) throw new PermanentJobFailure(`No connector for ${mapping.source}`);

  const source = await connector.read(sourceId);
  const hashNow = source ? canonicalHash(source) : null;
  if (!source || hashNow !== req.sourceHash) {
    const message = source
      ? `Superseded: the source row ${mapping.source}/${sourceId} changed since the request (hash ${req.sourceHash} → ${hashNow}); nothing was created, the next reconciliation asks again`
      : `Superseded: the source row ${mapping.source}/${sourceId} is gone since the request (hash ${req.sourceHash} → none); nothing was created`;
    await setOutcome(trx, instanceId, 'superseded', message, at);
    return { outcome: 'superseded', sourceId, targetId: null, message };
  }

  const a = await assessOne(trx, mapping, source);
  const targetId = String(req.target._id);
  let outcome: { targetId: string | null; message: string | null; action: 'CREATE' };
  if (a.situation === 'CONFIRMED' || a.situation === 'FOUND') {
    // A user that appeared since the request (made by hand, by another mapping or run) is not what
    // was approved: neither reported as created nor linked in silence (issue 17, observation 4), but
    // failed as IDM's performAction fails a situation that changed; the next recon assesses it anew.
    throw new PermanentJobFailure(
      `Expected situation does not match. Expected: ABSENT, Found: ${a.situation}: managed/user/${a.targetId} exists since the request and ` +
        `${a.situation === 'CONFIRMED' ? 'is already linked to' : 'correlates with'} the source row ${sourceId}; nothing was created or linked. ` +
        'The next reconciliation assesses the row again',
    );
  } else if (a.situation !== 'ABSENT') {
    throw new PermanentJobFailure(`The situation of ${sourceId} is now ${a.situation}: nothing was created`);
  } else if (await deps.users.readRow(trx, targetId)) {
    throw new PermanentJobFailure(`A managed user with _id ${targetId} already exists (it does not correlate with the source row): nothing was created`);
  } else {
    // onCreate ran on the snapshot when the approval was asked for (request.ts): what is created is what was approved.
    const made = await applyAction(trx, deps.users, { mapping, action: 'CREATE', source, mapped: req.target, targetId: null, linked: false, onCreateDone: true, situation: a.situation, reconId: req.reconId });
    if (made.status !== 'SUCCESS') throw new PermanentJobFailure(made.message ?? 'The user could not be created');
    outcome = { targetId: made.targetId, message: null, action: 'CREATE' };
  }
  if (outcome.message) await setOutcome(trx, instanceId, 'created', outcome.message, at);
  if (req.reconId) {
    await insertAudit(trx, [{
      reconId: req.reconId, mapping: mapping.name, sourceObjectId: source._id, targetObjectId: outcome.targetId, situation: a.situation,
      action: outcome.action, status: 'SUCCESS', message: outcome.message, linkQualifier: mapping.qualifier, timestamp: at,
    }]);
  }
  return { outcome: 'created', sourceId: source._id, targetId: outcome.targetId, message: outcome.message };
}

/** The dead-job hook: a createUser job that is dead records the failed outcome on its request. */
export const recordDeadJob: DeadJobHook = async (trx, job, reason) => {
  const m = /^createUser:(\d+)$/.exec(job.key);
  if (!m) return;
  const req = await readRequest(trx, Number(m[1]));
  if (req && req.outcome !== 'created' && req.outcome !== 'performed' && req.outcome !== 'superseded') await setOutcome(trx, req.processInstanceId, 'failed', reason, new Date().toISOString());
};
