import fc from 'fast-check';
import { isStompError } from '../../broker/errors';
import { compileSelector } from '../../broker/selectors/compile-selector';
import { LikePattern } from '../../broker/selectors/like-pattern';
import { numericValue } from '../../broker/selectors/numeric-text';
import type { HeaderOperand, NumberLiteral, Operand, SelectorExpression, StringLiteral } from '../../broker/selectors/selector-ast';
import type { SelectorMessage } from '../../broker/selectors/selector-evaluator';
import { parseSelector } from '../../broker/selectors/selector-parser';
import { printSelector } from '../../broker/selectors/selector-printer';
import { referenceEvaluate, referenceLike, referenceNumber } from './reference-selector';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) };
const WIDE = { maxLength: 65536, maxDepth: 100 };

// Few names and number-heavy values, so that selectors often find the headers they name,
// and two headers often spell the same number differently ("5" and "5.0").
const NAMES = ['x-priority', 'app.region', 'destination', 'content-type', 'message-id', 'my header', 'AND', 'é', 'a"b'];
const NUMERIC = ['5', '5.0', '05', '-3', '1e2', '100', '.5', '0.5', '-0'];
const OTHER = ['', ' 5', 'abc', 'ab', 'a%b', 'a_b', "it's", 'true', 'True', 'FALSE', '😀', 'x!y'];
const VALUES = [...NUMERIC, ...OTHER];

