import { Buffer } from 'node:buffer';

/** Where a stream stands in one retained destination (SPEC §6.1): the last offset it got, and that history's epoch. */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch: string;
}

const OFFSET = /^\d{1,15}$/;

/**
 * Event ids: `<stream prefix>-<counter>`, unique per event, then (once the stream got a
 * retained message) `.` and the positions of every retained destination of the stream, so the
 * `Last-Event-ID` a browser sends back on reconnect says where each destination resumes, not
 * only the one of the last event. The positions are base64url JSON `[[destination, offset,
 * epoch], ...]`: opaque to the client, no line breaks, bounded by the stream's destinations.
 */
export function eventId(prefix: string, counter: number, positions: ReadonlyMap<string, StreamPosition>): string {
  const base = `${prefix}-${counter.toString(36)}`;
  if (positions.size === 0) return base;
  const list = [...positions].map(([destination, p]) => [destination, p.offset, p.epoch]);
  return `${base}.${Buffer.from(JSON.stringify(list)).toString('base64url')}`;
}

/** The positions a `Last-Event-ID` carries; empty when it carries none or is not one of ours. */
export function positionsOf(lastEventId: string | undefined): Map<string, StreamPosition> {
  const out = new Map<string, StreamPosition>();
  const dot = lastEventId?.indexOf('.') ?? -1;
  if (lastEventId === undefined || dot === -1) return out;
  let list: unknown;
  try {
    list = JSON.parse(Buffer.from(lastEventId.slice(dot + 1), 'base64url').toString('utf8'));
  } catch {
    return out; // not ours: resume nothing
  }
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [destination, offset, epoch] = entry as unknown[];
    if (typeof destination !== 'string' || typeof epoch !== 'string' || typeof offset !== 'number' || !OFFSET.test(String(offset))) continue;
    if (/[\r\n\0]/.test(epoch) || epoch.length > 200) continue;
    if (!out.has(destination)) out.set(destination, { offset, epoch });
  }
  return out;
}

/** The retention stamp of a message: its `x-stream-offset` and `x-stream-epoch`, the last headers the store adds. */
export function stampOf(headers: readonly (readonly [string, string])[]): StreamPosition | undefined {
  const n = headers.length;
  if (n < 2) return undefined;
  const [offsetName, offset] = headers[n - 2];
  const [epochName, epoch] = headers[n - 1];
  if (offsetName !== 'x-stream-offset' || epochName !== 'x-stream-epoch' || !OFFSET.test(offset)) return undefined;
  return { offset: Number(offset), epoch };
}
