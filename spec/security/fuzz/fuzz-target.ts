/**
 * Fuzz targets: ways of delivering bytes to the broker. A target opens connections; a
 * connection sends transport messages and, after a case, says how it stands within a bounded
 * wait: `open` (the server still answers on it), `closed`, or `hung` (neither: a violation).
 * Every STOMP frame the server sent back is decoded, so the runner can check what came back
 * (no STOMP_ERR_INTERNAL, an ERROR always followed by a close).
 *
 * Targets: plain WebSocket (text or binary messages), the SockJS websocket transport (STOMP
 * bytes carried in a SockJS array of one string, or any text as is), and STOMP over TCP (SPEC
 * §6.3): a `net.Socket` whose `send` is `write` and whose stream is decoded with the same
 * FrameDecoder; the STOMP cases run on it unchanged. TCP has no ping: its `settle` waits until
 * the broker has been quiet for {@link TCP_QUIET_MS} (so its answers to the case have arrived and
 * are checked), then writes a heart-beat EOL and counts the connection open when the socket is
 * still writable and its write went out.
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { StompError } from '../../../broker/errors';
import type { FrameDecoder } from '../../../broker/stomp/decoder';
import { serverFrameDecoder, type PlainFrame } from '../../helpers/frames';
import { parseSockJsFrame, sessionId, stompFramesOf, type SockJsFrame } from '../../helpers/sockjs-raw';

/** How a connection stands after a case. */
export type Standing = 'open' | 'closed' | 'hung';

export interface FuzzConnection {
  /** Sends one transport message. `binary` is a hint a text-only transport ignores. */
  send(data: Uint8Array, binary: boolean): void;
  /** STOMP frames the server sent so far. */
  readonly frames: readonly PlainFrame[];
  /** Why the server's output could not be decoded as STOMP, if it could not. */
  readonly decodeError: string | undefined;
  /** The close code, once closed. */
  readonly closeCode: number | undefined;
  /**
   * Waits at most `ms` and says how the connection stands: closed; open, when the server still
   * answers on it (a WebSocket ping gets its pong); hung otherwise.
   */
  settle(ms: number): Promise<Standing>;
  /** Waits at most `ms` for the server to close the connection; true if it did. */
  closedWithin(ms: number): Promise<boolean>;
  /** Drops the connection. */
  close(): void;
}

export interface FuzzTarget {
  readonly name: string;
  /** Opens a fresh connection (rejects when it cannot within a few seconds). */
  open(): Promise<FuzzConnection>;
}

