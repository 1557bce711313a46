import { quote, selectorSyntaxError } from './selector-syntax-error';
import { KEYWORDS, type Token, type TokenKind } from './tokens';

const TAB = 0x09; // '\t'
const LF = 0x0a; // '\n'
const FF = 0x0c; // '\f'
const CR = 0x0d; // '\r'
const SPACE = 0x20; // ' '
const DQUOTE = 0x22; // '"'
const DOLLAR = 0x24; // '$'
const QUOTE = 0x27; // "'"
const LPAREN = 0x28; // '('
const RPAREN = 0x29; // ')'
const PLUS = 0x2b; // '+'
const COMMA = 0x2c; // ','
const MINUS = 0x2d; // '-'
const DOT = 0x2e; // '.'
const DIGIT_0 = 0x30; // '0'
const DIGIT_9 = 0x39; // '9'
const LT = 0x3c; // '<'
const EQ = 0x3d; // '='
const GT = 0x3e; // '>'
const UNDERSCORE = 0x5f; // '_'
const UPPER_E = 0x45; // 'E'
const LOWER_E = 0x65; // 'e'

// Beyond ASCII, identifiers take letters (and, after the first, digits and combining marks)
// as Java's isJavaIdentifierStart/Part mostly do: enough for header names in any script.
const UNICODE_START = /^\p{L}$/u;
const UNICODE_PART = /^[\p{L}\p{N}\p{Mn}\p{Mc}]$/u;

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === FF;
}

/** True for a code point that may start an unquoted header name: a letter, `_` or `$` (JMS: a Java identifier start). */
export function isIdentifierStart(cp: number): boolean {
  if (cp < 0x80) return isAsciiLetter(cp) || cp === UNDERSCORE || cp === DOLLAR;
  return UNICODE_START.test(String.fromCodePoint(cp));
}

/**
 * True for a code point that may continue an unquoted header name. Beyond JMS's Java
 * identifiers, `-` and `.` are allowed, since STOMP header names commonly hold them
 * (`content-type`, `x-priority`, `app.region`); this subset has no arithmetic, so `a-b` can
 * only be a name.
 */
export function isIdentifierPart(cp: number): boolean {
  if (cp < 0x80) return isAsciiLetter(cp) || isDigit(cp) || cp === UNDERSCORE || cp === DOLLAR || cp === MINUS || cp === DOT;
  return UNICODE_PART.test(String.fromCodePoint(cp));
}

/** True when `name` can be written unquoted: identifier characters only, and no keyword. */
export function isPlainIdentifier(name: string): boolean {
  if (name.length === 0 || KEYWORDS.has(name.toUpperCase())) return false;
  let first = true;
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (first ? !isIdentifierStart(cp) : !isIdentifierPart(cp)) return false;
    first = false;
  }
  return true;
}

/**
 * Splits selector text into tokens, one per {@link next} call, left to right; the parser
 * pulls them with one token of lookahead, so the first fault in the text is the one reported.
 *
 * - Strings are single-quoted, `''` stands for one quote (JMS, SQL-92).
 * - Header names are identifiers (see {@link isIdentifierPart}) or, for any other name,
 *   double-quoted as SQL-92 delimited identifiers (`"my header"`, `""` for a quote inside);
 *   a quoted name is never a keyword. Names are case-sensitive, as STOMP header names are.
 * - Numbers: digits with an optional fraction and exponent (`57`, `7.`, `.5`, `-57.9E2`); the
 *   sign is its own token, so `-5` and `- 5` are the same.
 * - A character no token starts with becomes an `invalid` token for the parser to report.
 *
 * Malformed strings and numbers throw `STOMP_ERR_INVALID_SELECTOR` here, with the offset.
 */
export class SelectorLexer {
  private pos = 0;

  constructor(private readonly text: string) {}

