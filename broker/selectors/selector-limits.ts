import { StompError } from '../errors';

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
