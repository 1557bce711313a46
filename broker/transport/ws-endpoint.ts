import type { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../stomp/versions';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';
import { writeFrames, type FrameSink } from './ws-frames';

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

/** What this transport needs of ws's underlying `net.Socket` to write frames itself. */
interface RawSocket extends FrameSink {
  readonly destroyed: boolean;
  readonly writable: boolean;
}

/**
 * ws's underlying socket (`_socket`, not part of its public API), or undefined when this
 * version of ws keeps it elsewhere: then frames go through `ws.send`, slower but the same bytes.
 * spec/e2e/websocket-framing.spec.ts checks that the installed ws still has it.
 */
function rawSocketOf(ws: WebSocket): RawSocket | undefined {
  const socket = (ws as unknown as { _socket?: Partial<RawSocket> })._socket;
  return typeof socket?.write === 'function' && typeof socket.cork === 'function' && typeof socket.uncork === 'function' ? (socket as RawSocket) : undefined;
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
  private readonly socket: RawSocket | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly handshake: HandshakeInfo,
    private readonly writer: TurnWriter,
  ) {
    this.socket = rawSocketOf(ws);
  }

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

  /** Writes the frames queued in this turn, together. */
  flush(): void {
    const frames = this.frames;
    const binary = this.binaryFrames;
    if (frames === undefined) return;
    this.frames = undefined;
    this.binaryFrames = undefined;
    this.queuedBytes = 0;
    if (this.ws.readyState !== 1) return;
    const socket = this.socket;
    if (socket === undefined) {
      for (let i = 0; i < frames.length; i++) this.ws.send(frames[i], { binary: binary?.[i] === true });
      return;
    }
    if (socket.destroyed || !socket.writable) return;
    writeFrames(socket, frames, binary);
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

  /** ws stops reading its socket; messages it already read may still arrive. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }
}
