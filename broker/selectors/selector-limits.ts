import { StompError } from '../errors';
import { selectorSyntaxError } from './selector-syntax-error';

/** Bounds on one selector, checked before and while it is parsed (SPEC §6.2). */
export interface SelectorLimits {
  /**
   * Longest selector text, in UTF-8 bytes; longer is `STOMP_ERR_INVALID_SELECTOR`. At most
   * 65536. @defaultValue `4096`
   */
  readonly maxLength: number;
  /**
   * Deepest nesting of parentheses and `NOT` (each open parenthesis or `NOT` is one level; a
   * chain `a AND b AND c` is not nesting); deeper is `STOMP_ERR_INVALID_SELECTOR`. At most
   * 1000, which keeps the parser's recursion far inside Node's stack. @defaultValue `100`
   */
  readonly maxDepth: number;
}

/** The limits a selector gets when none are given. */
export const DEFAULT_SELECTOR_LIMITS: SelectorLimits = Object.freeze({ maxLength: 4096, maxDepth: 100 });

const CAPS: SelectorLimits = { maxLength: 65536, maxDepth: 1000 };

/**
 * The defaults with `limits` laid over them, validated and frozen.
 *
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the limit, when one is not an integer from 1 to its cap
 */
export function resolveSelectorLimits(limits: Partial<SelectorLimits> = {}): SelectorLimits {
  if (limits === DEFAULT_SELECTOR_LIMITS) return DEFAULT_SELECTOR_LIMITS;
  const resolved = { ...DEFAULT_SELECTOR_LIMITS, ...limits };
  for (const name of ['maxLength', 'maxDepth'] as const) {
    const value: unknown = resolved[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > CAPS[name]) {
      throw new StompError(
        'STOMP_ERR_INVALID_OPTION',
        `Selector limit "${name}" must be an integer from 1 to ${CAPS[name]}; received ${JSON.stringify(value)}`,
      );
    }
  }
  return Object.freeze(resolved);
}

/**
 * Throws when `text` passes `max` UTF-8 bytes, naming the offset of the first character past
 * it; counted without encoding the text.
 *
 * @throws StompError `STOMP_ERR_INVALID_SELECTOR`
 */
export function checkSelectorLength(text: string, max: number): void {
  if (text.length <= max >>> 2) return; // at most 4 bytes per UTF-16 unit (3 for a lone one)
  let bytes = 0;
  let over = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const start = i;
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (over < 0 && bytes > max) over = start;
  }
  if (over >= 0) throw selectorSyntaxError(`at most ${max} bytes`, over, `${bytes} bytes`);
}
