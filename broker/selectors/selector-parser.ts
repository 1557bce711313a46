import { StompError } from '../errors';
import { findBadEscape } from './like-pattern';
import type {
  HeaderOperand,
  NumberLiteral,
  Operand,
  SelectorExpression,
  StringLiteral,
} from './selector-ast';
import { SelectorLexer } from './selector-lexer';
import { checkSelectorLength, DEFAULT_SELECTOR_LIMITS, type SelectorLimits } from './selector-limits';
import { describeToken, quote, selectorSyntaxError } from './selector-syntax-error';
import type { ComparisonOperator, Keyword, Token } from './tokens';

const QUOTE = 0x27; // "'"
const CONDITION = 'a header name, a literal, NOT or "("';
const ORDERING_HINT = '<, >, <=, >= and BETWEEN compare numbers';
const ORDERING: ReadonlySet<string> = new Set(['<', '>', '<=', '>=']);
const TRUE_SELECTOR: SelectorExpression = Object.freeze({ kind: 'constant', value: true });

/**
 * Parses selector text into its tree, checking the limits first (length) and as it goes
 * (nesting). An empty or blank selector is `TRUE` (JMS: an empty selector means none).
 *
 * @throws StompError `STOMP_ERR_INVALID_SELECTOR` with the offset and what was expected
 */
export function parseSelector(text: string, limits: SelectorLimits = DEFAULT_SELECTOR_LIMITS): SelectorExpression {
  if (typeof text !== 'string') throw new StompError('STOMP_ERR_INVALID_SELECTOR', `Selector: expected a string, found ${typeof text}`);
  checkSelectorLength(text, limits.maxLength);
  return new SelectorParser(text, limits.maxDepth).parse();
}

/**
 * Recursive descent over this grammar (JMS 1.1 §3.8.1.1, no arithmetic), lowest precedence
 * first; the depth counter bounds the recursion, so no input within the limits can exhaust
 * the stack:
 *
 * ```
 * selector   = [ or ] end
 * or         = and { OR and }
 * and        = not { AND not }
 * not        = NOT not | primary
 * primary    = "(" or ")" | operand [ predicate ]      (no predicate: TRUE or FALSE only)
 * predicate  = cmp-op operand
 *            | [ NOT ] BETWEEN operand AND operand      (headers and numbers)
 *            | [ NOT ] IN "(" literal { "," literal } ")"   (header on the left)
 *            | [ NOT ] LIKE string [ ESCAPE string ]    (header on the left)
 *            | IS [ NOT ] NULL                          (header on the left)
 * operand    = header | string | [ "+" | "-" ] number | TRUE | FALSE
 * ```
 */
