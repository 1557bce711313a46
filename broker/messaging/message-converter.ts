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

/** Headers of a SEND that never travel into MESSAGE frames. */
export const RESERVED: ReadonlySet<string> = new Set([
  'destination', 'receipt', 'transaction', 'content-length', 'content-type', 'message-id', 'subscription', 'ack',
]);

/** Decodes a handler's payload by content type (stomp/body.ts); a body declared as JSON that does not parse is a client fault. */
export function fromBody(body: Uint8Array, contentType: string | undefined): unknown {
  try {
    return decodeBody(body, contentType);
  } catch {
    throw new StompError('STOMP_ERR_MALFORMED_FRAME', `Body is not valid JSON although content-type is "${contentType}"`);
  }
}
