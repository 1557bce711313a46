import type { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { silentLogger, type Logger } from '../logger';
import { SUBPROTOCOLS } from '../stomp/versions';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';
import type { Endpoint } from './endpoint';
import { TurnWriter } from './turn-writer';
import { rawSocketOf, writeFrames, type RawSocket } from './ws-frames';

/**
 * Plain WebSocket endpoints over `ws` in `noServer` mode: the server's single upgrade router
 * hands us the upgrades for our paths, and we negotiate the STOMP subprotocol
 * (`v12.stomp`, `v11.stomp`, `v10.stomp`; a client offering none is accepted too, as Spring
 * does). SockJS's own websocket transport carries SockJS framing and no subprotocol, which is why
 * raw WebSocket never goes through it.
 */
export class WebSocketEndpoint implements Endpoint {
  readonly name = 'websocket';
  private readonly wss: WebSocketServer;
  private readonly writer = new TurnWriter<WsConnection>();
  private readonly paths: ReadonlySet<string>;

  /** `paths`: the upgrade paths this endpoint owns (the `websocketEndpoints`, and `<endpoint>/websocket` of each SockJS endpoint). */
  constructor(
    maxPayload: number,
    private readonly accept: (connection: Connection) => ConnectionHandler,
    private readonly logger: Logger = silentLogger,
    paths: Iterable<string> = [],
  ) {
    this.paths = new Set(paths);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
  }

  owns(pathname: string): boolean {
    return this.paths.has(pathname);
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
    // Nothing a client sends may throw out of a listener: a fault ends this session only.
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        handler.receive(data, isBinary);
      } catch (err) {
        handler.fail(err, undefined);
      }
    });
    ws.on('close', (code: number) => {
      try {
        handler.closed(`websocket close ${code}`);
      } catch (err) {
        this.logger.error({ err, transport: 'websocket' }, 'Session close handling failed');
      }
    });
    ws.on('error', () => ws.terminate());
  }
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
    private readonly writer: TurnWriter<WsConnection>,
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
