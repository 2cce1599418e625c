// IDM's policies for a managed object, as OpenIDM's policy service applies them
// (OpenIdentityPlatform/OpenIDM bin/defaults/script/policy.js, read for behaviour, not copied):
// a property named in schema.required (or with reconflow's "required": true) is REQUIRED; its
// type is checked (VALID_TYPE, params.types); minLength/maxLength/pattern add their policies; the
// property's own `policies` run with their params; an object property's `properties` are checked
// the same way under "<name>/<sub>", with its own `required` list. A failure names the property
// and lists {policyRequirement, params?} objects.
import type { ManagedPropertySchema } from '../config/conf';

export interface Requirement {
  policyRequirement: string;
  params?: Record<string, unknown>;
}
export interface PolicyFailure {
  property: string;
  policyRequirements: Requirement[];
}

type Check = (value: unknown, params: Record<string, any>, obj: Record<string, unknown>) => Requirement[];

const present = (v: unknown) => v !== undefined && v !== null;
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const count = (v: string, re: RegExp) => (v.match(re) ?? []).length;

/** The implemented policy ids (src/config/schema/managed.ts refuses any other at start). */
const CHECKS: Record<string, Check> = {
  required: (v) => (v === undefined ? [{ policyRequirement: 'REQUIRED' }] : []),
  'not-empty': (v) => (v !== undefined && (v === null || ((typeof v === 'string' || Array.isArray(v)) && v.length === 0)) ? [{ policyRequirement: 'REQUIRED' }] : []),
  // Checked against the repository by the caller (ManagedUsers), which knows the object's id.
  unique: () => [],
  'valid-type': (v, p) => (present(v) && !typeOk(p.types ?? [], v) ? [{ policyRequirement: 'VALID_TYPE', params: { types: p.types } }] : []),
  'valid-email-address-format': (v) => (nonEmptyString(v) && !/.+@.+\..+/i.test(v) ? [{ policyRequirement: 'VALID_EMAIL_ADDRESS_FORMAT' }] : []),
  'valid-phone-format': (v) => (nonEmptyString(v) && !/^\+?([0-9\- ()])*$/.test(v) ? [{ policyRequirement: 'VALID_PHONE_FORMAT' }] : []),
  'valid-name-format': (v) => (nonEmptyString(v) && !/^[\p{L}'\- ]+$/u.test(v) ? [{ policyRequirement: 'VALID_NAME_FORMAT' }] : []),
  'valid-date': (v) => (nonEmptyString(v) && Number.isNaN(new Date(v).getTime()) ? [{ policyRequirement: 'VALID_DATE' }] : []),
  'minimum-length': (v, p) => (nonEmptyString(v) && [...v].length < p.minLength ? [{ policyRequirement: 'MIN_LENGTH', params: { minLength: p.minLength } }] : []),
  'maximum-length': (v, p) => (typeof v === 'string' && [...v].length > p.maxLength ? [{ policyRequirement: 'MAX_LENGTH', params: { maxLength: p.maxLength } }] : []),
  'at-least-X-capitals': (v, p) => (nonEmptyString(v) && count(v, /[A-Z]/g) < p.numCaps ? [{ policyRequirement: 'AT_LEAST_X_CAPITAL_LETTERS', params: { numCaps: p.numCaps } }] : []),
  'at-least-X-numbers': (v, p) => (nonEmptyString(v) && count(v, /\d/g) < p.numNums ? [{ policyRequirement: 'AT_LEAST_X_NUMBERS', params: { numNums: p.numNums } }] : []),
  'cannot-contain-others': (v, p, obj) => {
    if (!nonEmptyString(v)) return [];
    const fields: string[] = typeof p.disallowedFields === 'string' ? p.disallowedFields.split(',') : p.disallowedFields ?? [];
    const hit = fields.find((f) => nonEmptyString(obj[f]) && v.includes(obj[f] as string));
    return hit ? [{ policyRequirement: 'CANNOT_CONTAIN_OTHERS', params: { disallowedFields: hit } }] : [];
  },
  'cannot-contain-characters': (v, p) => {
    const chars: string[] = p.forbiddenChars ?? [];
    return nonEmptyString(v) && chars.some((c) => v.includes(c)) ? [{ policyRequirement: 'CANNOT_CONTAIN_CHARACTERS', params: { forbiddenChars: chars.join(', ') } }] : [];
  },
  'cannot-contain-duplicates': (v) => {
    if (!Array.isArray(v)) return [];
    const seen = new Set<string>();
    for (const x of v) {
      const k = JSON.stringify(x);
      if (seen.has(k)) return [{ policyRequirement: 'CANNOT_CONTAIN_DUPLICATES', params: { duplicateValue: x } }];
      seen.add(k);
    }
    return [];
  },
  regexpMatches: (v, p) => {
    const s = typeof v === 'number' ? String(v) : v;
    return nonEmptyString(s) && !new RegExp(p.regexp, p.flags ?? '').test(s) ? [{ policyRequirement: 'MATCH_REGEXP', params: { regexp: p.regexp, ...(p.flags ? { flags: p.flags } : {}) } }] : [];
  },
};
CHECKS['max-length'] = CHECKS['maximum-length'];

export function typesOf(p: ManagedPropertySchema): string[] {
  const t = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  return p.nullable && !t.includes('null') ? [...t, 'null'] : t;
}

function typeOk(types: string[], v: unknown): boolean {
  if (!types.length) return true;
  return types.some((t) => {
    switch (t) {
      case 'string':
        return typeof v === 'string';
      case 'boolean':
        return typeof v === 'boolean';
      case 'number':
        return typeof v === 'number';
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v);
      case 'array':
        return Array.isArray(v);
      case 'object':
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      case 'null':
        return v === null;
      case 'relationship':
        return isRef(v);
      default:
        return true;
    }
  });
}

/** A relationship value as IDM stores it: {_ref, _refProperties?}. */
function isRef(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => k !== '_ref' && k !== '_refProperties' && k !== '_refResourceCollection' && k !== '_refResourceId');
  return typeof r._ref === 'string' && r._ref.length > 0 && (r._refProperties === undefined || (typeof r._refProperties === 'object' && r._refProperties !== null)) && extra.length === 0;
}

