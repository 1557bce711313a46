import { invalidOption, refuseUnknown } from '../option-kit';
import { DestinationPattern } from '../destinations/destination-pattern';
import type { RetentionLimits } from './message-store';

/**
 * One retention rule (the `retention` option): the last `messages` of each destination
 * matching `destinations` are kept, each for at most `maxAge` ms.
 *
 * @example
 * { destinations: '/topic/**', messages: 100, maxAge: 5 * 60_000 }
 */
export interface RetentionRule {
  /** A destination pattern (`*`, `**`, `{var}`); the first rule that matches a destination applies. */
  destinations: string;
  /** How many of a destination's newest messages are kept (an integer ≥ 1). */
  messages: number;
  /** How long a message is kept, ms (an integer ≥ 1). @defaultValue no age limit */
  maxAge?: number;
}

/** Most destinations whose rule lookup is remembered; past it the memo starts over. */
export const RULE_CACHE_SIZE = 10_000;

/** The fields of a retention rule. */
const RULE_KEYS: ReadonlySet<string> = new Set(['destinations', 'messages', 'maxAge']);

/**
 * Validates the `retention` option and freezes a copy.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the rule and field at fault
 */
export function validateRetention(value: unknown): readonly Readonly<RetentionRule>[] {
  if (!Array.isArray(value)) fail('retention', 'an array of { destinations, messages, maxAge } rules', value);
  return Object.freeze(
    value.map((rule: unknown, i: number) => {
      const name = `retention[${i}]`;
      if (typeof rule !== 'object' || rule === null) fail(name, 'an object { destinations, messages, maxAge }', rule);
      refuseUnknown(rule, RULE_KEYS, '', `${name}.`);
      const { destinations, messages, maxAge } = rule as Record<string, unknown>;
      if (typeof destinations !== 'string') fail(`${name}.destinations`, 'a destination pattern', destinations);
      try {
        new DestinationPattern(destinations);
      } catch (err) {
        fail(`${name}.destinations`, `a valid destination pattern (${(err as Error).message})`, destinations);
      }
      if (!Number.isInteger(messages) || (messages as number) < 1) fail(`${name}.messages`, 'an integer ≥ 1', messages);
      if (maxAge !== undefined && (!Number.isInteger(maxAge) || (maxAge as number) < 1)) fail(`${name}.maxAge`, 'an integer ≥ 1 (ms)', maxAge);
      return Object.freeze({ destinations, messages: messages as number, ...(maxAge === undefined ? {} : { maxAge: maxAge as number }) });
    }),
  );
}

/**
 * The rules compiled, and which applies to a destination: the first that matches. A lookup
 * scans the rules once per destination; the answer is remembered (up to
 * {@link RULE_CACHE_SIZE} destinations), so a publish to a retained destination costs one map
 * read after the first.
 */
export class RetentionRules {
  private readonly compiled: readonly { pattern: DestinationPattern; limits: RetentionLimits }[];
  private readonly memo = new Map<string, RetentionLimits | null>();

  constructor(rules: readonly Readonly<RetentionRule>[]) {
    this.compiled = rules.map((r) => ({
      pattern: new DestinationPattern(r.destinations),
      limits: Object.freeze({ messages: r.messages, maxAge: r.maxAge ?? Number.POSITIVE_INFINITY }),
    }));
  }

  /** True when some rule exists (without any, publishing pays nothing at all). */
  get active(): boolean {
    return this.compiled.length > 0;
  }

  /** The limits of the first rule matching `destination`, or undefined when none retains it. */
  limitsFor(destination: string): RetentionLimits | undefined {
    const known = this.memo.get(destination);
    if (known !== undefined) return known ?? undefined;
    let found: RetentionLimits | null = null;
    for (const rule of this.compiled) {
      if (rule.pattern.test(destination)) {
        found = rule.limits;
        break;
      }
    }
    if (this.memo.size >= RULE_CACHE_SIZE) this.memo.clear();
    this.memo.set(destination, found);
    return found ?? undefined;
  }
}

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}
