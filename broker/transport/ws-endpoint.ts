import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBPROTOCOLS } from '../stomp/versions';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/**
 * Plain WebSocket endpoints over `ws` in `noServer` mode: the server's single upgrade router
 * hands us the upgrades for our paths, and we negotiate the STOMP subprotocol
 * (`v12.stomp`, `v11.stomp`, `v10.stomp`; a client offering none is accepted too, as Spring
 * does). sockjs-node's own raw WebSocket URL cannot negotiate a subprotocol, which is why
 * raw WebSocket never goes through it.
 */
export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;

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
    const connection = new WsConnection(ws, {
      url: req.url ?? '/',
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
    });
    req.socket.setKeepAlive?.(true, 30000);
    req.socket.setNoDelay?.(true);
    const handler = this.accept(connection);
    ws.on('message', (data: Buffer, isBinary: boolean) => handler.receive(data, isBinary));
    ws.on('close', (code: number) => handler.closed(`websocket close ${code}`));
    ws.on('error', () => ws.terminate());
  }
}

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * A `ws` socket as a {@link Connection}. Writes made in one turn of the event loop are
 * corked and leave in one `writev` when the turn ends: a fan-out to many subscribers, or
 * many MESSAGEs to one, costs one syscall per socket rather than one per frame.
 */
class WsConnection implements Connection {
  readonly transport = 'websocket';
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    readonly handshake: HandshakeInfo,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(data: Uint8Array, binary: boolean): void {
    if (this.ws.readyState !== 1) return;
    if (!this.corked) {
      const socket = (this.ws as unknown as { _socket?: CorkableSocket })._socket;
      if (socket !== undefined) {
        socket.cork();
        this.corked = true;
        setImmediate(uncork, this, socket);
      }
    }
    this.ws.send(data, binary ? BINARY : TEXT);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  uncorked(): void {
    this.corked = false;
  }
}

function uncork(connection: WsConnection, socket: CorkableSocket): void {
  connection.uncorked();
  socket.uncork();
}
