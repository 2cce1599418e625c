// SQL for configuration objects changed over REST (src/config/live.ts): one row per object with a
// version. A write is a compare-and-swap on the version read, so two nodes (or two requests)
// changing one object at once cannot both win; polling nodes compare versions.
import { dbNow, isUniqueViolation, Q } from './dialect';

export interface StoredConfig {
  name: string;
  version: number;
  /** The document as written; null: deleted over REST. */
  document: Record<string, unknown> | null;
  updatedBy: string | null;
  updatedAt: number;
}

function rowOf(r: Record<string, unknown>): StoredConfig {
  return {
    name: r.name as string,
    version: Number(r.version),
    document: r.document === null || r.document === undefined ? null : (JSON.parse(r.document as string) as Record<string, unknown>),
    updatedBy: (r.updated_by as string) ?? null,
    updatedAt: Number(r.updated_at),
  };
}

export async function readStoredConfig(q: Q, name: string): Promise<StoredConfig | null> {
  const r = await q('config').where({ name }).first();
  return r ? rowOf(r) : null;
}

export async function listStoredConfig(q: Q): Promise<StoredConfig[]> {
  return (await q('config').orderBy('name')).map(rowOf);
}

/** Every object's name and version (what a polling node compares with what it applied). */
export async function storedConfigVersions(q: Q): Promise<Map<string, number>> {
  const rows = await q('config').select('name', 'version');
  return new Map(rows.map((r: Record<string, unknown>) => [r.name as string, Number(r.version)]));
}

/**
 * Writes version `expected + 1` if the stored version is still `expected` (0: no row yet).
 * Returns the new version, or null when another writer got there first.
 */
export async function writeStoredConfig(q: Q, name: string, expected: number, document: Record<string, unknown> | null, updatedBy: string | null): Promise<number | null> {
  const values = { document: document === null ? null : JSON.stringify(document), updated_by: updatedBy, updated_at: dbNow(q) };
  if (expected === 0) {
    try {
      await q('config').insert({ name, version: 1, ...values });
      return 1;
    } catch (e) {
      if (isUniqueViolation(e)) return null;
      throw e;
    }
  }
  const n = await q('config').where({ name, version: expected }).update({ version: expected + 1, ...values });
  return n === 1 ? expected + 1 : null;
}
