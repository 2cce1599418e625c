// What an approval is: the variables a recon starts it with, the snapshot it is bound to, and the
// hash that tells whether the source row is still the one the approver saw. The snapshot lives in
// approval_request (src/repo/decisions.ts), never in process variables, which a submission or a
// later step may change: the createUser step reads only the snapshot.
import { sha256Hex } from '../recon/hash';
import { SourceObject } from '../recon/interfaces';

/** The approval's bound content: what the approver is shown and what createUser creates. */
export interface Snapshot {
  mapping: string;
  sourceId: string;
  /** canonicalHash of the source row at request time. */
  sourceHash: string;
  /** The mapped target (after the mapping's transforms), with its _id; never a password. */
  target: Record<string, unknown>;
}

/** One approval per workflow, mapping and source row at a time (the instance's open key). */
export function openKeyFor(workflowName: string, mapping: string, sourceId: string): string {
  return `${workflowName}|${mapping}|${sourceId}`;
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

/** The start variables of an approval (the sample's contract with its BPMN). */
export function startVariables(s: { reconId: string; mapping: string; situation: string; sourceId: string; sourceHash: string; targetId: string | null }, defaults?: Record<string, unknown>): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...defaults,
    reconId: s.reconId,
    mapping: s.mapping,
    situation: s.situation,
    action: 'CREATE',
    sourceId: s.sourceId,
    linkQualifier: 'default',
    sourceHash: s.sourceHash,
  };
  if (s.targetId) v.targetId = s.targetId;
  return v;
}
