// Checks a submission against a task's form: which keys it may set, required fields, enum values, types.
// "true" and true are both accepted for a true/false enum, and stored as the enum's id.
import { InvalidInput } from '../errors';
import { FORBIDDEN_KEYS } from './expressions';
import { ResolvedFormProperty } from './interfaces';

const MAX_VALUES_BYTES = 64 * 1024;

export interface SubmissionRules {
  /** The task's form, with the values it shows. */
  form: ResolvedFormProperty[];
  /** The task opts in to keys that are not form fields (TaskDefinition.freeVariables). */
  freeVariables?: boolean;
  /** The instance's variables now. */
  current: Record<string, unknown>;
}

const sameValue = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * What a submission may set (docs/modeling.md, Completion rules): the task's writable form fields;
 * a read-only field only unchanged; any other key is refused unless the task opts in to free
 * variables, and even then it may only add a variable, never change one. `_`-prefixed keys are
 * CREST metadata (`_id`, `_rev`, …), ignored as IDM does. The start variables are guarded where the
 * instance's state says which they are (taskDefinitions.guardStartVariables).
 */
export function validateFormValues(rules: SubmissionRules, submitted: Record<string, unknown>): Record<string, unknown> {
  const { form, current } = rules;
  if (JSON.stringify(submitted).length > MAX_VALUES_BYTES) throw new InvalidInput('The submitted values are larger than 64 KB');
  const out: Record<string, unknown> = {};
  const byId = new Map(form.map((f) => [f.id, f]));
  for (const [k, v] of Object.entries(submitted)) {
    const field = byId.get(k);
    if (!field && k.startsWith('_')) continue;
    if (field && !field.writable) {
      // Shown, never taken back: a client that echoes the whole form may send it unchanged.
      if (v !== undefined && v !== null && !sameValue(v, field.value) && String(v) !== String(field.value ?? '')) {
        throw new InvalidInput(`Form field ${k} (${field.name}) is read-only`, { field: k });
      }
      continue;
    }
    if (field) {
      out[k] = coerce(field, v);
      continue;
    }
    if (!rules.freeVariables || FORBIDDEN_KEYS.has(k)) {
      throw new InvalidInput(`${JSON.stringify(k)} is not a field of this task's form: a completion sets only the form's writable fields`, { field: k });
    }
    if (Object.hasOwn(current, k) && !sameValue(v, current[k])) {
      throw new InvalidInput(`${JSON.stringify(k)} is already a process variable: a submission may add variables, not change them`, { field: k });
    }
    out[k] = v;
  }
  for (const f of form) {
    if (f.required && f.writable && (out[f.id] === undefined || out[f.id] === null || out[f.id] === '')) {
      throw new InvalidInput(`Form field ${f.id} (${f.name}) is required`, { field: f.id });
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
        throw new InvalidInput(`Form field ${f.id} must be one of ${Object.keys(values).map((x) => JSON.stringify(x)).join(', ')}`, { field: f.id });
      }
      return s;
    }
    case 'boolean':
      if (v === true || v === 'true') return true;
      if (v === false || v === 'false') return false;
      throw new InvalidInput(`Form field ${f.id} must be true or false`, { field: f.id });
    case 'long': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new InvalidInput(`Form field ${f.id} must be an integer`, { field: f.id });
      return n;
    }
    case 'date':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new InvalidInput(`Form field ${f.id} must be a date`, { field: f.id });
      return v;
    default:
      if (typeof v !== 'string') throw new InvalidInput(`Form field ${f.id} must be a string`, { field: f.id });
      return v;
  }
}
