/**
 * Test clients, all real: a raw STOMP client (over `ws`, or over a TCP/TLS socket for
 * `tcp://` and `tcps://` URLs) that writes literal frames and decodes what comes back with our
 * FrameDecoder (server command set); @stomp/stompjs over plain WebSocket
 * or over sockjs-client forced to one transport. Every client opened here is remembered and
 * closed by `closeClients()` (call it in afterEach, before closing servers).
 */
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import { StompError } from '../../broker/errors';
import { FrameDecoder } from '../../broker/stomp/decoder';
import { serverFrameDecoder, type PlainFrame } from './frames';

/**
 * One WebSocket message as the client received it. Over TCP, a byte stream, each frame (from
 * its command to its NUL) and each heart-beat EOL counts as one message, `binary` always true.
 */
export interface WireMessage {
  readonly data: Buffer;
  readonly binary: boolean;
}

const closers = new Set<() => Promise<void>>();

/** Closes every client opened by this module. */
export async function closeClients(): Promise<void> {
  const all = [...closers];
  closers.clear();
  await Promise.all(all.map((close) => close()));
}

/** Resolves when `check()` is true, re-checking whenever `poke` fires; rejects after `ms`. */
function until<T>(what: string, check: () => T | undefined, subscribe: (poke: () => void) => () => void, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`Timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    // A wait a test gave up on (it raced another outcome) must not hold the jest worker open at its exit.
    timer.unref();
    const unsubscribe = subscribe(() => {
      const value = check();
      if (value === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

/** Header value of a decoded frame (first occurrence). */
export function header(frame: PlainFrame, name: string): string | undefined {
  return frame.headers.find(([n]) => n === name)?.[1];
}

/** What RawClient writes to: a WebSocket, or a TCP (TLS) socket. */
interface RawWire {
  readonly ws: WebSocket | undefined;
  readonly socket: Socket | undefined;
  send(data: string | Uint8Array): void;
  /** Starts a clean close (WebSocket close handshake; TCP FIN). */
  end(): void;
  /** Drops the underlying socket with no close handshake. */
  destroy(): void;
  readonly isClosed: () => boolean;
}

/**
 * A STOMP client over a raw `ws` socket or a raw TCP socket: sends literal frames, keeps every
 * WebSocket message (TCP: every frame and heart-beat, see {@link WireMessage}) and every decoded
 * frame. The decoder unescapes headers by the version CONNECTED names. Over TCP the close
 * `code` is 1000 when the server ended the stream (FIN) and 1006 when it was reset.
 */
export class RawClient {
  readonly messages: WireMessage[] = [];
  readonly frames: PlainFrame[] = [];
  decodeError: StompError | undefined;
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private readonly listeners = new Set<() => void>();
  private readonly decoder: FrameDecoder;

  private readonly wire: RawWire;

  private constructor(target: WebSocket | Socket) {
    this.decoder = serverFrameDecoder((p) => this.frames.push(p));
    let closedWith: (closed: { code: number; reason: string }) => void = () => undefined;
    this.closed = new Promise((resolve) => {
      closedWith = (closed) => {
        this.closeCode = closed.code;
        resolve(closed);
        this.poke();
      };
    });
    const received = (data: Buffer, binary: boolean): void => {
      this.messages.push({ data, binary });
      try {
        this.decoder.push(data);
      } catch (err) {
        this.decodeError = err as StompError;
      }
      this.poke();
    };
    if (target instanceof WebSocket) {
      const ws = target;
      this.wire = {
        ws,
        socket: undefined,
        send: (data) => ws.send(data, { binary: typeof data !== 'string' }),
        end: () => ws.close(),
        destroy: () => (ws as unknown as { _socket: Socket })._socket.destroy(),
        isClosed: () => ws.readyState === WebSocket.CLOSED,
      };
      this.opened = new Promise((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.once('close', (code: number, reason: Buffer) => closedWith({ code, reason: reason.toString() }));
      ws.on('error', () => undefined);
      ws.on('message', received);
    } else {
      const socket = target;
      let ended = false;
      let gone = false;
      this.wire = {
        ws: undefined,
        socket,
        send: (data) => void socket.write(data),
        end: () => void socket.end(),
        destroy: () => void socket.destroy(),
        isClosed: () => gone,
      };
      this.opened = new Promise((resolve, reject) => {
        socket.once(socket.constructor.name === 'TLSSocket' ? 'secureConnect' : 'connect', () => resolve());
        socket.once('error', reject);
      });
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('end', () => {
        ended = true;
      });
      socket.once('close', (hadError: boolean) => {
        gone = true;
        closedWith(ended && !hadError ? { code: 1000, reason: 'end' } : { code: 1006, reason: 'reset' });
      });
      const splitter = new StreamSplitter((piece) => received(piece, true));
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    }
  }

  /**
   * Opens a connection to `url` and waits until it is open: `ws://` offering `protocols`,
   * `tcp://host:port` plain TCP, `tcps://host:port` TLS (`tls` options, e.g. the test CA).
   */
  static async open(url: string, protocols: string[] = ['v12.stomp', 'v11.stomp', 'v10.stomp'], tls: { ca?: string | Buffer } = {}): Promise<RawClient> {
    const client = new RawClient(RawClient.dial(url, protocols, tls));
    closers.add(() => client.close());
    await client.opened;
    return client;
  }

  private static dial(url: string, protocols: string[], tls: { ca?: string | Buffer }): WebSocket | Socket {
    const parsed = new URL(url);
    const port = Number(parsed.port);
    if (parsed.protocol === 'tcp:') return tcpConnect(port, parsed.hostname);
    if (parsed.protocol === 'tcps:') return tlsConnect({ port, host: parsed.hostname, servername: 'localhost', ...tls });
    return new WebSocket(url, protocols);
  }

  /** The WebSocket (ws:// clients only). */
  get ws(): WebSocket {
    if (this.wire.ws === undefined) throw new Error('This RawClient speaks TCP, not WebSocket');
    return this.wire.ws;
  }

  /** The TCP socket (tcp:// and tcps:// clients only). */
  get socket(): Socket {
    if (this.wire.socket === undefined) throw new Error('This RawClient speaks WebSocket, not TCP');
    return this.wire.socket;
  }

  /** The TCP socket under either wire (for a WebSocket, the one `ws` writes to). */
  get netSocket(): Socket {
    return this.wire.socket ?? (this.ws as unknown as { _socket: Socket })._socket;
  }

  /** Drops the connection with no close handshake (a dead peer). */
  destroySocket(): void {
    this.wire.destroy();
  }

  /** Opens a socket, sends CONNECT (1.2, no heart-beats unless given) and waits for CONNECTED. */
  static async connected(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const client = await RawClient.open(url);
    const lines = Object.entries({ 'accept-version': '1.2', 'heart-beat': '0,0', ...headers }).map(([n, v]) => `${n}:${v}\n`);
    client.send(`CONNECT\n${lines.join('')}\n\0`);
    const reply = await client.next();
    if (reply.command !== 'CONNECTED') throw new Error(`Expected CONNECTED, got ${reply.command}: ${header(reply, 'message')}`);
    return client;
  }

  /** Sends one WebSocket message, a string as text and bytes as binary (TCP: writes the bytes). */
  send(data: string | Uint8Array): void {
    this.wire.send(data);
  }

  /** The next frame not yet returned by `next()`. */
  next(ms = 5000): Promise<PlainFrame> {
    return until(
      'the next frame',
      () => (this.cursor < this.frames.length ? this.frames[this.cursor++] : this.failIfClosed('the next frame')),
      (poke) => this.listen(poke),
      ms,
    );
  }

  /** The first frame (from the cursor on) matching `match`; moves the cursor past it. */
  nextMatching(match: (f: PlainFrame) => boolean, what: string, ms = 5000): Promise<PlainFrame> {
    return until(
      what,
      () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          if (match(this.frames[i])) {
            this.cursor = i + 1;
            return this.frames[i];
          }
        }
        return this.failIfClosed(what);
      },
      (poke) => this.listen(poke),
      ms,
    );
  }

  /** The next frame with this command. */
  nextCommand(command: string, ms = 5000): Promise<PlainFrame> {
    return this.nextMatching((f) => f.command === command, command, ms);
  }

  /** Waits until `count` WebSocket messages matching `match` were received in all. */
  messagesMatching(match: (m: WireMessage) => boolean, count: number, ms = 5000): Promise<WireMessage[]> {
    return until(
      `${count} matching WebSocket messages`,
      () => {
        const found = this.messages.filter(match);
        return found.length >= count ? found : undefined;
      },
      (poke) => this.listen(poke),
      ms,
    );
  }

  /** Frames received and not yet returned by `next()`. */
  get pending(): PlainFrame[] {
    return this.frames.slice(this.cursor);
  }

  /** Closes the socket (if open) and waits for the close. */
  async close(): Promise<void> {
    if (this.wire.isClosed()) return;
    const ws = this.wire.ws;
    if (ws === undefined) {
      await this.opened.catch(() => undefined);
      if (!this.wire.isClosed()) this.wire.end();
      await this.closed;
      return;
    }
    if (ws.readyState === WebSocket.CONNECTING) await this.opened.catch(() => undefined);
    if (ws.readyState === WebSocket.OPEN) ws.close();
    await this.closed;
  }

  private failIfClosed(what: string): never | undefined {
    if (this.closeCode === undefined) return undefined;
    throw new Error(`Connection closed (${this.closeCode}) while waiting for ${what}`);
  }

  private listen(poke: () => void): () => void {
    const wrapped = (): void => {
      try {
        poke();
      } catch (err) {
        this.listeners.delete(wrapped);
        throw err;
      }
    };
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  private poke(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * Cuts a STOMP byte stream from the server into what a WebSocket would have carried as
 * messages: each heart-beat EOL alone, each frame from its command to its NUL (by
 * `content-length` when the head has one). A test helper: it trusts the server's framing.
 */
class StreamSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly emit: (piece: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const n = this.nextLength();
      if (n === 0) return;
      const piece = Buffer.from(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
      this.emit(piece);
    }
  }

  /** Bytes of the next whole piece at the start of the buffer, or 0 while it is incomplete. */
  private nextLength(): number {
    const b = this.buf;
    if (b.length === 0) return 0;
    if (b[0] === 0x0a) return 1;
    if (b[0] === 0x0d) return b.length >= 2 ? 2 : 0;
    const lf2 = b.indexOf('\n\n');
    const crlf2 = b.indexOf('\r\n\r\n');
    const ends = [lf2 === -1 ? -1 : lf2 + 2, crlf2 === -1 ? -1 : crlf2 + 4].filter((e) => e !== -1);
    if (ends.length === 0) return 0;
    const bodyStart = Math.min(...ends);
    const length = /(?:^|\n)content-length:(\d+)\r?\n/.exec(b.subarray(0, bodyStart).toString('latin1'));
    if (length !== null) {
      const end = bodyStart + Number(length[1]);
      return b.length > end ? end + 1 : 0;
    }
    const nul = b.indexOf(0, bodyStart);
    return nul === -1 ? 0 : nul + 1;
  }
}

/** How @stomp/stompjs reaches the server. */
export type Transport = 'websocket' | 'sockjs-websocket' | 'xhr-streaming' | 'xhr-polling' | 'eventsource';

/** SockJS's own name of a forced transport. */
function sockjsTransport(t: Exclude<Transport, 'websocket'>): string {
  return t === 'sockjs-websocket' ? 'websocket' : t;
}

/**
 * Creates the socket a client library needs: plain `ws` with the STOMP subprotocols, or
 * sockjs-client forced to one transport. `base` is `http://127.0.0.1:<port><endpoint>`.
 */
export function socketFactory(base: string, transport: Transport): () => any {
  if (transport === 'websocket') {
    return () => new WebSocket(base.replace(/^http/, 'ws'), ['v12.stomp', 'v11.stomp', 'v10.stomp']);
  }
  return () => new SockJS(base, null, { transports: [sockjsTransport(transport)] });
}

/** A connected @stomp/stompjs client and what it received. */
export interface StompClient {
  readonly client: Client;
  readonly connected: IFrame;
  /** Subscribes and resolves once the server's RECEIPT for the SUBSCRIBE arrived. */
  subscribe(destination: string, headers?: StompHeaders): Promise<Inbox>;
  /** Resolves once the RECEIPT for `receiptId` arrived. */
  receipt(receiptId: string): Promise<IFrame>;
  /** Sends DISCONNECT with a receipt; resolves with the RECEIPT frame. */
  disconnect(): Promise<IFrame>;
}

/** Messages one subscription received. */
export interface Inbox {
  readonly id: string;
  readonly messages: IMessage[];
  /** Resolves once `count` messages arrived in all. */
  wait(count: number, ms?: number): Promise<IMessage[]>;
  unsubscribe(headers?: StompHeaders): void;
}

let receiptCounter = 0;

/** Connects @stomp/stompjs over `transport` to the endpoint at `base` (http URL). */
export async function stompClient(base: string, transport: Transport, connectHeaders: StompHeaders = {}): Promise<StompClient> {
  const client = new Client({
    webSocketFactory: socketFactory(base, transport),
    connectHeaders,
    reconnectDelay: 0,
    debug: () => undefined,
  });
  const receipts = new Map<string, IFrame>();
  const receiptListeners = new Set<() => void>();
  client.onUnhandledReceipt = (frame) => {
    receipts.set(frame.headers['receipt-id'], frame);
    for (const l of [...receiptListeners]) l();
  };
  const onReceiptListen = (poke: () => void): (() => void) => {
    receiptListeners.add(poke);
    return () => receiptListeners.delete(poke);
  };
  closers.add(() => client.deactivate());
  const connected = await new Promise<IFrame>((resolve, reject) => {
    client.onConnect = resolve;
    client.onStompError = (f) => reject(new Error(`ERROR ${f.headers.code}: ${f.headers.message}`));
    client.onWebSocketClose = (e: { code?: number }) => reject(new Error(`socket closed before CONNECTED (${e?.code})`));
    client.activate();
  });
  client.onWebSocketClose = () => undefined;
  const receipt = (id: string): Promise<IFrame> => until(`RECEIPT ${id}`, () => receipts.get(id), onReceiptListen, 10000);
  return {
    client,
    connected,
    receipt,
    async subscribe(destination, headers = {}) {
      const messages: IMessage[] = [];
      const listeners = new Set<() => void>();
      const id = `r-${++receiptCounter}`;
      const sub = client.subscribe(
        destination,
        (m) => {
          messages.push(m);
          for (const l of [...listeners]) l();
        },
        { ...headers, receipt: id },
      );
      await receipt(id);
      return {
        id: sub.id,
        messages,
        wait: (count, ms = 10000) =>
          until(
            `${count} messages at ${destination}`,
            () => (messages.length >= count ? messages : undefined),
            (poke) => {
              listeners.add(poke);
              return () => listeners.delete(poke);
            },
            ms,
          ),
        unsubscribe: (h) => sub.unsubscribe(h),
      };
    },
    async disconnect() {
      const id = `d-${++receiptCounter}`;
      // deactivate() sends DISCONNECT with disconnectHeaders and hands its RECEIPT to onDisconnect.
      const got = new Promise<IFrame>((resolve) => {
        client.onDisconnect = resolve;
      });
      client.disconnectHeaders = { receipt: id };
      await client.deactivate();
      return got;
    },
  };
}

/** The parts of the legacy `stompjs` 2.3.3 client (`stomp.min.js` of Spring demos) the tests use. */
export interface LegacyFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
  ack(headers?: Record<string, string>): void;
}

