// The request: what an approval is bound to and shows. A CREATE is a snapshot of the row as it
// would be created (validated as the createUser step would create it), or a reason why no approval
// can be asked for it; any other action (issue 16) shows the target it concerns: the values an
// UPDATE writes, else the target as it is (the one a DELETE removes, an UNLINK detaches…).
// The mapping's onCreate hook runs here, on a CREATE's snapshot, not when the approved user is
// created: the approver sees exactly what will be created (the createUser step creates the snapshot
// as it is, see createUser.ts), and a failing onCreate asks for no approval of a user that could
// not be made.
import { ManagedUsers } from '../managed/users';
import { ManagedUserRow } from '../repo/managedUsers';
import { runHook } from '../recon/hooks';
import { Action, CompiledMapping, Situation, SourceObject } from '../recon/interfaces';
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
  return { mapping: mapping.name, sourceId: source._id, sourceHash: canonicalHash(source), target, action: 'CREATE', situation: run.situation ?? 'ABSENT', targetId: null, linkQualifier: mapping.qualifier };
}

/** Any action but CREATE, in either phase (`source` null in the target phase). */
export function actionSnapshotOf(mapping: CompiledMapping, action: Action, situation: string, source: SourceObject | null, targetId: string | null, target: ManagedUserRow | null): Snapshot | Error {
  let shown: Record<string, unknown> | null = target ? { ...withoutSecrets(target.obj), _id: target.id } : null;
  if (action === 'UPDATE' && source) {
    try {
      const { _id: _ignored, ...mapped } = mapping.map(source, target?.obj);
      shown = { ...withoutSecrets(mapped), _id: targetId };
    } catch (e) {
      return new Error(`the mapping ${mapping.name} fails on this row: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The target phase has no source row: asking again follows the target's content instead.
  const hash = source ? canonicalHash(source) : canonicalHash({ ...(target?.obj ?? {}), _id: targetId ?? '', name: '' });
  return { mapping: mapping.name, sourceId: source?._id ?? null, sourceHash: hash, target: shown, action, situation, targetId, linkQualifier: mapping.qualifier };
}
