// JUEL's coercion rules (EL 2.2 §1.18) wherever reconflow evaluates an expression: a String is a
// Boolean as Boolean.valueOf reads it, a Number as parsed, null and "" are false/0/empty. The
// observed defect: `#{approved}` / `#{!approved}` with {"approved":"false"} ended at "yes".
import fs from 'node:fs';
import path from 'node:path';
import { completeTask, parseDefinition, startInstance, type ParsedDefinition } from '../../../src/workflow/engine';
import { evaluateExpression, resolveValue } from '../../../src/workflow/expressions';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/bpmn', name), 'utf8');

describe('JUEL coercion in expressions', () => {
  const e = (expr: string, vars: Record<string, unknown> = {}) => evaluateExpression(expr, vars);

  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['false', false], ['FALSE', false], ['yes', false], ['', false], ['1', false],
  ])('String %p is %p in boolean contexts (!, &&, ||, ?:, == true)', (text, bool) => {
    expect(e('!x', { x: text })).toBe(!bool);
    expect(e('x && true', { x: text })).toBe(bool);
    expect(e('x || false', { x: text })).toBe(bool);
    expect(e("x ? 'y' : 'n'", { x: text })).toBe(bool ? 'y' : 'n');
    expect(e('x == true', { x: text })).toBe(bool);
    expect(e('x == false', { x: text })).toBe(!bool);
    expect(e('x != true', { x: text })).toBe(!bool);
  });

  it('null is false, not a missing variable error', () => {
    expect(e('!x', {})).toBe(true);
    expect(e('x == false', { x: null })).toBe(false); // EL: null == false is false (only null == null)
    expect(e('x && true', { x: null })).toBe(false);
  });

  it('String → Number for arithmetic and comparisons; "" and null are 0', () => {
    expect(e('a + 1', { a: '41' })).toBe(42);
    expect(e('a * b', { a: '2', b: '3.5' })).toBe(7);
    expect(e('a > 1000', { a: '2000' })).toBe(true);
    expect(e('a > 1000', { a: '20' })).toBe(false);
    expect(e("a == 2", { a: '2.0' })).toBe(true);
    expect(e('a + 1', { a: '' })).toBe(1);
    expect(e('a + 1', {})).toBe(1);
    expect(e('-a', { a: '5' })).toBe(-5);
    expect(() => e('a + 1', { a: 'abc' })).toThrow(/needs numbers/);
  });

  it('empty: null, "", empty list and map', () => {
    for (const v of [null, undefined, '', [], {}]) expect(e('empty x', { x: v })).toBe(true);
    for (const v of ['a', [1], { a: 1 }, 0, false]) expect(e('empty x', { x: v })).toBe(false);
    expect(e('not empty x', { x: 'a' })).toBe(true);
  });

  it('an assignee or due date expression keeps its value (no coercion outside boolean contexts)', () => {
    expect(resolveValue('${who}', { who: 'bjensen' })).toBe('bjensen');
    expect(resolveValue('user-${n + 1}', { n: '1' })).toBe('user-2');
  });
});

describe('#{approved} / #{!approved} on a real run', () => {
  let def: ParsedDefinition;
  beforeAll(async () => {
    def = await parseDefinition(fixture('h-tasks-juel.bpmn'), 'h-tasks-juel.bpmn');
  });

  const cases: [unknown, string][] = [
    ['false', 'no'], ['FALSE', 'no'], ['yes', 'no'], ['', 'no'], [false, 'no'],
    ['true', 'yes'], ['TRUE', 'yes'], [true, 'yes'],
  ];

  for (const templates of [false, true]) {
    it.each(cases)(`approved=%p ends at %p (templates ${templates ? 'on' : 'off'})`, async (approved, end) => {
      // Twice: the second completion is answered by the completion plan once the engine taught it.
      for (let i = 0; i < 2; i++) {
        const started = await startInstance(def, {}, { templates });
        expect(started.status).toBe('waiting');
        const done = await completeTask(def, started.state!, started.openTasks[0].executionId, { approved }, { templates });
        expect(done).toMatchObject({ status: 'ended', endActivityId: end });
      }
    });
  }
});
