import { LikePattern } from './like-pattern';
import { booleanValue, numericValue } from './numeric-text';
import type { BetweenExpression, ComparisonExpression, HeaderOperand, NumberLiteral, Operand, SelectorExpression } from './selector-ast';
import type { ComparisonOperator } from './tokens';

/**
 * What a selector reads of a message. The broker's BrokerMessage fits as it is: its
 * `destination`, `contentType` and `messageId` answer the header names `destination`,
 * `content-type` and `message-id`; any other name is looked up in `headers` (first wins,
 * STOMP 1.2).
 */
export interface SelectorMessage {
  readonly destination: string;
  readonly contentType: string | undefined;
  readonly messageId: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** A three-valued result (JMS 1.1 §3.8.1.2, SQL's UNKNOWN): numbers, so evaluation allocates nothing. */
export type Truth = 0 | 1 | 2;
export const FALSE: Truth = 0;
export const TRUE: Truth = 1;
/** The value of a condition on a missing header (NULL). */
export const UNKNOWN: Truth = 2;

/** One compiled condition. */
export type Evaluate = (message: SelectorMessage) => Truth;
type Read = (message: SelectorMessage) => string | undefined;

const NOT: readonly Truth[] = [TRUE, FALSE, UNKNOWN]; // JMS table 3-6
const always = (t: Truth): Evaluate => () => t;
const truth = (b: boolean): Truth => (b ? TRUE : FALSE);

const ORDER: Readonly<Record<ComparisonOperator, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '<>': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
};
/** `a op b` is `b MIRROR[op] a`. */
const MIRROR: Readonly<Record<ComparisonOperator, ComparisonOperator>> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

/**
 * Turns a selector tree into a tree of closures, once: matching a message then calls one
 * closure per node and allocates nothing (no `eval`, no `Function`). The semantics, as the
 * README's "Selectors" section states them:
 * - a missing header is NULL; a comparison, BETWEEN, IN or LIKE on NULL is UNKNOWN; AND, OR
 *   and NOT follow JMS's three-valued tables; IS [NOT] NULL is never UNKNOWN;
 * - header values are text: two headers compare as numbers when both spell numbers, else as
 *   text; a header against a number literal compares as numbers, and is FALSE when the
 *   header spells no number (JMS: unlike types compare false); against a string literal as
 *   text; against TRUE/FALSE when it spells `true`/`false` in any case, else FALSE;
 * - `<>` is NOT `=`; `<`, `>`, `<=`, `>=` compare numbers only (FALSE when a header spells no
 *   number); BETWEEN is `>= AND <=`, NOT BETWEEN is `< OR >` (JMS's definitions).
 */
export function compileExpression(e: SelectorExpression): Evaluate {
  switch (e.kind) {
    case 'and':
      return and(e.items.map(compileExpression));
    case 'or':
      return or(e.items.map(compileExpression));
    case 'not': {
      const inner = compileExpression(e.operand);
      return (m) => NOT[inner(m)];
    }
    case 'comparison':
      return comparison(e);
    case 'between':
      return compileExpression(expandBetween(e));
    case 'in': {
      const strings = e.values.flatMap((v) => (v.kind === 'string' ? [v.value] : []));
      const numbers = e.values.flatMap((v) => (v.kind === 'number' ? [v.value] : []));
      return membership(headerReader(e.header), strings, numbers, e.negated);
    }
    case 'like': {
      const read = headerReader(e.header);
      const pattern = new LikePattern(e.pattern, e.escape);
      const hit = e.negated ? FALSE : TRUE;
      const miss = e.negated ? TRUE : FALSE;
      return (m) => {
        const a = read(m);
        return a === undefined ? UNKNOWN : pattern.matches(a) ? hit : miss;
      };
    }
    case 'null-test': {
      const read = headerReader(e.header);
      const absent = e.negated ? FALSE : TRUE;
      const present = e.negated ? TRUE : FALSE;
      return (m) => (read(m) === undefined ? absent : present);
    }
    case 'constant':
      return always(truth(e.value));
  }
}

/** BETWEEN as JMS defines it, so it inherits the comparisons' NULL and type rules. */
export function expandBetween(e: BetweenExpression): SelectorExpression {
  const cmp = (operator: ComparisonOperator, right: Operand): ComparisonExpression => ({ kind: 'comparison', operator, left: e.value, right });
  return e.negated
    ? { kind: 'or', items: [cmp('<', e.low), cmp('>', e.high)] }
    : { kind: 'and', items: [cmp('>=', e.low), cmp('<=', e.high)] };
}

/** Reads one header of a message; the three names the broker keeps apart are fields. */
export function headerReader(name: string): Read {
  switch (name) {
    case 'destination':
      return (m) => m.destination;
    case 'content-type':
      return (m) => m.contentType;
    case 'message-id':
      return (m) => m.messageId;
    default:
      return (m) => {
        const headers = m.headers;
        for (let i = 0; i < headers.length; i++) if (headers[i][0] === name) return headers[i][1];
        return undefined;
      };
  }
}

function and(items: Evaluate[]): Evaluate {
  return (m) => {
    let result: Truth = TRUE;
    for (let i = 0; i < items.length; i++) {
      const t = items[i](m);
      if (t === FALSE) return FALSE;
      if (t === UNKNOWN) result = UNKNOWN;
    }
    return result;
  };
}

function or(items: Evaluate[]): Evaluate {
  return (m) => {
    let result: Truth = FALSE;
    for (let i = 0; i < items.length; i++) {
      const t = items[i](m);
      if (t === TRUE) return TRUE;
      if (t === UNKNOWN) result = UNKNOWN;
    }
    return result;
  };
}

function comparison(e: ComparisonExpression): Evaluate {
  if (e.operator === '<>') {
    const equal = comparison({ ...e, operator: '=' });
    return (m) => NOT[equal(m)];
  }
  let { left, right } = e;
  let operator: ComparisonOperator = e.operator;
  if (left.kind !== 'header' && right.kind === 'header') {
    [left, right] = [right, left];
    operator = MIRROR[operator];
  }
  if (left.kind !== 'header') return always(constantComparison(operator, left, right as Exclude<Operand, HeaderOperand>));
  const read = headerReader(left.name);
  const test = ORDER[operator];
  switch (right.kind) {
    case 'header':
      return operator === '=' ? equalHeaders(read, headerReader(right.name)) : orderHeaders(read, headerReader(right.name), test);
    case 'number': {
      const n = right.value;
      return (m) => {
        const a = read(m);
        if (a === undefined) return UNKNOWN;
        const x = numericValue(a);
        return x === undefined ? FALSE : truth(test(x, n));
      };
    }
    case 'string': {
      const s = right.value; // only `=` reaches here: the parser refuses strings in orderings
      return (m) => {
        const a = read(m);
        return a === undefined ? UNKNOWN : truth(a === s);
      };
    }
    case 'boolean': {
      const b = right.value;
      return (m) => {
        const a = read(m);
        if (a === undefined) return UNKNOWN;
        const x = booleanValue(a);
        return x === undefined ? FALSE : truth(x === b);
      };
    }
  }
}

/** Two headers: numbers when both spell one, else text. */
function equalHeaders(readA: Read, readB: Read): Evaluate {
  return (m) => {
    const a = readA(m);
    if (a === undefined) return UNKNOWN;
    const b = readB(m);
    if (b === undefined) return UNKNOWN;
    if (a === b) return TRUE;
    const x = numericValue(a);
    if (x === undefined) return FALSE;
    const y = numericValue(b);
    return y === undefined ? FALSE : truth(x === y);
  };
}

function orderHeaders(readA: Read, readB: Read, test: (a: number, b: number) => boolean): Evaluate {
  return (m) => {
    const a = readA(m);
    if (a === undefined) return UNKNOWN;
    const b = readB(m);
    if (b === undefined) return UNKNOWN;
    const x = numericValue(a);
    const y = x === undefined ? undefined : numericValue(b);
    return y === undefined ? FALSE : truth(test(x!, y));
  };
}

/** Two literals: like types compare, unlike types are FALSE (JMS §3.8.1.1). */
function constantComparison(operator: ComparisonOperator, left: Exclude<Operand, HeaderOperand>, right: Exclude<Operand, HeaderOperand>): Truth {
  if (left.kind !== right.kind) return FALSE;
  if (left.kind === 'number') return truth(ORDER[operator](left.value, (right as NumberLiteral).value));
  return truth(left.value === right.value); // strings and booleans reach here with `=` only
}

function membership(read: Read, strings: string[], numbers: number[], negated: boolean): Evaluate {
  const text = new Set(strings);
  const values = new Set(numbers); // a Set compares with SameValueZero: -0 finds 0
  const hit = negated ? FALSE : TRUE;
  const miss = negated ? TRUE : FALSE;
  return (m) => {
    const a = read(m);
    if (a === undefined) return UNKNOWN;
    if (text.has(a)) return hit;
    if (values.size === 0) return miss;
    const x = numericValue(a);
    return x !== undefined && values.has(x) ? hit : miss;
  };
}
