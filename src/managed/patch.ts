// CREST PATCH: add, remove, replace, increment on JSON-pointer fields; "/-" appends to an array.
import { InvalidInput } from '../errors';
import { parseJsonPointer } from '../crest/queryFilter';

export interface PatchOperation {
  operation: 'add' | 'remove' | 'replace' | 'increment';
  field: string;
  value?: unknown;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function validatePatch(body: unknown): PatchOperation[] {
  if (!Array.isArray(body)) throw new InvalidInput('A patch is an array of operations');
  if (body.length > 1000) throw new InvalidInput('A patch has at most 1000 operations');
  return body.map((op, i) => {
    if (typeof op !== 'object' || op === null) throw new InvalidInput(`Patch operation ${i} is not an object`);
    const o = op as Record<string, unknown>;
    if (!['add', 'remove', 'replace', 'increment'].includes(o.operation as string)) throw new InvalidInput(`Patch operation ${i}: unknown operation "${String(o.operation).slice(0, 50)}"`);
    if (typeof o.field !== 'string' || !o.field) throw new InvalidInput(`Patch operation ${i}: field is required`);
    if (o.operation !== 'remove' && !('value' in o)) throw new InvalidInput(`Patch operation ${i}: value is required`);
    return o as unknown as PatchOperation;
  });
}

function container(obj: Record<string, unknown>, path: string[], create: boolean): Record<string, unknown> | unknown[] | undefined {
  let cur: unknown = obj;
  for (const seg of path.slice(0, -1)) {
    if (FORBIDDEN.has(seg)) throw new InvalidInput(`Field segment "${seg}" is not allowed`);
    const parent = cur as Record<string, unknown>;
    if (parent[seg] === undefined || parent[seg] === null) {
      if (!create) return undefined;
      parent[seg] = {};
    }
    cur = parent[seg];
    if (typeof cur !== 'object') throw new InvalidInput(`Field /${path.join('/')} goes through a value that is not an object`);
  }
  return cur as Record<string, unknown>;
}

/** Applies the operations to a deep copy and returns it; the input is left untouched. */
export function applyPatch(input: Record<string, unknown>, ops: PatchOperation[]): Record<string, unknown> {
  const obj = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  for (const op of ops) {
    const path = parseJsonPointer(op.field);
    const last = path[path.length - 1];
    if (FORBIDDEN.has(last)) throw new InvalidInput(`Field segment "${last}" is not allowed`);
    const parent = container(obj, path, op.operation !== 'remove');
    if (parent === undefined) continue;
    if (Array.isArray(parent)) {
      if (last === '-' && op.operation === 'add') parent.push(op.value);
      else throw new InvalidInput(`Field ${op.field}: only "-" (append) addresses array elements`);
      continue;
    }
    const value = op.value;
    switch (op.operation) {
      case 'add':
        // Adding to an existing array appends the value(s), as CREST does for multi-valued fields.
        if (last === '-') throw new InvalidInput(`Field ${op.field}: "-" needs an array`);
        if (Array.isArray(parent[last])) (parent[last] as unknown[]).push(...(Array.isArray(value) ? value : [value]));
        else parent[last] = value;
        break;
      case 'replace':
        parent[last] = value;
        break;
      case 'remove':
        if (value !== undefined && Array.isArray(parent[last])) {
          const drop = JSON.stringify(value);
          parent[last] = (parent[last] as unknown[]).filter((v) => JSON.stringify(v) !== drop);
        } else delete parent[last];
        break;
      case 'increment': {
        if (typeof value !== 'number') throw new InvalidInput(`Field ${op.field}: increment needs a number`);
        const cur = parent[last] ?? 0;
        if (typeof cur !== 'number') throw new InvalidInput(`Field ${op.field} is not a number`);
        parent[last] = cur + value;
        break;
      }
    }
  }
  return obj;
}
