// _fields projection. `_id` and `_rev` always come back, as IDM does.
import { badRequest } from './errors';
import { parseJsonPointer } from './queryFilter';

/** null: the resource's default fields. `star`: the default fields plus `paths` (`_fields=*,authzRoles`). */
export type FieldList = { star: boolean; paths: string[][] } | null;

export function parseFields(value: unknown): FieldList {
  if (value === undefined || value === '' || typeof value !== 'string') return null;
  const list = value.split(',').map((f) => f.trim()).filter(Boolean);
  if (list.length > 100) throw badRequest('_fields names too many fields');
  const star = list.includes('*');
  const paths = list.filter((f) => f !== '*').map((f) => parseJsonPointer(f));
  return star && !paths.length ? null : { star, paths };
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === null || typeof next !== 'object') cur[path[i]] = {};
    cur = cur[path[i]] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

/**
 * Keeps `_id`, the requested fields and (for versioned objects, as IDM does) `_rev`; `full` is the
 * object with every field the caller may see.
 */
export function project(full: Record<string, unknown>, fields: FieldList, keepRev = true): Record<string, unknown> {
  if (!fields || fields.star) return full;
  const out: Record<string, unknown> = {};
  if (full._id !== undefined) out._id = full._id;
  if (keepRev && full._rev !== undefined) out._rev = full._rev;
  for (const f of fields.paths) {
    const v = getPath(full, f);
    if (v !== undefined) setPath(out, f, v);
  }
  return out;
}

/** Whether `field` was named explicitly (for fields not returned by default). */
export function names(fields: FieldList, field: string): boolean {
  return !!fields && fields.paths.some((f) => f[0] === field);
}
