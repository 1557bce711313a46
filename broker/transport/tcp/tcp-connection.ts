import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Connection, HandshakeInfo } from '../connection';
import type { TurnWriter } from '../turn-writer';

/** Frames larger than this are written as they are instead of being copied into the turn's buffer. */
const COPY_LIMIT = 16 * 1024;

/**
 * A TCP (or TLS) socket as a {@link Connection}. STOMP over TCP is a plain byte stream: a
 * frame is its bytes, a heart-beat a bare EOL. Frames sent in one turn of the event loop leave
 * together at its end (small ones copied into one buffer, one `write`), as on WebSocket.
 * `bufferedAmount` is what the socket holds unwritten plus the turn's queue, which is what the
 * backpressure policies measure; `pause()`/`resume()` stop and restart reading the socket, so
 * the client's TCP window fills and it stops sending.
 */
export class TcpConnection implements Connection {
  private frames: Uint8Array[] | undefined;
  private queuedBytes = 0;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly transport: 'tcp' | 'tcp-tls',
    private readonly socket: Socket,
    readonly handshake: HandshakeInfo,
    private readonly writer: TurnWriter<TcpConnection>,
    /** How long a closing socket may take to flush before it is dropped, ms. */
    private readonly closeGrace: number,
  ) {}

  get bufferedAmount(): number {
    return this.socket.writableLength + this.queuedBytes;
  }

  private get writable(): boolean {
    return !this.socket.destroyed && this.socket.writable && !this.socket.writableEnded;
  }

  send(data: Uint8Array): void {
    if (!this.writable) return;
    let frames = this.frames;
    if (frames === undefined) {
      frames = this.frames = [];
      this.writer.add(this);
    }
    frames.push(data);
    this.queuedBytes += data.length;
  }

  /** Writes the frames queued in this turn. */
  flush(): void {
    const frames = this.frames;
    if (frames === undefined) return;
    const bytes = this.queuedBytes;
    this.frames = undefined;
    this.queuedBytes = 0;
    if (!this.writable) return;
    if (frames.length === 1) {
      this.socket.write(frames[0]);
      return;
    }
    let small = 0;
    for (let i = 0; i < frames.length; i++) if (frames[i].length <= COPY_LIMIT) small++;
    if (small === frames.length) {
      this.socket.write(Buffer.concat(frames, bytes));
      return;
    }
    this.socket.cork();
    for (let i = 0; i < frames.length; i++) this.socket.write(frames[i]);
    this.socket.uncork();
  }

  /** Ends the socket after what was sent; one that cannot flush within the grace is dropped. */
  close(): void {
    this.flush();
    if (this.socket.destroyed) return;
    if (!this.socket.writableEnded) this.socket.end();
    if (this.closeTimer === undefined) {
      this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeGrace);
      this.closeTimer.unref();
      this.socket.once('close', () => clearTimeout(this.closeTimer));
    }
  }

  terminate(): void {
    this.frames = undefined;
    this.queuedBytes = 0;
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.socket.destroyed) this.socket.resume();
  }
}
