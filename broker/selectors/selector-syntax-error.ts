import { StompError } from '../errors';
import type { Token } from './tokens';

/** Client text quoted in an error is cut to this many characters: the ERROR frame names the fault, it does not echo the selector. */
const QUOTE_LIMIT = 32;

/** A piece of client text, JSON-quoted (control characters escaped) and cut to {@link QUOTE_LIMIT}. */
export function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text);
}

/** How an error names a token it found: `end`, `"AND"`, `header name "x"`, `string "a"`, `number 5`. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end';
    case 'identifier':
      return `header name ${quote(token.text)}`;
    case 'string':
      return `string ${quote(token.text)}`;
    case 'number':
      return `number ${token.text.length > QUOTE_LIMIT ? quote(token.text) : token.text}`;
    default:
      return quote(token.text);
  }
}

/**
 * The error of an invalid selector: `Selector: expected AND, OR or ")" at offset 17, found end`. The
 * offset is a 0-based index into the selector text, so a client can point at the fault.
 */
export function selectorSyntaxError(expected: string, offset: number, found: string, hint?: string): StompError {
  const tail = hint === undefined ? '' : ` (${hint})`;
  return new StompError('STOMP_ERR_INVALID_SELECTOR', `Selector: expected ${expected} at offset ${offset}, found ${found}${tail}`);
}
