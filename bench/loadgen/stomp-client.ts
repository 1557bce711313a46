import { randomBytes } from 'node:crypto';
import SockJS from 'sockjs-client';
import { RawStompSocket } from './raw-stomp-tcp';
import { encodeClientFrame, RawWebSocket } from './raw-ws';
import { classifyStomp, connectFrame, newCounts, type ExtraHeaders, type FrameCounts } from './stomp-frames';

/**
 * How a load-generator client reaches the broker: plain WebSocket, SockJS websocket, SockJS
 * xhr-streaming, STOMP over TCP, or (subscribers only, see `sse-subscriber.ts`) Server-Sent Events.
 */
export type Transport = 'ws' | 'sockjs-ws' | 'sockjs-xhr' | 'tcp' | 'sse';

/** Where and how to connect. */
export interface Target {
  port: number;
  /** Plain WebSocket path (e.g. `/ws`). */
  wsPath: string;
  /** SockJS prefix (e.g. `/sock`), for the SockJS transports. */
  sockjsPrefix: string;
  /** STOMP-over-TCP port, for the `tcp` transport. */
  tcpPort?: number;
  /** Port of the WebSocket endpoint when it is not `port` (RabbitMQ's Web-STOMP listens on its own). */
  wsPort?: number;
  /** Headers CONNECT carries besides the defaults (RabbitMQ: `host:/`, `login`, `passcode`). */
  connect?: ExtraHeaders;
}

type FrameView = (buf: Buffer, start: number, end: number) => void;

/**
 * One STOMP session of the load generator: frames go out as literal strings, frames coming
 * back are only counted (and, for latency, their body's timestamp read). The transport is
 * plain WebSocket, SockJS websocket (raw frames `a["..."]`) or SockJS xhr-streaming through
 * the real sockjs-client.
 */
