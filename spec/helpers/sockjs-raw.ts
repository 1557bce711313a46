/**
 * SockJS spoken by hand, for specs that must send what sockjs-client never would: a raw `ws`
 * socket on `<prefix>/<server>/<session>/websocket` that writes any text and parses the
 * SockJS frames coming back (`o`, `h`, `a[...]`, `c[...]`), and an xhr-polling session over
 * plain HTTP (`xhr`, `xhr_send`, `jsonp_send`). STOMP frames inside `a[...]` are decoded with
 * our own decoder, so a spec can wait for an ERROR and read its code.
 *
 * SockJS protocol 0.3 (sockjs-protocol-0.3.3): a session opens with `o`; `a` carries a JSON
 * array of messages; `c[code,"reason"]` closes; the client sends a JSON array of strings.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { SERVER_COMMANDS } from '../../broker/stomp/frame';
import type { StompVersion } from '../../broker/stomp/versions';
import { decodeAll, type PlainFrame } from './frames';

/** One SockJS frame as received. */
export type SockJsFrame = { kind: 'open' } | { kind: 'heartbeat' } | { kind: 'array'; messages: unknown[] } | { kind: 'close'; code: unknown; reason: unknown } | { kind: 'other'; text: string };

/** Parses one SockJS frame (without its trailing newline). */
export function parseSockJsFrame(text: string): SockJsFrame {
  if (text === 'o') return { kind: 'open' };
  if (text === 'h') return { kind: 'heartbeat' };
  try {
    if (text.startsWith('a')) return { kind: 'array', messages: JSON.parse(text.slice(1)) as unknown[] };
    if (text.startsWith('c')) {
      const [code, reason] = JSON.parse(text.slice(1)) as [unknown, unknown];
      return { kind: 'close', code, reason };
    }
  } catch {
    // not JSON: reported as is
  }
  return { kind: 'other', text };
}

/**
 * The STOMP frames inside SockJS `a[...]` frames (each message one frame, or a heart-beat),
 * headers unescaped by the version CONNECTED names (1.2 until then, as the broker escapes).
 */
export function stompFramesOf(frames: readonly SockJsFrame[]): PlainFrame[] {
  const out: PlainFrame[] = [];
  // Until CONNECTED names a version nothing is escaped (an ERROR that refuses CONNECT is written as 1.0).
  let version: StompVersion = '1.0';
  for (const f of frames) {
    if (f.kind !== 'array') continue;
    for (const m of f.messages) {
      if (typeof m !== 'string') continue;
      const { frames: decoded } = decodeAll([Buffer.from(m, 'utf8')], undefined, version, SERVER_COMMANDS);
      for (const d of decoded) if (d.command === 'CONNECTED') version = (d.headers.find(([n]) => n === 'version')?.[1] ?? '1.0') as StompVersion;
      out.push(...decoded);
    }
  }
  return out;
}

/** A random SockJS session id (sockjs-client uses 8 random characters). */
export function sessionId(): string {
  return randomBytes(6).toString('hex');
}