/** The policies of one property: implied by its schema, then its own. */
export function policiesOf(p: ManagedPropertySchema, required: boolean): { policyId: string; params: Record<string, unknown> }[] {
  const out: { policyId: string; params: Record<string, unknown> }[] = [];
  if (required) out.push({ policyId: 'required', params: {} });
  const types = typesOf(p);
  if (types.length) out.push({ policyId: 'valid-type', params: { types } });
  if (typeof p.minLength === 'number' && p.minLength > 0) out.push({ policyId: 'minimum-length', params: { minLength: p.minLength } });
  if (typeof p.maxLength === 'number') out.push({ policyId: 'maximum-length', params: { maxLength: p.maxLength } });
  if (typeof p.pattern === 'string') out.push({ policyId: 'regexpMatches', params: { regexp: p.pattern } });
  for (const x of p.policies ?? []) out.push({ policyId: x.policyId, params: x.params ?? {} });
  return out;
}

export function hasPolicy(p: ManagedPropertySchema | undefined, id: string): boolean {
  return !!p?.policies?.some((x) => x.policyId === id);
}

/**
 * The failures of `value` (property `name` of `obj`): its policies, then the relationship targets
 * (resourceCollection), array items and sub-properties. `emptyIsMissing`: a required property that
 * is null or "" is REQUIRED too (reconflow's rule since its first version, for both forms).
 */
export function checkProperty(name: string, p: ManagedPropertySchema, value: unknown, obj: Record<string, unknown>, required: boolean, emptyIsMissing = false): PolicyFailure[] {
  const reqs: Requirement[] = [];
  if (emptyIsMissing && (value === null || value === '')) reqs.push({ policyRequirement: 'REQUIRED' });
  for (const pol of policiesOf(p, required)) {
    const check = CHECKS[pol.policyId];
    if (!check) throw new Error(`policy ${pol.policyId} is not implemented`); // refused at start (schema)
    for (const r of check(value, pol.params, obj)) if (!reqs.some((x) => JSON.stringify(x) === JSON.stringify(r))) reqs.push(r);
  }
  const out: PolicyFailure[] = reqs.length ? [{ property: name, policyRequirements: reqs }] : [];
  if (reqs.length || !present(value)) return out;
  const collections = p.resourceCollection?.map((c) => c.path.replace(/\/$/, ''));
  if (collections && isRef(value) && !collections.some((c) => ((value as { _ref: string })._ref).startsWith(`${c}/`))) {
    out.push({ property: name, policyRequirements: [{ policyRequirement: 'VALID_TYPE', params: { types: ['relationship'], resourceCollection: collections } }] });
  }
  if (Array.isArray(value) && p.items) {
    value.forEach((item, i) => out.push(...checkProperty(`${name}[${i}]`, p.items!, item, obj, false)));
  }
  if (p.properties && typeof value === 'object' && !Array.isArray(value) && !typesOf(p).includes('relationship')) {
    const sub = value as Record<string, unknown>;
    const requiredSubs = Array.isArray(p.required) ? p.required : [];
    for (const [k, sp] of Object.entries(p.properties)) {
      const required = requiredSubs.includes(k) || sp.required === true;
      out.push(...checkProperty(`${name}/${k}`, sp, sub[k], obj, required, required));
    }
  }
  return out;
}

/** Merges failures of the same property (IDM lists each property once). */
export function mergeFailures(failures: PolicyFailure[]): PolicyFailure[] {
  const out: PolicyFailure[] = [];
  for (const f of failures) {
    const same = out.find((o) => o.property === f.property);
    if (!same) out.push({ property: f.property, policyRequirements: [...f.policyRequirements] });
    else for (const r of f.policyRequirements) if (!same.policyRequirements.some((x) => JSON.stringify(x) === JSON.stringify(r))) same.policyRequirements.push(r);
  }
  return out;
}

/** "mail REQUIRED; password MIN_LENGTH:8": the failures in a line, for logs and recon audit. */
export function describeFailures(failures: PolicyFailure[]): string {
  return failures
    .map((f) => `${f.property} ${f.policyRequirements.map((r) => (r.params && Object.keys(r.params).length ? `${r.policyRequirement}:${Object.values(r.params).map((v) => (Array.isArray(v) ? v.join('|') : String(v))).join(',')}` : r.policyRequirement)).join(',')}`)
    .join('; ');
}
