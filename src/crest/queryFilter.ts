// ForgeRock CREST `_queryFilter`: a recursive-descent parser, JSON pointers, and in-memory evaluation.
// The in-memory semantics are the reference that src/repo/filterToSql.ts reproduces in SQL.
import { badRequest } from './errors';

export type FilterValue = string | number | boolean | null;
export type CompareOp = 'eq' | 'co' | 'sw' | 'lt' | 'le' | 'gt' | 'ge';
export type Filter =
  | { type: 'literal'; value: boolean }
  | { type: 'and' | 'or'; operands: Filter[] }
  | { type: 'not'; operand: Filter }
  | { type: 'compare'; op: CompareOp; field: string[]; value: FilterValue }
  | { type: 'present'; field: string[] };

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 64;

const COMPARE_OPS: readonly string[] = ['eq', 'co', 'sw', 'lt', 'le', 'gt', 'ge'];
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Splits a JSON pointer; returns an error text rather than throwing so callers can add context. */
function splitPointer(text: string): string[] | string {
  const body = text.startsWith('/') ? text.slice(1) : text;
  if (body === '') return 'a non-empty JSON pointer';
  const segments: string[] = [];
  for (const raw of body.split('/')) {
    if (raw === '') return 'a JSON pointer without empty segments';
    if (/~(?![01])/.test(raw)) return "a JSON pointer whose '~' escapes are ~0 or ~1";
    // ~1 first, so that "~01" decodes to "~1" and not "/" (RFC 6901).
    segments.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return segments;
}

export function parseJsonPointer(text: string): string[] {
  const result = splitPointer(text);
  if (typeof result === 'string') throw badRequest(`Invalid JSON pointer '${text.slice(0, 200)}': expected ${result}`);
  return result;
}

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
// A bare word (pointer, operator, keyword, number) stops at whitespace, parentheses and quotes.
const endsWord = (c: string) => isWhitespace(c) || c === '(' || c === ')' || c === '"' || c === "'";

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parse(): Filter {
    const filter = this.parseOr();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail("'and', 'or' or the end of the filter");
    return filter;
  }

  private fail(expected: string, at = this.pos): never {
    throw badRequest(`Invalid query filter '${this.text}': expected ${expected} at position ${at + 1}`);
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && isWhitespace(this.text[this.pos])) this.pos++;
  }

  /** Consumes `word` when it stands alone at the cursor (so `order` is not `or` + `der`). */
  private acceptKeyword(word: string): boolean {
    this.skipWhitespace();
    if (!this.text.startsWith(word, this.pos)) return false;
    const next = this.text[this.pos + word.length];
    if (next !== undefined && !endsWord(next) && next !== '!') return false;
    this.pos += word.length;
    return true;
  }

  private readWord(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !endsWord(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Runs f one level deeper; `at` is where the '(' or '!' that opened the level stands. */
  private nest<T>(at: number, f: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw badRequest(`Invalid query filter: nested deeper than ${MAX_FILTER_DEPTH} levels at position ${at + 1}`);
    }
    const result = f();
    this.depth--;
    return result;
  }

  private parseOr(): Filter {
    const operands = [this.parseAnd()];
    while (this.acceptKeyword('or')) operands.push(this.parseAnd());
    return operands.length === 1 ? operands[0] : { type: 'or', operands };
  }

  private parseAnd(): Filter {
    const operands = [this.parseNot()];
    while (this.acceptKeyword('and')) operands.push(this.parseNot());
    return operands.length === 1 ? operands[0] : { type: 'and', operands };
  }

  private parseNot(): Filter {
    this.skipWhitespace();
    if (this.text[this.pos] !== '!') return this.parsePrimary();
    const at = this.pos++;
    // CREST's grammar says '!' Primary; accepting '!!x' as well costs nothing and is unambiguous.
    return this.nest(at, () => ({ type: 'not', operand: this.parseNot() }));
  }

  private parsePrimary(): Filter {
    this.skipWhitespace();
    if (this.text[this.pos] === '(') {
      const at = this.pos++;
      return this.nest(at, () => {
        const inner = this.parseOr();
        this.skipWhitespace();
        if (this.text[this.pos] !== ')') this.fail("'and', 'or' or ')'");
        this.pos++;
        return inner;
      });
    }
    const start = this.pos;
    const word = this.readWord();
    if (word === '') this.fail("a field pointer, '(', '!', 'true' or 'false'");
    if (word === 'true' || word === 'false') return { type: 'literal', value: word === 'true' };
    const field = splitPointer(word);
    if (typeof field === 'string') this.fail(field, start);
    return this.parseComparison(field);
  }

  private parseComparison(field: string[]): Filter {
    this.skipWhitespace();
    const start = this.pos;
    const op = this.readWord();
    if (op === 'pr') return { type: 'present', field };
    if (!COMPARE_OPS.includes(op)) this.fail('an operator (eq, co, sw, lt, le, gt, ge or pr)', start);
    return { type: 'compare', op: op as CompareOp, field, value: this.parseValue() };
  }

  private parseValue(): FilterValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.parseString(c);
    const start = this.pos;
    const word = this.readWord();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (NUMBER.test(word)) {
      const n = Number(word);
      if (!Number.isFinite(n)) this.fail('a number within double precision', start);
      return n;
    }
    return this.fail('a value', start);
  }

  private parseString(quote: string): string {
    const open = this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      out += this.parseEscape();
    }
    return this.fail(`a closing ${quote} for the string opened at position ${open + 1}`);
  }

  private parseEscape(): string {
    const at = this.pos;
    const e = this.text[this.pos + 1];
    if (e !== undefined && SIMPLE_ESCAPES[e] !== undefined) {
      this.pos += 2;
      return SIMPLE_ESCAPES[e];
    }
    if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
      this.pos += 6;
      return String.fromCharCode(parseInt(this.text.slice(at + 2, at + 6), 16));
    }
    return this.fail('a valid escape sequence', at);
  }
}

