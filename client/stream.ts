/**
 * Retention and resume on the client side (the broker's docs/retention.md): where a
 * subscription starts, what it remembers, and the SUBSCRIBE headers that say so.
 */

/** A place in a destination's history: the offset of a message and the epoch it belongs to. */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch: string;
}

/**
 * Where a subscription starts: `'next'` (live only), `'first'` (all retained), `'last'` (the
 * newest retained), an offset, a `Date` (the first message at or after it), or a position the
 * app stored (`{ offset, epoch }` of the last message it had: it resumes just after it).
 */
export type StreamStart = 'next' | 'first' | 'last' | number | Date | { readonly after: StreamPosition };

/** What a subscription with history learned from its RECEIPT. */
export interface ResumeInfo {
  readonly id: string;
  readonly destination: string;
  /** True when the server could serve the requested position in full; false: messages were lost (too old, another epoch). */
  readonly recovered: boolean;
  /** True when this is a resume after a reconnect; false for the first SUBSCRIBE. */
  readonly reconnect: boolean;
  /** The position asked for (the last message seen before the resume), if any. */
  readonly from: StreamPosition | undefined;
}

/** The SUBSCRIBE headers of a start. */
export function startHeaders(start: StreamStart): Record<string, string> {
  if (start === 'next' || start === 'first' || start === 'last') return { 'x-stream-offset': start };
  if (typeof start === 'number') return { 'x-stream-offset': `offset=${start}` };
  if (start instanceof Date) return { 'x-stream-offset': `timestamp=${Math.floor(start.getTime() / 1000)}` };
  return resumeHeaders(start.after);
}

/** The SUBSCRIBE headers that resume just after `position`. */
export function resumeHeaders(position: StreamPosition): Record<string, string> {
  return { 'x-stream-offset': `offset=${position.offset + 1}`, 'x-stream-epoch': position.epoch };
}

/** The position a MESSAGE carries, if its destination is retained. */
export function positionOf(headers: Readonly<Record<string, string>>): StreamPosition | undefined {
  const offset = headers['x-stream-offset'];
  const epoch = headers['x-stream-epoch'];
  if (offset === undefined || epoch === undefined || !/^\d{1,15}$/.test(offset)) return undefined;
  return { offset: Number(offset), epoch };
}
