// Validates a conf file against its JSON Schema (ajv). Three outcomes per key:
// - known and used: the schema describes it;
// - not implemented by reconflow: an error naming the file, the JSON path and what to do, from
//   `additionalProperties: false` (any key the schema does not list) or `x-refuse` (a key we know
//   and refuse, with the reason);
// - accepted without effect (IDM uses it for its UIs only, or reconflow does the same thing by
//   itself): `x-noEffect` collects it into one start-up warning per file, so that nothing is
//   silently dropped.
// A new conf file gets a schema in this folder and an entry in index.ts.
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigError } from '../conf';

export type Schema = Record<string, unknown>;

/** A key accepted without effect, and why. */
export interface NoEffect {
  path: string;
  why: string;
}

let collecting: NoEffect[] | null = null;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
ajv.addKeyword({
  keyword: 'x-noEffect',
  schemaType: 'string',
  // Runs only where the key is present (ajv applies a property's schema to present values only).
  validate: (why: string, _data: unknown, _parent: unknown, cxt?: { instancePath: string }) => {
    collecting?.push({ path: jsonPath(cxt?.instancePath ?? ''), why });
    return true;
  },
  errors: false,
});
ajv.addKeyword({
  keyword: 'x-refuse',
  schemaType: 'string',
  validate: function refuse(why: string) {
    (refuse as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-refuse', message: why, params: {} }];
    return false;
  },
  errors: true,
});
// Documentation only (what reconflow does with a key it supports differently from IDM).
ajv.addKeyword({ keyword: 'x-note', schemaType: 'string' });

/** '/objects/0/schema' → 'objects[0].schema', as the hand-written validators name fields. */
export function jsonPath(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

const join = (a: string, b: string) => (a === '(root)' ? b : /^\d+$/.test(b) ? `${a}[${b}]` : `${a}.${b}`);

function describe(e: ErrorObject): string {
  const at = jsonPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return `${join(at, key)} is not supported by reconflow: remove it${known.length ? ` (known keys here: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `${join(at, (e.params as { missingProperty: string }).missingProperty)} is required`;
    case 'enum':
      return `${at} ${JSON.stringify(e.data)} is not implemented by reconflow (implemented: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}): change or remove it`;
    default:
      return `${at} ${e.message}`;
  }
}

/** The most useful error first: a refusal or unknown key explains more than the `anyOf` around it. */
function rank(e: ErrorObject): number {
  if (e.keyword === 'x-refuse') return 0;
  if (e.keyword === 'additionalProperties' || e.keyword === 'enum' || e.keyword === 'required') return 1;
  if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') return 3;
  return 2;
}

const compiled = new WeakMap<Schema, ValidateFunction>();

/**
 * Checks `json` against `schema`; throws a ConfigError naming `file` and every path at fault
 * (the first few), or returns the keys accepted without effect.
 */
export function validateConf(file: string, json: unknown, schema: Schema): NoEffect[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const found: NoEffect[] = [];
  collecting = found;
  let ok: boolean;
  try {
    ok = validate(json) as boolean;
  } finally {
    collecting = null;
  }
  if (!ok) {
    const errors = [...(validate.errors ?? [])].sort((a, b) => rank(a) - rank(b));
    const messages = Array.from(new Set(errors.map(describe)));
    const shown = messages.slice(0, 5).join('; ');
    throw new ConfigError(file, messages.length > 5 ? `${shown}; and ${messages.length - 5} more` : shown);
  }
  return found;
}

/** One line per file: "managed.json: accepted, no effect in reconflow: a (why); b (why)". */
export function noEffectWarning(file: string, keys: NoEffect[]): string | null {
  if (!keys.length) return null;
  const byWhy = new Map<string, string[]>();
  for (const k of keys) byWhy.set(k.why, [...(byWhy.get(k.why) ?? []), k.path]);
  const parts = [...byWhy].map(([why, paths]) => `${paths.join(', ')} (${why})`);
  return `${file}: keys accepted without effect in reconflow: ${parts.join('; ')}`;
}
