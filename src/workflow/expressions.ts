// A small JUEL-style expression language for `${…}` / `#{…}` in BPMN files: tokenizer, recursive-descent
// parser and tree-walking interpreter. Deliberately no eval/Function/vm: an expression can only read
// own data properties of plain objects and arrays reachable from the variables it is given.

export class ExpressionError extends Error {
  constructor(message: string, readonly expression?: string) {
    super(expression === undefined ? message : `${message} in expression "${expression}"`);
    this.name = 'ExpressionError';
  }
}

type Lookup = (name: string) => unknown;

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'mem'; obj: Node; prop: Node }
  | { k: 'un'; op: '!' | '-' | 'empty'; arg: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'cond'; test: Node; then: Node; else: Node };

type Token = { t: 'num' | 'str' | 'id' | 'op'; v: string | number; pos: number };

// Reading these could reach prototypes or constructors (and from there Function): never allowed.
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

// JUEL's word operators, mapped onto their symbolic forms.
// A Map, not an object literal: `word in {}` would find `__proto__`, `hasOwnProperty`, ….
const WORD_OPS = new Map(
  Object.entries({ and: '&&', or: '||', not: '!', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', div: '/', mod: '%', empty: 'empty' }),
);
const SYMBOLS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '?', ':', '(', ')', '.', '[', ']', '+', '-', '*', '/', '%'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
      }
      if (j >= src.length) throw new ExpressionError('unterminated string', src);
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    }
    const num = /^(\d+(\.\d+)?([eE][+-]?\d+)?|\.\d+)/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i));
    if (id) {
      const word = id[0];
      const op = WORD_OPS.get(word);
      out.push(op ? { t: 'op', v: op, pos: i } : { t: 'id', v: word, pos: i });
      i += word.length;
      continue;
    }
    const sym = SYMBOLS.find((s) => src.startsWith(s, i));
    if (!sym) throw new ExpressionError(`unexpected character "${c}" at ${i}`, src);
    out.push({ t: 'op', v: sym, pos: i });
    i += sym.length;
  }
  return out;
}

