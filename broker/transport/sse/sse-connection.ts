import { Buffer } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Connection, ConnectionHandler, HandshakeInfo } from '../connection';
import { randomId } from '../../security/random-id';
import type { TurnWriter } from '../turn-writer';

/** The response head of an event stream. */
const STREAM_HEAD: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and similar proxies buffer responses unless told not to.
  'x-accel-buffering': 'no',
};

/**
 * One event stream as a session sees it: a {@link Connection} over an HTTP response. Until
 * the stream is accepted (`start()`), nothing reaches the client and what the session writes
 * waits here, counted in `bufferedAmount`, so the request can still be answered with a 4xx
 * when its CONNECT or a SUBSCRIBE is refused. Once started, writes go to the response and
 * `bufferedAmount` is what the response and its socket hold, which flow control bounds as for
 * any other transport. Events written in one turn of the event loop go out together, as one
 * chunk of the response (see {@link TurnWriter}): a fan-out costs one write per stream, not
 * one per event. The client never sends anything, so there is nothing to pause.
 */
export class SseConnection implements Connection {
  readonly transport = 'sse';
  readonly handshake: HandshakeInfo;
  handler: ConnectionHandler | undefined;
  private pending: Uint8Array[] | undefined = [];
  private pendingBytes = 0;
  private ended = false;
  private gone = false;
  /** Events of this turn, not yet written: ASCII text (id lines, comments) and encoded bytes (data lines, the outbox). */
  private turn: (number | string | Uint8Array)[] | undefined;
  private turnBytes = 0;
  /** Event ids start with this stream's random prefix (opaque to the client, unique per stream). */
  readonly idPrefix = randomId(6);
  /** `id: <prefix>-`, the start of every id line. */
  private readonly idHead: Buffer;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly writer: TurnWriter<SseConnection>,
  ) {
    this.handshake = { url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress };
    this.idHead = Buffer.from(`id: ${this.idPrefix}-`, 'latin1');
    res.on('close', () => this.onClose());
  }

  get started(): boolean {
    return this.pending === undefined;
  }

  get bufferedAmount(): number {
    return (this.pending === undefined ? this.res.writableLength : this.pendingBytes) + this.turnBytes;
  }

  /** Writes one event (or comment), already in event-stream form. */
  send(data: Uint8Array): void {
    this.queue(data, data.length);
  }

  /**
   * Writes one event: its `id:` line and its data lines (shared by every stream the message goes
   * to). The id is this stream's prefix and `counter` (written straight into the turn's buffer,
   * no string made), or a whole ASCII id line (ids that carry retention positions). The path of
   * every MESSAGE that goes straight out.
   */
  sendEvent(id: number | string, data: Uint8Array): void {
    this.queue(id, typeof id === 'number' ? this.idHead.length + base36Length(id) + 1 : id.length);
    this.queue(data, data.length);
  }

  private queue(item: number | string | Uint8Array, bytes: number): void {
    if (this.ended) return;
    if (this.turn === undefined) {
      this.turn = [];
      this.writer.add(this);
    }
    this.turn.push(item);
    this.turnBytes += bytes;
  }

  /** The turn's events in one buffer: one copy of each, and one chunk of the response. */
  private joined(turn: (number | string | Uint8Array)[], bytes: number): Buffer {
    const out = Buffer.allocUnsafe(bytes);
    const head = this.idHead;
    let at = 0;
    for (const item of turn) {
      if (typeof item === 'number') {
        // Some 13 bytes: a loop is cheaper than a native copy per event.
        for (let i = 0; i < head.length; i++) out[at + i] = head[i];
        at = writeBase36(out, at + head.length, item);
        out[at++] = LF;
      } else if (typeof item === 'string') {
        // ASCII id lines of some 20 characters: a loop is cheaper than a native write per line.
        for (let i = 0; i < item.length; i++) out[at + i] = item.charCodeAt(i);
        at += item.length;
      } else {
        out.set(item, at);
        at += item.length;
      }
    }
    return out;
  }

  /** Writes this turn's events: into the response, or behind the head while the stream has not started. */
  flush(): void {
    const turn = this.turn;
    if (turn === undefined) return;
    const bytes = this.turnBytes;
    this.turn = undefined;
    this.turnBytes = 0;
    if (this.ended) return;
    const data = this.joined(turn, bytes);
    if (this.pending !== undefined) {
      this.pending.push(data);
      this.pendingBytes += data.length;
    } else this.res.write(data);
  }

  /** Accepts the stream: 200 with the event-stream head, `preamble`, then what waited. */
  start(preamble: string): void {
    if (this.pending === undefined || this.ended) return;
    this.flush();
    const waiting = this.pending;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.res.writeHead(200, STREAM_HEAD);
    this.res.write(Buffer.concat([Buffer.from(preamble), ...waiting]));
  }

  /** Refuses the request before the stream started: `status` with a plain-text body. */
  refuse(status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
    if (this.pending === undefined || this.ended) return;
    this.pending = undefined;
    this.ended = true;
    this.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${body}\n`);
  }

  /** Ends the stream after what was written (a session that refused before the start has answered with `refuse()`). */
  close(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    if (this.pending !== undefined) {
      this.pending = undefined;
      this.res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Stream closed before it started\n');
    } else this.res.end();
  }

  terminate(): void {
    this.ended = true;
    this.pending = undefined;
    this.turn = undefined;
    this.turnBytes = 0;
    this.res.destroy();
    this.req.destroy();
  }

  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    this.ended = true;
    this.pending = undefined;
    this.turn = undefined;
    this.turnBytes = 0;
    this.handler?.closed('sse response closed');
  }
}

const LF = 0x0a; // '\n'
const DIGITS = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz', 'latin1');

/** 36^1 … 36^10: a counter's length by comparison, no division. */
const POWERS = Array.from({ length: 10 }, (_, i) => 36 ** (i + 1));

/** Characters of `n` (an integer ≥ 0) in base 36. */
function base36Length(n: number): number {
  let length = 1;
  while (length <= POWERS.length && n >= POWERS[length - 1]) length++;
  return length;
}

/** Writes `n` in base 36 at `at`; returns the offset after it. */
function writeBase36(out: Buffer, at: number, n: number): number {
  const end = at + base36Length(n);
  // Below 2^31 a division truncated with `| 0` is exact and stays in integers.
  const small = n < 0x80000000;
  for (let i = end - 1; i >= at; i--) {
    const q = small ? ((n / 36) | 0) : Math.floor(n / 36);
    out[i] = DIGITS[n - q * 36];
    n = q;
  }
  return end;
}
