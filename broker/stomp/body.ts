/**
 * Body decoding by content type, shared by the broker (handler payloads) and the client
 * (received messages): JSON (`application/json`, `*+json`) parsed, text (`text/*`) as a string,
 * no type as a string, or as JSON when it parses as an object or array (stompjs senders set no
 * type), anything else as bytes. No Node imports: the browser bundle uses it too.
 */

const utf8 = new TextDecoder();

/** The media type of a `content-type` header: lower case, parameters dropped ('' when absent). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Decodes a body by its content type.
 * @throws SyntaxError when a body declared as JSON does not parse; callers decide what that means
 */
export function decodeBody(body: Uint8Array, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) return JSON.parse(utf8.decode(body));
  if (type !== '' && !type.startsWith('text/')) return body;
  const text = utf8.decode(body);
  if (type === '' && (text.startsWith('{') || text.startsWith('['))) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