// Precedence climbing, lowest first: ?: , ||, &&, == !=, < > <= >=, + -, * / %, unary, member.
const BINARY_LEVELS = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly src: string) {}

  parse(): Node {
    if (!this.toks.length) throw new ExpressionError('empty expression', this.src);
    const node = this.ternary();
    if (this.i < this.toks.length) this.fail(`unexpected "${this.toks[this.i].v}"`);
    return node;
  }

  private fail(msg: string): never {
    throw new ExpressionError(msg, this.src);
  }

  private peekOp(...ops: string[]): string | undefined {
    const tok = this.toks[this.i];
    return tok && tok.t === 'op' && ops.includes(tok.v as string) ? (tok.v as string) : undefined;
  }

  private expect(op: string): void {
    if (!this.peekOp(op)) this.fail(`expected "${op}"`);
    this.i++;
  }

  private ternary(): Node {
    const test = this.binary(0);
    if (!this.peekOp('?')) return test;
    this.i++;
    const then = this.ternary();
    this.expect(':');
    return { k: 'cond', test, then, else: this.ternary() };
  }

  private binary(level: number): Node {
    if (level >= BINARY_LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (let op = this.peekOp(...BINARY_LEVELS[level]); op; op = this.peekOp(...BINARY_LEVELS[level])) {
      this.i++;
      l = { k: 'bin', op, l, r: this.binary(level + 1) };
    }
    return l;
  }

  private unary(): Node {
    const op = this.peekOp('!', '-', 'empty');
    if (op) {
      this.i++;
      return { k: 'un', op: op as '!' | '-' | 'empty', arg: this.unary() };
    }
    return this.member();
  }

  private member(): Node {
    let node = this.primary();
    for (;;) {
      if (this.peekOp('.')) {
        this.i++;
        const tok = this.toks[this.i++];
        // Word operators are valid property names after a dot (`${a.empty}`): take the word as written.
        const word = tok && /^[A-Za-z_$][\w$]*/.exec(this.src.slice(tok.pos));
        if (!tok || tok.t === 'str' || tok.t === 'num' || !word) this.fail('expected property name');
        node = { k: 'mem', obj: node, prop: { k: 'lit', v: word[0] } };
      } else if (this.peekOp('[')) {
        this.i++;
        const prop = this.ternary();
        this.expect(']');
        node = { k: 'mem', obj: node, prop };
      } else if (this.peekOp('(')) {
        this.fail('function calls are not supported');
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    const tok = this.toks[this.i++];
    if (!tok) this.fail('unexpected end');
    if (tok.t === 'num' || tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'id') {
      switch (tok.v) {
        case 'true':
          return { k: 'lit', v: true };
        case 'false':
          return { k: 'lit', v: false };
        case 'null':
          return { k: 'lit', v: null };
        default:
          return { k: 'id', name: tok.v as string };
      }
    }
    if (tok.v === '(') {
      const inner = this.ternary();
      this.expect(')');
      return inner;
    }
    return this.fail(`unexpected "${tok.v}"`);
  }
}

const astCache = new Map<string, Node>();

function compile(src: string): Node {
  let node = astCache.get(src);
  if (!node) {
    node = new Parser(tokenize(src), src).parse();
    // Expressions come from deployed definitions: a bounded cache is enough to skip re-parsing.
    if (astCache.size >= 1000) astCache.clear();
    astCache.set(src, node);
  }
  return node;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  // Object.prototype of any realm (jest runs modules in a vm context) or a null-prototype object.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Own data property only: no prototype walking, no getters. */
export function ownValue(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') throw new ExpressionError(`invalid property key ${String(key)}`);
  const name = String(key);
  if (FORBIDDEN_KEYS.has(name)) throw new ExpressionError(`access to "${name}" is not allowed`);
  if (Array.isArray(obj)) {
    if (name === 'length') return obj.length;
    if (!/^\d+$/.test(name)) return undefined;
  } else if (!isPlainObject(obj)) {
    throw new ExpressionError(`cannot read "${name}" of a non-plain ${typeof obj}`);
  }
  return Object.getOwnPropertyDescriptor(obj, name)?.value;
}

/** JUEL coercion to Number (EL 2.2 §1.18.3): null and "" are 0, a String is parsed (NaN if it is no number). */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

/**
 * JUEL coercion to Boolean (EL 2.2 §1.18.5), for conditions, `!`, `&&`, `||`, `?:` and `==` with a
 * boolean: null and "" are false, a String is Boolean.valueOf's ("true" in any case, anything else
 * — "FALSE", "yes" — false). Numbers and objects, which JUEL refuses, keep JavaScript's truthiness.
 */
export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return v.toLowerCase() === 'true';
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return true;
}

// JUEL equality (EL 2.2 §1.8.2): numbers first, then booleans, then strings; so
// `${requestApproved == 'true'}` holds for the boolean true, and `${x == false}` for "no".
function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    return !Number.isNaN(x) && x === toNumber(b);
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
  if (typeof a === 'string' || typeof b === 'string') {
    return typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b);
  }
  return false;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  let x: number | string, y: number | string;
  if (typeof a === 'string' && typeof b === 'string') [x, y] = [a, b];
  else {
    [x, y] = [toNumber(a), toNumber(b)];
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  }
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map || v instanceof Set) return v.size === 0;
  if (isPlainObject(v)) return Object.keys(v).length === 0;
  return false;
}

function arithmetic(op: string, a: unknown, b: unknown, src: string): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) throw new ExpressionError(`"${op}" needs numbers`, src);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    default:
      return x % y;
  }
}

function evaluate(node: Node, lookup: Lookup, src: string): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'id':
      if (FORBIDDEN_KEYS.has(node.name)) throw new ExpressionError(`access to "${node.name}" is not allowed`, src);
      return lookup(node.name);
    case 'mem':
      return ownValue(evaluate(node.obj, lookup, src), evaluate(node.prop, lookup, src));
    case 'un': {
      const v = evaluate(node.arg, lookup, src);
      if (node.op === '!') return !truthy(v);
      if (node.op === 'empty') return isEmpty(v);
      return arithmetic('-', 0, v, src);
    }
    case 'cond':
      return truthy(evaluate(node.test, lookup, src)) ? evaluate(node.then, lookup, src) : evaluate(node.else, lookup, src);
    case 'bin': {
      // && and || short-circuit and, as in JUEL, yield booleans.
      if (node.op === '&&') return truthy(evaluate(node.l, lookup, src)) && truthy(evaluate(node.r, lookup, src));
      if (node.op === '||') return truthy(evaluate(node.l, lookup, src)) || truthy(evaluate(node.r, lookup, src));
      const l = evaluate(node.l, lookup, src);
      const r = evaluate(node.r, lookup, src);
      switch (node.op) {
        case '==':
          return equals(l, r);
        case '!=':
          return !equals(l, r);
        case '<':
        case '>':
        case '<=':
        case '>=':
          return compare(node.op, l, r);
        default:
          return arithmetic(node.op, l, r, src);
      }
    }
  }
}

