import { StompError } from '../errors';
import { DestinationPattern } from '../destinations/destination-pattern';
import type { MessageHandler, SubscribeHandler } from './message-context';

/** SEND mappings (`@MessageMapping`, `onMessage`) or SUBSCRIBE mappings (`@SubscribeMapping`, `onSubscribe`). */
export type MappingKind = 'message' | 'subscribe';

/** Any schema object with zod's `safeParse` (zod, valibot adapters, hand-written checks). */
export interface PayloadSchema<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: unknown };
}

/** Where a handler's return value goes, and how its payload is validated. */
export interface ReplyOptions {
  /** Validates (and may transform) the decoded payload before the handler runs; a failure is a handler error. */
  schema?: PayloadSchema;
  /** `@SendTo`: destinations for the return value; `{var}` filled from destination variables. */
  sendTo?: string[];
  /** `@SendToUser`: user destination (e.g. `/queue/reply`) for the return value. */
  sendToUser?: string;
  /** With `sendToUser`: false sends to the calling session only. @defaultValue true */
  broadcast?: boolean;
}

export interface Mapping extends ReplyOptions {
  readonly kind: MappingKind;
  readonly pattern: DestinationPattern;
  readonly handler: MessageHandler | SubscribeHandler;
  /** Name for errors and logs (`Controller.method` or the pattern). */
  readonly name: string;
  /** `@MessageExceptionHandler`s of the controller the mapping belongs to. */
  readonly exceptionHandlers?: readonly ExceptionHandlerMapping[];
}

/** An exception handler (`@MessageExceptionHandler`, controller advice or `onException`). */
export interface ExceptionHandlerMapping extends ReplyOptions {
  /** Error classes handled; empty handles every error. */
  readonly types: readonly (abstract new (...args: any[]) => unknown)[];
  readonly handler: (error: unknown, ctx: import('./message-context').MessageContext) => unknown;
  readonly name: string;
}

/** A mapping that matched, with its destination variables. */
export interface MatchedMapping {
  readonly mapping: Mapping;
  readonly params: Record<string, string>;
}

/**
 * Every handler mapping, from decorators and from the functional API alike. Literal
 * destinations are found with one map lookup; patterns are tried most specific first.
 */
export class HandlerRegistry {
  // One literal map per kind, keyed by the destination itself: a lookup hashes the frame's own
  // destination string (V8 keeps the hash on the string for the broker's lookups after it).
  private readonly literal: Record<MappingKind, Map<string, Mapping>> = { message: new Map(), subscribe: new Map() };
  private readonly patterns: Mapping[] = [];
  /** Pattern mappings per kind, so a kind with none skips the loop. */
  private readonly patternCount: Record<MappingKind, number> = { message: 0, subscribe: 0 };

  /**
   * Adds a mapping.
   * @throws StompError `STOMP_ERR_INVALID_OPTION` when the same pattern is already mapped for the kind, naming both
   */
  add(
    kind: MappingKind,
    source: string,
    handler: MessageHandler | SubscribeHandler,
    options: ReplyOptions & { name?: string; exceptionHandlers?: readonly ExceptionHandlerMapping[] } = {},
  ): Mapping {
    if (typeof handler !== 'function') {
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Handler for "${source}" must be a function; received ${typeof handler}`);
    }
    const pattern = new DestinationPattern(source, { code: 'STOMP_ERR_INVALID_OPTION', what: 'Mapping', captures: true });
    const mapping: Mapping = { kind, pattern, handler, name: options.name ?? source, exceptionHandlers: options.exceptionHandlers, ...pick(options) };
    const existing = this.find(kind, source, true);
    if (existing !== undefined) {
      throw new StompError(
        'STOMP_ERR_INVALID_OPTION',
        `Mapping "${source}" (${mapping.name}) duplicates "${existing.pattern.source}" (${existing.name})`,
      );
    }
    const rival = this.patterns.find((m) => m.kind === kind && m.pattern.specificity === pattern.specificity && pattern.overlaps(m.pattern));
    if (rival !== undefined && !pattern.literal) {
      throw new StompError(
        'STOMP_ERR_INVALID_OPTION',
        `Mapping "${source}" (${mapping.name}) is ambiguous with "${rival.pattern.source}" (${rival.name}): both match some destination equally well`,
      );
    }
    if (pattern.literal) this.literal[kind].set(source, mapping);
    else {
      this.patterns.push(mapping);
      this.patternCount[kind]++;
      this.patterns.sort((a, b) => a.pattern.specificity - b.pattern.specificity);
    }
    return mapping;
  }

  /** The mapping for a destination, or undefined. */
  match(kind: MappingKind, destination: string): MatchedMapping | undefined {
    const exact = this.literal[kind].get(destination);
    if (exact !== undefined) return { mapping: exact, params: {} };
    if (this.patternCount[kind] === 0) return undefined;
    for (const mapping of this.patterns) {
      if (mapping.kind !== kind) continue;
      const params = mapping.pattern.match(destination);
      if (params !== undefined) return { mapping, params };
    }
    return undefined;
  }

  /** Global exception handlers (controller advice), tried after a controller's own. */
  readonly exceptionHandlers: ExceptionHandlerMapping[] = [];

  /** Adds a global exception handler. */
  addExceptionHandler(handler: ExceptionHandlerMapping): void {
    if (typeof handler.handler !== 'function') {
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Exception handler ${handler.name} must be a function; received ${typeof handler.handler}`);
    }
    this.exceptionHandlers.push(handler);
  }

  /** Every mapping (for listings and ambiguity checks). */
  all(): Mapping[] {
    return [...this.literal.message.values(), ...this.literal.subscribe.values(), ...this.patterns];
  }

  private find(kind: MappingKind, source: string, samePattern: boolean): Mapping | undefined {
    if (samePattern) return this.literal[kind].get(source) ?? this.patterns.find((m) => m.kind === kind && m.pattern.source === source);
    return undefined;
  }
}

function pick(o: ReplyOptions): ReplyOptions {
  const out: ReplyOptions = {};
  if (o.sendTo !== undefined) out.sendTo = o.sendTo;
  if (o.sendToUser !== undefined) out.sendToUser = o.sendToUser;
  if (o.broadcast !== undefined) out.broadcast = o.broadcast;
  if (o.schema !== undefined) {
    if (typeof o.schema?.safeParse !== 'function') throw new StompError('STOMP_ERR_INVALID_OPTION', 'Option "schema" must have a safeParse(value) method');
    out.schema = o.schema;
  }
  return out;
}
