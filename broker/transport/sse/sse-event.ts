import { Buffer } from 'node:buffer';
import type { BrokerMessage } from '../../messaging/broker-message';
import { mediaType } from '../../stomp/body';

/** How a stream writes messages: the body as `data:` lines, or a JSON object per event. */
export type SseFormat = 'text' | 'json';

/** The heart-beat: a comment line, which EventSource ignores (WHATWG HTML §9.2.6). */
export const SSE_HEARTBEAT = ':\n\n';

const utf8 = new TextDecoder('utf-8', { fatal: false });
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * The `data:` lines of one message (with the blank line that ends the event), encoded, or
 * undefined when the body is not UTF-8 (an event stream is text). One entry of cache: a
 * publish reaches every subscriber of a destination one after the other, so they share one
 * encoding (and each stream copies it once into its turn's chunk).
 */
export function eventData(message: BrokerMessage, subscription: string, format: SseFormat): Buffer | undefined {
  if (message === last.message && format === last.format && subscription === last.subscription) return last.data;
  const data = message.binary ? undefined : Buffer.from(format === 'json' ? jsonData(message, subscription) : textData(message.body));
  last = { message, format, subscription, data };
  return data;
}

let last: { message: BrokerMessage | undefined; format: SseFormat; subscription: string; data: Buffer | undefined } = {
  message: undefined,
  format: 'text',
  subscription: '',
  data: undefined,
};

/**
 * WHATWG HTML §9.2.6: a line break ends a `data:` line, and the client joins the data lines
 * with LF. So each line of the body goes on its own `data:` line, and the client sees the body
 * again, with CRLF and CR turned into LF (what an event stream can carry).
 */
function textData(body: Uint8Array): string {
  const lines = utf8.decode(body).split(LINE_BREAK);
  let out = '';
  for (const line of lines) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** `{destination, headers, body}` on one line: JSON.stringify escapes every line break. */
function jsonData(message: BrokerMessage, subscription: string): string {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  headers['message-id'] = message.messageId;
  headers.destination = message.destination;
  headers.subscription = subscription;
  if (message.contentType !== undefined) headers['content-type'] = message.contentType;
  headers['content-length'] = String(message.body.length);
  // STOMP 1.2: repeated header entries, first wins.
  for (const [name, value] of message.headers) if (!Object.hasOwn(headers, name)) headers[name] = value;
  const text = utf8.decode(message.body);
  let body: unknown = text;
  const type = mediaType(message.contentType);
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text; // declared JSON that does not parse: the text as it came
    }
  }
  return `data: ${JSON.stringify({ destination: message.destination, headers, body })}\n\n`;
}
