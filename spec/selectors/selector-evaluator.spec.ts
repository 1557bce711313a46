import { compileSelector, type SelectorTruth } from '../../broker/selectors/compile-selector';
import { message } from './message';

const T: SelectorTruth = 'TRUE';
const F: SelectorTruth = 'FALSE';
const U: SelectorTruth = 'UNKNOWN';

const evaluate = (selector: string, headers: Record<string, string>): SelectorTruth => compileSelector(selector).evaluate(message(headers));

/** Conditions with a known value: TRUE (`t = 1`), FALSE (`t = 2`), UNKNOWN (a missing header). */
const COND: Record<SelectorTruth, string> = { TRUE: 't = 1', FALSE: 't = 2', UNKNOWN: 'missing = 1' };
const VALUES: SelectorTruth[] = [T, F, U];

describe('three-valued logic (JMS 1.1 tables 3-4 to 3-6)', () => {
  const AND: Record<string, SelectorTruth> = { TT: T, TF: F, TU: U, FT: F, FF: F, FU: F, UT: U, UF: F, UU: U };
  const OR: Record<string, SelectorTruth> = { TT: T, TF: T, TU: T, FT: T, FF: F, FU: U, UT: T, UF: U, UU: U };
  const NOT: Record<string, SelectorTruth> = { T: F, F: T, U: U };

  for (const a of VALUES) {
    for (const b of VALUES) {
      const key = a[0] + b[0];
      it(`evaluates ${a} AND ${b} to ${AND[key]} and ${a} OR ${b} to ${OR[key]}`, () => {
        expect(evaluate(`${COND[a]} AND ${COND[b]}`, { t: '1' })).toBe(AND[key]);
        expect(evaluate(`${COND[a]} OR ${COND[b]}`, { t: '1' })).toBe(OR[key]);
      });
    }
    it(`evaluates NOT ${a} to ${NOT[a[0]]}`, () => {
      expect(evaluate(`NOT ${COND[a]}`, { t: '1' })).toBe(NOT[a[0]]);
    });
  }

  it('evaluates a chain as nested pairs would', () => {
    expect(evaluate(`${COND.TRUE} AND ${COND.UNKNOWN} AND ${COND.FALSE}`, { t: '1' })).toBe(F);
    expect(evaluate(`${COND.FALSE} OR ${COND.UNKNOWN} OR ${COND.TRUE}`, { t: '1' })).toBe(T);
    expect(evaluate(`${COND.FALSE} OR ${COND.UNKNOWN} OR ${COND.FALSE}`, { t: '1' })).toBe(U);
  });
});

const HEADERS = {
  none: {},
  num: { a: '5', b: '5.0', c: '10', s: 'abc', e: '', flag: 'TRUE', q: "it's" },
  text: { a: 'abc', b: 'abd', c: 'x', s: '5', e: '', flag: 'yes' },
};