/** A SockJS session over a raw `ws` socket (the SockJS websocket transport). */
export class RawSockJsSocket {
  readonly frames: SockJsFrame[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve(code);
        this.poke();
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      this.frames.push(parseSockJsFrame(data.toString('utf8')));
      this.poke();
    });
  }

  /**
   * Opens `<endpoint>/<server>/<session>/websocket` (`endpoint` is `ws://127.0.0.1:<port>/stomp`)
   * and waits for the `o` frame.
   */
  static async open(endpoint: string, headers: Record<string, string> = {}, maxPayload?: number): Promise<RawSockJsSocket> {
    const ws = new WebSocket(`${endpoint}/000/${sessionId()}/websocket`, { headers, maxPayload });
    const socket = new RawSockJsSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await socket.until('the SockJS open frame', () => socket.frames.some((f) => f.kind === 'open'));
    return socket;
  }

  /** Sends one WebSocket text message, as is. */
  send(text: string | Buffer): Promise<void> {
    return new Promise((resolve) => this.ws.send(text, { binary: false }, () => resolve()));
  }

  /** Sends STOMP frames as one SockJS message (a JSON array of strings). */
  sendFrames(...stomp: string[]): Promise<void> {
    return this.send(JSON.stringify(stomp));
  }

  /** STOMP frames received so far. */
  get stomp(): PlainFrame[] {
    return stompFramesOf(this.frames);
  }

  /** The SockJS close frame, if one came. */
  get closeFrame(): SockJsFrame | undefined {
    return this.frames.find((f) => f.kind === 'close');
  }

  /** Resolves with the first STOMP frame with `command`; rejects after `ms` or when the socket closed without one. */
  nextStomp(command: string, ms = 5000): Promise<PlainFrame> {
    return this.until(`a STOMP ${command}`, () => this.stomp.find((f) => f.command === command), ms, true);
  }

  /** Resolves once the socket closed (or a SockJS close frame came); rejects after `ms`. */
  async ended(ms = 5000): Promise<void> {
    await this.until('the socket to close', () => this.closeCode !== undefined || this.closeFrame !== undefined, ms);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  /** Resolves when `check()` is truthy, re-checked on every frame and on close; rejects after `ms`. */
  until<T>(what: string, check: () => T | undefined | false, ms = 5000, failOnClose = false): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = (): boolean => {
        const v = check();
        if (v !== undefined && v !== false) {
          done();
          resolve(v);
          return true;
        }
        if (failOnClose && this.closeCode !== undefined) {
          done();
          reject(new Error(`socket closed (${this.closeCode}) before ${what}; frames: ${JSON.stringify(this.frames).slice(0, 300)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 300)}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(test);
      };
      if (!test()) this.listeners.add(test);
    });
  }

  private poke(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** An HTTP reply: status, headers and body, or `error` when the connection failed first. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
  /** ms from sending the request to the end of the reply. */
  readonly ms: number;
}

/** One HTTP request to 127.0.0.1; never rejects: a failed connection is `status: 0` with `error`. */
export function http(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 10000): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (): void => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
      res.on('end', done);
      res.on('error', done);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message, ms: Date.now() - started }));
    req.end(body);
  });
}

/** A SockJS session over xhr-polling and xhr_send, by hand. */
export class XhrSession {
  readonly frames: SockJsFrame[] = [];
  readonly path: string;

  private constructor(
    readonly port: number,
    prefix: string,
  ) {
    this.path = `${prefix}/000/${sessionId()}`;
  }

  /** Opens a session (POST `<prefix>/000/<id>/xhr` answers `o`). */
  static async open(port: number, prefix = '/stomp'): Promise<XhrSession> {
    const session = new XhrSession(port, prefix);
    const reply = await session.poll();
    if (reply.status !== 200 || !reply.body.startsWith('o')) throw new Error(`xhr session did not open: ${reply.status} ${reply.body}`);
    return session;
  }

  /** POSTs `body` to xhr_send as is. */
  send(body: string | Buffer, contentType = 'text/plain;charset=UTF-8'): Promise<Reply> {
    return http(this.port, 'POST', `${this.path}/xhr_send`, body, { 'content-type': contentType });
  }

  /** POSTs `d=<payload>` to jsonp_send (form-encoded, as the jsonp transport does). */
  sendJsonp(payload: string): Promise<Reply> {
    return http(this.port, 'POST', `${this.path}/jsonp_send`, `d=${encodeURIComponent(payload)}`, { 'content-type': 'application/x-www-form-urlencoded' });
  }

  /** Sends STOMP frames as one SockJS message. */
  sendFrames(...stomp: string[]): Promise<Reply> {
    return this.send(JSON.stringify(stomp));
  }

  /** One xhr poll; its frames are kept. */
  async poll(timeoutMs = 10000): Promise<Reply> {
    const reply = await http(this.port, 'POST', `${this.path}/xhr`, undefined, {}, timeoutMs);
    for (const line of reply.body.split('\n')) if (line !== '') this.frames.push(parseSockJsFrame(line));
    return reply;
  }

  /** STOMP frames received so far. */
  get stomp(): PlainFrame[] {
    return stompFramesOf(this.frames);
  }

  /** Polls until a STOMP frame with `command` came; rejects after `ms`. */
  async pollFor(command: string, ms = 5000): Promise<PlainFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.stomp.find((f) => f.command === command);
      if (found !== undefined) return found;
      if (this.frames.some((f) => f.kind === 'close')) throw new Error(`session closed before a ${command}: ${JSON.stringify(this.frames).slice(0, 300)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${command} within ${ms} ms: ${JSON.stringify(this.frames).slice(0, 300)}`);
      const reply = await this.poll(left);
      if (reply.status !== 200) throw new Error(`poll answered ${reply.status} ${reply.error ?? reply.body}`);
    }
  }
}

/** A CONNECT frame (1.2, no heart-beats). */
export const CONNECT = 'CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0';
