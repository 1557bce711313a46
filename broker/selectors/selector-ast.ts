import type { ComparisonOperator } from './tokens';

/**
 * The tree a selector compiles to. It holds no offsets, so a selector printed back
 * (`printSelector`) and parsed again gives an equal tree; it is plain data, frozen once built.
 */

/** A header of the message, by name: NULL when the message has no such header. */
export interface HeaderOperand {
  readonly kind: 'header';
  readonly name: string;
}

/** A string literal: compared as text, never as a number. */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

/** A number literal (a sign folded in): compared as a number. */
export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
}

/** `TRUE` or `FALSE` as a comparison operand. */
export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
}

/** What a comparison compares. */
export type Operand = HeaderOperand | StringLiteral | NumberLiteral | BooleanLiteral;

/** `a AND b AND …`, two or more conditions (a chain is one node, not a deep tree). */
export interface AndExpression {
  readonly kind: 'and';
  readonly items: readonly SelectorExpression[];
}

/** `a OR b OR …`, two or more conditions. */
export interface OrExpression {
  readonly kind: 'or';
  readonly items: readonly SelectorExpression[];
}

/** `NOT a`. */
export interface NotExpression {
  readonly kind: 'not';
  readonly operand: SelectorExpression;
}

/** `left <op> right`; `<`, `>`, `<=`, `>=` only ever have headers and numbers as operands. */
export interface ComparisonExpression {
  readonly kind: 'comparison';
  readonly operator: ComparisonOperator;
  readonly left: Operand;
  readonly right: Operand;
}

/** `value [NOT] BETWEEN low AND high`, headers and numbers only. */
export interface BetweenExpression {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly value: HeaderOperand | NumberLiteral;
  readonly low: HeaderOperand | NumberLiteral;
  readonly high: HeaderOperand | NumberLiteral;
}

/** `header [NOT] IN (v, …)`, one or more string or number literals. */
export interface InExpression {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly header: string;
  readonly values: readonly (StringLiteral | NumberLiteral)[];
}

/** `header [NOT] LIKE 'pattern' [ESCAPE 'c']`. */
export interface LikeExpression {
  readonly kind: 'like';
  readonly negated: boolean;
  readonly header: string;
  readonly pattern: string;
  readonly escape?: string;
}

/** `header IS [NOT] NULL`. */
export interface NullTestExpression {
  readonly kind: 'null-test';
  readonly negated: boolean;
  readonly header: string;
}

/** `TRUE` or `FALSE` as a whole condition (an empty selector is `TRUE`). */
export interface ConstantExpression {
  readonly kind: 'constant';
  readonly value: boolean;
}

/** A selector, or one of its conditions. */
export type SelectorExpression =
  | AndExpression
  | OrExpression
  | NotExpression
  | ComparisonExpression
  | BetweenExpression
  | InExpression
  | LikeExpression
  | NullTestExpression
  | ConstantExpression;
