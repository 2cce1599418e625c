// Correlation by script, as OpenIDM's Correlation.correlate runs it for one source entry: a
// correlationQuery script (bindings `source`, `linkQualifier`) returns a query of the target set —
// `{_queryFilter: "..."}`, or `{_queryId: "for-userName", uid}` / `{_queryId: "get-by-field-value",
// field, value}` (repo.jdbc.json's named queries) — that is run against managed users through the
// CREST filter and the repository's translation; a correlationScript returns the candidates
// themselves (objects with `_id`) or, as reconflow also accepts, such a query. The set-based path of
// assess.ts stays for the declarative `correlation` (and the recognised `field eq source.x` form).
import { Filter, parseJsonPointer, parseQueryFilter } from '../crest/queryFilter';
import { ManagedUserRow, queryManagedUsers, readManagedUsers } from '../repo/managedUsers';
import { Q } from '../repo/dialect';
import { refuseOpenidm } from './hooks';
import { ScriptConfig, SourceObject } from './interfaces';
import { CompiledScript, compileScript, ConfScriptOpts } from './script';

export type CorrelationKey = 'correlationQuery' | 'correlationScript';

/** IDM's named queries on managed objects that reconflow runs (src/api/managed.ts serves the same two). */
const QUERY_IDS = ['for-userName', 'get-by-field-value'];

/** The most candidates read for one entry: past one it is AMBIGUOUS anyway; the ids are reported. */
const MAX_CANDIDATES = 100;

export type Candidates = { kind: 'filter'; filter: Filter } | { kind: 'ids'; ids: string[] };

/**
 * Refuses at start what reconflow could not run: an openidm.* call, a `_queryExpression` (native
 * SQL of IDM's repository) or a `_queryId` other than the named queries above.
 */
export function checkCorrelationScript(s: ScriptConfig, at: string): void {
  const text = s.source ?? '';
  refuseOpenidm(text, at);
  if (/_queryExpression/.test(text)) throw new Error(`${at}: _queryExpression (a native repository query) cannot be run by reconflow; return {_queryFilter: ...} instead`);
  const ids = [...text.matchAll(/_queryId['"]?\s*[:=]\s*['"]([^'"]*)['"]/g)].map((m) => m[1]);
  const unknown = ids.filter((id) => !QUERY_IDS.includes(id));
  if (unknown.length) throw new Error(`${at}: _queryId "${unknown[0]}" is not a query reconflow knows (${QUERY_IDS.join(', ')}); return {_queryFilter: ...} instead`);
  if (/_queryId/.test(text) && !ids.length) throw new Error(`${at}: the _queryId must be written as a literal (${QUERY_IDS.join(', ')}) so that it can be checked at start`);
}

export function compileCorrelation(key: CorrelationKey, s: ScriptConfig, mapping: string, opts: ConfScriptOpts): CompiledScript {
  return compileScript(s.source ?? '', `${mapping}.${key}`, { ...opts, language: s.type });
}

/** What one entry's script returned, as candidates to read; anything else fails naming the key. */
export function candidatesOf(key: CorrelationKey, mapping: string, value: unknown): Candidates {
  const bad = (why: string) => new Error(`mapping ${mapping}: ${key} ${why}`);
  if (Array.isArray(value) && key === 'correlationScript') {
    const ids = value.map((v) => (v && typeof v === 'object' && typeof (v as { _id?: unknown })._id === 'string' ? (v as { _id: string })._id : null));
    if (ids.some((id) => id === null)) throw bad('returned a list whose items are not all objects with an _id');
    return { kind: 'ids', ids: ids as string[] };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(`returned ${JSON.stringify(value) ?? 'undefined'}, not a query object {_queryFilter: ...}`);
  const q = value as Record<string, unknown>;
  try {
    if (typeof q._queryFilter === 'string') return { kind: 'filter', filter: parseQueryFilter(q._queryFilter) };
    if (q._queryId === 'for-userName' && q.uid !== undefined) return { kind: 'filter', filter: { type: 'compare', op: 'eq', field: ['userName'], value: String(q.uid) } };
    if (q._queryId === 'get-by-field-value' && typeof q.field === 'string' && q.value !== undefined) {
      return { kind: 'filter', filter: { type: 'compare', op: 'eq', field: parseJsonPointer(q.field), value: String(q.value) } };
    }
  } catch (e) {
    throw bad(`returned a query reconflow cannot run: ${e instanceof Error ? e.message : String(e)}`);
  }
  throw bad(`returned ${JSON.stringify(q).slice(0, 200)}, which is not a query reconflow can run (_queryFilter, or _queryId for-userName with uid / get-by-field-value with field and value)`);
}

/** Runs the mapping's correlation script per source entry and reads its candidates (or the entry's Error). */
export async function correlateByScript(
  q: Q,
  corr: { key: CorrelationKey; mapping: string; linkQualifier: string; script: CompiledScript },
  sources: SourceObject[],
): Promise<Map<SourceObject, ManagedUserRow[] | Error>> {
  // An entry whose script fails is that entry's failure (IDM: the entry's SynchronizationException), not the run's.
  const out = new Map<SourceObject, ManagedUserRow[] | Error>();
  for (const source of sources) {
    let c: Candidates;
    try {
      c = candidatesOf(corr.key, corr.mapping, corr.script({ source, linkQualifier: corr.linkQualifier }));
    } catch (e) {
      out.set(source, new Error(`mapping ${corr.mapping}: ${corr.key} failed for source ${source._id}: ${e instanceof Error ? e.message : String(e)}`));
      continue;
    }
    if (c.kind === 'ids') {
      const rows = await readManagedUsers(q, c.ids.slice(0, MAX_CANDIDATES));
      out.set(source, [...rows.values()]);
    } else {
      const { rows } = await queryManagedUsers(q, { filter: c.filter, sort: [], offset: 0, limit: MAX_CANDIDATES, countTotal: false });
      out.set(source, rows);
    }
  }
  return out;
}
