import type { IncomingMessage, Server as HttpServer } from 'node:http';
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
  /**
   * Full handshakes of requests that may open a session, by `/<server>/<session>`: sockjs-node
   * passes on only a whitelist of headers (no cookie, no authorization), and authentication
   * needs them all. Taken when the session opens; forgotten after `HANDSHAKE_TTL` otherwise.
   */
  private readonly handshakes = new Map<string, HandshakeInfo>();

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
    this.handshakes.clear();
  }

  /** True when `pathname` belongs to this endpoint (its info URL, transports, iframe). */
  owns(pathname: string): boolean {
    return pathname === this.prefix || pathname.startsWith(`${this.prefix}/`);
  }

  /** Keeps the full handshake of a request that may open a session (called before sockjs-node sees it). */
  remember(req: IncomingMessage): void {
    const key = sessionKey(req.url ?? '', this.prefix);
    if (key === undefined || this.handshakes.has(key)) return;
    this.handshakes.set(key, { url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress });
    setTimeout(() => this.handshakes.delete(key), HANDSHAKE_TTL).unref();
  }

  private open(conn: sockjs.Connection): void {
    this.connections.add(conn);
    const key = sessionKey(conn.url, this.prefix);
    const full = key === undefined ? undefined : this.handshakes.get(key);
    if (key !== undefined) this.handshakes.delete(key);
    const connection = new SockJsConnection(conn, full ?? { url: conn.url, headers: conn.headers, remoteAddress: conn.remoteAddress });
    const handler = this.accept(connection);
    conn.on('data', (text: string) => handler.receive(Buffer.from(text, 'utf8'), false));
    conn.on('close', () => {
      this.connections.delete(conn);
      handler.closed(`sockjs ${conn.protocol} closed`);
    });
  }
}

/** How long a remembered handshake waits for its session to open, ms. */
const HANDSHAKE_TTL = 30000;
const OPENING = /^\/([^/.]+)\/([^/.]+)\/(websocket|xhr|xhr_streaming|eventsource|htmlfile|jsonp)$/;

/** `/<server>/<session>` of a session-opening transport URL under `prefix`, else undefined. */
function sessionKey(url: string, prefix: string): string | undefined {
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  if (!pathname.startsWith(`${prefix}/`)) return undefined;
  const m = OPENING.exec(pathname.slice(prefix.length));
  return m === null ? undefined : `/${m[1]}/${m[2]}`;
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
    // sockjs-node keeps unsent messages in its session's send buffer and swaps in a new array
    // when it flushes; counting only what was appended since the last read keeps this O(1)
    // amortized, so the per-MESSAGE backpressure check stays cheap.
    const buffer = (this.conn as unknown as { _session?: { send_buffer?: string[] } })._session?.send_buffer;
    if (buffer === undefined) return 0;
    if (buffer !== this.counted) {
      this.counted = buffer;
      this.countedLength = 0;
      this.countedBytes = 0;
    }
    for (let i = this.countedLength; i < buffer.length; i++) this.countedBytes += buffer[i].length;
    this.countedLength = buffer.length;
    return this.countedBytes + this.pendingBytes;
  }

  private counted: string[] | undefined;
  private countedLength = 0;
  private countedBytes = 0;

  /** Frames written this turn, and their size: sent when the turn ends. */
  private pending: Uint8Array[] | undefined;
  private pendingBytes = 0;

  /**
   * Frames written in one turn of the event loop go out together, each still one whole
   * SockJS message: when the turn ends they become one `a[...]` frame and one socket write.
   */
  send(data: Uint8Array, _binary: boolean): void {
    if (this.conn.readyState !== 1) return;
    const session = this.session();
    if (session?.send_buffer === undefined || session.readyState !== 1) {
      this.conn.write(textOf(data));
      return;
    }
    this.pendingBytes += data.byteLength;
    if (this.pending !== undefined) this.pending.push(data);
    else {
      this.pending = [data];
      process.nextTick(flushConnection, this);
    }
  }

  /**
   * Hands this turn's frames to the receiving request. With one attached and nothing older
   * queued, it writes the `a[...]` frame itself (what sockjs-node's doSendBulk does), quoting
   * each frame once for every session it goes to rather than once per session; otherwise
   * the frames join sockjs-node's send buffer for the next request.
   */
  flush(): void {
    const frames = this.pending;
    this.pending = undefined;
    this.pendingBytes = 0;
    const session = this.session();
    if (frames === undefined || session?.send_buffer === undefined || session.readyState !== 1) return;
    const recv = session.recv as SockJsReceiver | null | undefined;
    if (recv != null && session.send_buffer.length === 0) {
      let body = 'a[';
      for (let i = 0; i < frames.length; i++) body += (i === 0 ? '' : ',') + quoted(frames[i]);
      recv.doSendFrame(`${body}]`);
      return;
    }
    for (const frame of frames) session.send_buffer.push(textOf(frame));
    if (recv != null) session.tryFlush();
  }

  close(code: number, reason: string): void {
    this.flush(); // what was written before the close goes before the close frame
    this.conn.close(String(code), reason);
  }

  private session(): SockJsSessionInternals | undefined {
    return (this.conn as unknown as { _session?: SockJsSessionInternals })._session;
  }

  terminate(): void {
    // Not conn.destroy(): it removes every listener, so 'close' never reaches the session and it
    // would leak. With no receiving request the SockJS session can end at once (as when its
    // disconnect delay expires); with one, close() sends the close frame and detaches it, and
    // sockjs-node ends the session after its disconnect delay.
    const session = this.session();
    if (session !== undefined && session.recv == null && session.readyState !== 3) session.didTimeout();
    else this.conn.close('1011', 'Terminated');
  }
}

/** The parts of sockjs-node's (0.3.x) internal session that batching and terminate() rely on. */
interface SockJsSessionInternals {
  recv: unknown;
  readyState: number;
  send_buffer: string[] | undefined;
  tryFlush(): void;
  didTimeout(): void;
}

/** A sockjs-node receiver (the request or socket a session's frames are written to). */
interface SockJsReceiver {
  doSendFrame(payload: string): void;
}

function flushConnection(connection: SockJsConnection): void {
  connection.flush();
}

function textOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

// sockjs-node's own message quoting (JSON plus the escapes some browsers need), applied once per encoded frame.
const { quote } = require('sockjs/lib/utils') as { quote(message: string): string };
const QUOTED = new WeakMap<Uint8Array, string>();

function quoted(frame: Uint8Array): string {
  let q = QUOTED.get(frame);
  if (q === undefined) QUOTED.set(frame, (q = quote(textOf(frame))));
  return q;
}
