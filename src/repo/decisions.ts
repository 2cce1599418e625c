// SQL for approvals: the request (the snapshot shown to the approver, keyed by its instance), the
// decision (who approved or rejected it, and when) and the createUser step's outcome.
import { dialectOf, inTransaction, parseJson, Q, whereAnyOf } from './dialect';

export interface DecisionRow {
  processInstanceId: number;
  taskId: number | null;
  mapping: string | null;
  sourceId: string | null;
  sourceHash: string | null;
  reconId: string | null;
  decision: 'approved' | 'rejected';
  decidedBy: string | null;
  decidedAt: string;
  /** The decider's _comment (issue 17); null without one. */
  comment?: string | null;
}

function decisionInsert(q: Q, d: DecisionRow) {
  return q('decision')
    .insert({
      process_instance_id: d.processInstanceId, task_id: d.taskId, mapping: d.mapping, source_id: d.sourceId, source_hash: d.sourceHash,
      recon_id: d.reconId, decision: d.decision, decided_by: d.decidedBy, decided_at: d.decidedAt, comment: d.comment ?? null,
    })
    .onConflict('process_instance_id')
    .ignore();
}

export async function insertDecision(q: Q, d: DecisionRow): Promise<void> {
  await decisionInsert(q, d);
}

/**
 * The decision, and with `unrequested` the failed request of an approval no reconciliation asked
 * for (recordUnrequested; a no-op when the request exists). PostgreSQL: one statement (a
 * data-modifying WITH; the tables differ), a round trip less on every approved completion.
 */
export async function insertDecisionAndUnrequested(q: Q, d: DecisionRow & { mapping: string }, unrequested: { message: string; at: string } | null): Promise<void> {
  if (!unrequested) return insertDecision(q, d);
  const request = unrequestedInsert(q, d, unrequested.message, unrequested.at);
  if (dialectOf(q) !== 'pg') {
    await insertDecision(q, d);
    await request;
    return;
  }
  const first = decisionInsert(q, d).toSQL();
  const second = request.toSQL();
  await q.raw(`WITH decided AS (${first.sql}) ${second.sql}`, [...first.bindings, ...second.bindings]);
}

const LOOKUP_CHUNK = 500;

// --- approval requests: the snapshot an approval is bound to, and the createUser step's outcome ---

/** created: the CREATE done (or linked); performed: another action done (issue 16); superseded; failed. */
export type Outcome = 'created' | 'performed' | 'superseded' | 'failed';

export interface RequestRow {
  processInstanceId: number;
  mapping: string;
  /** null for a target-phase request whose target has no (live) source row. */
  sourceId: string | null;
  /** The source row's hash (source phase) or the target's (target phase), for asking again. */
  sourceHash: string | null;
  reconId: string | null;
  /** What the approver is shown: the mapped target (CREATE, UPDATE) or the target as it is; null for requests recorded before snapshots existed. */
  target: Record<string, unknown> | null;
  /** The action the approval performs; null for CREATE (every request made before issue 16). */
  action?: string | null;
  /** The situation the request was asked for (null before issue 16: ABSENT). */
  situation?: string | null;
  /** The target the action concerns, when there is one. */
  targetId?: string | null;
  /** The link qualifier whose view the request was mapped by and its job links under ("default" when absent). */
  linkQualifier?: string;
  requestedAt: string;
  outcome: Outcome | null;
  outcomeMessage: string | null;
  outcomeAt: string | null;
}

/** A request with its decision (if any) and its instance's status. */
export interface RequestState extends RequestRow {
  decision: 'approved' | 'rejected' | null;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The decider's comment; null without one (or undecided). */
  comment?: string | null;
  instanceStatus: string | null;
}

const REQUEST_CHUNK = 200;

