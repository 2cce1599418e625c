// CREST PATCH as IDM applies it: add, remove, replace, increment, copy, move on JSON-pointer fields;
// "/-" appends to an array (created when absent). IDM refuses list indexes and, outside config,
// `transform` (PingIDM REST API reference, "ForgeRock REST and IDM"; CREST "Patch",
// docs.pingidentity.com/pingidm/8/crest/crest-patch.html).
import { InvalidInput } from '../errors';
import { parseJsonPointer } from '../crest/queryFilter';

export interface PatchOperation {
  operation: 'add' | 'remove' | 'replace' | 'increment' | 'copy' | 'move';
  field: string;
  value?: unknown;
  /** copy and move: the field whose value is taken. */
  from?: string;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function validatePatch(body: unknown): PatchOperation[] {
  if (!Array.isArray(body)) throw new InvalidInput('A patch is an array of operations');
  if (body.length > 1000) throw new InvalidInput('A patch has at most 1000 operations');
  return body.map((op, i) => {
    if (typeof op !== 'object' || op === null) throw new InvalidInput(`Patch operation ${i} is not an object`);
    const o = op as Record<string, unknown>;
    if (o.operation === 'transform') throw new InvalidInput(`Patch operation ${i}: transform is supported only on the config endpoint`);
    if (!['add', 'remove', 'replace', 'increment', 'copy', 'move'].includes(o.operation as string)) throw new InvalidInput(`Patch operation ${i}: unknown operation "${String(o.operation).slice(0, 50)}"`);
    if (typeof o.field !== 'string' || !o.field) throw new InvalidInput(`Patch operation ${i}: field is required`);
    if (o.operation === 'copy' || o.operation === 'move') {
      if (typeof o.from !== 'string' || !o.from) throw new InvalidInput(`Patch operation ${i}: ${o.operation} needs from`);
    } else if (o.operation !== 'remove' && !('value' in o)) throw new InvalidInput(`Patch operation ${i}: value is required`);
    return o as unknown as PatchOperation;
  });
}

function container(obj: Record<string, unknown>, path: string[], create: boolean): Record<string, unknown> | unknown[] | undefined {
  let cur: unknown = obj;
  const parents = path.slice(0, -1);
  for (let i = 0; i < parents.length; i++) {
    const seg = parents[i];
    if (FORBIDDEN.has(seg)) throw new InvalidInput(`Field segment "${seg}" is not allowed`);
    if (Array.isArray(cur)) throw new InvalidInput(`Field /${path.join('/')}: list elements cannot be addressed by index`);
    const parent = cur as Record<string, unknown>;
    if (parent[seg] === undefined || parent[seg] === null) {
      if (!create) return undefined;
      // `field/-` on an absent field creates the list it appends to.
      parent[seg] = i === parents.length - 1 && path[path.length - 1] === '-' ? [] : {};
    }
    cur = parent[seg];
    if (typeof cur !== 'object') throw new InvalidInput(`Field /${path.join('/')} goes through a value that is not an object`);
  }
  return cur as Record<string, unknown>;
}

/** Applies the operations to a deep copy and returns it; the input is left untouched. */
export function applyPatch(input: Record<string, unknown>, ops: PatchOperation[]): Record<string, unknown> {
  const obj = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  for (const original of ops) {
    let op: PatchOperation = original;
    if (op.operation === 'copy' || op.operation === 'move') {
      const from = parseJsonPointer(op.from!);
      const value = valueAt(obj, from);
      if (value === undefined) throw new InvalidInput(`Field ${op.from}: nothing to ${op.operation}`);
      if (op.operation === 'move') {
        const src = container(obj, from, false);
        if (src && !Array.isArray(src)) delete src[from[from.length - 1]];
      }
      // CREST: the value is then added at `field` (replacing a value that is there).
      op = { operation: 'replace', field: op.field, value: JSON.parse(JSON.stringify(value)) };
    }
    const path = parseJsonPointer(op.field);
    const last = path[path.length - 1];
    if (FORBIDDEN.has(last)) throw new InvalidInput(`Field segment "${last}" is not allowed`);
    const parent = container(obj, path, op.operation !== 'remove');
    if (parent === undefined) continue;
    if (Array.isArray(parent)) {
      if (last === '-' && op.operation === 'add') parent.push(op.value);
      else if (last === '-' && op.operation === 'replace') parent.push(op.value);
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

function valueAt(obj: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
