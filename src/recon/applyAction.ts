// Carries out one synchronisation action (CREATE, UPDATE, LINK, …) on the target (managed/user)
// and its link, inside the caller's transaction; every action is safe to repeat. Both phases of a
// run, sync's performAction (resyncOne.ts) and an approval's createUser step come here.
import type { Knex } from 'knex';
import { Conflict } from '../errors';
import { ManagedUsers } from '../managed/users';
import { isUniqueViolation } from '../repo/dialect';
import * as links from '../repo/links';
import { Assessment } from './assess';
import { HookName, runHook, runPostAction } from './hooks';
import { Action, CompiledMapping, Situation, SourceObject } from './interfaces';
import type { CompiledScript } from './script';
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
  /** For the hooks' bindings (src/recon/hooks.ts). */
  situation?: Situation | null;
  reconId?: string | null;
  /** The policy's postAction, run after the action (the policy that chose it; OpenIDM's Policy.evaluatePostAction). */
  postAction?: CompiledScript;
  /** The action was decided in the target phase (postAction's `sourceAction` is false). */
  targetPhase?: boolean;
  /** `mapped` has been through onCreate already: the approval's snapshot (src/approval/request.ts). */
  onCreateDone?: boolean;
}

export interface ActionOutcome {
  targetId: string | null;
  status: 'SUCCESS' | 'FAILURE';
  message: string | null;
  /** True when the target was created (for the run's progress). */
  created?: boolean;
  linkCreated?: boolean;
}

/**
 * Applies `a.action`; a refusal the action foresees is a FAILURE outcome, anything else throws (a
 * hook's or postAction's exception: HookFailed). The mapping's hooks run where OpenIDM's
 * SyncOperation.performAction runs them: onCreate before the create, onLink before the link is
 * made, onUpdate before the update, onDelete before the delete, onUnlink before the link is removed.
 */
export async function applyAction(trx: Knex.Transaction, users: ManagedUsers, a: ActionInput): Promise<ActionOutcome> {
  const done = await perform(trx, users, a);
  if (a.postAction && done.status === 'SUCCESS' && POST_ACTION_AFTER.has(a.action)) {
    const target = done.targetId && a.action !== 'DELETE' ? (await users.readRow(trx, done.targetId))?.obj ?? null : null;
    runPostAction(a.mapping, a.postAction, { action: a.action, situation: a.situation ?? null, sourceAction: !a.targetPhase, source: a.source, target, reconId: a.reconId ?? null });
  }
  return done;
}

/** SyncOperation.performAction: EXCEPTION throws before the postAction, IGNORE and ASYNC skip it. */
const POST_ACTION_AFTER = new Set<Action>(['CREATE', 'UPDATE', 'LINK', 'DELETE', 'UNLINK', 'REPORT', 'NOREPORT']);

