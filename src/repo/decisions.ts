// SQL for approval decisions: who approved or rejected which request, and the source row's hash
// at the time, so a later recon can tell whether the row changed since the rejection.
import { Q } from './dialect';

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
}

export async function insertDecision(q: Q, d: DecisionRow): Promise<void> {
  await q('decision')
    .insert({
      process_instance_id: d.processInstanceId, task_id: d.taskId, mapping: d.mapping, source_id: d.sourceId, source_hash: d.sourceHash,
      recon_id: d.reconId, decision: d.decision, decided_by: d.decidedBy, decided_at: d.decidedAt,
    })
    .onConflict('process_instance_id')
    .ignore();
}

function fromColumns(r: Record<string, unknown>): DecisionRow {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    processInstanceId: Number(r.process_instance_id), taskId: r.task_id === null ? null : Number(r.task_id), mapping: text(r.mapping), sourceId: text(r.source_id),
    sourceHash: text(r.source_hash), reconId: text(r.recon_id), decision: r.decision as DecisionRow['decision'], decidedBy: text(r.decided_by), decidedAt: String(r.decided_at),
  };
}

/** The latest decision for a source row of a mapping, if any. */
export async function latestDecision(q: Q, mapping: string, sourceId: string): Promise<DecisionRow | null> {
  const r = await q('decision').where({ mapping, source_id: sourceId }).orderBy('id', 'desc').first();
  return r ? fromColumns(r) : null;
}

const LOOKUP_CHUNK = 500;

/** The latest decision per source id of a mapping, for a batch (one query per 500 ids). */
export async function latestDecisions(q: Q, mapping: string, sourceIds: string[]): Promise<Map<string, DecisionRow>> {
  const out = new Map<string, DecisionRow>();
  for (let i = 0; i < sourceIds.length; i += LOOKUP_CHUNK) {
    const rows = await q('decision').where({ mapping }).whereIn('source_id', sourceIds.slice(i, i + LOOKUP_CHUNK)).orderBy('id');
    for (const r of rows) out.set(String(r.source_id), fromColumns(r));
  }
  return out;
}