class SelectorParser {
  private readonly lexer: SelectorLexer;
  private tok: Token;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    this.lexer = new SelectorLexer(text);
    this.tok = this.lexer.next();
  }

  parse(): SelectorExpression {
    if (this.kind() === 'end') return TRUE_SELECTOR;
    const e = this.or();
    if (this.kind() !== 'end') throw this.fault('AND, OR or end');
    return e;
  }

  private or(): SelectorExpression {
    const first = this.and();
    if (!this.at('OR')) return first;
    const items = [first];
    while (this.at('OR')) {
      this.advance();
      items.push(this.and());
    }
    return Object.freeze({ kind: 'or', items: Object.freeze(items) });
  }

  private and(): SelectorExpression {
    const first = this.not();
    if (!this.at('AND')) return first;
    const items = [first];
    while (this.at('AND')) {
      this.advance();
      items.push(this.not());
    }
    return Object.freeze({ kind: 'and', items: Object.freeze(items) });
  }

  private not(): SelectorExpression {
    if (!this.at('NOT')) return this.primary();
    this.enter();
    this.advance();
    const operand = this.not();
    this.depth--;
    return Object.freeze({ kind: 'not', operand });
  }

  private primary(): SelectorExpression {
    if (this.kind() === 'lparen') {
      this.enter();
      this.advance();
      const e = this.or();
      if (this.kind() !== 'rparen') throw this.fault('AND, OR or ")"');
      this.advance();
      this.depth--;
      return e;
    }
    const offset = this.tok.offset;
    const left = this.operand(CONDITION);
    return this.predicate(left, offset);
  }

  private predicate(left: Operand, leftOffset: number): SelectorExpression {
    const t = this.tok;
    if (t.kind === 'operator') {
      this.advance();
      const rightOffset = this.tok.offset;
      const right = this.operand('a header name or a literal');
      const operator = t.text as ComparisonOperator;
      if (ORDERING.has(operator)) {
        orderable(left, leftOffset);
        orderable(right, rightOffset);
      }
      return Object.freeze({ kind: 'comparison', operator, left, right });
    }
    let negated = false;
    if (this.at('NOT')) {
      this.advance();
      negated = true;
      if (!this.at('BETWEEN') && !this.at('IN') && !this.at('LIKE')) throw this.fault('BETWEEN, IN or LIKE after NOT');
    }
    if (this.at('BETWEEN')) return this.between(orderable(left, leftOffset), negated);
    if (this.at('IN')) return this.in(headerOf(left, leftOffset, 'IN'), negated);
    if (this.at('LIKE')) return this.like(headerOf(left, leftOffset, 'LIKE'), negated);
    if (this.at('IS')) return this.nullTest(headerOf(left, leftOffset, 'IS'));
    if (left.kind === 'boolean') return Object.freeze({ kind: 'constant', value: left.value });
    throw this.fault('a comparison operator, BETWEEN, IN, LIKE or IS');
  }

  private between(value: HeaderOperand | NumberLiteral, negated: boolean): SelectorExpression {
    this.advance();
    const lowOffset = this.tok.offset;
    const low = orderable(this.operand('a header name or a number'), lowOffset);
    this.expect('AND', 'AND');
    const highOffset = this.tok.offset;
    const high = orderable(this.operand('a header name or a number'), highOffset);
    return Object.freeze({ kind: 'between', negated, value, low, high });
  }

  private in(header: string, negated: boolean): SelectorExpression {
    this.advance();
    if (this.kind() !== 'lparen') throw this.fault('"(" after IN');
    this.advance();
    const values: (StringLiteral | NumberLiteral)[] = [];
    for (;;) {
      const offset = this.tok.offset;
      const value = this.operand('a string or a number');
      if (value.kind !== 'string' && value.kind !== 'number') {
        throw selectorSyntaxError('a string or a number', offset, describeOperand(value));
      }
      values.push(value);
      if (this.kind() === 'rparen') break;
      if (this.kind() !== 'comma') throw this.fault('"," or ")"');
      this.advance();
    }
    this.advance();
    return Object.freeze({ kind: 'in', negated, header, values: Object.freeze(values) });
  }

  private like(header: string, negated: boolean): SelectorExpression {
    this.advance();
    const patternToken = this.tok;
    if (patternToken.kind !== 'string') throw this.fault('a string pattern after LIKE');
    this.advance();
    const pattern = patternToken.text;
    if (!this.at('ESCAPE')) return Object.freeze({ kind: 'like', negated, header, pattern });
    this.advance();
    const e = this.tok;
    if (e.kind !== 'string' || e.text.length === 0 || [...e.text].length !== 1) {
      throw this.fault('a string of one character after ESCAPE');
    }
    this.advance();
    const bad = findBadEscape(pattern, e.text);
    if (bad >= 0) {
      const after = bad + e.text.length;
      const found = after >= pattern.length ? 'the end of the pattern' : quote(String.fromCodePoint(pattern.codePointAt(after)!));
      throw selectorSyntaxError(`"%", "_" or ${quote(e.text)} after the escape character`, sourceOffset(this.text, patternToken, after), found);
    }
    return Object.freeze({ kind: 'like', negated, header, pattern, escape: e.text });
  }

  private nullTest(header: string): SelectorExpression {
    this.advance();
    let negated = false;
    if (this.at('NOT')) {
      this.advance();
      negated = true;
    }
    this.expect('NULL', negated ? 'NULL' : 'NOT or NULL');
    return Object.freeze({ kind: 'null-test', negated, header });
  }

  private operand(expected: string): Operand {
    const t = this.tok;
    switch (t.kind) {
      case 'identifier':
        this.advance();
        return Object.freeze({ kind: 'header', name: t.text });
      case 'string':
        this.advance();
        return Object.freeze({ kind: 'string', value: t.text });
      case 'number':
        this.advance();
        return Object.freeze({ kind: 'number', value: t.number });
      case 'sign': {
        this.advance();
        const n = this.tok;
        if (n.kind !== 'number') throw this.fault(`a number after "${t.text}"`);
        this.advance();
        return Object.freeze({ kind: 'number', value: t.text === '-' ? -n.number : n.number });
      }
      case 'keyword':
        if (t.text === 'TRUE' || t.text === 'FALSE') {
          this.advance();
          return Object.freeze({ kind: 'boolean', value: t.text === 'TRUE' });
        }
        if (t.text === 'NULL') throw this.fault(expected, 'a missing header is tested with IS NULL');
        break;
      default:
        break;
    }
    throw this.fault(expected);
  }

  /** The lookahead's kind (a method, so the compiler does not narrow it across {@link advance}). */
  private kind(): Token['kind'] {
    return this.tok.kind;
  }

  private at(keyword: Keyword): boolean {
    return this.kind() === 'keyword' && this.tok.text === keyword;
  }

  private expect(keyword: Keyword, expected: string): void {
    if (!this.at(keyword)) throw this.fault(expected);
    this.advance();
  }

  private advance(): void {
    this.tok = this.lexer.next();
  }

  /** One more level of parentheses or NOT, refused past the limit before the parser recurses. */
  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw selectorSyntaxError(`at most ${this.maxDepth} levels of parentheses and NOT`, this.tok.offset, `level ${this.depth}`);
    }
  }

  private fault(expected: string, hint?: string): StompError {
    return selectorSyntaxError(expected, this.tok.offset, describeToken(this.tok), hint);
  }
}

/** `op` when it is a header or a number, which is all `<`, `>`, `<=`, `>=` and BETWEEN take (JMS: strings and booleans compare with = and <> only). */
function orderable(op: Operand, offset: number): HeaderOperand | NumberLiteral {
  if (op.kind === 'header' || op.kind === 'number') return op;
  throw selectorSyntaxError('a header name or a number', offset, describeOperand(op), ORDERING_HINT);
}

/** The header name of `op`; IN, LIKE and IS test a header (JMS: an identifier). */
function headerOf(op: Operand, offset: number, what: string): string {
  if (op.kind === 'header') return op.name;
  throw selectorSyntaxError(`a header name before ${what}`, offset, describeOperand(op));
}

function describeOperand(op: Operand): string {
  switch (op.kind) {
    case 'header':
      return `header name ${quote(op.name)}`;
    case 'string':
      return `string ${quote(op.value)}`;
    case 'number':
      return `number ${op.value}`;
    default:
      return op.value ? '"TRUE"' : '"FALSE"';
  }
}

/** The offset in the selector text of index `index` of a string literal's value (`''` is one character of the value). */
function sourceOffset(text: string, token: Token, index: number): number {
  let at = token.offset + 1;
  for (let i = 0; i < index; i++) at += text.charCodeAt(at) === QUOTE ? 2 : 1;
  return at;
}
