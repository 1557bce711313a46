import { Buffer } from 'node:buffer';

/**
 * SockJS framing (protocol 0.3, as sockjs-client 1.x speaks it). Everything the server sends
 * is one of four frames:
 *
 *   o               the session is open (first frame of a new session)
 *   h               heart-beat, sent when the session has been idle for `heartbeatDelay`
 *   a["m1","m2"]    messages: a JSON array of strings, each one whole STOMP frame
 *   c[code,"why"]   the session is closed; every later request of it gets a close frame
 *
 * What the client sends (a websocket message, or an `xhr_send` / `jsonp_send` body) is a JSON
 * array of strings; on the websocket a bare JSON string is allowed too. Anything else is a
 * fault of that client: see {@link parseMessages}.
 */

export const OPEN_FRAME = 'o';
export const HEARTBEAT_FRAME = 'h';

/** What a request to a session that already ended gets (sockjs-protocol, Spring's `closeFrameGoAway`). */
export const GO_AWAY_FRAME = closeFrame(3000, 'Go away!');
/** What a second receiving request of a session gets while the first is still attached. */
export const ANOTHER_CONNECTION_FRAME = closeFrame(2010, 'Another connection still open');

/** `c[code,"reason"]`. */
export function closeFrame(code: number, reason: string): string {
  return `c${JSON.stringify([code, reason])}`;
}

/**
 * Code points some browsers and proxies mangle inside a JSON string, which the SockJS
 * protocol has servers send as `\uXXXX` escapes: surrogates (so characters outside the BMP
 * travel as escaped pairs), zero-width and bidi controls, line/paragraph separators, and the
 * specials block. JSON.stringify already escapes the C0 controls.
 */
const ESCAPABLE = /[\ud800-\udfff\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff]/g;

function escapeCodeUnit(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` as a JSON string literal with the SockJS escapes applied. */
export function quote(text: string): string {
  const json = JSON.stringify(text);
  ESCAPABLE.lastIndex = 0;
  return ESCAPABLE.test(json) ? json.replace(ESCAPABLE, escapeCodeUnit) : json;
}

/** UTF-8 bytes as a string (frames handed to SockJS are valid UTF-8: session.ts skips others). */
export function textOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

/**
 * Quoted text of each encoded frame: the sessions of a fan-out send the same encoded frame
 * object, so it is quoted once for all of them.
 */
const QUOTED = new WeakMap<Uint8Array, string>();

function quoted(frame: Uint8Array): string {
  let q = QUOTED.get(frame);
  if (q === undefined) QUOTED.set(frame, (q = quote(textOf(frame))));
  return q;
}

/** The frames of the last {@link messageFrame} call and its result, reused while they repeat. */
let lastFrames: readonly Uint8Array[] = [];
let lastText = '';

/**
 * The `a[...]` frame of a turn's frames, each frame one SockJS message. The sessions of a
 * fan-out flush the same frames one after another, so the last result is kept and reused;
 * callers therefore never change a list after handing it over.
 */
export function messageFrame(frames: readonly Uint8Array[]): string {
  if (sameFrames(frames, lastFrames)) return lastText;
  let text = 'a[';
  for (let i = 0; i < frames.length; i++) text += (i === 0 ? '' : ',') + quoted(frames[i]);
  text += ']';
  lastFrames = frames;
  lastText = text;
  return text;
}

/** True when both lists hold the same frame objects in the same order. */
export function sameFrames(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why an inbound SockJS message was refused, and the HTTP answer SockJS gives a sender for it. */
export class MessageFault {
  constructor(
    /** A sentence for the STOMP ERROR frame and the log; never echoes the client's data. */
    readonly reason: string,
    /** The body of sockjs-node's and Spring's HTTP 500 for `xhr_send` / `jsonp_send`. */
    readonly reply: 'Broken JSON encoding.' | 'Payload expected.',
  ) {}
}

/**
 * The messages of one inbound SockJS message, or the fault that refuses it. Only a JSON array
 * whose every element is a string passes (and, when `bareString` is set, as on the websocket
 * transport, a lone JSON string): numbers, null, booleans, objects and nested arrays are
 * refused before anything is made of them, so no claimed length (`[{"length":1e9}]`) ever
 * becomes an allocation. JSON.parse's own work is bounded by the message limit the transport
 * enforced first.
 */
export function parseMessages(text: string, bareString: boolean): readonly string[] | MessageFault {
  if (text.length === 0) return new MessageFault('Empty SockJS message: a JSON array of strings was expected', 'Payload expected.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new MessageFault('SockJS message is not valid JSON', 'Broken JSON encoding.');
  }
  if (typeof value === 'string' && bareString) return [value];
  if (!Array.isArray(value)) return new MessageFault(`SockJS message must be a JSON array of strings; received ${kindOf(value)}`, 'Payload expected.');
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') {
      return new MessageFault(`SockJS message must be a JSON array of strings; element ${i} is ${kindOf(value[i])}`, 'Payload expected.');
    }
  }
  return value as string[];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
