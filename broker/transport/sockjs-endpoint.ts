import { Buffer } from 'node:buffer';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import * as sockjs from 'sockjs';
import type { Logger } from '../logger';
import type { Connection, ConnectionHandler, HandshakeInfo } from './connection';
import { headerLength, writeHeader } from './ws-frames';

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
    // amortized, so the per-MESSAGE backpressure check stays cheap. On the websocket transport
    // what was written waits in the socket instead, and counts too.
    const session = this.session();
    const buffer = session?.send_buffer;
    if (buffer === undefined) return 0;
    const socketBytes = socketOf(session!.recv)?.writableLength ?? 0;
    if (buffer !== this.counted) {
      this.counted = buffer;
      this.countedLength = 0;
      this.countedBytes = 0;
    }
    for (let i = this.countedLength; i < buffer.length; i++) this.countedBytes += buffer[i].length;
    this.countedLength = buffer.length;
    return this.countedBytes + this.pendingBytes + socketBytes;
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
   * each frame once for every session it goes to rather than once per session; on the
   * websocket transport it writes the WebSocket frame to the socket, built once for all the
   * sessions of a fan-out. Otherwise the frames join sockjs-node's send buffer for the next
   * request.
   */
  flush(): void {
    const frames = this.pending;
    this.pending = undefined;
    this.pendingBytes = 0;
    const session = this.session();
    if (frames === undefined || session?.send_buffer === undefined || session.readyState !== 1) return;
    const recv = session.recv as SockJsReceiver | null | undefined;
    if (recv != null && session.send_buffer.length === 0) {
      const socket = socketOf(recv);
      if (socket !== undefined) socket.write(websocketArrayFrame(frames));
      else recv.doSendFrame(arrayFrame(frames));
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
  /** `websocket` for the websocket transport, whose receiver also holds the two below. */
  readonly protocol?: string;
  /** The faye-websocket socket (readyState 1 while open). */
  readonly ws?: { readyState: number } | null;
  /** The upgraded TCP socket under it. */
  readonly connection?: Duplex;
}

/**
 * The TCP socket under an open websocket receiver, which takes WebSocket frames written to it
 * directly: faye-websocket writes its own frames (heart-beats, close) to it synchronously, so
 * the order holds. undefined for every other receiver, or once the WebSocket is closing. Our
 * sockjs server configures no faye extensions, so frames are never compressed.
 */
function socketOf(recv: unknown): Duplex | undefined {
  const r = recv as SockJsReceiver | null | undefined;
  if (r?.protocol !== 'websocket' || r.ws?.readyState !== 1) return undefined;
  const socket = r.connection;
  return socket !== undefined && socket.writable && !socket.destroyed ? socket : undefined;
}

/** The SockJS `a[...]` frame of a turn's frames (each quoted once, see {@link quoted}). */
function arrayFrame(frames: readonly Uint8Array[]): string {
  let body = 'a[';
  for (let i = 0; i < frames.length; i++) body += (i === 0 ? '' : ',') + quoted(frames[i]);
  return `${body}]`;
}

/**
 * The last WebSocket frame built from a turn's frames: the sessions of a fan-out queue the
 * same encoded frames in the same order, and share one buffer (no one's to change: sockets
 * only read what they are given).
 */
let lastFrames: readonly Uint8Array[] = [];
let lastWire: Buffer = Buffer.alloc(0);

/** The `a[...]` frame of `frames` as one whole WebSocket text frame (RFC 6455 §5.2). */
function websocketArrayFrame(frames: readonly Uint8Array[]): Buffer {
  if (sameFrames(frames, lastFrames)) return lastWire;
  const body = arrayFrame(frames);
  const length = Buffer.byteLength(body, 'utf8');
  const wire = Buffer.allocUnsafe(headerLength(length) + length);
  wire.write(body, writeHeader(wire, 0, length, false), 'utf8');
  lastFrames = frames;
  lastWire = wire;
  return wire;
}

function sameFrames(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