export async function insertRequests(q: Q, rows: RequestRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += REQUEST_CHUNK) {
    await q('approval_request').insert(
      rows.slice(i, i + REQUEST_CHUNK).map((r) => ({
        process_instance_id: r.processInstanceId, mapping: r.mapping, source_id: r.sourceId, source_hash: r.sourceHash, recon_id: r.reconId,
        target: r.target === null ? null : JSON.stringify(r.target), requested_at: r.requestedAt, outcome: null, outcome_message: null, outcome_at: null,
        action: r.action && r.action !== 'CREATE' ? r.action : null, situation: r.situation ?? null, target_id: r.targetId ?? null,
        link_qualifier: r.linkQualifier ?? 'default',
      })),
    );
  }
}

function requestFromColumns(r: Record<string, unknown>): RequestRow {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    processInstanceId: Number(r.process_instance_id), mapping: String(r.mapping), sourceId: text(r.source_id), sourceHash: text(r.source_hash),
    reconId: text(r.recon_id), target: r.target ? parseJson(r.target) : null, requestedAt: String(r.requested_at),
    action: text(r.action), situation: text(r.situation), targetId: text(r.target_id), linkQualifier: text(r.link_qualifier) ?? 'default',
    outcome: text(r.outcome) as Outcome | null, outcomeMessage: text(r.outcome_message), outcomeAt: text(r.outcome_at),
  };
}

function stateFromColumns(r: Record<string, unknown>): RequestState {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    ...requestFromColumns(r), decision: text(r.decision) as RequestState['decision'], decidedBy: text(r.decided_by), decidedAt: text(r.decided_at),
    comment: text(r.comment), instanceStatus: text(r.instance_status),
  };
}

function requestStates(q: Q) {
  return q('approval_request as r')
    .leftJoin('decision as d', 'd.process_instance_id', 'r.process_instance_id')
    .leftJoin('process_instance as pi', 'pi.id', 'r.process_instance_id')
    .select('r.*', 'd.decision', 'd.decided_by', 'd.decided_at', 'd.comment', 'pi.status as instance_status');
}

/**
 * The newest decided requests of one source row (or, in the target phase, one target) of a mapping
 * under one link qualifier, before an instance: index approval_request_earlier (or _target) walks
 * them newest first and stops at `limit`.
 */
export async function earlierDecided(
  q: Q,
  of: { mapping: string; sourceId: string | null; targetId: string | null; linkQualifier: string; before: number },
  limit: number,
): Promise<RequestState[]> {
  const qb = requestStates(q).whereNotNull('d.decision').where('r.mapping', of.mapping).where('r.link_qualifier', of.linkQualifier).where('r.process_instance_id', '<', of.before);
  if (of.sourceId !== null) qb.where('r.source_id', of.sourceId);
  else if (of.targetId !== null) qb.whereNull('r.source_id').where('r.target_id', of.targetId);
  else return [];
  const rows = await qb.orderBy('r.process_instance_id', 'desc').limit(limit);
  return rows.map(stateFromColumns);
}

/** Every request (oldest first) per source id of a mapping under one link qualifier, with decisions: one query per 500 ids. */
export async function requestsOfSources(q: Q, mapping: string, sourceIds: string[], linkQualifier = 'default'): Promise<Map<string, RequestState[]>> {
  const out = new Map<string, RequestState[]>();
  for (let i = 0; i < sourceIds.length; i += LOOKUP_CHUNK) {
    const qb = requestStates(q).where('r.mapping', mapping).where('r.link_qualifier', linkQualifier);
    const rows = await whereAnyOf(qb, 'r.source_id', sourceIds.slice(i, i + LOOKUP_CHUNK), dialectOf(q)).orderBy('r.process_instance_id');
    for (const r of rows) {
      const s = stateFromColumns(r);
      let list = out.get(s.sourceId!);
      if (!list) out.set(s.sourceId!, (list = []));
      list.push(s);
    }
  }
  return out;
}

/** Every target-phase request (oldest first) per target id of a mapping under one link qualifier, with decisions (issue 16). */
export async function requestsOfTargets(q: Q, mapping: string, targetIds: string[], linkQualifier = 'default'): Promise<Map<string, RequestState[]>> {
  const out = new Map<string, RequestState[]>();
  for (let i = 0; i < targetIds.length; i += LOOKUP_CHUNK) {
    const qb = requestStates(q).where('r.mapping', mapping).where('r.link_qualifier', linkQualifier).whereNull('r.source_id');
    const rows = await whereAnyOf(qb, 'r.target_id', targetIds.slice(i, i + LOOKUP_CHUNK), dialectOf(q)).orderBy('r.process_instance_id');
    for (const r of rows) {
      const s = stateFromColumns(r);
      let list = out.get(s.targetId!);
      if (!list) out.set(s.targetId!, (list = []));
      list.push(s);
    }
  }
  return out;
}

