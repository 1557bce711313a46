// The one Node import of stomp/, for speed (CONTRIBUTING.md, Import boundaries; bench/stomp-buffer.ts).
import { Buffer } from 'node:buffer';
import { EMPTY_BODY, type Command } from './frame';
import { escapeHeader, stripEol } from './headers';
import type { StompVersion } from './versions';

/**
 * Frame encoding. Every frame carries a byte-accurate `content-length` when it has a body
 * (STOMP 1.2 §"Header content-length"), computed here and never taken from the caller.
 * Header values are escaped by version, except on CONNECT and CONNECTED.
 *
 * MESSAGE frames are encoded in two parts so that fan-out encodes a body once per publish:
 * a head with the per-delivery headers (`subscription`, `ack`) and a tail with everything
 * else, shared by all subscribers of one version.
 */

const utf8 = new TextEncoder();

/** A header list: a `Map` or any iterable of name/value pairs. */
export type HeaderEntries = Iterable<readonly [string, string]>;

/** Headers the encoder writes itself; a caller's copy is ignored. */
const COMPUTED = 'content-length';

function headerLines(headers: HeaderEntries, version: StompVersion, escape: boolean): string {
  let out = '';
  for (const [name, value] of headers) {
    if (name === COMPUTED) continue;
    out += escape
      ? `${escapeHeader(name, version)}:${escapeHeader(value, version)}\n`
      : `${stripEol(name)}:${stripEol(value)}\n`;
  }
  return out;
}

function join(head: string, body: Uint8Array): Uint8Array {
  const headBytes = utf8.encode(head);
  const out = new Uint8Array(headBytes.length + body.length + 1);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  // last byte stays 0: the NUL that ends the frame
  return out;
}

/** Encodes one whole frame. */
export function encodeFrame(
  command: Command,
  headers: HeaderEntries,
  body: Uint8Array = EMPTY_BODY,
  version: StompVersion = '1.2',
): Uint8Array {
  const escape = command !== 'CONNECT' && command !== 'CONNECTED' && command !== 'STOMP';
  let head = `${command}\n${headerLines(headers, version, escape)}`;
  if (body.length > 0) head += `content-length:${body.length}\n`;
  return join(`${head}\n`, body);
}

/** The shared part of a MESSAGE, from the first shared header to the final NUL. */
export interface MessageTailFields {
  readonly messageId: string;
  readonly destination: string;
  readonly contentType: string | undefined;
  /** Headers carried over from the SEND (already stripped of reserved ones). */
  readonly headers: HeaderEntries;
  readonly body: Uint8Array;
}

/** The header text of a MESSAGE's shared tail (every header line after the per-delivery ones, and the blank line). */
export function messageTailHead(m: MessageTailFields, version: StompVersion): string {
  let head = `message-id:${escapeHeader(m.messageId, version)}\ndestination:${escapeHeader(m.destination, version)}\n`;
  if (m.contentType !== undefined) head += `content-type:${escapeHeader(m.contentType, version)}\n`;
  return `${head}content-length:${m.body.length}\n${headerLines(m.headers, version, true)}\n`;
}

/** Encodes the shared tail of a MESSAGE for one version. */
export function encodeMessageTail(m: MessageTailFields, version: StompVersion): Uint8Array {
  return join(messageTailHead(m, version), m.body);
}

/**
 * Encodes a whole MESSAGE from the per-delivery headers, the tail's header text and the body,
 * in one Buffer: the header text is written straight into it. Headers are ASCII in nearly
 * every message, so the buffer is sized for that and written once; a head with other
 * characters is sized exactly and written again.
 */
export function encodeMessageFrame(tailHead: string, body: Uint8Array, subscription: string, ack: string | undefined, version: StompVersion): Buffer {
  let head = `MESSAGE\nsubscription:${escapeHeader(subscription, version)}\n`;
  if (ack !== undefined) head += `ack:${escapeHeader(ack, version)}\n`;
  head += tailHead;
  let out = Buffer.allocUnsafe(head.length + body.length + 1);
  // All of an ASCII head is read and written one byte per character; anything else is not.
  const { read, written } = utf8.encodeInto(head, out);
  let headLength = written;
  if (read !== head.length || written !== head.length) {
    headLength = Buffer.byteLength(head, 'utf8');
    out = Buffer.allocUnsafe(headLength + body.length + 1);
    out.write(head, 0, 'utf8');
  }
  out.set(body, headLength);
  out[out.length - 1] = 0; // NUL: allocUnsafe memory is not zeroed
  return out;
}

/** Prepends the per-delivery head (`subscription`, and `ack` for client ack modes) to a tail. */
export function encodeMessage(tail: Uint8Array, subscription: string, ack: string | undefined, version: StompVersion): Uint8Array {
  let head = `MESSAGE\nsubscription:${escapeHeader(subscription, version)}\n`;
  if (ack !== undefined) head += `ack:${escapeHeader(ack, version)}\n`;
  const headBytes = utf8.encode(head);
  const out = new Uint8Array(headBytes.length + tail.length);
  out.set(headBytes, 0);
  out.set(tail, headBytes.length);
  return out;
}

/** A lone EOL: the heart-beat, sent as a message of its own. */
export const HEARTBEAT = utf8.encode('\n');
