import { invalidOption, refuseUnknown } from '../option-kit';
import { DestinationPattern } from '../destinations/destination-pattern';

/** What a full queue does with one more message: drop its oldest waiting one, or refuse the SEND (`STOMP_ERR_QUEUE_FULL`). */
export type OverflowPolicy = 'drop-oldest' | 'reject';

/** What happens to a message whose `expires` / `expiration` passed before it was delivered. */
export type ExpiredPolicy = 'drop' | 'dead-letter';

/**
 * One queue rule (the `queues` option, SPEC §6.2): destinations matching `destinations` are
 * queues, each message to exactly one subscriber, kept until acknowledged.
 *
 * @example
 * { destinations: '/queue/**', maxRedeliveries: 3, deadLetter: '/queue/DLQ.{name}' }
 */
export interface QueueRule {
  /** A destination pattern (`*`, `**`, `{var}`); the first rule that matches a destination applies. */
  destinations: string;
  /** Most messages waiting in one queue (in flight ones not counted). @defaultValue `10000` */
  maxMessages?: number;
  /**
   * Redeliveries a message gets; the delivery after the last one that is NACKed or lost moves it
   * to `deadLetter` (dropped, counted, without one). 0: the first NACK moves it.
   * @defaultValue `20` (RabbitMQ's quorum queue delivery limit)
   */
  maxRedeliveries?: number;
  /**
   * The dead-letter destination: a template where `{name}` is the part of the destination after
   * the pattern's literal prefix (`/queue/**` and `/queue/a.b` give `a.b`), `{destination}` the
   * whole destination, and `{var}` a variable of the pattern. @defaultValue none: dropped, counted
   */
  deadLetter?: string;
  /** A full queue (`maxMessages`, or the server's `queueBytes`): `drop-oldest` (counted) or `reject`. @defaultValue `'drop-oldest'` */
  overflow?: OverflowPolicy;
  /** An expired message: `drop` (counted) or `dead-letter` (to `deadLetter`). @defaultValue `'drop'` */
  expired?: ExpiredPolicy;
}

/** A rule compiled: what the engine applies to every queue it matches. */
export interface QueuePolicy {
  readonly maxMessages: number;
  readonly maxRedeliveries: number;
  readonly overflow: OverflowPolicy;
  readonly expired: ExpiredPolicy;
  /** The dead-letter destination of `destination` (a queue of this policy); undefined: none. */
  deadLetterOf(destination: string): string | undefined;
}

export const QUEUE_RULE_DEFAULTS = Object.freeze({ maxMessages: 10000, maxRedeliveries: 20, overflow: 'drop-oldest' as OverflowPolicy, expired: 'drop' as ExpiredPolicy });

const RULE_KEYS: ReadonlySet<string> = new Set(['destinations', 'maxMessages', 'maxRedeliveries', 'deadLetter', 'overflow', 'expired']);
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Most destinations whose rule lookup is remembered; past it the memo starts over. */
const RULE_CACHE_SIZE = 10_000;

/**
 * Validates the `queues` option and freezes a copy.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the rule and field at fault
 */
export function validateQueues(value: unknown): readonly Readonly<QueueRule>[] {
  if (!Array.isArray(value)) fail('queues', 'an array of { destinations, maxMessages, maxRedeliveries, deadLetter, overflow, expired } rules', value);
  return Object.freeze(value.map((rule: unknown, i: number) => Object.freeze(validateRule(rule, `queues[${i}]`))));
}

