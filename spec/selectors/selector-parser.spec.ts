import type { SelectorExpression } from '../../broker/selectors/selector-ast';
import { compileSelector } from '../../broker/selectors/compile-selector';
import { parseSelector } from '../../broker/selectors/selector-parser';
import { printSelector } from '../../broker/selectors/selector-printer';
import { message } from './message';

const h = (name: string) => ({ kind: 'header', name }) as const;
const n = (value: number) => ({ kind: 'number', value }) as const;
const s = (value: string) => ({ kind: 'string', value }) as const;
const eq = (name: string, value: number): SelectorExpression => ({ kind: 'comparison', operator: '=', left: h(name), right: n(value) });

function errorOf(text: string): string {
  try {
    parseSelector(text);
  } catch (err) {
    expect(err).toMatchObject({ name: 'StompError', code: 'STOMP_ERR_INVALID_SELECTOR' });
    return (err as Error).message;
  }
  throw new Error(`parsed ${JSON.stringify(text)}`);
}

const nested = (depth: number, inner = 'a = 1'): string => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;

describe('parseSelector', () => {
  it('parses an empty or blank selector as TRUE', () => {
    expect(parseSelector('')).toEqual({ kind: 'constant', value: true });
    expect(parseSelector(' \t\n')).toEqual({ kind: 'constant', value: true });
  });

  it('binds NOT tighter than AND, and AND tighter than OR (JMS precedence)', () => {
    expect(parseSelector('a = 1 OR NOT b = 2 AND c = 3')).toEqual({
      kind: 'or',
      items: [eq('a', 1), { kind: 'and', items: [{ kind: 'not', operand: eq('b', 2) }, eq('c', 3)] }],
    });
  });

  it('keeps a chain of AND as one node and parentheses as nesting', () => {
    expect(parseSelector('a = 1 AND b = 2 AND c = 3')).toEqual({ kind: 'and', items: [eq('a', 1), eq('b', 2), eq('c', 3)] });
    expect(parseSelector('a = 1 AND (b = 2 AND c = 3)')).toEqual({ kind: 'and', items: [eq('a', 1), { kind: 'and', items: [eq('b', 2), eq('c', 3)] }] });
    expect(parseSelector('((a = 1))')).toEqual(eq('a', 1));
  });

  it('parses every predicate form', () => {
    expect(parseSelector('x BETWEEN -1 AND y')).toEqual({ kind: 'between', negated: false, value: h('x'), low: n(-1), high: h('y') });
    expect(parseSelector('x not between 1 and 2')).toMatchObject({ kind: 'between', negated: true });
    expect(parseSelector("c IN ('UK', 'US', 3)")).toEqual({ kind: 'in', negated: false, header: 'c', values: [s('UK'), s('US'), n(3)] });
    expect(parseSelector("c NOT IN ('x')")).toMatchObject({ kind: 'in', negated: true, values: [s('x')] });
    expect(parseSelector("p LIKE '12%3'")).toEqual({ kind: 'like', negated: false, header: 'p', pattern: '12%3' });
    expect(parseSelector("p NOT LIKE '\\_%' ESCAPE '\\'")).toEqual({ kind: 'like', negated: true, header: 'p', pattern: '\\_%', escape: '\\' });
    expect(parseSelector('p IS NULL')).toEqual({ kind: 'null-test', negated: false, header: 'p' });
    expect(parseSelector('p is not null')).toEqual({ kind: 'null-test', negated: true, header: 'p' });
    expect(parseSelector('FALSE')).toEqual({ kind: 'constant', value: false });
    expect(parseSelector('TRUE = flag')).toEqual({ kind: 'comparison', operator: '=', left: { kind: 'boolean', value: true }, right: h('flag') });
  });

  it('folds a sign into the number, with or without a space', () => {
    expect(parseSelector('a > - 5')).toEqual({ kind: 'comparison', operator: '>', left: h('a'), right: n(-5) });
    expect(parseSelector('a > +5')).toEqual({ kind: 'comparison', operator: '>', left: h('a'), right: n(5) });
    expect(parseSelector('5 < a')).toEqual({ kind: 'comparison', operator: '<', left: n(5), right: h('a') });
  });

  it('freezes the tree', () => {
    const e = parseSelector("a = 1 AND b IN ('x')");
    expect(Object.isFrozen(e)).toBe(true);
    expect(e.kind === 'and' && Object.isFrozen(e.items) && Object.isFrozen(e.items[1])).toBe(true);
  });

  // Every syntax error, with the offset it names.
  it.each([
    ['a = 1 b = 2', 'expected AND, OR or end at offset 6, found header name "b"'],
    ['a = 1)', 'expected AND, OR or end at offset 5, found ")"'],
    ['(a = 1', 'expected AND, OR or ")" at offset 6, found end'],
    ['(a = 1 b', 'expected AND, OR or ")" at offset 7, found header name "b"'],
    ['AND a = 1', 'expected a header name, a literal, NOT or "(" at offset 0, found "AND"'],
    ['a = 1 AND', 'expected a header name, a literal, NOT or "(" at offset 9, found end'],
    ['a = 1 OR OR', 'expected a header name, a literal, NOT or "(" at offset 9, found "OR"'],
    ['NOT', 'expected a header name, a literal, NOT or "(" at offset 3, found end'],
    ['()', 'expected a header name, a literal, NOT or "(" at offset 1, found ")"'],
    ['#a', 'expected a header name, a literal, NOT or "(" at offset 0, found "#"'],
    ['a', 'expected a comparison operator, BETWEEN, IN, LIKE or IS at offset 1, found end'],
    ["'a'", 'expected a comparison operator, BETWEEN, IN, LIKE or IS at offset 3, found end'],
    ['a != 1', 'expected a comparison operator, BETWEEN, IN, LIKE or IS at offset 2, found "!"'],
    ['a == 1', 'expected a header name or a literal at offset 3, found "="'],
    ['a =', 'expected a header name or a literal at offset 3, found end'],
    ['a = NULL', 'expected a header name or a literal at offset 4, found "NULL" (a missing header is tested with IS NULL)'],
    ['a = -b', 'expected a number after "-" at offset 5, found header name "b"'],
    ["a > 'x'", 'expected a header name or a number at offset 4, found string "x" (<, >, <=, >= and BETWEEN compare numbers)'],
    ["'x' <= a", 'expected a header name or a number at offset 0, found string "x" (<, >, <=, >= and BETWEEN compare numbers)'],
    ['a >= TRUE', 'expected a header name or a number at offset 5, found "TRUE" (<, >, <=, >= and BETWEEN compare numbers)'],
    ['a NOT = 1', 'expected BETWEEN, IN or LIKE after NOT at offset 6, found "="'],
    ["'x' BETWEEN 1 AND 2", 'expected a header name or a number at offset 0, found string "x" (<, >, <=, >= and BETWEEN compare numbers)'],
    ["a BETWEEN 'x' AND 2", 'expected a header name or a number at offset 10, found string "x" (<, >, <=, >= and BETWEEN compare numbers)'],
    ['a BETWEEN 1 OR 2', 'expected AND at offset 12, found "OR"'],
    ['a BETWEEN 1 AND', 'expected a header name or a number at offset 15, found end'],
    ["5 IN ('a')", 'expected a header name before IN at offset 0, found number 5'],
    ["a IN 'x'", 'expected "(" after IN at offset 5, found string "x"'],
    ['a IN ()', 'expected a string or a number at offset 6, found ")"'],
    ["a IN ('x',)", 'expected a string or a number at offset 10, found ")"'],
    ['a IN (b)', 'expected a string or a number at offset 6, found header name "b"'],
    ['a IN (TRUE)', 'expected a string or a number at offset 6, found "TRUE"'],
    ["a IN ('x' 'y')", 'expected "," or ")" at offset 10, found string "y"'],
    ["a IN ('x'", 'expected "," or ")" at offset 9, found end'],
    ["'a' LIKE 'b'", 'expected a header name before LIKE at offset 0, found string "a"'],
    ['a LIKE b', 'expected a string pattern after LIKE at offset 7, found header name "b"'],
    ["a LIKE 'b' ESCAPE", 'expected a string of one character after ESCAPE at offset 17, found end'],
    ["a LIKE 'b' ESCAPE ''", 'expected a string of one character after ESCAPE at offset 18, found string ""'],
    ["a LIKE 'b' ESCAPE '!!'", 'expected a string of one character after ESCAPE at offset 18, found string "!!"'],
    ["a LIKE 'x!y' ESCAPE '!'", 'expected "%", "_" or "!" after the escape character at offset 10, found "y"'],
    ["a LIKE 'it''s!' ESCAPE '!'", 'expected "%", "_" or "!" after the escape character at offset 14, found the end of the pattern'],
    ['TRUE IS NULL', 'expected a header name before IS at offset 0, found "TRUE"'],
    ['a IS 1', 'expected NOT or NULL at offset 5, found number 1'],
    ['a IS NOT TRUE', 'expected NULL at offset 9, found "TRUE"'],
  ])('refuses %j: %s', (text, message) => {
    expect(errorOf(text)).toBe(`Selector: ${message}`);
  });

  it('quotes at most 32 characters of what it found', () => {
    expect(errorOf(`a = 1 ${'b'.repeat(100)}`)).toBe(`Selector: expected AND, OR or end at offset 6, found header name "${'b'.repeat(32)}…"`);
  });

  it('refuses something other than a string', () => {
    expect(() => parseSelector(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_SELECTOR', message: 'Selector: expected a string, found number' }));
  });
});

describe('parseSelector limits', () => {
  const padded = (bytes: number): string => `a = '${'x'.repeat(bytes - 6)}'`;

  it('takes a selector of exactly 4096 bytes and refuses 4097, at the offset past the limit', () => {
    expect(padded(4096)).toHaveLength(4096);
    expect(parseSelector(padded(4096))).toMatchObject({ kind: 'comparison' });
    expect(errorOf(padded(4097))).toBe('Selector: expected at most 4096 bytes at offset 4096, found 4097 bytes');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = `a = '${'é'.repeat(2046)}'`; // 6 + 2 × 2046 = 4098 bytes in 2052 characters
    expect(errorOf(text)).toBe('Selector: expected at most 4096 bytes at offset 2050, found 4098 bytes');
    expect(parseSelector(`a = '${'é'.repeat(2045)}'`)).toMatchObject({ kind: 'comparison' });
    expect(errorOf(`a = '${'😀'.repeat(1023)}'`)).toBe('Selector: expected at most 4096 bytes at offset 2049, found 4098 bytes'); // the 1023rd emoji crosses
  });

  it('takes 10 and 100 levels of parentheses and refuses 101 at the 101st', () => {
    expect(parseSelector(nested(10))).toEqual(eq('a', 1));
    expect(parseSelector(nested(100))).toEqual(eq('a', 1));
    expect(errorOf(nested(101))).toBe('Selector: expected at most 100 levels of parentheses and NOT at offset 100, found level 101');
  });

  it('takes 100 NOTs and refuses 101', () => {
    let e = parseSelector(`${'NOT '.repeat(100)}a = 1`);
    for (let i = 0; i < 100; i++) {
      expect(e.kind).toBe('not');
      if (e.kind === 'not') e = e.operand;
    }
    expect(e).toEqual(eq('a', 1));
    expect(errorOf(`${'NOT '.repeat(101)}a = 1`)).toBe('Selector: expected at most 100 levels of parentheses and NOT at offset 400, found level 101');
  });

  it('counts parentheses and NOT together, and only while they are open', () => {
    expect(parseSelector(nested(50, `${'NOT '.repeat(50)}a = 1`))).toMatchObject({ kind: 'not' });
    expect(errorOf(nested(50, `${'NOT '.repeat(51)}a = 1`))).toMatch(/at offset 250, found level 101/);
    const siblings = Array.from({ length: 50 }, () => nested(100)).join(' AND '); // wide, not deep
    expect(parseSelector(siblings, { maxLength: 65536, maxDepth: 100 })).toMatchObject({ kind: 'and' });
  });

  it('takes a long flat chain of conditions as one level', () => {
    const chain = Array.from({ length: 400 }, () => 'a=1').join(' OR ');
    expect(chain.length).toBeLessThanOrEqual(4096);
    const e = parseSelector(chain);
    expect(e.kind === 'or' && e.items.length).toBe(400);
  });

  it('refuses the deepest nesting that fits in 4 KiB, without exhausting the stack', () => {
    expect(errorOf(nested(2040))).toMatch(/at offset 100, found level 101/);
    expect(errorOf('NOT '.repeat(1024))).toMatch(/at offset 400, found level 101/);
    expect(errorOf('('.repeat(4096))).toMatch(/found level 101/);
  });

  it('parses and evaluates the deepest nesting the limits allow (1000) within the stack', () => {
    const deep = nested(500, `${'NOT '.repeat(500)}a = 1`);
    const e = parseSelector(deep, { maxLength: 65536, maxDepth: 1000 });
    expect(compileSelector(deep, { maxLength: 65536, maxDepth: 1000 }).evaluate(message({ a: '1' }))).toBe('TRUE');
    expect(parseSelector(printSelector(e), { maxLength: 65536, maxDepth: 1000 })).toEqual(e);
  });

  it('takes an IN list as long as 4 KiB allows', () => {
    const values = Array.from({ length: 1000 }, (_, i) => String(i));
    const text = `a IN (${values.join(',')})`;
    expect(text.length).toBeLessThanOrEqual(4096);
    const selector = compileSelector(text);
    expect(selector.matches(message({ a: '999' }))).toBe(true);
    expect(selector.matches(message({ a: '1000' }))).toBe(false);
  });

  it('applies limits it is given', () => {
    expect(() => parseSelector(nested(3), { maxLength: 4096, maxDepth: 2 })).toThrow('expected at most 2 levels of parentheses and NOT at offset 2, found level 3');
    expect(() => parseSelector('a = 1', { maxLength: 4, maxDepth: 100 })).toThrow('expected at most 4 bytes at offset 4, found 5 bytes');
  });
});