export class StompClient {
  readonly counts: FrameCounts = newCounts();
  /** Called after every batch of incoming frames (the publisher pumps from here). */
  onActivity: (() => void) | undefined;
  private waiters: { kind: keyof FrameCounts; n: number; resolve: () => void }[] = [];
  private ws: RawWebSocket | RawStompSocket | undefined;
  private sockjs: WebSocket | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly target: Target,
    /** Receives each MESSAGE frame's bytes (plain WebSocket only). */
    private readonly onMessage?: FrameView,
  ) {}

  /** Connects, sends CONNECT and resolves on CONNECTED. */
  async connect(heartBeat = '0,0'): Promise<void> {
    if (this.transport === 'sockjs-xhr') await this.openXhr();
    else await this.openWs();
    this.send(connectFrame(heartBeat, this.target.connect));
    await this.waitFor('connected', 1);
    if (this.counts.error > 0) throw new Error('broker answered CONNECT with ERROR');
  }

  /** Resolves once `counts[kind] >= n`. */
  waitFor(kind: keyof FrameCounts, n: number): Promise<void> {
    if (this.counts[kind] >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ kind, n, resolve }));
  }

  /** Sends one STOMP frame in one transport message. */
  send(frame: string): void {
    if (this.sockjs !== undefined) this.sockjs.send(frame);
    else if (this.transport === 'sockjs-ws') this.ws!.sendText(JSON.stringify([frame]));
    else this.ws!.sendText(frame);
  }

  /**
   * Sends several STOMP frames in one write, each its own transport message (a WebSocket
   * frame each, as stompjs sends them; over TCP they simply follow one another).
   */
  sendAll(frames: readonly string[]): boolean {
    if (frames.length === 0) return true;
    if (this.transport === 'tcp') return this.ws!.write(Buffer.from(frames.join('')));
    if (this.transport === 'ws') return this.ws!.write(Buffer.concat(frames.map((f) => encodeClientFrame(f))));
    for (const f of frames) this.send(f);
    return true;
  }

  /** The bytes `frame` takes on this client's wire (plain WebSocket or TCP), for {@link writeEncoded}. */
  encode(frame: string): Buffer {
    return this.transport === 'tcp' ? Buffer.from(frame) : encodeClientFrame(frame);
  }

  /** True while the connection is open. */
  get open(): boolean {
    return this.ws !== undefined ? !this.ws.closed : this.sockjs !== undefined;
  }

  /** Writes pre-encoded frames (plain WebSocket or TCP, see {@link encode}); false when the socket is full. */
  writeEncoded(frames: Buffer): boolean {
    return this.ws!.write(frames);
  }

  /** Resolves when the socket can take more. */
  drained(): Promise<void> {
    return this.ws === undefined ? Promise.resolve() : this.ws.drained();
  }

  /** Drops the connection. */
  close(): void {
    this.ws?.destroy();
    this.sockjs?.close();
  }

  private async openWs(): Promise<void> {
    const { wsPath, sockjsPrefix, tcpPort } = this.target;
    const port = this.target.wsPort ?? this.target.port;
    if (this.transport === 'tcp') {
      if (tcpPort === undefined) throw new Error('the tcp transport needs target.tcpPort');
      this.ws = new RawStompSocket(tcpPort, (b, s, e) => this.onStomp(b, s, e));
    } else if (this.transport === 'ws') {
      this.ws = new RawWebSocket(port, wsPath, (b, s, e) => this.onStomp(b, s, e), 'v12.stomp');
    } else {
      const session = randomBytes(8).toString('hex');
      this.ws = new RawWebSocket(port, `${sockjsPrefix}/000/${session}/websocket`, (b, s, e) => this.onSockJs(b, s, e));
    }
    await this.ws.open();
  }

  private openXhr(): Promise<void> {
    const { port, sockjsPrefix } = this.target;
    return new Promise((resolve, reject) => {
      const sock = new SockJS(`http://127.0.0.1:${port}${sockjsPrefix}`, undefined, { transports: ['xhr-streaming'] });
      this.sockjs = sock as unknown as WebSocket;
      sock.onopen = () => resolve();
      sock.onclose = (e) => reject(new Error(`sockjs closed: ${e.code} ${e.reason}`));
      sock.onmessage = (e) => {
        const data = e.data as string;
        const c = data.charCodeAt(0);
        if (c === 0x4d) {
          this.counts.message++;
          this.onMessage?.(EMPTY, 0, 0);
        } else if (c === 0x43) this.counts.connected++;
        else if (c === 0x52) this.counts.receipt++;
        else if (c === 0x45) this.counts.error++;
        this.afterFrames();
      };
    });
  }

  private onStomp(buf: Buffer, start: number, end: number): void {
    classifyStomp(buf, start, end, this.counts, this.onMessage);
    this.afterFrames();
  }

  private onSockJs(buf: Buffer, start: number, end: number): void {
    // SockJS frames: `o` open, `h` heart-beat, `a[...]` messages, `c[...]` close. Each STOMP
    // frame is one JSON string in the array ending with its NUL, escaped as `\u0000"`: the
    // walk reads each element's first letter and jumps to the next end, one search a frame.
    if (buf[start] !== 0x61 /* 'a' */) return;
    let pos = start + 2; // after `a[`
    while (pos < end && buf[pos] === 0x22 /* '"' */) {
      const c = buf[pos + 1];
      if (c === 0x4d /* 'M' */) {
        this.counts.message++;
        // The view is the escaped JSON, not the frame: good for counting, not for reading a body.
        this.onMessage?.(buf, pos + 1, end);
      } else if (c === 0x43 /* 'C' */) this.counts.connected++;
      else if (c === 0x52 /* 'R' */) this.counts.receipt++;
      else if (c === 0x45 /* 'E' */) this.counts.error++;
      const nul = buf.indexOf(NUL_JSON, pos + 1);
      if (nul === -1 || nul >= end) break;
      pos = nul + NUL_JSON.length + 1; // past the `,` or the closing `]`
    }
    this.afterFrames();
  }

  private afterFrames(): void {
    if (this.waiters.length > 0) {
      this.waiters = this.waiters.filter((w) => {
        if (this.counts[w.kind] < w.n) return true;
        w.resolve();
        return false;
      });
    }
    this.onActivity?.();
  }
}

const EMPTY = Buffer.alloc(0);
/** The end of a STOMP frame inside a SockJS array: its NUL as JSON escapes it, and the closing quote. */
const NUL_JSON = Buffer.from('\\u0000"');
