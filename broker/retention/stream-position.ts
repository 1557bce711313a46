import { StompError } from '../errors';

/**
 * Where a SUBSCRIBE asks its history to start (SPEC §6.1, RabbitMQ's `x-stream-offset` values):
 * `next` (live only, the default), `first` (everything retained), `last` (the newest retained
 * message), `offset=<n>` (from offset n), `timestamp=<unix seconds>` (from the first message
 * published at or after it); with the client's `x-stream-epoch` when it resumes.
 */
export type StreamPosition =
  | { readonly kind: 'next' | 'first' | 'last'; readonly epoch?: string }
  | { readonly kind: 'offset'; readonly offset: number; readonly epoch?: string }
  | { readonly kind: 'timestamp'; readonly seconds: number; readonly epoch?: string };

/** Longest offset or timestamp accepted: 15 digits stay exact as a double. */
const NUMBER = /^\d{1,15}$/;
/** Longest `x-stream-epoch` accepted. */
export const MAX_EPOCH_LENGTH = 128;

/**
 * Reads `x-stream-offset` and `x-stream-epoch` of a SUBSCRIBE; undefined when it has neither.
 * @throws StompError `STOMP_ERR_INVALID_HEADER` naming the header and the value: `offset=-1`,
 *   `offset=1.5`, `offset=`, `timestamp=soon` and an empty or overlong epoch are malformed
 */
export function parseStreamPosition(offsetHeader: string | undefined, epochHeader: string | undefined): StreamPosition | undefined {
  if (offsetHeader === undefined && epochHeader === undefined) return undefined;
  let epoch: string | undefined;
  if (epochHeader !== undefined) {
    if (epochHeader === '' || epochHeader.length > MAX_EPOCH_LENGTH) malformed('x-stream-epoch', epochHeader, `a token of 1 to ${MAX_EPOCH_LENGTH} characters`);
    epoch = epochHeader;
  }
  const value = offsetHeader ?? 'next';
  const extra = epoch === undefined ? {} : { epoch };
  if (value === 'next' || value === 'first' || value === 'last') return { kind: value, ...extra };
  const eq = value.indexOf('=');
  const name = eq === -1 ? value : value.slice(0, eq);
  const digits = value.slice(eq + 1);
  if (eq !== -1 && NUMBER.test(digits)) {
    if (name === 'offset') return { kind: 'offset', offset: Number(digits), ...extra };
    if (name === 'timestamp') return { kind: 'timestamp', seconds: Number(digits), ...extra };
  }
  return malformed('x-stream-offset', value, 'next, first, last, offset=<n> or timestamp=<unix seconds>');
}

/** The history request of a pattern subscription: only `next` is allowed (history is per exact destination). */
export function refusePatternHistory(destination: string, position: StreamPosition, offsetHeader: string | undefined): void {
  if (position.kind === 'next') return;
  throw new StompError(
    'STOMP_ERR_INVALID_HEADER',
    `Header x-stream-offset "${clip(offsetHeader ?? '')}" asks for history on the pattern "${clip(destination)}"; history is per exact destination, so a pattern subscription takes only "next"`,
  );
}

function malformed(header: string, value: string, expected: string): never {
  throw new StompError('STOMP_ERR_INVALID_HEADER', `Header ${header} "${clip(value)}" is malformed: expected ${expected}`);
}

function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
