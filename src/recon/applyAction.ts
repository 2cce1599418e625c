// Carries out one synchronisation action (CREATE, UPDATE, LINK, …) on the target (managed/user)
// and its link, inside the caller's transaction; every action is safe to repeat. Both phases of a
// run, sync's performAction (resyncOne.ts) and an approval's createUser step come here.
import type { Knex } from 'knex';
import { Conflict } from '../errors';
import { ManagedUsers } from '../managed/users';
import { isUniqueViolation } from '../repo/dialect';
import * as links from '../repo/links';
import { Assessment } from './assess';
import { Action, CompiledMapping, Situation, SourceObject } from './interfaces';
import { changedFields } from './mapping';
import { refusalCode } from './refusal';

export interface ActionInput {
  mapping: CompiledMapping;
  action: Action;
  source: SourceObject | null;
  /** The mapped target value (when there is a source). */
  mapped: Record<string, unknown> | null;
  targetId: string | null;
  linked: boolean;
  /** The assessed situation (EXCEPTION names it). */
  situation?: Situation;
}

export interface ActionOutcome {
  targetId: string | null;
  status: 'SUCCESS' | 'FAILURE';
  message: string | null;
  /** True when the target was created (for the run's progress). */
  created?: boolean;
  linkCreated?: boolean;
}

const LINK_QUALIFIER = 'default';

/** Applies `a.action`; a refusal the action foresees is a FAILURE outcome, anything else throws. */
export async function applyAction(trx: Knex.Transaction, users: ManagedUsers, a: ActionInput): Promise<ActionOutcome> {
  const linkType = a.mapping.name;
  switch (a.action) {
    case 'CREATE': {
      if (!a.source || !a.mapped) return { targetId: null, status: 'FAILURE', message: 'CREATE needs a source object' };
      const id = typeof a.mapped._id === 'string' && a.mapped._id ? a.mapped._id : undefined;
      const user = await users.create(trx, withoutId(a.mapped), id);
      await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: user._id });
      return { targetId: user._id, status: 'SUCCESS', message: null, created: true, linkCreated: true };
    }
    case 'UPDATE': {
      if (!a.source || !a.mapped || !a.targetId) return { targetId: a.targetId, status: 'FAILURE', message: 'UPDATE needs a source and a target' };
      const current = await users.readRow(trx, a.targetId);
      if (!current) return { targetId: a.targetId, status: 'FAILURE', message: `Target managed/user/${a.targetId} disappeared` };
      const changes = withoutId(a.mapped);
      if (changedFields(changes, current.obj).length) await users.modify(trx, a.targetId, null, (obj) => ({ ...obj, ...changes }));
      let linkCreated = false;
      if (!a.linked) {
        await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: a.targetId });
        linkCreated = true;
      }
      return { targetId: a.targetId, status: 'SUCCESS', message: null, linkCreated };
    }
    case 'LINK': {
      if (!a.source || !a.targetId) return { targetId: a.targetId, status: 'FAILURE', message: 'LINK needs a source and a target' };
      if (!a.linked) await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: a.targetId });
      return { targetId: a.targetId, status: 'SUCCESS', message: null, linkCreated: !a.linked };
    }
    case 'UNLINK': {
      if (a.source) await links.deleteLinkBySource(trx, linkType, a.source._id);
      else if (a.targetId) await links.deleteLinkByTarget(trx, linkType, a.targetId);
      return { targetId: a.targetId, status: 'SUCCESS', message: null };
    }
    case 'DELETE': {
      if (a.targetId) {
        if (await users.readRow(trx, a.targetId)) await users.remove(trx, a.targetId, null);
        await links.deleteLinkByTarget(trx, linkType, a.targetId);
      }
      return { targetId: a.targetId, status: 'SUCCESS', message: null };
    }
    case 'EXCEPTION':
      // SyncOperation.performAction: "aborts change; recon reports" (a run audits it as SUCCESS, reconStatus.ts).
      return { targetId: a.targetId, status: 'FAILURE', message: `Situation ${a.situation ?? 'of this source'} marked as EXCEPTION` };
    case 'IGNORE':
    case 'REPORT':
    case 'NOREPORT':
    case 'ASYNC':
      return { targetId: a.targetId, status: 'SUCCESS', message: null };
  }
}

/**
 * One action of a run in a savepoint, so that a failing entry does not undo its batch: an error
 * becomes a FAILURE outcome (its message, after the refusal's code when it has one).
 */
export async function applyInSavepoint(trx: Knex.Transaction, users: ManagedUsers, mapping: CompiledMapping, action: Action, a: Assessment): Promise<ActionOutcome> {
  try {
    const mapped = action === 'CREATE' || action === 'UPDATE' ? mapping.map(a.source, a.target?.obj) : null;
    return await trx.transaction((sp) => applyAction(sp, users, { mapping, action, source: a.source, mapped, targetId: a.targetId, linked: a.linked, situation: a.situation }));
  } catch (e) {
    const code = refusalCode(e);
    const message = code !== undefined ? `${code} ${(e as Error).message}` : e instanceof Error ? e.message : String(e);
    return { targetId: a.targetId, status: 'FAILURE', message };
  }
}

/**
 * A new link (the default qualifier). The repository's unique keys make a second link to one target
 * (or from one source) fail: another source or a concurrent sync linked it first. That is a domain
 * Conflict (sync performAction's 409, a run's FAILURE entry), not the database's text.
 */
async function insertLink(trx: Knex.Transaction, mapping: CompiledMapping, ids: { firstId: string; secondId: string }): Promise<void> {
  try {
    await links.insertLink(trx, { linkType: mapping.name, linkQualifier: LINK_QUALIFIER, ...ids });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw new Conflict(`Cannot link ${mapping.source}/${ids.firstId} to ${mapping.target}/${ids.secondId}: one of them is already linked in mapping ${mapping.name} (another source or sync linked it first)`);
  }
}

function withoutId(obj: Record<string, unknown>): Record<string, unknown> {
  const { _id, ...rest } = obj;
  return rest;
}
