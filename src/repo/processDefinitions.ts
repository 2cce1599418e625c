// SQL for deployed process definition versions.
import { Q } from './dialect';

export interface DefinitionRow {
  id: string;
  key: string;
  version: number;
  seq: number;
  name: string | null;
  category: string | null;
  resourceName: string | null;
  hash: string;
  xml: string;
  deployedAt: string;
}

function fromColumns(r: Record<string, unknown>): DefinitionRow {
  return {
    id: r.id as string,
    key: r.key as string,
    version: Number(r.version),
    seq: Number(r.seq),
    name: (r.name as string) ?? null,
    category: (r.category as string) ?? null,
    resourceName: (r.resource_name as string) ?? null,
    hash: r.hash as string,
    xml: r.xml as string,
    deployedAt: r.deployed_at as string,
  };
}

export async function latestDefinition(q: Q, key: string): Promise<DefinitionRow | null> {
  const r = await q('process_definition').where({ key }).orderBy('version', 'desc').first();
  return r ? fromColumns(r) : null;
}

/** Version `version` of key (a call activity bound to a version). */
export async function definitionVersion(q: Q, key: string, version: number): Promise<DefinitionRow | null> {
  const r = await q('process_definition').where({ key, version }).first();
  return r ? fromColumns(r) : null;
}

/** The latest version of key deployed at or before deployment sequence `seq` (a call activity bound to its deployment). */
export async function latestDefinitionUpTo(q: Q, key: string, seq: number): Promise<DefinitionRow | null> {
  const r = await q('process_definition').where({ key }).andWhere('seq', '<=', seq).orderBy('version', 'desc').first();
  return r ? fromColumns(r) : null;
}

export async function readDefinition(q: Q, id: string): Promise<DefinitionRow | null> {
  const r = await q('process_definition').where({ id }).first();
  return r ? fromColumns(r) : null;
}

export async function listDefinitions(q: Q, withXml = false): Promise<DefinitionRow[]> {
  const cols = withXml ? ['*'] : ['id', 'key', 'version', 'seq', 'name', 'category', 'resource_name', 'hash', 'deployed_at'];
  return (await q('process_definition').select(cols).orderBy([{ column: 'key' }, { column: 'version' }])).map((r: Record<string, unknown>) => fromColumns({ xml: '', ...r }));
}

/** Inserts version N+1 of key; the unique (key, version) and seq columns settle races between nodes. */
export async function insertDefinitionVersion(q: Q, d: Omit<DefinitionRow, 'id' | 'version' | 'seq' | 'deployedAt'>): Promise<DefinitionRow> {
  const [{ v }] = await q('process_definition').where({ key: d.key }).max({ v: 'version' });
  const [{ s }] = await q('process_definition').max({ s: 'seq' });
  const version = Number(v ?? 0) + 1;
  const seq = Number(s ?? 0) + 1;
  const row: DefinitionRow = { ...d, id: `${d.key}:${version}:${seq}`, version, seq, deployedAt: new Date().toISOString() };
  await q('process_definition').insert({
    id: row.id, key: row.key, version, seq, name: row.name, category: row.category, resource_name: row.resourceName,
    hash: row.hash, xml: row.xml, deployed_at: row.deployedAt,
  });
  return row;
}

export async function deleteDefinition(q: Q, id: string): Promise<boolean> {
  return (await q('process_definition').where({ id }).del()) === 1;
}

/** The newest version (any key, any origin) whose resource name is this: the file's lineage. */
export async function latestDefinitionOfResource(q: Q, resourceName: string): Promise<DefinitionRow | null> {
  const r = await q('process_definition').where({ resource_name: resourceName }).orderBy('seq', 'desc').first();
  return r ? fromColumns(r) : null;
}

/** What the process folder last held for a file (process_folder_file). */
export interface FolderFileRow {
  resourceName: string;
  hash: string;
  definitionId: string;
  readAt: string;
}

export async function readFolderFile(q: Q, resourceName: string): Promise<FolderFileRow | null> {
  const r = await q('process_folder_file').where({ resource_name: resourceName }).first();
  return r ? { resourceName: r.resource_name, hash: r.hash, definitionId: r.definition_id, readAt: r.read_at } : null;
}

/** A file the folder records for the first time; the primary key makes a concurrent first read a unique violation. */
export async function insertFolderFile(q: Q, f: FolderFileRow): Promise<void> {
  await q('process_folder_file').insert({ resource_name: f.resourceName, hash: f.hash, definition_id: f.definitionId, read_at: f.readAt });
}

/** A changed file: only if the row still records what this reader saw (else another node moved it). */
export async function updateFolderFile(q: Q, f: FolderFileRow, expectedHash: string): Promise<boolean> {
  return (await q('process_folder_file').where({ resource_name: f.resourceName, hash: expectedHash }).update({ hash: f.hash, definition_id: f.definitionId, read_at: f.readAt })) === 1;
}
