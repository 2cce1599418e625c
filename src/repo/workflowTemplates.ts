// SQL for the stored waiting templates of definition versions (migration 20261207000006): rows are
// written once and never changed; a definition version's rows go with it.
import { Q } from './dialect';

export interface TemplateRow {
  definitionId: string;
  fingerprint: string;
  body: string;
}

/** Stores a template unless that (definition, fingerprint) is stored already (another node, an earlier start). */
export async function insertTemplateIfAbsent(q: Q, t: TemplateRow): Promise<void> {
  await q('workflow_template')
    .insert({ definition_id: t.definitionId, fingerprint: t.fingerprint, body: t.body, created_at: new Date().toISOString() })
    .onConflict(['definition_id', 'fingerprint'])
    .ignore();
}

/** Every stored template of a definition version. */
export async function templatesOfDefinition(q: Q, definitionId: string): Promise<TemplateRow[]> {
  const rows = await q('workflow_template').where({ definition_id: definitionId }).select('definition_id', 'fingerprint', 'body');
  return rows.map((r: Record<string, unknown>) => ({ definitionId: r.definition_id as string, fingerprint: r.fingerprint as string, body: r.body as string }));
}

/** One stored template; null when there is none. */
export async function readTemplate(q: Q, definitionId: string, fingerprint: string): Promise<TemplateRow | null> {
  const r = await q('workflow_template').where({ definition_id: definitionId, fingerprint }).first('definition_id', 'fingerprint', 'body');
  return r ? { definitionId: r.definition_id as string, fingerprint: r.fingerprint as string, body: r.body as string } : null;
}

export async function deleteTemplatesOfDefinition(q: Q, definitionId: string): Promise<number> {
  return q('workflow_template').where({ definition_id: definitionId }).del();
}