describe('selector values', () => {
  it.each<[string, keyof typeof HEADERS, SelectorTruth]>([
    // = and <>: numbers when both sides are numbers, text against strings, NULL is UNKNOWN
    ['a = 5', 'num', T],
    ['a = 5.0', 'num', T],
    ['a = 0.5e1', 'num', T],
    ['a = 6', 'num', F],
    ['a = 5', 'text', F], // "abc" spells no number: unlike types are FALSE
    ['a <> 5', 'text', T], // <> is NOT =
    ['a = 5', 'none', U],
    ['a <> 5', 'none', U],
    ["a = '5'", 'num', T],
    ["b = '5'", 'num', F], // a string literal compares text: "5.0" is not "5"
    ["s = 'abc'", 'num', T],
    ["s = 'ABC'", 'num', F], // case matters in values
    ["e = ''", 'num', T], // an empty value is a value, not NULL
    ["q = 'it''s'", 'num', T],
    ['a = b', 'num', T], // "5" and "5.0": both numbers
    ['a = b', 'text', F], // "abc" and "abd": text
    ['s = s', 'text', T],
    ['a = missing', 'num', U],
    ['missing = missing', 'none', U],
    ['5 = a', 'num', T],
    // TRUE and FALSE against headers: "true"/"false" in any case
    ['flag = TRUE', 'num', T],
    ['flag = FALSE', 'num', F],
    ['flag = TRUE', 'text', F], // "yes" is no boolean
    ['flag <> TRUE', 'text', T],
    ['flag = TRUE', 'none', U],
    // literals against literals
    ['1 = 1', 'none', T],
    ['1 = 1.0', 'none', T],
    ["'a' = 'a'", 'none', T],
    ["'1' = 1", 'none', F],
    ["'1' <> 1", 'none', T],
    ['TRUE = TRUE', 'none', T],
    ['TRUE = 1', 'none', F],
    ['2 > 1', 'none', T],
    ['TRUE', 'none', T],
    ['FALSE', 'none', F],
    // <, >, <=, >=: numbers only
    ['a > 4', 'num', T],
    ['a > 5', 'num', F],
    ['a >= 5', 'num', T],
    ['a < 10', 'num', T],
    ['a <= 4.99', 'num', F],
    ['c > a', 'num', T], // 10 > 5 as numbers, though "10" < "5" as text
    ['a > -1', 'num', T],
    ['a > 4', 'text', F], // no number in "abc": FALSE, not UNKNOWN
    ['NOT a > 4', 'text', T],
    ['b > a', 'text', F], // "abd" > "abc" as text, but no ordering of text
    ['a > 4', 'none', U],
    ['4 < a', 'num', T],
    ['a > c', 'none', U],
    // BETWEEN: >= AND <=; NOT BETWEEN: < OR >
    ['a BETWEEN 5 AND 10', 'num', T],
    ['a BETWEEN 1 AND 4', 'num', F],
    ['a BETWEEN 10 AND 5', 'num', F],
    ['a NOT BETWEEN 1 AND 4', 'num', T],
    ['a NOT BETWEEN 5 AND 10', 'num', F],
    ['a BETWEEN b AND c', 'num', T],
    ['a BETWEEN 1 AND missing', 'num', U],
    ['a BETWEEN 6 AND missing', 'num', F], // FALSE AND UNKNOWN
    ['a NOT BETWEEN 6 AND missing', 'num', T], // TRUE OR UNKNOWN
    ['a BETWEEN 1 AND 9', 'none', U],
    ['a NOT BETWEEN 1 AND 9', 'none', U],
    ['a BETWEEN 1 AND 9', 'text', F],
    ['a NOT BETWEEN 1 AND 9', 'text', F], // JMS's expansion: both comparisons FALSE
    // IN
    ["s IN ('x', 'abc')", 'num', T],
    ["s IN ('x', 'y')", 'num', F],
    ["s NOT IN ('x', 'y')", 'num', T],
    ["s NOT IN ('abc')", 'num', F],
    ["s IN ('abc')", 'none', U],
    ["s NOT IN ('abc')", 'none', U],
    ['b IN (1, 5)', 'num', T], // "5.0" is 5
    ["b IN ('5')", 'num', F],
    ['a IN (5)', 'text', F],
    ["e IN ('')", 'num', T],
    // LIKE
    ["s LIKE 'a%'", 'num', T],
    ["s LIKE '_b_'", 'num', T],
    ["s LIKE '__'", 'num', F],
    ["s NOT LIKE 'a%'", 'num', F],
    ["s LIKE 'a%'", 'none', U],
    ["s NOT LIKE 'a%'", 'none', U],
    ["e LIKE '%'", 'num', T],
    ["q LIKE 'it''%'", 'num', T],
    ["a LIKE '5'", 'num', T],
    // IS [NOT] NULL: never UNKNOWN
    ['a IS NULL', 'none', T],
    ['a IS NULL', 'num', F],
    ['a IS NOT NULL', 'num', T],
    ['a IS NOT NULL', 'none', F],
    ['e IS NULL', 'num', F],
    ['NOT a IS NULL', 'none', F],
    // combinations
    ["a > 4 AND s LIKE 'a%' AND missing IS NULL", 'num', T],
    ['missing = 1 OR a = 5', 'num', T],
    ['NOT (missing = 1 OR a = 6)', 'num', U],
    ['(a = 5 OR missing = 1) AND NOT flag = FALSE', 'num', T],
  ])('evaluates %j on %s headers to %s', (selector, set, expected) => {
    expect(evaluate(selector, HEADERS[set])).toBe(expected);
  });

  it('reads destination, content-type and message-id from the message fields', () => {
    const m = message({ x: '1' }, { destination: '/topic/prices.eu', contentType: 'application/json', messageId: 'id-7' });
    expect(compileSelector("destination LIKE '/topic/prices.%' AND \"content-type\" = 'application/json' AND message-id = 'id-7'").evaluate(m)).toBe(T);
    expect(compileSelector('content-type IS NULL').evaluate(message())).toBe(T);
  });

  it('reads the first of repeated headers (STOMP 1.2: first wins)', () => {
    const m = message({}, { headers: [['x', '1'], ['x', '2']] });
    expect(compileSelector('x = 1').matches(m)).toBe(true);
    expect(compileSelector('x = 2').matches(m)).toBe(false);
  });

  it('reads header names with any characters through double quotes', () => {
    expect(evaluate('"my header" = \'v\' AND "a""b" = 1', { 'my header': 'v', 'a"b': '1' })).toBe(T);
  });

  it('compares header names case-sensitively', () => {
    expect(evaluate("Region = 'eu'", { region: 'eu' })).toBe(U);
  });
});