function evaluateWith(expr: string, lookup: Lookup): unknown {
  try {
    return evaluate(compile(expr), lookup, expr);
  } catch (err) {
    if (err instanceof ExpressionError && !err.expression) throw new ExpressionError(err.message, expr);
    throw err;
  }
}

function variablesLookup(vars: Record<string, unknown>): Lookup {
  return (name) => ownValue(vars, name);
}

/** Evaluates the inside of one expression, e.g. `requestApproved == 'true'` (no `${}`). */
export function evaluateExpression(expr: string, vars: Record<string, unknown>): unknown {
  return evaluateWith(expr, variablesLookup(vars));
}

type Part = string | { expr: string };

/** Splits text into literal parts and `${…}`/`#{…}` expressions; braces inside quotes don't close. */
function scanTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  const opener = /[$#]\{/g;
  for (let m = opener.exec(text); m; m = opener.exec(text)) {
    let j = m.index + 2;
    let quote: string | undefined;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '}') break;
    }
    if (j >= text.length) break; // unterminated: the rest is literal text
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ expr: text.slice(m.index + 2, j) });
    last = j + 1;
    opener.lastIndex = last;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function resolveWith(text: string, lookup: Lookup): unknown {
  const parts = scanTemplate(text);
  // A text that is exactly one expression yields the raw value (boolean, number, object…).
  if (parts.length === 1 && typeof parts[0] !== 'string') return evaluateWith(parts[0].expr, lookup);
  return parts.map((p) => (typeof p === 'string' ? p : stringify(evaluateWith(p.expr, lookup)))).join('');
}

function stringify(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `${x}` alone gives x's value; any other text gets its expressions interpolated as strings. */
export function resolveValue(text: string, vars: Record<string, unknown>): unknown {
  return resolveWith(text, variablesLookup(vars));
}

/** Interpolates every expression in text, always giving a string. */
export function resolveTemplate(text: string, vars: Record<string, unknown>): string {
  return stringify(resolveValue(text, vars));
}

export function isExpression(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  const parts = scanTemplate(text);
  return parts.length === 1 && typeof parts[0] !== 'string';
}

export function hasExpression(text: unknown): boolean {
  return typeof text === 'string' && scanTemplate(text).some((p) => typeof p !== 'string');
}

/** What bpmn-elements passes to resolveExpression: `{ environment, ...message }`. */
interface EngineExpressionContext {
  environment?: { variables?: Record<string, unknown>; output?: Record<string, unknown>; settings?: Record<string, unknown> };
  content?: unknown;
  fields?: unknown;
  properties?: unknown;
}

/**
 * The content key under which a multi-instance iteration carries its loop variables (element
 * variable, loopCounter, nrOfInstances, …; multiInstance.ts): an expression of the iteration sees
 * them (its message's content), and so do the elements of a multi-instance sub-process (whose
 * environment holds the iteration's content as `content`), before the process variables.
 */
export const LOOP_VARIABLES = 'loopVariables';

function loopVariables(content: unknown): Record<string, unknown> | undefined {
  const v = content && typeof content === 'object' ? Object.getOwnPropertyDescriptor(content, LOOP_VARIABLES)?.value : undefined;
  return isPlainObject(v) ? v : undefined;
}

/** The variables an activity's expressions see: its process's (or sub-process's), under the loop variables of its iteration. */
export function scopeVariables(variables: Record<string, unknown>, content?: unknown): Record<string, unknown> {
  const outer = loopVariables(variables.content);
  const own = loopVariables(content);
  return outer || own ? { ...variables, ...outer, ...own } : variables;
}

function engineLookup(context: EngineExpressionContext | undefined): Lookup {
  const env = context?.environment;
  const variables = env?.variables ?? {};
  const locals = [loopVariables(context?.content), loopVariables(variables.content)].filter((l) => l !== undefined);
  return (name) => {
    for (const l of locals) if (Object.hasOwn(l, name) && !FORBIDDEN_KEYS.has(name)) return l[name];
    switch (name) {
      // bpmn-engine's own forms: ${environment.variables.x}, ${content.x}, … (services stay out of reach).
      case 'environment':
        return env ? { variables, output: env.output ?? {}, settings: env.settings ?? {} } : undefined;
      case 'content':
      case 'fields':
      case 'properties':
        return context?.[name];
      default:
        return ownValue(variables, name);
    }
  };
}

/** The `expressions` option for bpmn-engine: process variables are top-level names. */
export const engineExpressions = {
  resolveExpression(text: unknown, context?: EngineExpressionContext): unknown {
    if (typeof text !== 'string') return text;
    return resolveWith(text, engineLookup(context));
  },
  isExpression,
  hasExpression,
};
