import { Buffer } from 'node:buffer';
import { EMPTY_BODY, type Frame, type Headers } from '../stomp/frame';
import { detached } from '../stomp/headers';
import { HEADER_TOKENS, knownToken } from '../stomp/tokens';

/**
 * Frames a session keeps after the turn they arrived in: held in an open transaction until
 * COMMIT, or waiting behind an asynchronous effect. A decoded frame is a view of the transport
 * message it came in (its body a subarray, its header values slices of the head's text), and
 * a view keeps all of that alive: a 1-byte SEND padded with a megabyte of EOLs would pin the
 * megabyte for as long as the frame is held. A held frame is therefore a copy that refers to
 * nothing else, and what it costs is counted against the session's bounds.
 */

/** Bytes counted for a held frame's objects (the frame, its header map, its body's view). */
export const FRAME_OVERHEAD = 256;
/** Bytes counted for each header entry's map slot and two string headers. */
export const HEADER_OVERHEAD = 48;

/**
 * What a held frame costs, in bytes: its body, the characters of its header names and values
 * (one byte each for the ASCII of nearly every header), and its objects. Node 20 measured
 * about 430 bytes of heap for a detached SEND with three short headers and a 1-byte body;
 * 256 + 3 × 48 + the characters comes to about the same, so a byte bound also bounds how
 * many empty frames can be held.
 */
export function heldSize(frame: Frame): number {
  let size = FRAME_OVERHEAD + frame.body.byteLength;
  for (const [name, value] of frame.headers) size += HEADER_OVERHEAD + name.length + value.length;
  return size;
}

/** A copy of `frame` that shares no memory with the transport message it was decoded from. */
export function detachFrame(frame: Frame): Frame {
  const headers: Headers = new Map();
  for (const [name, value] of frame.headers) headers.set(ownName(name), detached(value));
  return { command: frame.command, headers, body: ownBody(frame.body) };
}

/**
 * The body in memory of its own, sized exactly. Not `Buffer.copyBytesFrom`: it takes small
 * copies from the shared 8 KiB pool, and a held 1-byte body would keep a whole pool slab alive.
 */
function ownBody(body: Uint8Array): Uint8Array {
  if (body.byteLength === 0) return EMPTY_BODY;
  const copy = Buffer.allocUnsafeSlow(body.byteLength);
  copy.set(body);
  return copy;
}

/** The protocol's own names are constants already (stomp/tokens.ts); others are copied. */
function ownName(name: string): string {
  return knownToken(name, 0, name.length, HEADER_TOKENS) ?? detached(name);
}
