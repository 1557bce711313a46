import { Buffer } from 'node:buffer';
import type { WebSocket } from 'ws';
import { headerLength, rawSocketOf, textFrame, writeHeader, type RawSocket } from '../ws-frames';
import { messageFrame, sameFrames } from './framing';
import type { Receiver, ReceiverOwner } from './receiver';

/**
 * The websocket transport's receiver: a `ws` socket that carries SockJS frames as text
 * messages. Frames are written straight to the underlying TCP socket as whole WebSocket text
 * frames, like the plain WebSocket transport does (ws-frames.ts); `ws` itself only handles
 * the handshake, inbound parsing (with the common `maxPayload`), pings and the close.
 */
export class WebSocketReceiver implements Receiver {
  readonly transport = 'sockjs-websocket';
  owner: ReceiverOwner | undefined;
  private readonly socket: RawSocket | undefined;
  private ended = false;
  private flushed: (() => void) | undefined;

  constructor(private readonly ws: WebSocket) {
    this.socket = rawSocketOf(ws);
  }

  get bufferedAmount(): number {
    return this.socket?.writableLength ?? this.ws.bufferedAmount;
  }

  writeFrame(frame: string): void {
    if (!this.writable()) return;
    if (this.socket !== undefined) this.socket.write(textFrame(frame));
    else this.ws.send(frame);
  }

  writeMessages(frames: readonly Uint8Array[]): void {
    if (!this.writable()) return;
    if (this.socket !== undefined) this.socket.write(wireOf(frames));
    else this.ws.send(messageFrame(frames));
  }

  finish(frame: string, flushed: () => void): void {
    this.writeFrame(frame);
    this.flushed = flushed;
    this.ended = true;
    // The SockJS close frame carries the code; the WebSocket itself closes normally, as sockjs-node does.
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(1000);
    else this.closed();
  }

  destroy(): void {
    this.ended = true;
    this.ws.terminate();
  }

  /** The socket closed (either side, or terminated): detach, and report a finished close. */
  closed(): void {
    const owner = this.owner;
    this.owner = undefined;
    owner?.detach(this, !this.ended);
    const flushed = this.flushed;
    this.flushed = undefined;
    flushed?.();
  }

  private writable(): boolean {
    if (this.ws.readyState !== 1) return false;
    const socket = this.socket;
    return socket === undefined || (socket.writable && !socket.destroyed);
  }
}

/**
 * The last WebSocket frame built from a turn's frames: the sessions of a fan-out flush the
 * same encoded frames in the same order and share one buffer (sockets only read it).
 */
let lastFrames: readonly Uint8Array[] = [];
let lastWire: Buffer = Buffer.alloc(0);

/** The `a[...]` frame of `frames` as one whole WebSocket text frame (RFC 6455 §5.2). */
function wireOf(frames: readonly Uint8Array[]): Buffer {
  if (sameFrames(frames, lastFrames)) return lastWire;
  const body = messageFrame(frames);
  const length = Buffer.byteLength(body, 'utf8');
  const wire = Buffer.allocUnsafe(headerLength(length) + length);
  wire.write(body, writeHeader(wire, 0, length, false), 'utf8');
  lastFrames = frames;
  lastWire = wire;
  return wire;
}