export interface LegacyStompClient {
  heartbeat: { outgoing: number; incoming: number };
  maxWebSocketFrameSize: number;
  debug: ((message: string) => void) | null;
  onreceipt: ((frame: LegacyFrame) => void) | undefined;
  connect(headers: Record<string, string>, onConnect: (frame: LegacyFrame) => void, onError: (error: LegacyFrame | string) => void): void;
  subscribe(destination: string, callback: (frame: LegacyFrame) => void, headers?: Record<string, string>): { id: string; unsubscribe(): void };
  send(destination: string, headers?: Record<string, string>, body?: string): void;
  disconnect(callback?: () => void, headers?: Record<string, string>): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const LegacyStomp = require('stompjs') as { over(socket: unknown): LegacyStompClient };

/** A legacy stompjs client over sockjs-client, with every SockJS message it received and every one it sent. */
export interface Legacy {
  readonly client: LegacyStompClient;
  readonly connected: LegacyFrame;
  /** SockJS messages received, as the client saw them. */
  readonly received: string[];
  /** SockJS messages sent (the client splits frames at 16 KiB). */
  readonly sent: string[];
  /** Errors the client reported (ERROR frames or a lost connection). */
  readonly errors: (LegacyFrame | string)[];
  /** Resolves once `match` holds for the received messages. */
  until<T>(what: string, check: () => T | undefined, ms?: number): Promise<T>;
}

/** Connects legacy stompjs over sockjs-client forced to `transport`; heart-beats off unless given. */
export async function legacyStompClient(
  base: string,
  transport: Exclude<Transport, 'websocket'> = 'sockjs-websocket',
  heartbeat = { outgoing: 0, incoming: 0 },
  headers: Record<string, string> = {},
): Promise<Legacy> {
  const sock = new SockJS(base, null, { transports: [sockjsTransport(transport)] });
  const client = LegacyStomp.over(sock);
  client.debug = null;
  client.heartbeat = heartbeat;
  const received: string[] = [];
  const sent: string[] = [];
  const errors: (LegacyFrame | string)[] = [];
  const listeners = new Set<() => void>();
  const poke = (): void => {
    for (const l of [...listeners]) l();
  };
  const realSend = sock.send.bind(sock);
  sock.send = (data: string) => {
    sent.push(data);
    realSend(data);
  };
  const closedSock = new Promise<void>((resolve) => sock.addEventListener('close', () => resolve()));
  closers.add(async () => {
    if (sock.readyState === SockJS.OPEN) client.disconnect();
    else if (sock.readyState === SockJS.CONNECTING) sock.close();
    await closedSock;
  });
  const connected = await new Promise<LegacyFrame>((resolve, reject) => {
    client.connect(headers, resolve, (error) => {
      errors.push(error);
      poke();
      reject(new Error(`legacy stompjs failed to connect: ${typeof error === 'string' ? error : error.headers.message}`));
    });
    // connect() installed its onmessage; record each SockJS message before the client parses it.
    const parse = sock.onmessage!;
    sock.onmessage = (event: MessageEvent) => {
      received.push(String(event.data));
      parse.call(sock, event);
      poke();
    };
  });
  return {
    client,
    connected,
    received,
    sent,
    errors,
    until: (what, check, ms = 5000) =>
      until(what, check, (p) => {
        listeners.add(p);
        return () => listeners.delete(p);
      }, ms),
  };
}