const name = fc.oneof({ arbitrary: fc.constantFrom('a', 'b'), weight: 4 }, { arbitrary: fc.constantFrom(...NAMES), weight: 1 });
const text = fc.oneof(
  { arbitrary: fc.constantFrom(...NUMERIC), weight: 3 },
  { arbitrary: fc.constantFrom(...OTHER), weight: 2 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
);
const numberValue = fc.oneof(fc.constantFrom(0, -0, 5, -3, 10, 100, 0.5, 1e21, 1e-7), fc.double({ noNaN: true, noDefaultInfinity: true }));

const header: fc.Arbitrary<HeaderOperand> = name.map((n) => ({ kind: 'header', name: n }));
const str: fc.Arbitrary<StringLiteral> = text.map((value) => ({ kind: 'string', value }));
const num: fc.Arbitrary<NumberLiteral> = numberValue.map((value) => ({ kind: 'number', value }));
const bool = fc.boolean().map((value) => ({ kind: 'boolean', value }) as Operand);
const anyOperand: fc.Arbitrary<Operand> = fc.oneof(header, header, str, num, bool);
const orderable = fc.oneof(header, num);

/** A LIKE pattern from pieces, escaped where the escape character needs it, so it is always valid. */
const likePattern = fc
  .record({
    escape: fc.option(fc.constantFrom('!', '\\', '%', 'a'), { nil: undefined }),
    pieces: fc.array(fc.constantFrom('%', '_', 'a', 'b', '!', '%lit', '_lit', "'", '😀'), { maxLength: 8 }),
  })
  .map(({ escape, pieces }) => {
    let pattern = '';
    for (const piece of pieces) {
      if (piece === '%lit' || piece === '_lit') pattern += escape === undefined ? piece[0] : escape + piece[0];
      else if (escape !== undefined && piece === escape) pattern += escape + escape;
      else pattern += piece;
    }
    return escape === undefined ? { pattern } : { pattern, escape };
  });

const leaf: fc.Arbitrary<SelectorExpression> = fc.oneof(
  fc.record({ kind: fc.constant('comparison'), operator: fc.constantFrom('=', '<>'), left: anyOperand, right: anyOperand }),
  fc.record({ kind: fc.constant('comparison'), operator: fc.constantFrom('=', '<>', '<', '>='), left: header, right: header }),
  fc.record({ kind: fc.constant('comparison'), operator: fc.constantFrom('<', '>', '<=', '>='), left: orderable, right: orderable }),
  fc.record({ kind: fc.constant('between'), negated: fc.boolean(), value: orderable, low: orderable, high: orderable }),
  fc.record({ kind: fc.constant('in'), negated: fc.boolean(), header: name, values: fc.array(fc.oneof(str, num), { minLength: 1, maxLength: 4 }) }),
  fc.tuple(name, fc.boolean(), likePattern).map(([h, negated, p]) => ({ kind: 'like', negated, header: h, ...p }) as SelectorExpression),
  fc.record({ kind: fc.constant('null-test'), negated: fc.boolean(), header: name }),
  fc.record({ kind: fc.constant('constant'), value: fc.boolean() }),
) as fc.Arbitrary<SelectorExpression>;

const { expr } = fc.letrec<{ expr: SelectorExpression }>((tie) => ({
  expr: fc.oneof(
    { depthIdentifier: 'selector', maxDepth: 4 },
    leaf,
    fc.record({ kind: fc.constant('and'), items: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('or'), items: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not'), operand: tie('expr') }),
  ) as fc.Arbitrary<SelectorExpression>,
}));

const message: fc.Arbitrary<SelectorMessage> = fc.record({
  destination: fc.constantFrom('/topic/a', '5', 'abc'),
  contentType: fc.option(fc.constantFrom(...VALUES), { nil: undefined }),
  messageId: fc.constantFrom('m-1', '7'),
  headers: fc.array(fc.tuple(name, text), { maxLength: 6 }),
});

describe('selectors against the reference evaluator', () => {
  it('parses a printed tree back to the same tree', () => {
    fc.assert(
      fc.property(expr, (e) => {
        expect(parseSelector(printSelector(e), WIDE)).toEqual(e);
      }),
      RUNS,
    );
  });

  it('evaluates every printed tree as the reference does, on any headers', () => {
    fc.assert(
      fc.property(expr, fc.array(message, { minLength: 1, maxLength: 5 }), (e, messages) => {
        const selector = compileSelector(printSelector(e), WIDE);
        for (const m of messages) {
          const want = referenceEvaluate(e, m);
          expect(selector.evaluate(m)).toBe(want === null ? 'UNKNOWN' : want ? 'TRUE' : 'FALSE');
          expect(selector.matches(m)).toBe(want === true);
        }
      }),
      RUNS,
    );
  });

  it('evaluates every single condition as the reference does', () => {
    fc.assert(
      fc.property(leaf, fc.array(message, { minLength: 4, maxLength: 8 }), (e, messages) => {
        const selector = compileSelector(printSelector(e), WIDE);
        for (const m of messages) {
          const want = referenceEvaluate(e, m);
          expect(selector.evaluate(m)).toBe(want === null ? 'UNKNOWN' : want ? 'TRUE' : 'FALSE');
        }
      }),
      { numRuns: RUNS.numRuns * 4 },
    );
  });

  it('either compiles any text or refuses it with STOMP_ERR_INVALID_SELECTOR at an offset inside it', () => {
    const soup = fc
      .array(fc.oneof(fc.constantFrom('a', ' ', '(', ')', '=', '<', '>', "'", '"', ',', '-', '.', '5', 'e', '%', '_', '!', 'NOT ', 'AND ', 'OR ', 'IN ', 'IS ', 'NULL ', 'LIKE ', 'BETWEEN ', 'ESCAPE ', 'TRUE '), fc.string({ maxLength: 3 })), { maxLength: 30 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(soup, message, (t, m) => {
        let selector;
        try {
          selector = compileSelector(t);
        } catch (err) {
          if (!isStompError(err, 'STOMP_ERR_INVALID_SELECTOR')) throw err;
          const offset = Number(/ at offset (\d+),/.exec(err.message)?.[1]);
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThanOrEqual(t.length);
          return;
        }
        expect(['TRUE', 'FALSE', 'UNKNOWN']).toContain(selector.evaluate(m));
        expect(parseSelector(printSelector(selector.ast))).toEqual(selector.ast);
      }),
      { numRuns: RUNS.numRuns * 4 },
    );
  });

  it('matches LIKE patterns as the reference does, past one word of states too', () => {
    const alphabet = fc.constantFrom('a', 'b', '😀');
    const pattern = fc.array(fc.oneof(alphabet, fc.constantFrom('%', '_')), { maxLength: 80 }).map((p) => p.join(''));
    const value = fc.array(alphabet, { maxLength: 90 }).map((v) => v.join(''));
    fc.assert(
      fc.property(pattern, fc.array(value, { minLength: 1, maxLength: 4 }), (p, values) => {
        const compiled = new LikePattern(p);
        for (const v of values) expect([p, v, compiled.matches(v)]).toEqual([p, v, referenceLike(p, v)]);
      }),
      RUNS,
    );
  });

  it('reads numbers in header values as the reference does', () => {
    const numberish = fc.array(fc.constantFrom('0', '1', '9', '.', '+', '-', 'e', 'E', ' ', 'x'), { maxLength: 8 }).map((c) => c.join(''));
    fc.assert(
      fc.property(numberish, (t) => {
        expect(numericValue(t)).toBe(referenceNumber(t));
      }),
      { numRuns: RUNS.numRuns * 4 },
    );
  });
});
