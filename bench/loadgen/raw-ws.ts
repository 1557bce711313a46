import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Called once per complete WebSocket data frame: its payload is `buf[start, end)`. */
export type FrameHandler = (buf: Buffer, start: number, end: number) => void;

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const FIN = 0x80;
const MASK = 0x80;
// A zero masking key leaves the payload as it is, so pre-encoded frames are sent with no
// per-byte XOR in the load generator. The server unmasks every frame whatever the key.
const ZERO_MASK = Buffer.alloc(4);

/**
 * A minimal RFC 6455 client over a plain TCP socket, for the load generator only. The `ws`
 * client allocates a Buffer and emits an event per message; at a million messages a second
 * that makes the load generator the bottleneck. This client hands each frame to a callback
 * as a view into the received chunk, so counting a message costs a few byte reads. Servers
 * see a standard handshake and masked frames: nothing about it is special on their side.
 */
export class RawWebSocket {
  private socket: Socket | undefined;
  private rest: Buffer | undefined;
  private onClose: (() => void) | undefined;
  /** Set when the server closed or the socket failed. */
  closed = false;

  constructor(
    private readonly port: number,
    private readonly path: string,
    private readonly onFrame: FrameHandler,
    private readonly protocol?: string,
  ) {}

  /** Opens the TCP connection and completes the upgrade handshake. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port, host: '127.0.0.1', noDelay: true });
      this.socket = socket;
      const key = randomBytes(16).toString('base64');
      let head: Buffer = Buffer.alloc(0);
      const onHandshake = (chunk: Buffer): void => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onHandshake);
        const status = head.toString('latin1', 0, head.indexOf('\r\n'));
        if (!status.includes(' 101 ')) {
          socket.destroy();
          reject(new Error(`upgrade of ${this.path} refused: ${status}`));
          return;
        }
        socket.on('data', (c: Buffer) => this.receive(c));
        if (end + 4 < head.length) this.receive(head.subarray(end + 4));
        resolve();
      };
      socket.on('data', onHandshake);
      socket.once('error', (err) => {
        this.closed = true;
        reject(err);
      });
      socket.on('close', () => {
        this.closed = true;
        this.onClose?.();
      });
      const proto = this.protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${this.protocol}\r\n`;
      socket.write(
        `GET ${this.path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${proto}\r\n`,
      );
    });
  }

  /** Calls `fn` when the connection ends. */
  whenClosed(fn: () => void): void {
    this.onClose = fn;
  }

  /** Writes bytes that are already WebSocket frames (see {@link encodeClientFrame}). */
  write(frames: Buffer): boolean {
    return this.socket!.write(frames);
  }

  /** Sends one text message. */
  sendText(text: string | Buffer): boolean {
    return this.socket!.write(encodeClientFrame(text));
  }

  /** Resolves when the socket's write buffer has drained. */
  drained(): Promise<void> {
    const s = this.socket!;
    if (!s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => s.once('drain', () => resolve()));
  }

  /** Closes the TCP connection without a close handshake (the benchmark is over). */
  destroy(): void {
    this.socket?.destroy();
  }

  private receive(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let pos = 0;
    const len = buf.length;
    while (pos + 2 <= len) {
      const op = buf[pos] & 0x0f;
      let size = buf[pos + 1] & 0x7f;
      let start = pos + 2;
      if (size === 126) {
        if (start + 2 > len) break;
        size = buf.readUInt16BE(pos + 2);
        start += 2;
      } else if (size === 127) {
        if (start + 8 > len) break;
        size = buf.readUInt32BE(pos + 2) * 0x100000000 + buf.readUInt32BE(pos + 6);
        start += 8;
      }
      const end = start + size;
      if (end > len) break;
      if (op === OP_PING) this.socket!.write(encodeClientFrame(buf.subarray(start, end), 0xa));
      else if (op === OP_CLOSE) this.socket!.end();
      else this.onFrame(buf, start, end);
      pos = end;
    }
    if (pos < len) this.rest = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
  }
}

/** Encodes one masked client frame (text unless `opcode` says otherwise). */
export function encodeClientFrame(payload: string | Buffer, opcode = OP_TEXT): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = body.length;
  const headLen = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + 4 + n);
  out[0] = FIN | opcode;
  if (n < 126) out[1] = MASK | n;
  else if (n < 0x10000) {
    out[1] = MASK | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = MASK | 127;
    out.writeUInt32BE(Math.floor(n / 0x100000000), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  ZERO_MASK.copy(out, headLen);
  body.copy(out, headLen + 4);
  return out;
}
