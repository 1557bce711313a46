/**
 * Raw SockJS clients for protocol and security specs: a `ws` socket speaking SockJS framing
 * (`o`, `h`, `a[...]`, `c[...]`) and an HTTP polling session over node:http. Both decode the
 * STOMP frames inside `a[...]` with our FrameDecoder (server command set). Every client opened
 * here is closed by `closeSockJsClients()` (call it in afterEach, before closing servers).
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { FrameDecoder } from '../../broker/stomp/decoder';
import { SERVER_COMMANDS } from '../../broker/stomp/frame';
import type { StompVersion } from '../../broker/stomp/versions';
import { header } from './clients';
import { LOOSE_LIMITS, plain, type PlainFrame } from './frames';
import { request, type HttpReply } from '../security/http';

export const CONNECT = 'CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0';

const closers = new Set<() => void>();

/** Closes every client opened by this module. */
export function closeSockJsClients(): void {
  for (const close of [...closers]) close();
  closers.clear();
}

/** A fresh session id, as sockjs-client makes them (8 random characters). */
export function sessionId(): string {
  return randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8);
}

/** Resolves when `check()` holds, polling every 5 ms; rejects after `ms`. */
export async function waitUntil<T>(what: string, check: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Decodes the STOMP frames of SockJS messages. */
class StompFrames {
  readonly frames: PlainFrame[] = [];
  private readonly decoder: FrameDecoder = new FrameDecoder(
    LOOSE_LIMITS,
    (f) => {
      const p = plain(f);
      if (p.command === 'CONNECTED') this.decoder.version = (header(p, 'version') ?? '1.0') as StompVersion;
      this.frames.push(p);
    },
    SERVER_COMMANDS,
  );

  push(message: string): void {
    this.decoder.push(Buffer.from(message, 'utf8'));
  }
}

/** SockJS frames received: each `a[...]` expanded into its messages. */
export interface SockJsTrace {
  /** Every SockJS frame as received (`o`, `h`, `a[...]`, `c[...]`). */
  readonly raw: string[];
  /** STOMP frames decoded from the messages. */
  readonly stomp: PlainFrame[];
  /** The close frame's `[code, reason]`, once one arrived. */
  close: [number, string] | undefined;
}

function take(trace: SockJsTrace, frames: StompFrames, frame: string): void {
  trace.raw.push(frame);
  if (frame.startsWith('a')) for (const m of JSON.parse(frame.slice(1)) as string[]) frames.push(m);
  else if (frame.startsWith('c')) trace.close = JSON.parse(frame.slice(1)) as [number, string];
}

/** A raw `ws` client of the SockJS websocket transport. */
export class SockJsSocket implements SockJsTrace {
  readonly raw: string[] = [];
  readonly stomp: PlainFrame[];
  close: [number, string] | undefined;
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private readonly decoded = new StompFrames();

  private constructor(readonly ws: WebSocket) {
    this.stomp = this.decoded.frames;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => take(this, this.decoded, data.toString('utf8')));
  }

  /** Opens `<base>/000/<id>/websocket` and waits for the `o` frame. */
  static async open(base: string, options: WebSocket.ClientOptions = {}): Promise<SockJsSocket> {
    const client = new SockJsSocket(new WebSocket(`${base.replace(/^http/, 'ws')}/000/${sessionId()}/websocket`, options));
    closers.add(() => client.ws.terminate());
    await waitUntil('the SockJS open frame', () => client.raw[0] === 'o' || client.closeCode !== undefined);
    if (client.raw[0] !== 'o') throw new Error(`SockJS websocket closed before opening (${client.closeCode})`);
    return client;
  }

  /** Opens a session and sends CONNECT; resolves once CONNECTED arrived. */
  static async connected(base: string): Promise<SockJsSocket> {
    const client = await SockJsSocket.open(base);
    client.sendMessages(CONNECT);
    await client.command('CONNECTED');
    return client;
  }

  /** Sends one raw websocket text message (any bytes: the point of the security specs). */
  sendRaw(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  /** Sends STOMP frames as one SockJS message (a JSON array of strings). */
  sendMessages(...frames: string[]): void {
    this.ws.send(JSON.stringify(frames));
  }

  /** The first STOMP frame with this command. */
  command(command: string, ms = 5000): Promise<PlainFrame> {
    return waitUntil(command, () => this.stomp.find((f) => f.command === command), ms);
  }

  /** Resolves once the SockJS close frame arrived and the socket closed. */
  async ended(ms = 5000): Promise<{ close: [number, string]; code: number }> {
    await waitUntil('the SockJS close frame and the socket close', () => this.close !== undefined && this.closeCode !== undefined, ms);
    return { close: this.close!, code: this.closeCode! };
  }
}

/** An HTTP polling session (`xhr` + `xhr_send`, or `jsonp_send`) over node:http. */
export class SockJsPolling implements SockJsTrace {
  readonly raw: string[] = [];
  readonly stomp: PlainFrame[];
  close: [number, string] | undefined;
  private readonly decoded = new StompFrames();
  readonly base: string;

  constructor(
    readonly port: number,
    prefix: string,
    readonly headers: Record<string, string> = {},
    readonly id = sessionId(),
  ) {
    this.stomp = this.decoded.frames;
    this.base = `${prefix}/000/${id}`;
  }

  /** One `xhr` poll; its frame (without the newline) is recorded. */
  async poll(headers = this.headers): Promise<HttpReply> {
    const reply = await request(this.port, 'POST', `${this.base}/xhr`, headers);
    if (reply.status === 200) for (const line of reply.body.split('\n')) if (line !== '') take(this, this.decoded, line);
    return reply;
  }

  /** POSTs `body` to `xhr_send` as is. */
  sendRaw(body: string, headers = this.headers): Promise<HttpReply> {
    return request(this.port, 'POST', `${this.base}/xhr_send`, { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body);
  }

  /** POSTs `body` to `jsonp_send` as a form field `d`, as sockjs-client's hidden form does. */
  sendForm(body: string, headers = this.headers): Promise<HttpReply> {
    return request(this.port, 'POST', `${this.base}/jsonp_send`, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, `d=${encodeURIComponent(body)}`);
  }

  /** Sends STOMP frames as one xhr_send message. */
  send(...frames: string[]): Promise<HttpReply> {
    return this.sendRaw(JSON.stringify(frames));
  }

  /** Opens the session and CONNECTs; resolves once CONNECTED arrived. */
  async connect(): Promise<this> {
    expect((await this.poll()).body).toBe('o\n');
    expect((await this.send(CONNECT)).status).toBe(204);
    await this.until('CONNECTED', () => this.stomp.find((f) => f.command === 'CONNECTED'));
    return this;
  }

  /** Polls until `check()` holds (each poll waits for data or a heart-beat). */
  async until<T>(what: string, check: () => T | undefined, polls = 20): Promise<T> {
    for (let i = 0; i < polls; i++) {
      const found = check();
      if (found !== undefined) return found;
      if (this.close !== undefined) break;
      await this.poll();
    }
    const found = check();
    if (found === undefined) throw new Error(`No ${what} within ${polls} polls (frames: ${this.raw.join(' | ').slice(0, 300)})`);
    return found;
  }
}
