import { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../stomp/versions';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';

/**
 * Plain WebSocket endpoints over `ws` in `noServer` mode: the server's single upgrade router
 * hands us the upgrades for our paths, and we negotiate the STOMP subprotocol
 * (`v12.stomp`, `v11.stomp`, `v10.stomp`; a client offering none is accepted too, as Spring
 * does). sockjs-node's own raw WebSocket URL cannot negotiate a subprotocol, which is why
 * raw WebSocket never goes through it.
 */
export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;
  private readonly writer = new TurnWriter();

  constructor(
    maxPayload: number,
    private readonly accept: (connection: Connection) => ConnectionHandler,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
  }

  /** Completes an upgrade the router decided is ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, req));
  }

  /** Open sockets (for shutdown). */
  get clients(): Set<WebSocket> {
    return this.wss.clients;
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private open(ws: WebSocket, req: IncomingMessage): void {
    const connection = new WsConnection(
      ws,
      { url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress },
      this.writer,
    );
    req.socket.setKeepAlive?.(true, 30000);
    req.socket.setNoDelay?.(true);
    const handler = this.accept(connection);
    ws.on('message', (data: Buffer, isBinary: boolean) => handler.receive(data, isBinary));
    ws.on('close', (code: number) => handler.closed(`websocket close ${code}`));
    ws.on('error', () => ws.terminate());
  }
}

/** The part of ws's underlying `net.Socket` this transport writes to. */
interface RawSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
}

/** Frames larger than this are written after their own header instead of being copied into the turn's buffer. */
const COPY_LIMIT = 16 * 1024;

/** RFC 6455 §5.2: 2 header bytes, plus 2 for a 16-bit length or 8 for a 64-bit one (server frames are not masked). */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes a final, unmasked text (opcode 1) or binary (opcode 2) frame header at `offset`; returns the offset after it. */
function writeHeader(target: Buffer, offset: number, length: number, binary: boolean): number {
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
 * The connections that queued frames in this turn of the event loop, written out together
 * in one `setImmediate` when the turn ends.
 */
class TurnWriter {
  private dirty: WsConnection[] = [];

  add(connection: WsConnection): void {
    if (this.dirty.length === 0) setImmediate(flushTurn, this);
    this.dirty.push(connection);
  }

  flush(): void {
    const list = this.dirty;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  }
}

function flushTurn(writer: TurnWriter): void {
  writer.flush();
}

/**
 * A `ws` socket as a {@link Connection}. Frames sent in one turn of the event loop are
 * queued and leave together when the turn ends: their WebSocket headers and payloads are
 * laid out in one buffer and written with one `write` (a fan-out to many subscribers, or
 * many MESSAGEs to one, costs one syscall and one allocation per socket rather than a
 * header, an options object and a queued write per frame inside `ws`). Each STOMP frame is
 * still one whole WebSocket message. Control frames (ping, pong, close) stay with `ws`;
 * `close()` writes the queue first, so nothing sent before it is lost or overtaken.
 */
class WsConnection implements Connection {
  readonly transport = 'websocket';
  private frames: Uint8Array[] | undefined;
  /** Set once a binary frame is queued in this turn: which queued frames are binary. */
  private binaryFrames: boolean[] | undefined;
  private queuedBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly handshake: HandshakeInfo,
    private readonly writer: TurnWriter,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  send(data: Uint8Array, binary: boolean): void {
    if (this.ws.readyState !== 1) return;
    let frames = this.frames;
    if (frames === undefined) {
      frames = this.frames = [];
      this.writer.add(this);
    }
    if (binary || this.binaryFrames !== undefined) {
      this.binaryFrames ??= new Array<boolean>(frames.length).fill(false);
      this.binaryFrames.push(binary);
    }
    frames.push(data);
    this.queuedBytes += data.length;
  }

  /** Writes the frames queued in this turn: small ones copied into one buffer, large ones after their own header. */
  flush(): void {
    const frames = this.frames;
    const binary = this.binaryFrames;
    if (frames === undefined) return;
    this.frames = undefined;
    this.binaryFrames = undefined;
    this.queuedBytes = 0;
    const socket = (this.ws as unknown as { _socket?: RawSocket })._socket;
    if (this.ws.readyState !== 1 || socket === undefined || socket.destroyed || !socket.writable) return;
    let size = 0;
    let large = false;
    for (let i = 0; i < frames.length; i++) {
      const length = frames[i].length;
      if (length > COPY_LIMIT) large = true;
      else size += headerLength(length) + length;
    }
    if (!large) {
      socket.write(copyFrames(frames, binary, 0, frames.length, size));
      return;
    }
    // Runs of small frames copied, each large frame as header + payload, all in one writev.
    socket.cork();
    let start = 0;
    let runSize = 0;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      const length = frame.length;
      if (length <= COPY_LIMIT) {
        runSize += headerLength(length) + length;
        continue;
      }
      if (runSize > 0) socket.write(copyFrames(frames, binary, start, i, runSize));
      const header = Buffer.allocUnsafe(headerLength(length));
      writeHeader(header, 0, length, binary?.[i] === true);
      socket.write(header);
      socket.write(frame);
      start = i + 1;
      runSize = 0;
    }
    if (runSize > 0) socket.write(copyFrames(frames, binary, start, frames.length, runSize));
    socket.uncork();
  }

  close(code: number, reason: string): void {
    this.flush();
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason);
  }

  terminate(): void {
    this.frames = undefined;
    this.binaryFrames = undefined;
    this.queuedBytes = 0;
    this.ws.terminate();
  }
}

/** Lays out frames[from, to) as WebSocket frames in one new buffer of `size` bytes. */
function copyFrames(frames: readonly Uint8Array[], binary: readonly boolean[] | undefined, from: number, to: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = from; i < to; i++) {
    const frame = frames[i];
    offset = writeHeader(out, offset, frame.length, binary?.[i] === true);
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}