/** The snapshot (approval_request.target) of each of these instances that has a request: one query per 500 ids. */
export async function requestTargets(q: Q, processInstanceIds: number[]): Promise<Map<number, Record<string, unknown> | null>> {
  const out = new Map<number, Record<string, unknown> | null>();
  for (let i = 0; i < processInstanceIds.length; i += LOOKUP_CHUNK) {
    const rows = await q('approval_request').select('process_instance_id', 'target').whereIn('process_instance_id', processInstanceIds.slice(i, i + LOOKUP_CHUNK));
    for (const r of rows) out.set(Number(r.process_instance_id), r.target ? (parseJson(r.target) as Record<string, unknown>) : null);
  }
  return out;
}

export async function readRequest(q: Q, processInstanceId: number): Promise<RequestState | null> {
  const r = await requestStates(q).where('r.process_instance_id', processInstanceId).first();
  return r ? stateFromColumns(r) : null;
}

/**
 * The createUser step's one statement: marks the request created (or re-tries a failed one) and
 * returns it; the step's transaction rolls the mark back if the creation fails. Null when there is
 * no such request, or it already has a final outcome.
 */
export async function claimCreation(q: Q, processInstanceId: number, at: string): Promise<RequestRow | null> {
  if (dialectOf(q) === 'mysql') {
    // No UPDATE … RETURNING: the row, locked by the update until the transaction ends, read back in it.
    return inTransaction(q, async (trx) => {
      const n = await trx('approval_request')
        .where({ process_instance_id: processInstanceId })
        .andWhere((w) => void w.whereNull('outcome').orWhere('outcome', 'failed'))
        .update({ outcome: 'created', outcome_message: null, outcome_at: at });
      const row = n === 1 ? await trx('approval_request').where({ process_instance_id: processInstanceId }).first() : undefined;
      return row ? requestFromColumns(row as Record<string, unknown>) : null;
    });
  }
  const rows = await q('approval_request')
    .where({ process_instance_id: processInstanceId })
    .andWhere((w) => void w.whereNull('outcome').orWhere('outcome', 'failed'))
    .update({ outcome: 'created', outcome_message: null, outcome_at: at })
    .returning('*');
  return rows.length ? requestFromColumns(rows[0] as Record<string, unknown>) : null;
}

/**
 * An approval decided on an instance that has no request (started over REST, or asked before
 * snapshots existed): a request row without a target whose outcome is already failed, so history
 * and the inbox say that nothing will be created. A real request already there is left alone.
 */
function unrequestedInsert(q: Q, r: Pick<RequestRow, 'processInstanceId' | 'mapping' | 'sourceId' | 'sourceHash' | 'reconId'>, message: string, at: string) {
  return q('approval_request')
    .insert({
      process_instance_id: r.processInstanceId, mapping: r.mapping, source_id: r.sourceId, source_hash: r.sourceHash, recon_id: r.reconId,
      target: null, requested_at: at, outcome: 'failed', outcome_message: message.slice(0, 2000), outcome_at: at,
    })
    .onConflict('process_instance_id')
    .ignore();
}

export async function recordUnrequested(q: Q, r: Pick<RequestRow, 'processInstanceId' | 'mapping' | 'sourceId' | 'sourceHash' | 'reconId'>, message: string, at: string): Promise<void> {
  await unrequestedInsert(q, r, message, at);
}

export async function setOutcome(q: Q, processInstanceId: number, outcome: Outcome | null, message: string | null, at: string | null): Promise<void> {
  await q('approval_request').where({ process_instance_id: processInstanceId }).update({ outcome, outcome_message: message?.slice(0, 2000) ?? null, outcome_at: at });
}