export function parseQueryFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw badRequest(`Invalid query filter: longer than ${MAX_FILTER_LENGTH} characters`);
  }
  return new Parser(text).parse();
}

// ---- In-memory evaluation ----

const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

/** Own properties only, so `constructor pr` is false on a plain object. */
function valueAt(obj: unknown, field: string[]): unknown {
  let cur = obj;
  for (const seg of field) {
    if (Array.isArray(cur)) {
      if (!CANONICAL_INDEX.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Code-point order, as SQLite's BINARY and PostgreSQL's "C" collations compare UTF-8 text. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function orderingHolds(op: CompareOp, cmp: number): boolean {
  switch (op) {
    case 'lt': return cmp < 0;
    case 'le': return cmp <= 0;
    case 'gt': return cmp > 0;
    case 'ge': return cmp >= 0;
    default: return false;
  }
}

/** Scalar semantics: values of different JSON types never match, and null never matches. */
function compareScalar(op: CompareOp, actual: unknown, expected: FilterValue): boolean {
  if (expected === null || actual === null || actual === undefined || typeof actual !== typeof expected) return false;
  if (op === 'eq') return actual === expected;
  if (typeof actual === 'string' && typeof expected === 'string') {
    if (op === 'co') return actual.includes(expected);
    if (op === 'sw') return actual.startsWith(expected);
    return orderingHolds(op, compareCodePoints(actual, expected));
  }
  if (typeof actual === 'number' && typeof expected === 'number') return orderingHolds(op, actual - expected);
  return false;
}

function compareField(op: CompareOp, actual: unknown, expected: FilterValue): boolean {
  // A multi-valued field matches eq/co/sw when any element does (OpenIDM); SQL sees only scalars.
  if (Array.isArray(actual)) {
    return (op === 'eq' || op === 'co' || op === 'sw') && actual.some((el) => compareScalar(op, el, expected));
  }
  return compareScalar(op, actual, expected);
}

export function matchesFilter(filter: Filter, obj: unknown): boolean {
  switch (filter.type) {
    case 'literal': return filter.value;
    case 'and': return filter.operands.every((f) => matchesFilter(f, obj));
    case 'or': return filter.operands.some((f) => matchesFilter(f, obj));
    case 'not': return !matchesFilter(filter.operand, obj);
    case 'present': {
      const v = valueAt(obj, filter.field);
      return v !== undefined && v !== null;
    }
    case 'compare': return compareField(filter.op, valueAt(obj, filter.field), filter.value);
  }
}
