/**
 * A loopback {@link Connection}: a real Session of a real StompServer, with no socket under it.
 * What the client "sends" goes straight into the session's `receive`; what the session writes
 * is decoded (as a client would) into `frames`. `bufferedAmount` is ours to set, so flow
 * control sees a slow client without one. Unit specs of commands, dispatcher, frame router and
 * flow control use it; the wire itself has its own e2e specs.
 */
import { FrameDecoder } from '../../broker/stomp/decoder';
import { Session } from '../../broker/session/session';
import type { StompServer } from '../../broker/server';
import type { Connection, ConnectionHandler, HandshakeInfo, TransportName } from '../../broker/transport/connection';
import { serverFrameDecoder, type PlainFrame } from './frames';

const utf8 = new TextEncoder();

export class LoopbackConnection implements Connection {
  readonly handshake: HandshakeInfo = { url: '/stomp', headers: {}, remoteAddress: '127.0.0.1' };
  /** What flow control reads as the bytes the client has not taken yet. */
  bufferedAmount = 0;
  /** Every frame the session wrote, decoded. */
  readonly frames: PlainFrame[] = [];
  /** Heart-beats (lone EOLs) the session wrote. */
  heartbeats = 0;
  /** Each write as the transport got it: its size and whether it was binary. */
  readonly writes: { bytes: number; binary: boolean }[] = [];
  /** The close the session asked for, once it did. */
  closedWith: { code: number; reason: string } | undefined;
  terminated = false;
  paused = false;
  handler!: ConnectionHandler;
  private cursor = 0;
  private readonly waiters = new Set<() => void>();
  private readonly decoder: FrameDecoder;

  constructor(readonly transport: TransportName = 'websocket') {
    this.decoder = serverFrameDecoder((p) => this.frames.push(p));
  }

  send(data: Uint8Array, binary: boolean): void {
    this.writes.push({ bytes: data.length, binary });
    if (data.length === 1 && data[0] === 0x0a) this.heartbeats++;
    else this.decoder.push(data);
    this.poke();
  }

  /** The session asked to close: the transport would flush and then report it closed, as here on the next turn. */
  close(code: number, reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { code, reason };
    setImmediate(() => this.handler.closed('loopback closed'));
    this.poke();
  }

  terminate(): void {
    this.terminated = true;
    this.handler.closed('loopback terminated');
    this.poke();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** The client writes a frame (a literal string, NUL included) as one text message. */
  write(text: string): void {
    this.handler.receive(utf8.encode(text), false);
  }

  /** The client drops the connection. */
  drop(): void {
    this.handler.closed('client went away');
  }

  /** The first frame from the cursor on matching `match`; moves the cursor past it. Rejects after `ms`. */
  next(match: string | ((f: PlainFrame) => boolean), ms = 2000): Promise<PlainFrame> {
    const test = typeof match === 'string' ? (f: PlainFrame) => f.command === match : match;
    return this.until(typeof match === 'string' ? match : 'a matching frame', ms, () => {
      for (let i = this.cursor; i < this.frames.length; i++) {
        if (!test(this.frames[i])) continue;
        this.cursor = i + 1;
        return this.frames[i];
      }
      return undefined;
    });
  }

  /** Resolves once the session asked to close. */
  whenClosed(ms = 2000): Promise<{ code: number; reason: string }> {
    return this.until('the close', ms, () => this.closedWith);
  }

  /** Resolves with `check()` once it is defined, re-checked after every write and close; rejects after `ms`. */
  private until<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`Timed out after ${ms} ms waiting for ${what}; got ${this.frames.map((f) => f.command).join(', ') || 'nothing'}`));
      }, ms);
      const waiter = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      this.waiters.add(waiter);
    });
  }

  private poke(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Opens a session of `server` over a new loopback connection (as a transport would). */
export function loopback(server: StompServer, transport: TransportName = 'websocket'): LoopbackConnection {
  const connection = new LoopbackConnection(transport);
  connection.handler = server.openSession(connection, (host) => new Session(connection, host));
  return connection;
}

/** A loopback session that sent CONNECT (with `headers`) and got CONNECTED. */
export async function connected(server: StompServer, headers: Record<string, string> = {}, transport?: TransportName): Promise<LoopbackConnection> {
  const c = loopback(server, transport);
  const lines = Object.entries({ 'accept-version': '1.2', host: 'loopback', ...headers }).map(([k, v]) => `${k}:${v}\n`);
  c.write(`CONNECT\n${lines.join('')}\n\0`);
  await c.next('CONNECTED');
  return c;
}
