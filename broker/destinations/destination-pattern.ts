import { StompError } from '../errors';
import { contains, overlaps } from './pattern-relations';
import { decodeSegment, OPTION_CONTEXT, parseSegments, shapeOf, type ParseContext, type Segment } from './segments';

/** Counts the segment comparisons of matches, so tests can bound the work by structure, not by the clock. */
export interface MatchMeter {
  steps: number;
}

/**
 * A compiled destination pattern (see `segments.ts` for the grammar): a subscription such as
 * `/topic/*\/price`, a handler mapping such as `/chat/{room}/messages`, or an authorization
 * rule such as `/topic/private/**`. Parsed once; matching never backtracks.
 *
 * How {@link match} stays linear: the pattern is cut at its `**` segments into chunks of
 * one-segment matchers (`/a/**\/b/*\/**\/c` is `['', a]`, `[b, *]`, `[c]`). The first chunk
 * must match at the start of the destination and the last at its end; each chunk between
 * is matched at the leftmost place after the previous one. Leftmost is always right, because
 * whatever follows a `**` can start anywhere after it, so no choice is ever undone: a match
 * costs at most (segments of the destination) × (longest chunk) comparisons, whatever the
 * number of `**` (the backtracking regex it replaces took seconds for nine of them).
 *
 * @example
 * new DestinationPattern('/chat/{room}/**').match('/chat/lobby/a/b') // { room: 'lobby' }
 */
export class DestinationPattern {
  /** Segments as written, runs of `**` collapsed. */
  readonly segments: readonly Segment[];
  /** The segments as matching sees them (variables as `*`, `*` before `**`): equal shapes match the same destinations. */
  readonly shape: readonly Segment[];
  /** True when no segment is a wildcard: the pattern matches only its own text. */
  readonly literal: boolean;
  /** Variable names, in order. */
  readonly variables: readonly string[];
  /** Lower is more specific: ordering when several patterns match (literal segments win). */
  readonly specificity: number;
  private readonly chunks: readonly (readonly Segment[])[];
  private readonly globbed: boolean;

  /** @throws StompError (`context.code`, `STOMP_ERR_INVALID_OPTION` by default) when the pattern is malformed or passes a limit */
  constructor(
    readonly source: string,
    context: ParseContext = OPTION_CONTEXT,
  ) {
    if (typeof source !== 'string' || !source.startsWith('/')) {
      throw new StompError(context.code, `${context.what} must start with "/"; received ${JSON.stringify(source)}`);
    }
    this.segments = Object.freeze(parseSegments(source, context));
    this.shape = Object.freeze(shapeOf(this.segments));
    let wild = 0;
    let glob = 0;
    const chunks: Segment[][] = [[]];
    for (const s of this.segments) {
      if (s.kind === 'globstar') {
        glob++;
        chunks.push([]);
      } else {
        if (s.kind !== 'literal') wild++;
        chunks[chunks.length - 1].push(s);
      }
    }
    this.chunks = chunks;
    this.globbed = glob > 0;
    this.literal = wild === 0 && glob === 0;
    this.variables = Object.freeze(this.segments.filter((s) => s.kind === 'variable').map((s) => s.text));
    this.specificity = glob * 1000 + wild;
  }

  /** True when some destination matches both patterns. */
  overlaps(other: DestinationPattern): boolean {
    return overlaps(this.shape, other.shape);
  }

  /** True when every destination `inner` matches is matched by this pattern too (sound: false when unsure). */
  contains(inner: DestinationPattern): boolean {
    return contains(this.shape, inner.shape);
  }

  /**
   * The captured variables (percent-decoded) when `destination` matches, else undefined.
   * @throws StompError `STOMP_ERR_INVALID_DESTINATION` when a captured segment has a malformed percent-escape
   */
  match(destination: string, meter?: MatchMeter): Record<string, string> | undefined {
    if (this.literal) return destination === this.source ? {} : undefined;
    const segs = destination.split('/');
    const at = this.place(segs, meter);
    if (at === undefined) return undefined;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      for (let k = 0; k < chunk.length; k++) {
        if (chunk[k].kind === 'variable') params[chunk[k].text] = decodeSegment(segs[at[c] + k], destination);
      }
    }
    return params;
  }

  /** True when `destination` matches (no captures decoded). */
  test(destination: string, meter?: MatchMeter): boolean {
    if (this.literal) return destination === this.source;
    return this.place(destination.split('/'), meter) !== undefined;
  }

  /**
   * The literal text before the first wildcard segment, without its trailing `/`
   * (`/topic/a/**` → `/topic/a`, `/**` → ``): every destination matched starts with it.
   */
  literalPrefix(): string {
    const out: string[] = [];
    for (const s of this.segments) {
      if (s.kind !== 'literal') break;
      out.push(s.text);
    }
    return out.join('/');
  }

  /** Where each chunk starts in `segs`, or undefined when the destination does not match. */
  private place(segs: readonly string[], meter: MatchMeter | undefined): number[] | undefined {
    const chunks = this.chunks;
    const n = segs.length;
    if (!this.globbed) {
      return chunks[0].length === n && fits(chunks[0], segs, 0, meter) ? [0] : undefined;
    }
    const last = chunks.length - 1;
    let need = 0;
    for (const c of chunks) need += c.length;
    if (need > n) return undefined;
    const end = n - chunks[last].length;
    if (!fits(chunks[0], segs, 0, meter) || !fits(chunks[last], segs, end, meter)) return undefined;
    const at: number[] = [0];
    let from = chunks[0].length;
    for (let c = 1; c < last; c++) {
      const chunk = chunks[c];
      let k = from;
      while (k + chunk.length <= end && !fits(chunk, segs, k, meter)) k++;
      if (k + chunk.length > end) return undefined;
      at.push(k);
      from = k + chunk.length;
    }
    at.push(end);
    return at;
  }
}

/** True when the one-segment matchers of `chunk` match `segs` from `start`. */
function fits(chunk: readonly Segment[], segs: readonly string[], start: number, meter: MatchMeter | undefined): boolean {
  for (let k = 0; k < chunk.length; k++) {
    if (meter !== undefined) meter.steps++;
    if (chunk[k].kind === 'literal' && chunk[k].text !== segs[start + k]) return false;
  }
  return true;
}
