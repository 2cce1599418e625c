// Aggregates read at each metrics scrape (src/metrics): open tasks with their oldest creation time,
// and active instances per definition key. Each is one GROUP BY over an indexed or small table.
import { Q } from './dialect';

export interface OpenTaskStat {
  definitionKey: string;
  definitionVersion: number;
  taskDefinitionKey: string;
  open: number;
  /** create_time of the oldest open task of the group (ISO 8601). */
  oldest: string;
}

export async function openTaskStats(q: Q): Promise<OpenTaskStat[]> {
  const groups = await q('task')
    .select('definition_id', 'task_definition_key')
    .count({ n: '*' })
    .min({ oldest: 'create_time' })
    .groupBy('definition_id', 'task_definition_key');
  if (!groups.length) return [];
  const ids = [...new Set(groups.map((g: Record<string, unknown>) => String(g.definition_id)))];
  const defs = new Map<string, { key: string; version: number }>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const d of await q('process_definition').select('id', 'key', 'version').whereIn('id', ids.slice(i, i + 500))) defs.set(String(d.id), { key: String(d.key), version: Number(d.version) });
  }
  return groups.map((g: Record<string, unknown>) => {
    const d = defs.get(String(g.definition_id));
    return { definitionKey: d?.key ?? String(g.definition_id), definitionVersion: d?.version ?? 0, taskDefinitionKey: String(g.task_definition_key), open: Number(g.n), oldest: String(g.oldest) };
  });
}

/** Active instances per definition key (the (status, definition_key) index answers it). */
export async function activeInstanceCounts(q: Q): Promise<{ definitionKey: string; active: number }[]> {
  const rows = await q('process_instance').where({ status: 'active' }).select('definition_key').count({ n: '*' }).groupBy('definition_key');
  return rows.map((r: Record<string, unknown>) => ({ definitionKey: String(r.definition_key), active: Number(r.n) }));
}
