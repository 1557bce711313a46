import { StompError, type ErrorCode } from '../errors';

/**
 * The segment syntax of destinations and destination patterns, the one grammar every part of
 * the broker uses (subscriptions, handler mappings, authorization rules, cluster globs).
 *
 * A destination is split on every `/` into segments (`/topic/a` is `''`, `'topic'`, `'a'`;
 * segments may be empty). In a pattern a whole segment may be a wildcard:
 * - `*` matches exactly one segment (any text, the empty one included);
 * - `{name}` matches one segment like `*` and captures it, percent-decoded, as `name`;
 * - `**` matches zero or more segments.
 * Anything else, `a*`, `pre{x}` or `{a/b}` included, is a literal segment compared as text.
 * A destination a client SENDs is never a pattern: its `*` or `{x}` segments are literals.
 */
export type SegmentKind = 'literal' | 'star' | 'variable' | 'globstar';

/** One segment of a parsed pattern: `text` is the literal text, the variable's name, `*` or `**`. */
export interface Segment {
  readonly kind: SegmentKind;
  readonly text: string;
}

/**
 * Fixed limits of the grammar. They bound what one pattern subscription may cost (a trie node
 * per segment) and keep every match and comparison of patterns small: matching is linear in
 * the destination's segments, and comparing two patterns is at most their product.
 */
export const DESTINATION_LIMITS = Object.freeze({
  /** Most segments of a destination a client SENDs to or SUBSCRIBEs to exactly. */
  maxSegments: 128,
  /** Most segments of a pattern (subscription, mapping, rule). */
  maxPatternSegments: 32,
  /** Most `**` segments of a pattern, after runs of them were collapsed into one. */
  maxGlobstars: 12,
});

const VARIABLE = /^\{([^/{}]*)\}$/;

/** The kind of one segment as a pattern reads it. */
export function segmentKind(segment: string): SegmentKind {
  if (segment === '*') return 'star';
  if (segment === '**') return 'globstar';
  return VARIABLE.test(segment) ? 'variable' : 'literal';
}

/** True when a subscription destination has a `*`, `**` or `{var}` segment. */
export function isPattern(destination: string): boolean {
  if (destination.indexOf('*') === -1 && destination.indexOf('{') === -1) return false;
  return destination.split('/').some((s) => segmentKind(s) !== 'literal');
}

/** Segments of `destination` beyond the first (`/a/b` has 2). */
export function segmentCount(destination: string): number {
  let n = 0;
  for (let i = destination.indexOf('/'); i !== -1; i = destination.indexOf('/', i + 1)) n++;
  return n;
}

/**
 * Refuses a destination with more than {@link DESTINATION_LIMITS}`.maxSegments` segments.
 * @throws StompError `STOMP_ERR_INVALID_DESTINATION` naming the frame and the count
 */
export function checkDestinationSize(command: string, destination: string): void {
  const n = segmentCount(destination);
  if (n > DESTINATION_LIMITS.maxSegments) {
    throw new StompError('STOMP_ERR_INVALID_DESTINATION', `${command} destination has ${n} segments; at most ${DESTINATION_LIMITS.maxSegments} are allowed`);
  }
}

/**
 * The limits a client's destination must keep: a pattern SUBSCRIBE those of a pattern, any
 * other destination {@link DESTINATION_LIMITS}`.maxSegments`.
 * @throws StompError `STOMP_ERR_INVALID_DESTINATION` saying which limit
 */
export function checkDestination(command: 'SEND' | 'SUBSCRIBE', destination: string): void {
  if (command === 'SUBSCRIBE' && isPattern(destination)) parseSegments(destination, SUBSCRIBE_CONTEXT);
  else checkDestinationSize(command, destination);
}

/** Who a parse error is about, for its message and code. */
export interface ParseContext {
  readonly code: ErrorCode;
  /** Names the pattern in messages, e.g. `Option "authorization.rules[0].destination"`. */
  readonly what: string;
  /** True where variables are captured by name (mappings, rules), so a name may appear once. */
  readonly captures?: boolean;
}

