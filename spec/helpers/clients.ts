/**
 * Test clients, all real: a raw `ws` STOMP client that writes literal frames and decodes what
 * comes back with our FrameDecoder (server command set); @stomp/stompjs over plain WebSocket
 * or over sockjs-client forced to one transport. Every client opened here is remembered and
 * closed by `closeClients()` (call it in afterEach, before closing servers).
 */
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import { StompError } from '../../broker/errors';
import { FrameDecoder } from '../../broker/stomp/decoder';
import { SERVER_COMMANDS } from '../../broker/stomp/frame';
import type { StompVersion } from '../../broker/stomp/versions';
import { LOOSE_LIMITS, plain, type PlainFrame } from './frames';

/** One WebSocket message as the client received it. */
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

/**
 * A STOMP client over a raw `ws` socket: sends literal frames, keeps every WebSocket message
 * and every decoded frame. The decoder unescapes headers by the version CONNECTED names.
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

  private constructor(readonly ws: WebSocket) {
    this.decoder = new FrameDecoder(
      LOOSE_LIMITS,
      (f) => {
        const p = plain(f);
        if (p.command === 'CONNECTED') this.decoder.version = (header(p, 'version') ?? '1.0') as StompVersion;
        this.frames.push(p);
      },
      SERVER_COMMANDS,
    );
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
        this.poke();
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.messages.push({ data, binary });
      try {
        this.decoder.push(data);
      } catch (err) {
        this.decodeError = err as StompError;
      }
      this.poke();
    });
  }

  /** Opens a socket to `url` offering `protocols` and waits until it is open. */
  static async open(url: string, protocols: string[] = ['v12.stomp', 'v11.stomp', 'v10.stomp']): Promise<RawClient> {
    const client = new RawClient(new WebSocket(url, protocols));
    closers.add(() => client.close());
    await client.opened;
    return client;
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

  /** Sends one WebSocket message: a string as text, bytes as binary. */
  send(data: string | Uint8Array): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
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
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.CONNECTING) await this.opened.catch(() => undefined);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
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
