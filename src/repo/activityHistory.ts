// SQL for the path each instance took (activity_history): one row per run, the ids of the
// activities and events it completed, in order.
import { parseJson, Q } from './dialect';

export interface NewActivityHistory {
  processInstanceId: number;
  activityIds: string[];
  recordedAt: string;
}

/** One multi-row insert (callers chunk: SQLite compiles it into a compound SELECT of at most 500 terms). */
export async function insertActivityHistory(q: Q, rows: NewActivityHistory[]): Promise<void> {
  if (!rows.length) return;
  await q('activity_history').insert(
    rows.map((r) => ({ process_instance_id: r.processInstanceId, activity_ids: JSON.stringify(r.activityIds), recorded_at: r.recordedAt })),
  );
}

/** Every run's passed activities of an instance, oldest run first. */
export async function activityHistoryOf(q: Q, processInstanceId: number): Promise<{ activityIds: string[]; recordedAt: string }[]> {
  const rows = await q('activity_history').where({ process_instance_id: processInstanceId }).orderBy('id').select('activity_ids', 'recorded_at');
  return rows.map((r: Record<string, unknown>) => ({ activityIds: parseJson<string[]>(r.activity_ids), recordedAt: String(r.recorded_at) }));
}
