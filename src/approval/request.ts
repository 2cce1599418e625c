// The request: a row without a user becomes a snapshot (the mapped target, validated as the
// createUser step would create it), or a reason why no approval can be asked for it. The mapping's
// onCreate hook runs here, on the snapshot, not when the approved user is created: the approver
// sees exactly what will be created (the createUser step creates the snapshot as it is, see
// createUser.ts), and a failing onCreate asks for no approval of a user that could not be made.
import { ManagedUsers } from '../managed/users';
import { runHook } from '../recon/hooks';
import { CompiledMapping, Situation, SourceObject } from '../recon/interfaces';
import { canonicalHash, Snapshot, withoutSecrets } from './contract';

export function snapshotOf(mapping: CompiledMapping, source: SourceObject, users: ManagedUsers, run: { situation?: Situation; reconId?: string } = {}): Snapshot | Error {
  let mapped: Record<string, unknown>;
  try {
    mapped = mapping.map(source);
  } catch (e) {
    return new Error(`the mapping ${mapping.name} fails on this row: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const id = typeof mapped._id === 'string' && mapped._id ? mapped._id : null;
    mapped = runHook(mapping, 'onCreate', { source, target: mapped, targetId: id, situation: run.situation ?? 'ABSENT', reconId: run.reconId ?? null })!;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  const id = typeof mapped._id === 'string' && mapped._id ? mapped._id : source._id;
  const target = { ...withoutSecrets(mapped), _id: id };
  const problem = users.problemCreating(target, id);
  if (problem) return new Error(`the user could not be created: ${problem}`);
  return { mapping: mapping.name, sourceId: source._id, sourceHash: canonicalHash(source), target };
}
