/**
 * The tokens of a selector (JMS 1.1 §3.8.1.1 message selector syntax, the subset the README's
 * "Selectors" section lists). Tokens live only while a selector compiles; nothing here is
 * read on the delivery path.
 */

/** Reserved words, matched case-insensitively (JMS: "predefined selector literals and operator names are case insensitive"). */
export type Keyword = 'AND' | 'OR' | 'NOT' | 'BETWEEN' | 'IN' | 'LIKE' | 'ESCAPE' | 'IS' | 'NULL' | 'TRUE' | 'FALSE';

/** The comparison operators of JMS (`<>` is "not equal"; there is no `!=`). */
export type ComparisonOperator = '=' | '<>' | '<' | '>' | '<=' | '>=';

/** Every keyword, upper case: an unquoted identifier that spells one of these is that keyword. */
export const KEYWORDS: ReadonlySet<string> = new Set<Keyword>([
  'AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'TRUE', 'FALSE',
]);

/** What a token is. `invalid` is a character no token starts with; the parser reports it with what it expected. */
export type TokenKind =
  | 'identifier'
  | 'string'
  | 'number'
  | 'keyword'
  | 'operator'
  | 'sign'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'end'
  | 'invalid';

/** One token and where it sits in the selector text (offsets are string indices, 0-based). */
export interface Token {
  readonly kind: TokenKind;
  /**
   * The token's meaning: a header name (quotes removed), a string literal's value (`''`
   * undone), a keyword in upper case, an operator or sign as written, the source text of a
   * number, the character of an `invalid` token; empty at `end`.
   */
  readonly text: string;
  /** The value of a `number` token. */
  readonly number: number;
  /** Offset of the token's first character. */
  readonly offset: number;
  /** Offset just past the token's last character. */
  readonly end: number;
}
