import type { HeaderPair } from '../messaging/broker-message';

/** A message's header pairs as one column: JSON `[[name, value], …]`, or NULL for none (the usual case). */
export function encodeHeaders(headers: readonly HeaderPair[]): string | null {
  return headers.length === 0 ? null : JSON.stringify(headers);
}

/** The header pairs of a stored message (a fresh array the caller may extend). */
export function decodeHeaders(column: string | null): HeaderPair[] {
  if (column === null) return [];
  const parsed = JSON.parse(column) as unknown;
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((p): p is HeaderPair => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
}
