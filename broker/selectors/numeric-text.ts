const PLUS = 0x2b; // '+'
const MINUS = 0x2d; // '-'
const DOT = 0x2e; // '.'
const LOWER_E = 0x65; // 'e'
const UPPER_E = 0x45; // 'E'

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The number a header value spells, or undefined when it spells none: an optional sign,
 * digits with an optional fraction, an optional exponent (`42`, `-7`, `+3.5`, `.5`, `7.`,
 * `1e3`), nothing else (no spaces, no hex, no `Infinity`), and finite. One pass, no
 * allocation, no regex: header values reach 8 KiB and arrive from any client.
 */
export function numericValue(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === PLUS || c === MINUS) c = text.charCodeAt(++i);
  let digits = 0;
  while (isDigit(c)) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (c === DOT) {
    c = text.charCodeAt(++i);
    while (isDigit(c)) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return undefined;
  if (c === LOWER_E || c === UPPER_E) {
    c = text.charCodeAt(++i);
    if (c === PLUS || c === MINUS) c = text.charCodeAt(++i);
    const from = i;
    while (isDigit(c)) c = text.charCodeAt(++i);
    if (i === from) return undefined;
  }
  if (i !== n) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** `true` or `false` for a header value that spells one, in any case (as Java's Boolean.valueOf reads it); otherwise undefined. */
export function booleanValue(text: string): boolean | undefined {
  if (text.length === 4) {
    if (text === 'true' || text.toLowerCase() === 'true') return true;
  } else if (text.length === 5) {
    if (text === 'false' || text.toLowerCase() === 'false') return false;
  }
  return undefined;
}
