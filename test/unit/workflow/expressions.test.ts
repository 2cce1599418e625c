import { engineExpressions, evaluateExpression, hasExpression, isExpression, resolveTemplate, resolveValue } from '../../../src/workflow/expressions';

const vars = {
  sourceId: 'bjensen',
  requestApproved: 'true',
  approvedBool: true,
  a: { b: 'deep', list: [1, 2, 3], empty: [] as unknown[] },
  x: 'set',
  y: 3,
  zero: 0,
  nothing: null,
  blank: '',
};

describe('evaluateExpression', () => {
  it.each<[string, unknown]>([
    ['sourceId', 'bjensen'],
    ["requestApproved == 'true'", true],
    ["requestApproved == 'false'", false],
    ["approvedBool == 'true'", true], // JUEL coerces the string to the boolean's type
    ["requestApproved != 'true'", false],
    ['a.b', 'deep'],
    ["a['b']", 'deep'],
    ['a.list[1]', 2],
    ['a.list.length', 3],
    ['a.missing', undefined],
    ['missing.deeper', undefined],
    ['x != null && y > 2', true],
    ['x != null && y > 3', false],
    ['nothing == null', true],
    ['undefinedVar == null', true],
    ['not empty x', true],
    ['empty blank', true],
    ['empty a.empty', true],
    ['empty nothing', true],
    ['!empty a.list', true],
    ["a.b eq 'deep' or y", true],
    ["a.b ne 'deep' or zero", false],
    ['y lt 4 and y gt 2 and y le 3 and y ge 3', true],
    ['y >= 3 && y <= 3 && y < 4 && !(y < 3)', true],
    ["'abc' < 'abd'", true],
    ['"double" == \'double\'', true],
    ["'it\\'s'", "it's"],
    ['1.5 + 2', 3.5],
    ['y * 2 - 1', 5],
    ['y / 2', 1.5],
    ['y % 2', 1],
    ['y mod 2 == 1', true],
    ['-y', -3],
    ['true', true],
    ['false || null', false],
    ['null', null],
    ['42', 42],
    ["y > 2 ? 'big' : 'small'", 'big'],
    ["zero ? 'yes' : nothing == null ? 'null' : 'other'", 'null'],
    ["(y == 3 || false) && (x == 'set')", true],
    ["y == '3'", true],
  ])('%s → %p', (expr, expected) => {
    expect(evaluateExpression(expr, vars)).toEqual(expected);
  });

  it.each([
    ['__proto__'],
    ['a.__proto__'],
    ['a.constructor'],
    ["a['constructor']"],
    ['a.list.constructor'],
    ['a.prototype'],
    ["sourceId.length"], // strings are not plain objects: no property access at all
  ])('refuses %s', (expr) => {
    expect(() => evaluateExpression(expr, vars)).toThrow(/not allowed|non-plain/);
  });

  it('reads only own properties, never inherited ones', () => {
    const proto = { secret: 's' };
    const child = Object.create(proto) as Record<string, unknown>;
    child.own = 'o';
    expect(evaluateExpression('c.toString', { c: {} })).toBeUndefined();
    expect(evaluateExpression('hasOwnProperty', {})).toBeUndefined();
    // An object with a custom prototype is not plain.
    expect(() => evaluateExpression('c.own', { c: child })).toThrow(/non-plain/);
    expect(() => evaluateExpression('d.getTime', { d: new Date() })).toThrow(/non-plain/);
  });

  it.each([["a == 'b"], ['a =='], ['(a'], ['a b'], ['f(1)'], ['a.'], ['a @ b'], ['']])('rejects the syntax of %p', (expr) => {
    expect(() => evaluateExpression(expr, vars)).toThrow();
  });
});

describe('templates', () => {
  it('gives the raw value of a whole-string expression and interpolates otherwise', () => {
    expect(resolveValue('${y}', vars)).toBe(3);
    expect(resolveValue('#{approvedBool}', vars)).toBe(true);
    expect(resolveValue('plain text', vars)).toBe('plain text');
    expect(resolveTemplate('Approve ${sourceId} (${y}) ${nothing}!', vars)).toBe('Approve bjensen (3) !');
    expect(resolveTemplate("${a.b == '}' ? 'x' : 'closing brace in quotes'}", vars)).toBe('closing brace in quotes');
    expect(resolveTemplate('unterminated ${x', vars)).toBe('unterminated ${x');
  });

  it('tells expressions from text', () => {
    expect(isExpression('${a}')).toBe(true);
    expect(isExpression('x ${a}')).toBe(false);
    expect(hasExpression('x ${a}')).toBe(true);
    expect(hasExpression('no expression')).toBe(false);
    expect(hasExpression(undefined)).toBe(false);
  });
});

describe('engineExpressions (bpmn-engine adapter)', () => {
  const environment = { variables: { requestApproved: 'false', sourceId: 'scarter' }, output: { o: 1 }, settings: {} };

  it('resolves process variables as top-level names', () => {
    expect(engineExpressions.resolveExpression("${requestApproved == 'false'}", { environment })).toBe(true);
    expect(engineExpressions.resolveExpression('user ${sourceId}', { environment })).toBe('user scarter');
  });

  it("keeps bpmn-engine's own forms working", () => {
    expect(engineExpressions.resolveExpression('${environment.variables.sourceId}', { environment })).toBe('scarter');
    expect(engineExpressions.resolveExpression('${environment.output.o}', { environment })).toBe(1);
    expect(engineExpressions.resolveExpression('${content.output.x}', { environment, content: { output: { x: 'out' } } })).toBe('out');
    expect(engineExpressions.resolveExpression('${environment.services}', { environment })).toBeUndefined();
  });
});
