// _fields projection. `_id` and `_rev` always come back, as IDM does.
import { parseJsonPointer } from './queryFilter';

export type FieldList = string[][] | null; // null: the resource's default fields

export function parseFields(value: unknown): FieldList {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') return null;
  const list = value.split(',').map((f) => f.trim()).filter(Boolean);
  if (list.includes('*') && list.length === 1) return null;
  return list.filter((f) => f !== '*').map((f) => parseJsonPointer(f));
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

/** Keeps `_id`, `_rev` and the requested fields; `full` is the object with every field the caller may see. */
export function project(full: Record<string, unknown>, fields: FieldList): Record<string, unknown> {
  if (!fields) return full;
  const out: Record<string, unknown> = {};
  if (full._id !== undefined) out._id = full._id;
  if (full._rev !== undefined) out._rev = full._rev;
  for (const f of fields) {
    const v = getPath(full, f);
    if (v !== undefined) setPath(out, f, v);
  }
  return out;
}

/** Whether `field` was named explicitly (for fields not returned by default). */
export function names(fields: FieldList, field: string): boolean {
  return !!fields && fields.some((f) => f[0] === field);
}
