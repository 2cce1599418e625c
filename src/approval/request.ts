// The request: a row without a user becomes a snapshot (the mapped target, validated as the
// createUser step would create it), or a reason why no approval can be asked for it.
import { ManagedUsers } from '../managed/users';
import { CompiledMapping, SourceObject } from '../recon/interfaces';
import { canonicalHash, Snapshot, withoutSecrets } from './contract';

export function snapshotOf(mapping: CompiledMapping, source: SourceObject, users: ManagedUsers): Snapshot | Error {
  let mapped: Record<string, unknown>;
  try {
    mapped = mapping.map(source);
  } catch (e) {
    return new Error(`the mapping ${mapping.name} fails on this row: ${e instanceof Error ? e.message : String(e)}`);
  }
  const id = typeof mapped._id === 'string' && mapped._id ? mapped._id : source._id;
  const target = { ...withoutSecrets(mapped), _id: id };
  const problem = users.problemCreating(target, id);
  if (problem) return new Error(`the user could not be created: ${problem}`);
  return { mapping: mapping.name, sourceId: source._id, sourceHash: canonicalHash(source), target };
}
