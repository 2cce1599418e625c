// sync performAction (POST recon?_action=performAction): re-assess one source object now, then act.
// It is idempotent: when the user already exists (created by an earlier call, or by someone else
// since), it links and reports instead of creating a duplicate. (An approval's createUser step does
// not come here: it creates its snapshot, src/approval/createUser.ts.)
import { Knex } from 'knex';
import { badRequest, notFound } from '../crest/errors';
import { ManagedUsers } from '../managed/users';
import { insertAudit } from '../repo/reconRuns';
import { performSyncAction } from './actions';
import { assessBatch } from './assess';
import { SourceConnector } from './connector';
import { Action, CompiledMapping, Situation } from './interfaces';

export interface PerformActionRequest {
  mapping: CompiledMapping;
  connector: SourceConnector;
  sourceId: string;
  action: Action;
  reconId?: string | null;
  /** The situation the caller expects; informational (the action adapts to the current one). */
  situation?: Situation | null;
}

export interface PerformActionResult {
  sourceId: string;
  targetId: string | null;
  situation: Situation;
  action: Action;
  status: 'SUCCESS' | 'FAILURE';
  message: string | null;
}

const ACTIONS: Action[] = ['CREATE', 'UPDATE', 'DELETE', 'LINK', 'UNLINK', 'EXCEPTION', 'IGNORE', 'REPORT', 'NOREPORT', 'ASYNC'];

export function parseAction(a: string | undefined): Action {
  if (!a || !ACTIONS.includes(a as Action)) throw badRequest(`action must be one of ${ACTIONS.join(', ')}`);
  return a as Action;
}

export async function performAction(trx: Knex.Transaction, users: ManagedUsers, req: PerformActionRequest): Promise<PerformActionResult> {
  const source = await req.connector.read(req.sourceId);
  if (!source) throw notFound(`Source object ${req.mapping.source}/${req.sourceId} not found`);
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
  const outcome = await performSyncAction(trx, users, { mapping: req.mapping, action, source, mapped, targetId: a.targetId, linked: a.linked });
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
