// Checks submitted form values against a task's form: required fields, enum values, types.
// "true" and true are both accepted for a true/false enum, and stored as the enum's id.
import { badRequest } from '../crest/errors';
import { ResolvedFormProperty } from './interfaces';

const MAX_VALUES_BYTES = 64 * 1024;

export function validateFormValues(form: ResolvedFormProperty[], submitted: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(submitted).length > MAX_VALUES_BYTES) throw badRequest('The submitted values are larger than 64 KB');
  const out: Record<string, unknown> = {};
  const byId = new Map(form.map((f) => [f.id, f]));
  for (const [k, v] of Object.entries(submitted)) {
    if (k.startsWith('_') || k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const field = byId.get(k);
    // Read-only fields are shown, never taken back from the client.
    if (field && !field.writable) continue;
    out[k] = field ? coerce(field, v) : v;
  }
  for (const f of form) {
    if (f.required && f.writable && (out[f.id] === undefined || out[f.id] === null || out[f.id] === '')) {
      throw badRequest(`Form field ${f.id} (${f.name}) is required`, { field: f.id });
    }
  }
  return out;
}

function coerce(f: ResolvedFormProperty, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (f.type.name) {
    case 'enum': {
      const s = typeof v === 'boolean' || typeof v === 'number' ? String(v) : v;
      const values = f.type.values ?? {};
      if (typeof s !== 'string' || !Object.prototype.hasOwnProperty.call(values, s)) {
        throw badRequest(`Form field ${f.id} must be one of ${Object.keys(values).map((x) => JSON.stringify(x)).join(', ')}`, { field: f.id });
      }
      return s;
    }
    case 'boolean':
      if (v === true || v === 'true') return true;
      if (v === false || v === 'false') return false;
      throw badRequest(`Form field ${f.id} must be true or false`, { field: f.id });
    case 'long': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`Form field ${f.id} must be an integer`, { field: f.id });
      return n;
    }
    case 'date':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw badRequest(`Form field ${f.id} must be a date`, { field: f.id });
      return v;
    default:
      if (typeof v !== 'string') throw badRequest(`Form field ${f.id} must be a string`, { field: f.id });
      return v;
  }
}
