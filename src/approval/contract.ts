// What an approval is: the variables a recon starts it with, the snapshot it is bound to, and the
// hash that tells whether the source row is still the one the approver saw. The snapshot lives in
// approval_request (src/repo/decisions.ts), never in process variables, which a submission or a
// later step may change: the createUser step reads only the snapshot.
import { sha256Hex } from '../recon/hash';
import { Action, SourceObject } from '../recon/interfaces';

/** The approval's bound content: what the approver is shown and what createUser creates. */
export interface Snapshot {
  mapping: string;
  /** null for a target-phase approval (IDM's TargetSyncOperation passes no sourceId). */
  sourceId: string | null;
  /** canonicalHash of the source row (of the target, in the target phase) at request time. */
  sourceHash: string;
  /**
   * CREATE: the mapped target (after the mapping's transforms), with its _id; UPDATE: the values
   * that will be written; other actions: the target as it is (null without one). Never a password.
   */
  target: Record<string, unknown> | null;
  /** The action the approval performs (recon.actionParam.action), its situation and target. */
  action: Action;
  situation: string;
  targetId: string | null;
  /** The link qualifier whose view mapped it and under which its job links ("default" without linkQualifiers). */
  linkQualifier: string;
}

/**
 * One approval per workflow, mapping, link qualifier and source row at a time (the instance's open
 * key); per target in the target phase. The "default" qualifier keeps the key it always had, so
 * approvals opened before qualifiers counted still hold theirs.
 */
export function openKeyFor(workflowName: string, mapping: string, sourceId: string | null, targetId: string | null = null, linkQualifier = 'default'): string {
  const key = sourceId !== null ? `${workflowName}|${mapping}|${sourceId}` : `${workflowName}|${mapping}|target:${targetId ?? ''}`;
  return linkQualifier === 'default' ? key : `${key}|lq:${linkQualifier}`;
}

/** sha256 of the source object with its keys sorted: the same row gives the same hash on every read. */
export function canonicalHash(source: SourceObject): string {
  const sorted = Object.fromEntries(Object.keys(source).sort().map((k) => [k, source[k]]));
  return sha256Hex(JSON.stringify(sorted));
}

/** Every role reference of a target (authzRoles and roles), for the approver to see highlighted. */
export function rolesOf(target: Record<string, unknown> | null): string[] {
  const out: string[] = [];
  for (const key of ['authzRoles', 'roles']) {
    const list = target?.[key];
    if (!Array.isArray(list)) continue;
    for (const r of list) {
      const ref = typeof r === 'string' ? r : typeof r === 'object' && r !== null ? (r as { _ref?: unknown })._ref : undefined;
      if (typeof ref === 'string' && !out.includes(ref)) out.push(ref);
    }
  }
  return out;
}

/** Fields that never enter a snapshot (they would be stored in clear, and shown). */
const SECRET_FIELDS = new Set(['password']);

export function withoutSecrets(target: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(target).filter(([k]) => !SECRET_FIELDS.has(k)));
}

/**
 * The start variables of an approval (the sample's contract with its BPMN): IDM's recon.actionParam
 * (SyncOperation.toJsonValue: reconId, mapping, situation, action, sourceId, linkQualifier, targetId
 * where there is one; TargetSyncOperation.toJsonValue: target "true" and no sourceId), plus sourceHash.
 */
export function startVariables(s: { reconId: string; mapping: string; situation: string; action: Action; sourceId: string | null; sourceHash: string; targetId: string | null; linkQualifier?: string }, defaults?: Record<string, unknown>): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...defaults,
    reconId: s.reconId,
    mapping: s.mapping,
    situation: s.situation,
    action: s.action,
  };
  if (s.sourceId !== null) v.sourceId = s.sourceId;
  else v.target = 'true';
  v.linkQualifier = s.linkQualifier ?? 'default';
  v.sourceHash = s.sourceHash;
  if (s.targetId) v.targetId = s.targetId;
  return v;
}
