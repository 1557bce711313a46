import { connect, type Socket } from 'node:net';
import type { FrameHandler } from './raw-ws';

const NUL = 0x00;

/**
 * STOMP straight over a TCP socket (STOMP 1.2 §"Frames and Headers": a frame ends with NUL,
 * EOLs between frames are heart-beats), for the load generator only. It has the shape of
 * {@link RawWebSocket} so a {@link StompClient} can use either: incoming bytes are handed over
 * as one view per chunk covering every complete frame in it (a frame split across chunks waits
 * for its NUL), so counting frames costs the same few byte reads as on WebSocket.
 *
 * The benchmark's bodies and headers never contain NUL, so the first NUL ends a frame; a
 * content-length with NUL inside a body is not needed here.
 */
export class RawStompSocket {
  private socket: Socket | undefined;
  private rest: Buffer | undefined;
  private onClose: (() => void) | undefined;
  /** Set when the server closed or the socket failed. */
  closed = false;

  constructor(
    private readonly port: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Opens the TCP connection. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port, host: '127.0.0.1', noDelay: true });
      this.socket = socket;
      socket.once('connect', () => resolve());
      socket.once('error', (err) => {
        this.closed = true;
        reject(err);
      });
      socket.on('data', (c: Buffer) => this.receive(c));
      socket.on('close', () => {
        this.closed = true;
        this.onClose?.();
      });
    });
  }

  /** Calls `fn` when the connection ends. */
  whenClosed(fn: () => void): void {
    this.onClose = fn;
  }

  /** Writes bytes that are already STOMP frames. */
  write(frames: Buffer): boolean {
    return this.socket!.write(frames);
  }

  /** Sends one frame. */
  sendText(text: string | Buffer): boolean {
    return this.socket!.write(text);
  }

  /** Resolves when the socket's write buffer has drained. */
  drained(): Promise<void> {
    const s = this.socket!;
    if (!s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => s.once('drain', () => resolve()));
  }

  /** Closes the TCP connection at once (the benchmark is over). */
  destroy(): void {
    this.socket?.destroy();
  }

  private receive(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    const last = buf.lastIndexOf(NUL);
    if (last === -1) {
      // No frame ends here: keep the bytes, unless they are only heart-beat EOLs.
      if (!isBlank(buf)) this.rest = Buffer.from(buf);
      return;
    }
    this.onFrame(buf, 0, last + 1);
    if (last + 1 < buf.length && !isBlank(buf.subarray(last + 1))) this.rest = Buffer.from(buf.subarray(last + 1));
  }
}

function isBlank(buf: Buffer): boolean {
  for (const c of buf) if (c !== 0x0a && c !== 0x0d) return false;
  return true;
}
