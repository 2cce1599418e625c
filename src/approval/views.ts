// The approval as task reads and instance history show it (docs: CONTRACT "approval" key): what
// the approver is asked to approve, earlier decisions on the same row, and (history) the decision
// and the createUser outcome. null for instances that are not approvals a recon asked for.
import { InstanceRow } from '../repo/processInstances';
import { Q } from '../repo/dialect';
import { earlierDecided, readRequest, requestTargets, RequestState } from '../repo/decisions';
import { rolesOf } from './contract';

export interface ApprovalView {
  mapping: string;
  /** null for a target-phase approval (no source row). */
  sourceId: string | null;
  sourceHash: string | null;
  target: Record<string, unknown> | null;
  roles: string[];
  /** The earlier decided requests, oldest first (the same ones as `earlier`, kept for clients that read it). */
  earlierDecisions: { decision: string; decidedBy: string | null; decidedAt: string | null; outcome: string | null }[];
  /** Up to EARLIER_LIMIT earlier decided approvals of the same mapping, row (or target) and link qualifier, newest first. */
  earlier: EarlierDecision[];
  /** The decider's comment (null while undecided, or decided without one). */
  comment: string | null;
  /** Only for another action than CREATE (issue 16; a CREATE approval reads as before): what approving does, to which target. */
  action?: string;
  situation?: string | null;
  targetId?: string | null;
  /** Only under a mapping's linkQualifiers, for a qualifier other than "default" (issue 16). */
  linkQualifier?: string;
}

export interface EarlierDecision {
  processInstanceId: string;
  decision: string;
  decidedBy: string | null;
  decidedAt: string | null;
  outcome: string | null;
  outcomeMessage: string | null;
  comment: string | null;
  /** That request's snapshot (what its approver was shown). */
  target: Record<string, unknown> | null;
}

export const EARLIER_LIMIT = 10;

/** pending while approved and not yet run; null while undecided or when rejected. */
const outcomeOf = (r: RequestState) => (r.decision === 'approved' ? r.outcome ?? 'pending' : null);

async function view(q: Q, instanceId: number): Promise<{ req: RequestState; view: ApprovalView } | null> {
  const req = await readRequest(q, instanceId);
  if (!req) return null;
  const earlier = await earlierDecided(
    q,
    { mapping: req.mapping, sourceId: req.sourceId, targetId: req.targetId ?? null, linkQualifier: req.linkQualifier ?? 'default', before: instanceId },
    EARLIER_LIMIT,
  );
  return {
    req,
    view: {
      mapping: req.mapping,
      sourceId: req.sourceId,
      sourceHash: req.sourceHash,
      target: req.target,
      roles: rolesOf(req.target),
      earlierDecisions: [...earlier].reverse().map((r) => ({ decision: r.decision!, decidedBy: r.decidedBy, decidedAt: r.decidedAt, outcome: outcomeOf(r) })),
      earlier: earlier.map((r) => ({
        processInstanceId: String(r.processInstanceId), decision: r.decision!, decidedBy: r.decidedBy, decidedAt: r.decidedAt, outcome: outcomeOf(r),
        outcomeMessage: r.outcomeMessage, comment: r.comment ?? null, target: r.target,
      })),
      comment: req.comment ?? null,
      ...(req.action && req.action !== 'CREATE' ? { action: req.action, situation: req.situation ?? null, targetId: req.targetId ?? null } : {}),
      // A mapping with linkQualifiers asks one approval per qualifier: which one this is (the default stays unsaid).
      ...(req.linkQualifier && req.linkQualifier !== 'default' ? { linkQualifier: req.linkQualifier } : {}),
    },
  };
}

/** The "approval" key of GET workflow/taskinstance/{id}. */
export async function taskApproval(q: Q, instanceId: number): Promise<{ approval: ApprovalView | null }> {
  return { approval: (await view(q, instanceId))?.view ?? null };
}

/** The "approval" key (and deleteReason) of GET workflow/processinstance/history/{id}. */
export async function historyApproval(q: Q, inst: InstanceRow) {
  const found = await view(q, inst.id);
  const approval = found
    ? { ...found.view, decision: found.req.decision, decidedBy: found.req.decidedBy, decidedAt: found.req.decidedAt, outcome: outcomeOf(found.req), outcomeMessage: found.req.outcomeMessage }
    : null;
  // An instance ended without a decision says why (e.g. "superseded: the source row changed …").
  return { approval, ...(inst.status === 'canceled' && inst.error ? { deleteReason: inst.error } : {}) };
}

/** The fields of a snapshot that name its person, for task lists (the inbox's rows): no other attribute leaves the task read. */
const PERSON_FIELDS = ['userName', 'displayName', 'givenName', 'sn'] as const;
export type ApprovalPerson = Partial<Record<(typeof PERSON_FIELDS)[number], string>>;

/** reconflow's "approvalTarget" of a task list row: who the approval of each instance is about (absent: not an approval). */
export async function approvalPeople(q: Q, instanceIds: number[]): Promise<Map<number, ApprovalPerson>> {
  const out = new Map<number, ApprovalPerson>();
  for (const [id, target] of await requestTargets(q, [...new Set(instanceIds)])) {
    const person: ApprovalPerson = {};
    for (const f of PERSON_FIELDS) if (target && typeof target[f] === 'string') person[f] = target[f] as string;
    out.set(id, person);
  }
  return out;
}