function validateRule(rule: unknown, name: string): QueueRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) fail(name, 'an object { destinations, ... }', rule);
  const r = rule as Record<string, unknown>;
  refuseUnknown(r, RULE_KEYS, '', `${name}.`);
  if (typeof r.destinations !== 'string') fail(`${name}.destinations`, 'a destination pattern', r.destinations);
  let pattern: DestinationPattern;
  try {
    pattern = new DestinationPattern(r.destinations);
  } catch (err) {
    fail(`${name}.destinations`, `a valid destination pattern (${(err as Error).message})`, r.destinations);
  }
  const out: QueueRule = { destinations: r.destinations };
  if (r.maxMessages !== undefined) out.maxMessages = integer(`${name}.maxMessages`, r.maxMessages, 1);
  if (r.maxRedeliveries !== undefined) out.maxRedeliveries = integer(`${name}.maxRedeliveries`, r.maxRedeliveries, 0);
  if (r.overflow !== undefined) out.overflow = oneOf(`${name}.overflow`, r.overflow, ['drop-oldest', 'reject'] as const);
  if (r.expired !== undefined) out.expired = oneOf(`${name}.expired`, r.expired, ['drop', 'dead-letter'] as const);
  if (r.deadLetter !== undefined) {
    const t = r.deadLetter;
    if (typeof t !== 'string' || !t.startsWith('/') || /[\r\n\0]/.test(t)) fail(`${name}.deadLetter`, 'a destination template starting with "/"', t);
    for (const [, v] of t.matchAll(PLACEHOLDER)) {
      if (v !== 'name' && v !== 'destination' && !pattern.variables.includes(v)) {
        fail(`${name}.deadLetter`, `a template whose placeholders are {name}, {destination} or variables of "${r.destinations}" (found {${v}})`, t);
      }
    }
    out.deadLetter = t;
  }
  if (out.expired === 'dead-letter' && out.deadLetter === undefined) fail(`${name}.expired`, '"drop" when the rule has no deadLetter', out.expired);
  return out;
}

/**
 * The rules compiled, and which applies to a destination: the first that matches, remembered
 * per destination (up to 10,000), so a publish to a queue costs one map read after the first.
 */
export class QueueRules {
  private readonly compiled: readonly { pattern: DestinationPattern; policy: QueuePolicy }[];
  private readonly memo = new Map<string, QueuePolicy | null>();

  constructor(rules: readonly Readonly<QueueRule>[]) {
    this.compiled = rules.map((r) => {
      const pattern = new DestinationPattern(r.destinations);
      return { pattern, policy: compilePolicy(r, pattern) };
    });
  }

  /** True when some rule exists (without any, `/queue` fans out as Spring's simple broker does). */
  get active(): boolean {
    return this.compiled.length > 0;
  }

  /** The policy of the first rule matching `destination`, or undefined when it is not a queue. */
  policyFor(destination: string): QueuePolicy | undefined {
    const known = this.memo.get(destination);
    if (known !== undefined) return known ?? undefined;
    let found: QueuePolicy | null = null;
    for (const rule of this.compiled) {
      if (rule.pattern.test(destination)) {
        found = rule.policy;
        break;
      }
    }
    if (this.memo.size >= RULE_CACHE_SIZE) this.memo.clear();
    this.memo.set(destination, found);
    return found ?? undefined;
  }
}

function compilePolicy(r: Readonly<QueueRule>, pattern: DestinationPattern): QueuePolicy {
  const prefix = pattern.literalPrefix();
  const template = r.deadLetter;
  return Object.freeze({
    maxMessages: r.maxMessages ?? QUEUE_RULE_DEFAULTS.maxMessages,
    maxRedeliveries: r.maxRedeliveries ?? QUEUE_RULE_DEFAULTS.maxRedeliveries,
    overflow: r.overflow ?? QUEUE_RULE_DEFAULTS.overflow,
    expired: r.expired ?? QUEUE_RULE_DEFAULTS.expired,
    deadLetterOf(destination: string): string | undefined {
      if (template === undefined) return undefined;
      const vars = pattern.variables.length > 0 ? (pattern.match(destination) ?? {}) : {};
      const name = destination.length > prefix.length ? destination.slice(prefix.length + 1) : '';
      return template.replace(PLACEHOLDER, (_, v: string) => (v === 'name' ? name : v === 'destination' ? destination : (vars[v] ?? '')));
    },
  });
}

function integer(option: string, value: unknown, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min) fail(option, `an integer ≥ ${min}`, value);
  return value as number;
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(option, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}
