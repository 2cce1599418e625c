// Re-synchronises one source object as OpenIDM's ObjectMapping.performAction does (POST
// sync?_action=performAction, served by src/api/recon.ts): assesses it now, fails when the caller's
// expected situation no longer holds, else applies the requested action as requested; a CREATE whose
// target exists fails rather than creating a duplicate. The action itself is applyAction.ts. (An
// approval's CREATE does not come here: it creates its snapshot, src/approval/createUser.ts; its
// other actions do, src/approval/performApproved.ts; a target alone is resyncTarget.ts.)
import type { Knex } from 'knex';
import { InvalidInput, NotFound } from '../errors';
import { ManagedUsers } from '../managed/users';
import { insertAudit } from '../repo/reconAudit';
import { applyAction } from './applyAction';
import { HookFailed } from './hooks';
import { assessOne } from './assess';
import { SourceConnector } from './connector';
import { Action, CompiledMapping, Situation } from './interfaces';

export interface ResyncRequest {
  mapping: CompiledMapping;
  connector: SourceConnector;
  sourceId: string;
  action: Action;
  reconId?: string | null;
  /** The situation the caller expects: when the current one differs, nothing is done and the result is a FAILURE (IDM's 409). */
  situation?: Situation | null;
}

export interface ResyncResult {
  sourceId: string;
  targetId: string | null;
  situation: Situation;
  action: Action;
  status: 'SUCCESS' | 'FAILURE';
  message: string | null;
}

const ACTIONS: Action[] = ['CREATE', 'UPDATE', 'DELETE', 'LINK', 'UNLINK', 'EXCEPTION', 'IGNORE', 'REPORT', 'NOREPORT', 'ASYNC'];

/** The `action` parameter, checked against the actions a mapping knows. */
export function parseAction(a: string | undefined): Action {
  if (!a || !ACTIONS.includes(a as Action)) throw new InvalidInput(`action must be one of ${ACTIONS.join(', ')}`);
  return a as Action;
}

/** resyncOne in its own transaction: the action and its audit entry commit together. */
export function resyncOneNow(q: Knex, users: ManagedUsers, req: ResyncRequest): Promise<ResyncResult> {
  return q.transaction((trx) => resyncOne(trx, users, req));
}

/** Assesses `req.sourceId` now and applies `req.action` as the situation allows (see the header). */
export async function resyncOne(trx: Knex.Transaction, users: ManagedUsers, req: ResyncRequest): Promise<ResyncResult> {
  const source = await req.connector.read(req.sourceId);
  if (!source) throw new NotFound(`Source object ${req.mapping.source}/${req.sourceId} not found`);
  const a = await assessOne(trx, req.mapping, source);
  const action = req.action;
  let outcome: { status: 'SUCCESS' | 'FAILURE'; targetId: string | null; message: string | null };
  if (req.situation && req.situation !== a.situation) {
    // OpenIDM's ObjectMapping.performAction: an expected situation that no longer holds fails the
    // call (SynchronizationException, a 409) and nothing is done.
    outcome = { status: 'FAILURE', targetId: a.targetId, message: `Expected situation does not match. Expected: ${req.situation}, Found: ${a.situation}` };
  } else if (action === 'CREATE' && (a.situation !== 'ABSENT' || (typeof source._id === 'string' && (await users.readRow(trx, source._id))))) {
    // The requested action is performed as requested (OpenIDM does not choose another); a create
    // whose target exists fails, as OpenIDM's would on the repository's conflict, and never overwrites.
    outcome = { status: 'FAILURE', targetId: a.targetId, message: `Cannot CREATE ${req.mapping.target} for ${source._id}: the situation is ${a.situation}${a.situation === 'ABSENT' ? ` and ${req.mapping.target}/${source._id} exists` : ''}` };
  } else {
    const mapped = action === 'CREATE' || action === 'UPDATE' ? req.mapping.map(source, a.target?.obj) : null;
    // performAction runs the postAction of the situation's first policy (SyncOperation.performAction);
    // a hook's exception is the entry's FAILURE, its savepoint undoing what the action did.
    const postAction = req.mapping.configuredPolicies.find((p) => p.situation === a.situation)?.policy.postAction;
    try {
      const done = await trx.transaction((sp) => applyAction(sp, users, { mapping: req.mapping, action, source, mapped, targetId: a.targetId, linked: a.linked, situation: a.situation, reconId: req.reconId ?? null, postAction }));
      outcome = { status: done.status, targetId: done.targetId, message: done.message ?? null };
    } catch (e) {
      if (!(e instanceof HookFailed)) throw e;
      outcome = { status: 'FAILURE', targetId: a.targetId, message: e.message };
    }
  }
  const message = outcome.message;
  if (req.reconId) {
    await insertAudit(trx, [{
      reconId: req.reconId, mapping: req.mapping.name, sourceObjectId: source._id, targetObjectId: outcome.targetId, situation: a.situation, linkQualifier: req.mapping.qualifier,
      action, status: outcome.status, message, timestamp: new Date().toISOString(),
    }]);
  }
  return { sourceId: source._id, targetId: outcome.targetId, situation: a.situation, action, status: outcome.status, message };
}