  /** The next token; `end` once the text is used up (and on every call after). */
  next(): Token {
    const text = this.text;
    while (this.pos < text.length && isWhitespace(text.charCodeAt(this.pos))) this.pos++;
    const start = this.pos;
    if (start >= text.length) return token('end', '', start, start);
    const c = text.charCodeAt(start);
    if (c === QUOTE) return this.quoted('string', QUOTE, "'");
    if (c === DQUOTE) return this.quoted('identifier', DQUOTE, '"');
    if (isDigit(c) || (c === DOT && isDigit(text.charCodeAt(start + 1)))) return this.number();
    if (c === LPAREN) return this.single('lparen', '(');
    if (c === RPAREN) return this.single('rparen', ')');
    if (c === COMMA) return this.single('comma', ',');
    if (c === PLUS) return this.single('sign', '+');
    if (c === MINUS) return this.single('sign', '-');
    if (c === EQ) return this.single('operator', '=');
    if (c === LT) {
      const n = text.charCodeAt(start + 1);
      if (n === GT) return this.pair('<>');
      if (n === EQ) return this.pair('<=');
      return this.single('operator', '<');
    }
    if (c === GT) return text.charCodeAt(start + 1) === EQ ? this.pair('>=') : this.single('operator', '>');
    const cp = text.codePointAt(start)!;
    if (isIdentifierStart(cp)) return this.word();
    const ch = String.fromCodePoint(cp);
    this.pos += ch.length;
    return token('invalid', ch, start, this.pos);
  }

  private single(kind: TokenKind, text: string): Token {
    this.pos++;
    return token(kind, text, this.pos - 1, this.pos);
  }

  private pair(op: string): Token {
    this.pos += 2;
    return token('operator', op, this.pos - 2, this.pos);
  }

  /** An unquoted identifier or a keyword. */
  private word(): Token {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    while (pos < text.length) {
      const cp = text.codePointAt(pos)!;
      if (!isIdentifierPart(cp)) break;
      pos += cp > 0xffff ? 2 : 1;
    }
    this.pos = pos;
    const word = text.slice(start, pos);
    const upper = word.toUpperCase();
    return KEYWORDS.has(upper) ? token('keyword', upper, start, pos) : token('identifier', word, start, pos);
  }

  /** A string literal or a delimited identifier: `close` doubled stands for itself. */
  private quoted(kind: 'string' | 'identifier', close: number, closeText: string): Token {
    const text = this.text;
    const start = this.pos;
    let value = '';
    let from = start + 1;
    let pos = from;
    for (;;) {
      const at = text.indexOf(closeText, pos);
      if (at < 0) {
        const what = kind === 'string' ? 'string' : 'quoted header name';
        throw selectorSyntaxError(quote(closeText), text.length, 'end', `the ${what} at offset ${start} is not closed`);
      }
      if (text.charCodeAt(at + 1) === close) {
        value += text.slice(from, at + 1);
        pos = from = at + 2;
        continue;
      }
      value += text.slice(from, at);
      this.pos = at + 1;
      break;
    }
    if (kind === 'identifier' && value.length === 0) {
      throw selectorSyntaxError('a header name between the double quotes', start + 1, quote('"'));
    }
    return token(kind, value, start, this.pos);
  }

  /** A number: digits [. digits] [e [sign] digits], or . digits [exponent]. */
  private number(): Token {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    while (isDigit(text.charCodeAt(pos))) pos++;
    if (text.charCodeAt(pos) === DOT) {
      pos++;
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === LOWER_E || e === UPPER_E) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === PLUS || s === MINUS) pos++;
      const digits = pos;
      while (isDigit(text.charCodeAt(pos))) pos++;
      if (pos === digits) throw selectorSyntaxError('a digit of the exponent', pos, this.foundAt(pos));
    }
    if (pos < text.length && isIdentifierPart(text.codePointAt(pos)!)) {
      throw selectorSyntaxError('an operator or a space after the number', pos, this.foundAt(pos));
    }
    this.pos = pos;
    const source = text.slice(start, pos);
    const value = Number(source);
    if (!Number.isFinite(value)) {
      throw selectorSyntaxError('a number of at most 1.7976931348623157e308', start, `number ${quote(source)}`);
    }
    return { kind: 'number', text: source, number: value, offset: start, end: pos };
  }

  private foundAt(pos: number): string {
    if (pos >= this.text.length) return 'end';
    return quote(String.fromCodePoint(this.text.codePointAt(pos)!));
  }
}

function token(kind: TokenKind, text: string, offset: number, end: number): Token {
  return { kind, text, number: 0, offset, end };
}
