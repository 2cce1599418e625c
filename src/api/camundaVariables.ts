// Camunda 7's typed variable form, as its REST API and camunda-external-task-client-js send and
// read it: {"name": {"type": "String", "value": "x", "valueInfo": {}}}. reconflow keeps plain JSON
// variables: JSON-able types map both ways; Date is kept as its text; Bytes, File, Object in a
// non-JSON format and transient variables are refused (400), never stored half-understood.
import { badRequest } from '../crest/errors';

export interface TypedValue {
  type: string;
  value: unknown;
  valueInfo: Record<string, unknown>;
}

const INT32 = 2 ** 31;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as Camunda types it (numbers: Integer within 32 bits, else Long; fractions Double). */
export function toTyped(value: unknown): TypedValue {
  if (value === null || value === undefined) return { type: 'Null', value: null, valueInfo: {} };
  if (typeof value === 'string') return { type: 'String', value, valueInfo: {} };
  if (typeof value === 'boolean') return { type: 'Boolean', value, valueInfo: {} };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return { type: value >= -INT32 && value < INT32 ? 'Integer' : 'Long', value, valueInfo: {} };
    return { type: 'Double', value, valueInfo: {} };
  }
  return { type: 'Json', value: JSON.stringify(value), valueInfo: {} };
}

export function toTypedMap(variables: Record<string, unknown>): Record<string, TypedValue> {
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, toTyped(v)]));
}

function parseJsonText(name: string, type: string, value: unknown): unknown {
  if (typeof value !== 'string') {
    // The client sends Json as text; a JSON object or array given as such is just as clear.
    if (typeof value === 'object') return value;
    throw badRequest(`Variable "${name}": a ${type} value must be JSON text`);
  }
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`Variable "${name}": the ${type} value is not valid JSON`);
  }
}

function fromTyped(name: string, typed: unknown): unknown {
  if (!isObject(typed)) throw badRequest(`Variable "${name}" must be an object {"value": …, "type": …}`);
  const valueInfo = typed.valueInfo;
  if (valueInfo !== undefined && valueInfo !== null && !isObject(valueInfo)) throw badRequest(`Variable "${name}": valueInfo must be an object`);
  if (isObject(valueInfo) && valueInfo.transient === true) throw badRequest(`Variable "${name}": transient variables are not supported; set it as a plain variable`);
  const value = typed.value;
  if (typed.type === undefined || typed.type === null) {
    // Untyped: the JSON value as it is.
    return value === undefined ? null : value;
  }
  if (typeof typed.type !== 'string') throw badRequest(`Variable "${name}": type must be a string`);
  const type = typed.type.toLowerCase();
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw badRequest(`Variable "${name}": a ${typed.type} value must be ${what}`);
  };
  switch (type) {
    case 'null':
      return null;
    case 'string':
      if (value === null) return null;
      expect(typeof value === 'string', 'a string');
      return value;
    case 'boolean':
      if (value === null) return null;
      expect(typeof value === 'boolean', 'true or false');
      return value;
    case 'integer':
    case 'short':
    case 'long': {
      if (value === null) return null;
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      expect(typeof n === 'number' && Number.isSafeInteger(n), 'a whole number (at most 2^53 - 1 in size)');
      const limit = type === 'short' ? 2 ** 15 : type === 'integer' ? INT32 : Infinity;
      expect((n as number) >= -limit && (n as number) < limit, `within the ${typed.type} range`);
      return n;
    }
    case 'double': {
      if (value === null) return null;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      expect(typeof n === 'number' && Number.isFinite(n), 'a finite number');
      return n;
    }
    case 'date':
      if (value === null) return null;
      expect(typeof value === 'string' && !Number.isNaN(Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))), 'a date text (yyyy-MM-ddTHH:mm:ss.SSSZ)');
      return value;
    case 'json':
      return value === null ? null : parseJsonText(name, typed.type, value);
    case 'object': {
      const format = isObject(valueInfo) ? valueInfo.serializationDataFormat : undefined;
      if (format !== 'application/json') throw badRequest(`Variable "${name}": an Object value is supported as serializationDataFormat "application/json" only`);
      return value === null ? null : parseJsonText(name, typed.type, value);
    }
    default:
      throw badRequest(`Variable "${name}": type ${typed.type} is not supported (String, Boolean, Integer, Short, Long, Double, Date, Json, Object as JSON, Null)`);
  }
}

/** A request's variables (absent: none) as plain values; every name and value checked. */
export function fromTypedMap(field: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw badRequest(`${field} must be an object of typed values`);
  const out: Record<string, unknown> = {};
  for (const [name, typed] of Object.entries(raw)) {
    if (!name || name.length > 255 || FORBIDDEN_NAMES.has(name)) throw badRequest(`${field}: "${name.slice(0, 64)}" is not a valid variable name`);
    out[name] = fromTyped(name, typed);
  }
  return out;
}
