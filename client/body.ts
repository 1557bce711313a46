/** A body the client sends: objects become JSON, strings text, bytes stay bytes. */
export type Body = unknown;

/** What a body becomes on the wire. */
export interface EncodedBody {
  readonly text?: string;
  readonly binary?: Uint8Array;
  readonly contentType: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The media type of a `content-type` header: lower case, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

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
 * Decodes a received body by its `content-type`: JSON (`application/json`, `*+json`) parsed,
 * text (`text/*`) as a string, no type as a string (or JSON when it parses as an object or
 * array: stompjs senders set no type), anything else as bytes.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) {
    const text = decoder.decode(bytes);
    try {
      return JSON.parse(text);
    } catch {
      return text; // a mislabelled body is still delivered, as text
    }
  }
  if (type === '' || type.startsWith('text/')) {
    const text = decoder.decode(bytes);
    if (type === '' && (text.startsWith('{') || text.startsWith('['))) {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    return text;
  }
  return bytes;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
