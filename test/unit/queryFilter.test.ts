import { CrestError } from '../../src/crest/errors';
import { compareCodePoints, Filter, matchesFilter, parseJsonPointer, parseQueryFilter } from '../../src/crest/queryFilter';

const cmp = (field: string[], op: string, value: unknown): Filter => ({ type: 'compare', op, field, value } as Filter);

/** The CrestError a call throws, so tests can look at code and message together. */
function errorOf(f: () => unknown): CrestError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CrestError);
    return e as CrestError;
  }
  throw new Error('expected an error');
}

describe('parseQueryFilter', () => {
  it.each(['eq', 'co', 'sw', 'lt', 'le', 'gt', 'ge'])('parses the %s operator', (op) => {
    expect(parseQueryFilter(`userName ${op} "x"`)).toEqual(cmp(['userName'], op, 'x'));
  });

  it('parses pr, true and false', () => {
    expect(parseQueryFilter('/mail pr')).toEqual({ type: 'present', field: ['mail'] });
    expect(parseQueryFilter('true')).toEqual({ type: 'literal', value: true });
    expect(parseQueryFilter(' false ')).toEqual({ type: 'literal', value: false });
  });

  it('reads pointers with or without a leading slash, with ~ escapes', () => {
    expect(parseQueryFilter('/address/city eq "Paris"')).toEqual(cmp(['address', 'city'], 'eq', 'Paris'));
    expect(parseQueryFilter('address/city eq "Paris"')).toEqual(cmp(['address', 'city'], 'eq', 'Paris'));
    expect(parseQueryFilter('/a~1b/c~0d pr')).toEqual({ type: 'present', field: ['a/b', 'c~d'] });
  });

  it('binds and tighter than or', () => {
    expect(parseQueryFilter('a eq 1 or b eq 2 and c eq 3')).toEqual({
      type: 'or',
      operands: [cmp(['a'], 'eq', 1), { type: 'and', operands: [cmp(['b'], 'eq', 2), cmp(['c'], 'eq', 3)] }],
    });
  });

  it('flattens chains and honours parentheses', () => {
    expect(parseQueryFilter('a pr and b pr and c pr')).toEqual({
      type: 'and',
      operands: [{ type: 'present', field: ['a'] }, { type: 'present', field: ['b'] }, { type: 'present', field: ['c'] }],
    });
    expect(parseQueryFilter('(a eq 1 or b eq 2) and c eq 3')).toEqual({
      type: 'and',
      operands: [{ type: 'or', operands: [cmp(['a'], 'eq', 1), cmp(['b'], 'eq', 2)] }, cmp(['c'], 'eq', 3)],
    });
    expect(parseQueryFilter('((a pr))')).toEqual({ type: 'present', field: ['a'] });
  });

  it('parses negation, which binds tighter than and', () => {
    expect(parseQueryFilter('!a pr and b pr')).toEqual({
      type: 'and',
      operands: [{ type: 'not', operand: { type: 'present', field: ['a'] } }, { type: 'present', field: ['b'] }],
    });
    expect(parseQueryFilter('!(a eq 1 or b eq 2)')).toEqual({
      type: 'not',
      operand: { type: 'or', operands: [cmp(['a'], 'eq', 1), cmp(['b'], 'eq', 2)] },
    });
    expect(parseQueryFilter('!!true')).toEqual({ type: 'not', operand: { type: 'not', operand: { type: 'literal', value: true } } });
  });

  it('needs no whitespace around parentheses and quotes, and accepts any amount of it', () => {
    expect(parseQueryFilter('(a eq"x")or(b pr)')).toEqual({ type: 'or', operands: [cmp(['a'], 'eq', 'x'), { type: 'present', field: ['b'] }] });
    expect(parseQueryFilter(' \t a \n eq \r\n 1 ')).toEqual(cmp(['a'], 'eq', 1));
  });

  it('does not take a word that starts with a keyword for the keyword', () => {
    expect(() => parseQueryFilter('a pr order pr')).toThrow(/expected 'and', 'or' or the end of the filter at position 6/);
  });

  it('decodes JSON escapes in double- and single-quoted strings', () => {
    const value = (text: string) => (parseQueryFilter(`a eq ${text}`) as { value: unknown }).value;
    expect(value(String.raw`"q\"b\\s\/n\nt\tr\rb\bf\f"`)).toBe('q"b\\s/n\nt\tr\rb\bf\f');
    expect(value(String.raw`"\u00e9\u65E5\ud83d\ude00"`)).toBe('é日😀');
    expect(value("'it'")).toBe('it');
    expect(value(String.raw`'O\'Brien "x"'`)).toBe(`O'Brien "x"`);
    expect(value(`"a'b"`)).toBe("a'b");
    expect(value('""')).toBe('');
    expect(value('"日本 😀"')).toBe('日本 😀');
  });

  it('parses numbers, booleans and null', () => {
    const value = (text: string) => (parseQueryFilter(`a eq ${text}`) as { value: unknown }).value;
    expect(value('0')).toBe(0);
    expect(value('42')).toBe(42);
    expect(value('-7')).toBe(-7);
    expect(value('3.25')).toBe(3.25);
    expect(value('1e3')).toBe(1000);
    expect(value('-2.5E-2')).toBe(-0.025);
    expect(value('true')).toBe(true);
    expect(value('false')).toBe(false);
    expect(value('null')).toBeNull();
  });

  it.each([
    ['userName eq', 'expected a value at position 12'],
    ['userName', 'expected an operator (eq, co, sw, lt, le, gt, ge or pr) at position 9'],
    ['userName EQ "x"', 'expected an operator (eq, co, sw, lt, le, gt, ge or pr) at position 10'],
    ['userName eq bob', 'expected a value at position 13'],
    ['a eq 01', 'expected a value at position 6'],
    ['a eq 1.', 'expected a value at position 6'],
    ['a eq +1', 'expected a value at position 6'],
    ['a eq 1e999', 'expected a number within double precision at position 6'],
    ['a eq "abc', 'expected a closing " for the string opened at position 6 at position 10'],
    ["a eq 'abc", "expected a closing ' for the string opened at position 6 at position 10"],
    [String.raw`a eq "\x"`, 'expected a valid escape sequence at position 7'],
    [String.raw`a eq "\u12G4"`, 'expected a valid escape sequence at position 7'],
    ['', "expected a field pointer, '(', '!', 'true' or 'false' at position 1"],
    ['a eq 1 and', "expected a field pointer, '(', '!', 'true' or 'false' at position 11"],
    ['(a eq 1', "expected 'and', 'or' or ')' at position 8"],
    ['a eq 1)', "expected 'and', 'or' or the end of the filter at position 7"],
    ['a eq 1 b eq 2', "expected 'and', 'or' or the end of the filter at position 8"],
    ['a eq 1 AND b eq 2', "expected 'and', 'or' or the end of the filter at position 8"],
    ['TRUE', 'expected an operator (eq, co, sw, lt, le, gt, ge or pr) at position 5'],
    ['/ pr', 'expected a non-empty JSON pointer at position 1'],
    ['/a//b pr', 'expected a JSON pointer without empty segments at position 1'],
    ['x eq 1 and /a/~2 pr', "expected a JSON pointer whose '~' escapes are ~0 or ~1 at position 12"],
  ])('rejects %j: %s', (text, message) => {
    const e = errorOf(() => parseQueryFilter(text));
    expect(e.code).toBe(400);
    expect(e.message).toBe(`Invalid query filter '${text}': ${message}`);
  });

  it('limits the length to 4096 characters', () => {
    const filter = (n: number) => `a eq "${'x'.repeat(n - 7)}"`;
    expect(filter(4096)).toHaveLength(4096);
    expect(() => parseQueryFilter(filter(4096))).not.toThrow();
    const e = errorOf(() => parseQueryFilter(filter(4097)));
    expect(e.code).toBe(400);
    expect(e.message).toMatch(/longer than 4096/);
  });

  it('limits nesting to 64 levels of parentheses and negations', () => {
    expect(() => parseQueryFilter(`${'('.repeat(64)}a pr${')'.repeat(64)}`)).not.toThrow();
    expect(errorOf(() => parseQueryFilter(`${'('.repeat(65)}a pr${')'.repeat(65)}`)).message).toMatch(/nested deeper than 64 levels at position 65/);
    expect(() => parseQueryFilter(`${'!'.repeat(64)}a pr`)).not.toThrow();
    expect(errorOf(() => parseQueryFilter(`${'!('.repeat(40)}a pr${')'.repeat(40)}`)).code).toBe(400);
    // Long flat chains are not nesting.
    expect(() => parseQueryFilter(Array.from({ length: 300 }, (_, i) => `a eq ${i}`).join(' or '))).not.toThrow();
  });
});

