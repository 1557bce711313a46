import { Buffer } from 'node:buffer';
import type { WebSocket } from 'ws';

/**
 * Server-side WebSocket data frames (RFC 6455 §5.2) for many messages at once: the headers and
 * payloads of a turn's messages laid out in one buffer and handed to the socket in one write,
 * instead of a header, an options object and a queued write per message inside `ws`'s sender.
 * Each message stays one final, unmasked frame (server frames are never masked, §5.1).
 */

/** The part of a `net.Socket` the frames are written to. */
export interface FrameSink {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
}

/** Payloads larger than this are written after their own header instead of being copied. */
export const COPY_LIMIT = 16 * 1024;

/** 2 header bytes, plus 2 for a 16-bit length or 8 for a 64-bit one (§5.2). */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes a final text (opcode 1) or binary (opcode 2) frame header at `offset`; returns the offset after it. */
export function writeHeader(target: Buffer, offset: number, length: number, binary: boolean): number {
  target[offset] = binary ? 0x82 : 0x81;
  if (length < 126) {
    target[offset + 1] = length;
    return offset + 2;
  }
  if (length < 0x10000) {
    target[offset + 1] = 126;
    target.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  target[offset + 1] = 127;
  target.writeUInt32BE(Math.floor(length / 0x100000000), offset + 2);
  target.writeUInt32BE(length >>> 0, offset + 6);
  return offset + 10;
}

/**
 * Writes `payloads` to `sink` as one WebSocket message each, in order: all copied into one
 * buffer when none is larger than {@link COPY_LIMIT}, else runs of small ones copied and each
 * large one after its own header, inside one cork so they still leave in one `writev`.
 * `binary[i]` says whether payload i is binary; without the array every payload is text.
 */
export function writeFrames(sink: FrameSink, payloads: readonly Uint8Array[], binary?: readonly boolean[]): void {
  let size = 0;
  let large = false;
  for (let i = 0; i < payloads.length; i++) {
    const length = payloads[i].length;
    if (length > COPY_LIMIT) large = true;
    else size += headerLength(length) + length;
  }
  if (!large) {
    sink.write(copyFrames(payloads, binary, 0, payloads.length, size));
    return;
  }
  sink.cork();
  let start = 0;
  let runSize = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i];
    const length = payload.length;
    if (length <= COPY_LIMIT) {
      runSize += headerLength(length) + length;
      continue;
    }
    if (runSize > 0) sink.write(copyFrames(payloads, binary, start, i, runSize));
    const header = Buffer.allocUnsafe(headerLength(length));
    writeHeader(header, 0, length, binary?.[i] === true);
    sink.write(header);
    sink.write(payload);
    start = i + 1;
    runSize = 0;
  }
  if (runSize > 0) sink.write(copyFrames(payloads, binary, start, payloads.length, runSize));
  sink.uncork();
}

/** Lays out payloads[from, to) as WebSocket frames in one new buffer of `size` bytes. */
function copyFrames(payloads: readonly Uint8Array[], binary: readonly boolean[] | undefined, from: number, to: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = from; i < to; i++) {
    const payload = payloads[i];
    offset = writeHeader(out, offset, payload.length, binary?.[i] === true);
    out.set(payload, offset);
    offset += payload.length;
  }
  return out;
}

/** What a transport needs of ws's underlying `net.Socket` to write frames itself. */
export interface RawSocket extends FrameSink {
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly writableLength: number;
}

/**
 * ws's underlying socket (`_socket`, not part of its public API), or undefined when this
 * version of ws keeps it elsewhere: then frames go through `ws.send`, slower but the same bytes.
 * spec/e2e/websocket-framing.spec.ts checks that the installed ws still has it.
 */
export function rawSocketOf(ws: WebSocket): RawSocket | undefined {
  const socket = (ws as unknown as { _socket?: Partial<RawSocket> })._socket;
  return typeof socket?.write === 'function' && typeof socket.cork === 'function' && typeof socket.uncork === 'function' ? (socket as RawSocket) : undefined;
}

/** One final text frame (RFC 6455 §5.2) carrying `text`, for the few small frames written outside a batch. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  out.write(text, writeHeader(out, 0, length, false), 'utf8');
  return out;
}