/** Mappings and rules come from options; subscriptions from clients. */
export const OPTION_CONTEXT: ParseContext = { code: 'STOMP_ERR_INVALID_OPTION', what: 'Destination pattern', captures: true };
export const SUBSCRIBE_CONTEXT: ParseContext = { code: 'STOMP_ERR_INVALID_DESTINATION', what: 'SUBSCRIBE destination' };

/**
 * Parses a pattern into segments, collapsing runs of `**` (`/a/**\/**` is `/a/**`: same
 * destinations, no captures lost), and checks the limits.
 * @throws StompError with `context.code` when the pattern passes a limit, or repeats a variable name where it captures
 */
export function parseSegments(source: string, context: ParseContext = OPTION_CONTEXT): Segment[] {
  const out: Segment[] = [];
  const names = new Set<string>();
  let globstars = 0;
  for (const text of source.split('/')) {
    const kind = segmentKind(text);
    if (kind === 'globstar') {
      if (out.length > 0 && out[out.length - 1].kind === 'globstar') continue;
      globstars++;
      out.push({ kind, text });
    } else if (kind === 'variable') {
      const name = VARIABLE.exec(text)![1];
      if (context.captures === true && names.has(name)) fail(context, source, `repeats the variable {${name}}`);
      names.add(name);
      out.push({ kind, text: name });
    } else {
      out.push({ kind, text });
    }
  }
  if (out.length - 1 > DESTINATION_LIMITS.maxPatternSegments) {
    fail(context, source, `has ${out.length - 1} segments; at most ${DESTINATION_LIMITS.maxPatternSegments} are allowed`);
  }
  if (globstars > DESTINATION_LIMITS.maxGlobstars) {
    fail(context, source, `has ${globstars} "**" segments; at most ${DESTINATION_LIMITS.maxGlobstars} are allowed`);
  }
  return out;
}

function fail(context: ParseContext, source: string, why: string): never {
  const shown = source.length > 80 ? `${JSON.stringify(source.slice(0, 80))}…` : JSON.stringify(source);
  throw new StompError(context.code, `${context.what} ${shown} ${why}`);
}

/**
 * The segments as matching sees them: variables become `*`, and inside each run of wildcard
 * segments the `*`s come before the `**` (`**\/*` and `*\/**` both mean "one or more"), so
 * two patterns matching the same destinations this way have the same shape.
 */
export function shapeOf(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  let stars = 0;
  let glob = false;
  const flush = (): void => {
    for (; stars > 0; stars--) out.push(STAR);
    if (glob) out.push(GLOBSTAR);
    glob = false;
  };
  for (const s of segments) {
    if (s.kind === 'literal') {
      flush();
      out.push(s);
    } else if (s.kind === 'globstar') glob = true;
    else stars++;
  }
  flush();
  return out;
}

const STAR: Segment = Object.freeze({ kind: 'star', text: '*' });
const GLOBSTAR: Segment = Object.freeze({ kind: 'globstar', text: '**' });

/**
 * Percent-decodes one segment (a captured variable, a user name).
 * @throws StompError `STOMP_ERR_INVALID_DESTINATION` for a malformed escape (`%ZZ`, `%E0%A4`), never a URIError
 */
export function decodeSegment(segment: string, destination: string): string {
  if (segment.indexOf('%') === -1) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    const shown = destination.length > 80 ? `${JSON.stringify(destination.slice(0, 80))}…` : JSON.stringify(destination);
    throw new StompError('STOMP_ERR_INVALID_DESTINATION', `Destination ${shown} has a malformed percent-escape in ${JSON.stringify(segment.slice(0, 80))}`);
  }
}

/**
 * Percent-encodes a name for use as one literal segment: `encodeURIComponent`, and `*` too,
 * so that no name (`*`, `**`, `{x}`) ever reads as a wildcard.
 */
export function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, '%2A');
}
