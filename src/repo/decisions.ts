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

/** The latest decision for a source row of a mapping, if any. */
export async function latestDecision(q: Q, mapping: string, sourceId: string): Promise<DecisionRow | null> {
  const r = await q('decision').where({ mapping, source_id: sourceId }).orderBy('id', 'desc').first();
  if (!r) return null;
  return {
    processInstanceId: Number(r.process_instance_id), taskId: r.task_id === null ? null : Number(r.task_id), mapping: r.mapping, sourceId: r.source_id,
    sourceHash: r.source_hash, reconId: r.recon_id, decision: r.decision, decidedBy: r.decided_by, decidedAt: r.decided_at,
  };
}

export async function rejectedSourceHashes(q: Q, mapping: string): Promise<Map<string, string | null>> {
  const rows = await q('decision').select('source_id', 'source_hash', 'decision', 'id').where({ mapping }).orderBy('id');
  const latest = new Map<string, { decision: string; hash: string | null }>();
  for (const r of rows) latest.set(r.source_id, { decision: r.decision, hash: r.source_hash });
  const out = new Map<string, string | null>();
  for (const [k, v] of latest) if (v.decision === 'rejected') out.set(k, v.hash);
  return out;
}