describe('parseJsonPointer', () => {
  it('splits pointers with or without a leading slash', () => {
    expect(parseJsonPointer('/a/b')).toEqual(['a', 'b']);
    expect(parseJsonPointer('a/b')).toEqual(['a', 'b']);
    expect(parseJsonPointer('a')).toEqual(['a']);
  });

  it('decodes ~1 before ~0', () => {
    expect(parseJsonPointer('/a~1b/~0/~01')).toEqual(['a/b', '~', '~1']);
  });

  it.each(['', '/', '//a', '/a/', 'a//b', '/a~', '/a~2'])('rejects %j with a 400', (text) => {
    expect(errorOf(() => parseJsonPointer(text)).code).toBe(400);
  });
});

describe('matchesFilter', () => {
  const user = {
    userName: 'Alice',
    age: 30,
    code: '30',
    active: true,
    nothing: null,
    address: { city: 'Paris' },
    tags: ['admin', 'dev'],
    scores: [1, 5],
  };
  const m = (text: string, obj: unknown = user) => matchesFilter(parseQueryFilter(text), obj);

  it('compares strings exactly and case-sensitively', () => {
    expect(m('userName eq "Alice"')).toBe(true);
    expect(m('userName eq "alice"')).toBe(false);
    expect(m('userName co "lic"')).toBe(true);
    expect(m('userName co "LIC"')).toBe(false);
    expect(m('userName sw "Al"')).toBe(true);
    expect(m('userName sw "al"')).toBe(false);
    expect(m('userName co ""')).toBe(true);
  });

  it('keeps JSON types apart', () => {
    expect(m('/age eq 30')).toBe(true);
    expect(m('/age eq "30"')).toBe(false);
    expect(m('/code eq 30')).toBe(false);
    expect(m('/code eq "30"')).toBe(true);
    expect(m('/active eq true')).toBe(true);
    expect(m('/active eq 1')).toBe(false);
    expect(m('/age co "3"')).toBe(false);
    expect(m('/code gt 3')).toBe(false);
  });

  it('orders numbers numerically and strings by code point', () => {
    expect(m('/age gt 4')).toBe(true);
    expect(m('/code gt "4"')).toBe(false);
    expect(m('/age le 30')).toBe(true);
    expect(m('/age lt 30')).toBe(false);
    expect(m('/age ge 30.5')).toBe(false);
    expect(compareCodePoints('😀', '\uffff')).toBeGreaterThan(0); // UTF-16 code units would say less
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('Z', 'a')).toBeLessThan(0);
  });

  it('treats missing fields and null as never equal to anything', () => {
    expect(m('/missing eq "x"')).toBe(false);
    expect(m('!(/missing eq "x")')).toBe(true);
    expect(m('/nothing eq null')).toBe(false);
    expect(m('/age eq null')).toBe(false);
    expect(m('/nothing pr')).toBe(false);
    expect(m('/missing pr')).toBe(false);
    expect(m('/address pr')).toBe(true);
    expect(m('/address eq "x"')).toBe(false);
  });

  it('walks nested objects and own properties only', () => {
    expect(m('/address/city eq "Paris"')).toBe(true);
    expect(m('/address/city/x pr')).toBe(false);
    expect(m('/constructor pr')).toBe(false);
    expect(m('/toString pr')).toBe(false);
    expect(m('/userName/length pr')).toBe(false);
  });

  it('matches multi-valued fields when any element matches eq, co or sw', () => {
    expect(m('/tags eq "dev"')).toBe(true);
    expect(m('/tags co "dmi"')).toBe(true);
    expect(m('/tags sw "ad"')).toBe(true);
    expect(m('/tags eq "ops"')).toBe(false);
    expect(m('/scores eq 5')).toBe(true);
    expect(m('/scores gt 2')).toBe(false);
    expect(m('/tags/0 eq "admin"')).toBe(true);
    expect(m('/tags/01 pr')).toBe(false);
  });

  it('combines with and, or, not and literals', () => {
    expect(m('true')).toBe(true);
    expect(m('false')).toBe(false);
    expect(m('userName eq "x" or /age eq 30 and /active eq true')).toBe(true);
    expect(m('(userName eq "x" or /age eq 30) and /active eq false')).toBe(false);
    expect(m('!(/age eq 30)')).toBe(false);
  });

  it('finds nothing in values that are not objects', () => {
    expect(m('a pr', null)).toBe(false);
    expect(m('a eq 1', 'a')).toBe(false);
    expect(m('!(a pr)', 42)).toBe(true);
  });
});