async function perform(trx: Knex.Transaction, users: ManagedUsers, a: ActionInput): Promise<ActionOutcome> {
  const linkType = a.mapping.name;
  const m = a.mapping;
  const scope = { source: a.source, situation: a.situation ?? null, reconId: a.reconId ?? null };
  const targetOf = async (id: string | null) => (id && hasAny(m, 'onLink', 'onDelete', 'onUnlink') ? (await users.readRow(trx, id))?.obj ?? null : null);
  switch (a.action) {
    case 'CREATE': {
      if (!a.source || !a.mapped) return { targetId: null, status: 'FAILURE', message: 'CREATE needs a source object' };
      const mapped = a.onCreateDone ? a.mapped : runHook(m, 'onCreate', { ...scope, target: a.mapped, targetId: idOf(a.mapped) })!;
      const user = await users.create(trx, withoutId(mapped), idOf(mapped) ?? undefined);
      if (m.hooks.onLink) runHook(m, 'onLink', { ...scope, target: await targetOf(user._id), targetId: user._id });
      await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: user._id });
      return { targetId: user._id, status: 'SUCCESS', message: null, created: true, linkCreated: true };
    }
    case 'UPDATE': {
      if (!a.source || !a.mapped || !a.targetId) return { targetId: a.targetId, status: 'FAILURE', message: 'UPDATE needs a source and a target' };
      const current = await users.readRow(trx, a.targetId);
      if (!current) return { targetId: a.targetId, status: 'FAILURE', message: `Target managed/user/${a.targetId} disappeared` };
      let linkCreated = false;
      if (!a.linked) {
        runHook(m, 'onLink', { ...scope, target: current.obj, targetId: a.targetId });
        await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: a.targetId });
        linkCreated = true;
      }
      const changes = withoutId(a.mapped);
      if (m.hooks.onUpdate) {
        // IDM applies the mapping onto a copy of the target, runs onUpdate, and writes only if the result differs.
        const next = runHook(m, 'onUpdate', { ...scope, target: { ...current.obj, ...changes }, oldTarget: current.obj, targetId: a.targetId })!;
        const { _id, _rev, ...body } = next;
        if (differs(body, current.obj)) await users.modify(trx, a.targetId, null, () => body);
      } else if (changedFields(changes, current.obj).length) await users.modify(trx, a.targetId, null, (obj) => ({ ...obj, ...changes }));
      return { targetId: a.targetId, status: 'SUCCESS', message: null, linkCreated };
    }
    case 'LINK': {
      if (!a.source || !a.targetId) return { targetId: a.targetId, status: 'FAILURE', message: 'LINK needs a source and a target' };
      if (!a.linked) {
        if (m.hooks.onLink) runHook(m, 'onLink', { ...scope, target: await targetOf(a.targetId), targetId: a.targetId });
        await insertLink(trx, a.mapping, { firstId: a.source._id, secondId: a.targetId });
      }
      return { targetId: a.targetId, status: 'SUCCESS', message: null, linkCreated: !a.linked };
    }
    case 'UNLINK': {
      if (a.linked && m.hooks.onUnlink) runHook(m, 'onUnlink', { ...scope, target: await targetOf(a.targetId), targetId: a.targetId });
      if (a.source) await links.deleteLinkBySource(trx, linkType, m.qualifier, a.source._id);
      else if (a.targetId) await links.deleteLinkByTarget(trx, linkType, m.qualifier, a.targetId);
      return { targetId: a.targetId, status: 'SUCCESS', message: null };
    }
    case 'DELETE': {
      if (a.targetId) {
        const row = await users.readRow(trx, a.targetId);
        if (row) {
          runHook(m, 'onDelete', { ...scope, target: row.obj, targetId: a.targetId });
          await users.remove(trx, a.targetId, null);
        }
        // The target is gone: onUnlink sees no target, as IDM's accessor after the delete.
        if (a.linked) runHook(m, 'onUnlink', { ...scope, target: null, targetId: a.targetId });
        await links.deleteLinkByTarget(trx, linkType, m.qualifier, a.targetId);
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

const hasAny = (m: CompiledMapping, ...hooks: HookName[]) => hooks.some((h) => !!m.hooks[h]);

const idOf = (obj: Record<string, unknown>) => (typeof obj._id === 'string' && obj._id ? obj._id : null);

/** A change onUpdate made: a mapped field that differs, or a stored field it removed. */
function differs(next: Record<string, unknown>, current: Record<string, unknown>): boolean {
  if (changedFields(next, current).length) return true;
  return Object.keys(current).some((k) => k !== '_id' && k !== '_rev' && !(k in next) && current[k] !== null && current[k] !== undefined);
}

/**
 * One action of a run in a savepoint, so that a failing entry does not undo its batch: an error
 * becomes a FAILURE outcome (its message, after the refusal's code when it has one).
 */
export async function applyInSavepoint(
  trx: Knex.Transaction, users: ManagedUsers, mapping: CompiledMapping, action: Action, a: Assessment,
  run: { reconId?: string | null; postAction?: CompiledScript; targetPhase?: boolean } = {},
): Promise<ActionOutcome> {
  try {
    const mapped = action === 'CREATE' || action === 'UPDATE' ? mapping.map(a.source, a.target?.obj) : null;
    return await trx.transaction((sp) => applyAction(sp, users, { mapping, action, source: a.source, mapped, targetId: a.targetId, linked: a.linked, situation: a.situation, ...run }));
  } catch (e) {
    const code = refusalCode(e);
    const message = code !== undefined ? `${code} ${(e as Error).message}` : e instanceof Error ? e.message : String(e);
    return { targetId: a.targetId, status: 'FAILURE', message };
  }
}

/**
 * A new link, with the mapping view's qualifier (IDM's Link.linkQualifier). The repository's unique keys make a second link to one target
 * (or from one source) fail: another source or a concurrent sync linked it first. That is a domain
 * Conflict (sync performAction's 409, a run's FAILURE entry), not the database's text.
 */
async function insertLink(trx: Knex.Transaction, mapping: CompiledMapping, ids: { firstId: string; secondId: string }): Promise<void> {
  try {
    await links.insertLink(trx, { linkType: mapping.name, linkQualifier: mapping.qualifier, ...ids });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw new Conflict(`Cannot link ${mapping.source}/${ids.firstId} to ${mapping.target}/${ids.secondId}: one of them is already linked in mapping ${mapping.name} (qualifier ${mapping.qualifier}; another source or sync linked it first)`);
  }
}

function withoutId(obj: Record<string, unknown>): Record<string, unknown> {
  const { _id, ...rest } = obj;
  return rest;
}
