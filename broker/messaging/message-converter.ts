import { StompError } from '../errors';
import { decodeBody } from '../stomp/body';
import { BrokerMessage, type HeaderPair } from './broker-message';

/** A payload the template accepts: objects become JSON, strings text, bytes stay bytes. */
export type Payload = unknown;

const encoder = new TextEncoder();

/**
 * Spring's message conversion: objects become JSON (`application/json`), strings
 * `text/plain;charset=UTF-8`, Buffers and Uint8Arrays `application/octet-stream`. A
 * `content-type` header given by the caller wins.
 */
export function toMessage(destination: string, payload: Payload, headers?: Record<string, string>): BrokerMessage {
  let body: Uint8Array;
  let contentType: string;
  let text = true;
  if (payload instanceof Uint8Array) {
    body = payload;
    contentType = 'application/octet-stream';
    text = false;
  } else if (typeof payload === 'string') {
    body = encoder.encode(payload);
    contentType = 'text/plain;charset=UTF-8';
  } else {
    const json = JSON.stringify(payload);
    if (json === undefined) throw new StompError('STOMP_ERR_INVALID_HEADER', `Payload of type ${typeof payload} cannot be converted to JSON`);
    body = encoder.encode(json);
    contentType = 'application/json';
  }
  const pairs: HeaderPair[] = [];
  if (headers !== undefined) {
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'content-type') contentType = String(value);
      else if (!RESERVED.has(name)) pairs.push([name, String(value)]);
    }
  }
  return new BrokerMessage(destination, body, contentType, pairs, undefined, text);
}

/** Headers of a SEND (or of the template's `headers`) that never travel into MESSAGE frames. */
export const RESERVED: ReadonlySet<string> = new Set([
  'destination', 'receipt', 'transaction', 'content-length', 'content-type', 'message-id', 'subscription', 'ack',
]);

/**
 * Headers the broker owns in MESSAGE frames, beyond {@link RESERVED}: who sent it
 * (`user-name`, `user-id`, `session`), delivery state (`redelivered`), stream positions
 * (`x-stream-offset`, `x-stream-epoch`, `x-stream-recovered`) and `receipt-id` (which the
 * broker puts on handler error reports). A client SEND naming one of them does not pass it on:
 * the MESSAGE carries the broker's value, or none. RabbitMQ refuses a SEND whose `user-id`
 * differs from the login; we drop the header instead, so a client that forwards a received
 * MESSAGE's headers in a new SEND keeps working.
 */
export const BROKER_OWNED: ReadonlySet<string> = new Set([
  ...RESERVED,
  'user-name', 'user-id', 'session', 'redelivered', 'receipt-id', 'x-stream-offset', 'x-stream-epoch', 'x-stream-recovered',
]);

// A name some client could read as a broker-owned one: other case, or spaces and control
// characters around it (a 1.2 SEND may carry `user-name\r` as an escape, which a 1.1 receiver
// gets as a raw CR that lenient parsers trim away).
const FOLDABLE = /[A-Z\s\x00-\x1f]/;

/**
 * True when a client may not set header `name` on the MESSAGEs of its SEND. One set lookup for
 * the usual lower-case names; names with capitals, spaces or control characters are also
 * compared trimmed and lower-cased.
 */
export function isBrokerOwned(name: string): boolean {
  return BROKER_OWNED.has(name) || (FOLDABLE.test(name) && BROKER_OWNED.has(name.replace(/[\s\x00-\x1f]+/g, '').toLowerCase()));
}

/**
 * Decodes a handler's payload by content type (stomp/body.ts). A body declared as JSON that does
 * not parse is a client fault of the payload, `STOMP_ERR_INVALID_JSON`; the frame itself was well formed.
 */
export function fromBody(body: Uint8Array, contentType: string | undefined): unknown {
  try {
    return decodeBody(body, contentType);
  } catch {
    throw new StompError('STOMP_ERR_INVALID_JSON', `Body is not valid JSON although content-type is "${contentType}"`);
  }
}
