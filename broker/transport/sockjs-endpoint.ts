import type { Server as HttpServer } from 'node:http';
import * as sockjs from 'sockjs';
import type { Logger } from '../logger';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';

/** SockJS settings (Spring's defaults: heart-beat 25 s, disconnect delay 5 s, stream limit 128 KiB). */
export interface SockJsSettings {
  readonly heartbeatDelay: number;
  readonly disconnectDelay: number;
  readonly streamLimit: number;
  /** Where the iframe transports load sockjs-client from: our own server, never a CDN. */
  readonly clientUrl: string;
}

/**
 * One SockJS endpoint (every transport: websocket, xhr-streaming, xhr-polling, eventsource,
 * htmlfile, jsonp) over sockjs-node. SockJS carries text only: each STOMP frame goes out as
 * one SockJS message.
 */
export class SockJsEndpoint {
  private readonly server: sockjs.Server;
  private readonly connections = new Set<sockjs.Connection>();

  constructor(
    readonly prefix: string,
    settings: SockJsSettings,
    logger: Logger,
    private readonly accept: (connection: Connection) => ConnectionHandler,
  ) {
    this.server = sockjs.createServer({
      prefix,
      sockjs_url: settings.clientUrl,
      heartbeat_delay: settings.heartbeatDelay,
      disconnect_delay: settings.disconnectDelay,
      response_limit: settings.streamLimit,
      log: (severity: string, message: string) => {
        if (severity === 'error') logger.warn({ prefix }, `sockjs: ${message}`);
      },
    } as sockjs.ServerOptions);
    this.server.on('connection', (conn: sockjs.Connection | null) => {
      if (conn !== null) this.open(conn);
    });
  }

  /** Installs the endpoint's request and upgrade listeners on `http`. */
  install(http: HttpServer): void {
    this.server.installHandlers(http, { prefix: this.prefix });
  }

  close(): void {
    for (const conn of this.connections) conn.close('1001', 'Server shutting down');
  }

  private open(conn: sockjs.Connection): void {
    this.connections.add(conn);
    const connection = new SockJsConnection(conn, {
      url: conn.url,
      headers: conn.headers,
      remoteAddress: conn.remoteAddress,
    });
    const handler = this.accept(connection);
    conn.on('data', (text: string) => handler.receive(Buffer.from(text, 'utf8')));
    conn.on('close', () => {
      this.connections.delete(conn);
      handler.closed(`sockjs ${conn.protocol} closed`);
    });
  }
}

class SockJsConnection implements Connection {
  constructor(
    private readonly conn: sockjs.Connection,
    readonly handshake: HandshakeInfo,
  ) {}

  get transport(): string {
    return this.conn.protocol === 'websocket' ? 'sockjs-websocket' : this.conn.protocol;
  }

  get bufferedAmount(): number {
    // sockjs-node keeps unsent messages in its session's send buffer.
    const session = (this.conn as unknown as { _session?: { send_buffer?: string[] } })._session;
    let total = 0;
    for (const m of session?.send_buffer ?? []) total += m.length;
    return total;
  }

  send(data: Uint8Array, _binary: boolean): void {
    if (this.conn.readyState !== 1) return;
    this.conn.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  }

  close(code: number, reason: string): void {
    this.conn.close(String(code), reason);
  }

  terminate(): void {
    this.conn.destroy();
  }
}