/** A `ws` socket as a fuzz connection; `decode` turns each server message into STOMP frames. */
class WsConnection implements FuzzConnection {
  readonly frames: PlainFrame[] = [];
  decodeError: string | undefined;
  closeCode: number | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly ws: WebSocket,
    private readonly encode: (data: Uint8Array, binary: boolean) => { data: Uint8Array | string; binary: boolean },
    decode: (message: Buffer, conn: WsConnection) => void,
  ) {
    ws.on('message', (data: Buffer) => {
      decode(data, this);
      this.poke();
    });
    ws.on('pong', () => this.poke());
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.poke();
    });
    ws.on('error', () => undefined);
  }

  static async open(url: string, protocols: string[], encode: WsConnection['encode'], decode: (message: Buffer, conn: WsConnection) => void, ready?: (first: Buffer) => boolean): Promise<WsConnection> {
    const ws = new WebSocket(url, protocols, { maxPayload: 256 * 1024 * 1024 });
    const conn = new WsConnection(ws, encode, decode);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`could not open ${url} within 5 s`)), 5000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      ws.once('error', fail);
      const opened = (): void => {
        ws.off('error', fail);
        clearTimeout(timer);
        resolve();
      };
      if (ready === undefined) ws.once('open', opened);
      else ws.once('message', (first: Buffer) => (ready(first) ? opened() : fail(new Error(`unexpected first message ${first.toString().slice(0, 40)}`))));
    });
    return conn;
  }

  send(data: Uint8Array, binary: boolean): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const out = this.encode(data, binary);
    this.ws.send(out.data, { binary: out.binary });
  }

  async settle(ms: number): Promise<Standing> {
    if (this.closeCode !== undefined) return 'closed';
    if (this.ws.readyState !== WebSocket.OPEN) return (await this.closedWithin(ms)) ? 'closed' : 'hung';
    let ponged = false;
    const onPong = (): void => {
      ponged = true;
      this.poke();
    };
    this.ws.once('pong', onPong);
    this.ws.ping();
    await this.until(() => ponged || this.closeCode !== undefined, ms);
    this.ws.off('pong', onPong);
    if (this.closeCode !== undefined) return 'closed';
    return ponged ? 'open' : 'hung';
  }

  async closedWithin(ms: number): Promise<boolean> {
    await this.until(() => this.closeCode !== undefined, ms);
    return this.closeCode !== undefined;
  }

  close(): void {
    this.ws.terminate();
  }

  private until(done: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve();
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * Decodes plain-WebSocket messages as one STOMP stream (server commands, loose limits),
 * unescaping headers by the version CONNECTED names; until then as 1.0 (no escapes), as the broker
 * writes an ERROR that reaches a client before any version was negotiated.
 */
function stompStream(): (message: Buffer, conn: WsConnection) => void {
  let decoder: FrameDecoder | undefined;
  return (message, conn) => {
    decoder ??= serverFrameDecoder((p) => conn.frames.push(p), '1.0');
    try {
      decoder.push(message);
    } catch (err) {
      conn.decodeError ??= err instanceof StompError ? `${err.code}: ${err.message}` : String(err);
    }
  };
}

/** Decodes SockJS frames and the STOMP frames inside `a[...]`. */
function sockJsStream(): (message: Buffer, conn: WsConnection) => void {
  const received: SockJsFrame[] = [];
  return (message, conn) => {
    const frame: SockJsFrame = parseSockJsFrame(message.toString('utf8'));
    if (frame.kind === 'other') conn.decodeError ??= `not a SockJS frame: ${frame.text.slice(0, 60)}`;
    received.push(frame);
    conn.frames.splice(0, conn.frames.length, ...stompFramesOf(received));
  };
}

const utf8 = new TextDecoder('utf-8');

/** STOMP over plain WebSocket at `url` (`ws://127.0.0.1:<port>/stomp`): bytes go as they are, text or binary. */
export function webSocketTarget(url: string): FuzzTarget {
  return {
    name: 'plain WebSocket',
    open: () => WsConnection.open(url, ['v12.stomp', 'v11.stomp', 'v10.stomp'], (data, binary) => ({ data, binary }), stompStream()),
  };
}

/**
 * STOMP over the SockJS websocket transport at `endpoint` (`ws://127.0.0.1:<port>/stomp`): each
 * message's bytes, decoded as UTF-8 (SockJS carries text), go as a SockJS array of one string.
 */
export function sockJsStompTarget(endpoint: string): FuzzTarget {
  return {
    name: 'SockJS websocket (STOMP)',
    open: () =>
      WsConnection.open(
        `${endpoint}/000/${sessionId()}/websocket`,
        [],
        (data) => ({ data: JSON.stringify([utf8.decode(data)]), binary: false }),
        sockJsStream(),
        (first) => first.toString() === 'o',
      ),
  };
}

/** How long a TCP fuzz connection must stay silent before a case counts as answered, ms. */
export const TCP_QUIET_MS = 25;

/** A raw TCP socket as a fuzz connection (STOMP over TCP). */
class TcpFuzzConnection implements FuzzConnection {
  readonly frames: PlainFrame[] = [];
  decodeError: string | undefined;
  closeCode: number | undefined;
  private readonly waiters = new Set<() => void>();
  private lastDataAt = 0;

  private constructor(private readonly socket: Socket) {
    const decode = stompStream();
    socket.on('data', (chunk: Buffer) => {
      this.lastDataAt = Date.now();
      decode(chunk, this as unknown as WsConnection);
      this.poke();
    });
    socket.on('error', () => undefined);
    socket.on('close', (hadError: boolean) => {
      this.closeCode = hadError ? 1006 : 1000;
      this.poke();
    });
  }

  static open(port: number): Promise<TcpFuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const timer = setTimeout(() => reject(new Error(`could not connect to ${port} within 5 s`)), 5000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new TcpFuzzConnection(socket));
      });
    });
  }

  send(data: Uint8Array): void {
    if (this.socket.writable) this.socket.write(data);
  }

  async settle(ms: number): Promise<Standing> {
    const deadline = Date.now() + ms;
    const since = Date.now();
    // The broker's answers (or its close) arrive while it keeps writing; quiet for TCP_QUIET_MS means done.
    while (this.closeCode === undefined && Date.now() < deadline) {
      const quietFor = Date.now() - Math.max(since, this.lastDataAt);
      if (quietFor >= TCP_QUIET_MS) break;
      await this.until(() => this.closeCode !== undefined, Math.min(TCP_QUIET_MS - quietFor, deadline - Date.now()));
    }
    if (this.closeCode !== undefined) return 'closed';
    let written = false;
    if (this.socket.writable) {
      this.socket.write('\n', () => {
        written = true;
        this.poke();
      });
    }
    await this.until(() => this.closeCode !== undefined || written, Math.max(1, deadline - Date.now()));
    if (this.closeCode !== undefined) return 'closed';
    return written && this.socket.writable ? 'open' : 'hung';
  }

  async closedWithin(ms: number): Promise<boolean> {
    await this.until(() => this.closeCode !== undefined, ms);
    return this.closeCode !== undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  private until(done: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve();
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** STOMP over TCP on 127.0.0.1:`port`: the bytes of every message go as they are, one stream. */
export function tcpTarget(port: number): FuzzTarget {
  return { name: 'STOMP over TCP', open: () => TcpFuzzConnection.open(port) };
}

/** The SockJS websocket transport at `endpoint`, each message sent as text exactly as given (any JSON, or none). */
export function sockJsRawTarget(endpoint: string): FuzzTarget {
  return {
    name: 'SockJS websocket (raw)',
    open: () =>
      WsConnection.open(
        `${endpoint}/000/${sessionId()}/websocket`,
        [],
        (data) => ({ data: Buffer.from(data), binary: false }),
        sockJsStream(),
        (first) => first.toString() === 'o',
      ),
  };
}
