// Situation assessment for a batch of source objects: a few set-based queries (links, linked
// targets, correlated targets) instead of several queries per row.
import { Conflict } from '../errors';
import { Q } from '../repo/dialect';
import * as links from '../repo/links';
import { findManagedUsersByField, ManagedUserRow, readManagedUsers } from '../repo/managedUsers';
import { CompiledMapping, Situation, SourceObject } from './interfaces';
import { correlateByScript } from './correlation';
import { assessSourceSituation } from './situations';

export interface Assessment {
  source: SourceObject;
  situation: Situation;
  /** The linked target, or the single correlated one. */
  target: ManagedUserRow | null;
  targetId: string | null;
  linked: boolean;
  /** Every correlated target id (each counts as handled: the target phase skips it). */
  correlatedIds: string[];
  /**
   * SourceSyncOperation's ambiguousTargetIds: the correlated ids of an AMBIGUOUS source, or of an
   * invalid one correlating to several (UNQUALIFIED); audited as ambiguousTargetObjectIds.
   */
  ambiguousTargetIds?: string[];
  /** For a linked source: what the link remembers of the last sync. */
  synced?: { sourceHash: string | null; targetRev: string | null };
  /**
   * Linked, and neither the source row (its sync hash) nor the target (its rev) changed since the
   * last sync: the target was not read (`target` is null).
   */
  inSync?: boolean;
}

/** An entry that could not be assessed (a validSource, sourceCondition or correlation script failed): its own failure, not the run's. */
export interface AssessFailure {
  source: SourceObject;
  error: string;
}

export const isFailure = (a: Assessment | AssessFailure): a is AssessFailure => 'error' in a;

/** `syncHashes`: each source's sync hash (row hash with the mapping's fingerprint), where known. */
export async function assessBatch(q: Q, mapping: CompiledMapping, sources: SourceObject[], syncHashes?: ReadonlyMap<string, string | null>): Promise<(Assessment | AssessFailure)[]> {
  const linkType = mapping.name;
  const bySource = await links.linksBySource(q, linkType, mapping.qualifier, sources.map((s) => s._id));
  const inSync = (l: links.LinkWithTargetRev) => {
    const hash = syncHashes?.get(l.firstId);
    return !!hash && l.sourceHash === hash && l.currentTargetRev !== null && l.currentTargetRev === l.targetRev;
  };
  const linkedTargets = await readManagedUsers(q, [...bySource.values()].filter((l) => l.currentTargetRev !== null && !inSync(l)).map((l) => l.secondId));

  // SourceSyncOperation.assessSituation correlates every unlinked source, valid or not: an invalid
  // one that correlates is UNQUALIFIED (its target handled), not SOURCE_IGNORED.
  const unlinked = sources.filter((s) => !bySource.has(s._id));
  const corrValues = new Map<SourceObject, string>();
  for (const s of unlinked) {
    const v = mapping.correlation.value(s);
    if (v !== undefined && v !== null && v !== '') corrValues.set(s, String(v));
  }
  // A correlationQuery / correlationScript runs per entry (correlation.ts); the declarative form is one set-based query.
  const byScript = mapping.correlation.script ? await correlateByScript(q, mapping.correlation.script, unlinked) : null;
  const scripted = byScript ? [...byScript.values()].filter((v): v is ManagedUserRow[] => !(v instanceof Error)) : [];
  const candidates = byScript ? [...new Map(scripted.flat().map((c) => [c.id, c])).values()] : corrValues.size ? await findManagedUsersByField(q, mapping.correlation.targetField, [...new Set(corrValues.values())]) : [];
  const byValue = new Map<string, ManagedUserRow[]>();
  for (const c of candidates) {
    const key = fieldValue(c, mapping.correlation.targetField);
    if (key === undefined) continue;
    byValue.set(key, [...(byValue.get(key) ?? []), c]);
  }
  const candidateLinks = candidates.length ? await links.linksByTarget(q, linkType, mapping.qualifier, candidates.map((c) => c.id)) : new Map();

  return sources.map((source): Assessment | AssessFailure => {
    let valid: boolean;
    try {
      valid = mapping.isValidSource(source);
    } catch (e) {
      return { source, error: e instanceof Error ? e.message : String(e) };
    }
    const link = bySource.get(source._id);
    if (link) {
      const unchanged = inSync(link);
      const target = unchanged ? null : linkedTargets.get(link.secondId) ?? null;
      const situation = assessSourceSituation({ validSource: valid, link: { targetId: link.secondId }, linkedTargetExists: unchanged || !!target, correlated: [] });
      return {
        source, situation, target, targetId: link.secondId, linked: true, correlatedIds: [],
        synced: { sourceHash: link.sourceHash ?? null, targetRev: link.targetRev ?? null },
        ...(unchanged && { inSync: true }),
      };
    }
    const v = corrValues.get(source);
    const scriptFound = byScript?.get(source);
    if (scriptFound instanceof Error) return { source, error: scriptFound.message };
    const found = byScript ? scriptFound ?? [] : v === undefined ? [] : byValue.get(v) ?? [];
    const correlated = found.map((t) => ({ _id: t.id, linkedToOtherSource: !!candidateLinks.get(t.id) && candidateLinks.get(t.id).firstId !== source._id }));
    const situation = assessSourceSituation({ validSource: valid, linkedTargetExists: false, correlated });
    const target = found.length === 1 ? found[0] : null;
    const correlatedIds = found.map((t) => t.id);
    return { source, situation, target, targetId: target?.id ?? null, linked: false, correlatedIds, ...(found.length > 1 && { ambiguousTargetIds: [...correlatedIds].sort() }) };
  });
}

function fieldValue(row: ManagedUserRow, field: string): string | undefined {
  const v = field === '_id' ? row.id : row.obj[field];
  return v === undefined || v === null ? undefined : String(v);
}

/** One source (performAction, an approval's job): a failed assessment is thrown as a Conflict naming why. */
export async function assessOne(q: Q, mapping: CompiledMapping, source: SourceObject): Promise<Assessment> {
  const [a] = await assessBatch(q, mapping, [source]);
  if (isFailure(a)) throw new Conflict(`Cannot assess ${mapping.source}/${source._id}: ${a.error}`);
  return a;
}
