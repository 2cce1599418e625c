// Re-synchronises one source object: assesses it now, then applies the requested action adapted to
// the situation found (IDM's POST sync?_action=performAction, served by src/api/recon.ts). It is
// idempotent: when the user already exists (created by an earlier call, or by someone else since),
// it links and reports instead of creating a duplicate. The action itself is applyAction.ts. (An
// approval's createUser step does not come here: it creates its snapshot, src/approval/createUser.ts.)
import type { Knex } from 'knex';
import { InvalidInput, NotFound } from '../errors';
import { ManagedUsers } from '../managed/users';
import { insertAudit } from '../repo/reconAudit';
import { applyAction } from './applyAction';
import { assessBatch } from './assess';
import { SourceConnector } from './connector';
import { Action, CompiledMapping, Situation } from './interfaces';

export interface ResyncRequest {
  mapping: CompiledMapping;
  connector: SourceConnector;
  sourceId: string;
  action: Action;
  reconId?: string | null;
  /** The situation the caller expects; informational (the action adapts to the current one). */
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
  const [a] = await assessBatch(trx, req.mapping, [source]);
  let action = req.action;
  if (action === 'CREATE') {
    // The target appeared since the request: link to it (or leave the existing link alone).
    if (a.situation === 'FOUND') action = 'LINK';
    else if (a.situation === 'CONFIRMED') action = 'REPORT';
    else if (a.situation !== 'ABSENT') action = 'EXCEPTION';
    else if (typeof source._id === 'string' && (await users.readRow(trx, source._id))) {
      // A user with the source's id exists but does not correlate: never overwrite it.
      action = 'EXCEPTION';
    }
  }
  const mapped = action === 'CREATE' || action === 'UPDATE' ? req.mapping.map(source, a.target?.obj) : null;
  const outcome = await applyAction(trx, users, { mapping: req.mapping, action, source, mapped, targetId: a.targetId, linked: a.linked });
  const message =
    outcome.message ??
    (action !== req.action ? `Requested ${req.action}, but the situation is now ${a.situation}: ${action}` : null);
  if (req.reconId) {
    await insertAudit(trx, [{
      reconId: req.reconId, mapping: req.mapping.name, sourceObjectId: source._id, targetObjectId: outcome.targetId, situation: a.situation,
      action, status: outcome.status, message, timestamp: new Date().toISOString(),
    }]);
  }
  return { sourceId: source._id, targetId: outcome.targetId, situation: a.situation, action, status: outcome.status, message };
}
