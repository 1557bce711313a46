import { decodeBody as decodeSharedBody, mediaType } from '../broker/stomp/body';

/** A body the client sends: objects become JSON, strings text, bytes stay bytes. */
export type Body = unknown;

/** What a body becomes on the wire. */
export interface EncodedBody {
  readonly text?: string;
  readonly binary?: Uint8Array;
  readonly contentType: string;
}

export { mediaType };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a body by its JavaScript type, as the server's message converter does: Uint8Array
 * and ArrayBuffer as `application/octet-stream`, strings as `text/plain;charset=UTF-8`,
 * anything else as JSON. A `content-type` given by the caller wins.
 */
export function encodeBody(body: Body, contentType?: string): EncodedBody {
  if (body instanceof ArrayBuffer) body = new Uint8Array(body);
  if (body instanceof Uint8Array) return { binary: body, contentType: contentType ?? 'application/octet-stream' };
  if (typeof body === 'string') return { text: body, contentType: contentType ?? 'text/plain;charset=UTF-8' };
  const json = JSON.stringify(body === undefined ? null : body);
  return { text: json, contentType: contentType ?? 'application/json' };
}

/**
 * Decodes a received body by its `content-type` (the broker's rule, broker/stomp/body.ts); a body
 * mislabelled as JSON is still delivered, as text.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined): unknown {
  try {
    return decodeSharedBody(bytes, contentType);
  } catch {
    return decoder.decode(bytes);
  }
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
