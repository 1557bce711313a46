import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { newCounts, type FrameCounts } from './stomp-frames';

type FrameView = (buf: Buffer, start: number, end: number) => void;

const LF = 0x0a; // '\n'
const CR = 0x0d; // '\r'
const D = 0x64; // 'd' of a `data:` line

/**
 * A Server-Sent Events subscriber of the load generator: `GET <path>?destination=<d>` with
 * `Accept: text/event-stream`, its events counted as MESSAGEs. The stream is read by line
 * (WHATWG HTML §9.2 "Parsing an event stream"): a blank line ends an event, and an event counts
 * when it had a `data:` line, so heart-beat comments (`:` lines) and lone `id:` or `retry:`
 * lines count for nothing. The parse state carries over chunk boundaries; no string is built
 * per event.
 */
export class SseSubscriber {
  readonly counts: FrameCounts = newCounts();
  /** Called after every chunk that held an event (the publisher pumps from here). */
  onActivity: (() => void) | undefined;
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  /** The current line's first byte has been seen (so the rest of the line is skipped). */
  private midLine = false;
  /** The current event has a `data:` line. */
  private hasData = false;
  private lastWasCr = false;

  constructor(
    private readonly port: number,
    private readonly path: string,
    private readonly onMessage?: FrameView,
  ) {}

  /** Opens the stream of `destination` and resolves once the response head (200) arrived. */
  subscribe(destination: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const sep = this.path.includes('?') ? '&' : '?';
      const req = request({
        host: '127.0.0.1',
        port: this.port,
        path: `${this.path}${sep}destination=${encodeURIComponent(destination)}`,
        headers: { accept: 'text/event-stream' },
        agent: false,
      });
      this.req = req;
      req.once('error', reject);
      req.once('response', (res) => {
        this.res = res;
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`SSE ${this.path} answered ${res.statusCode}`));
          return;
        }
        res.on('data', (c: Buffer) => this.receive(c));
        resolve();
      });
      req.end();
    });
  }

  /** Ends the stream. */
  close(): void {
    this.res?.destroy();
    this.req?.destroy();
  }

  private receive(chunk: Buffer): void {
    const before = this.counts.message;
    let pos = 0;
    const len = chunk.length;
    // The next CR at or after `pos` (len: none), searched again only once passed: a stream
    // without CRs (stompbox sends LF only) would otherwise be searched to its end on every line.
    let cr = -1;
    while (pos < len) {
      const c = chunk[pos];
      // CRLF: the LF after a CR is part of the same line end.
      if (c === LF && this.lastWasCr) {
        this.lastWasCr = false;
        pos++;
        continue;
      }
      this.lastWasCr = false;
      if (c === LF || c === CR) {
        this.lastWasCr = c === CR;
        if (!this.midLine) this.endEvent();
        this.midLine = false;
        pos++;
        continue;
      }
      if (!this.midLine) {
        this.midLine = true;
        // Of the fields (`data`, `event`, `id`, `retry`) and comments (`:`), only `data` starts with 'd'.
        if (c === D) this.hasData = true;
      }
      // Skip to the end of the line in one search.
      if (cr < pos) {
        cr = chunk.indexOf(CR, pos);
        if (cr === -1) cr = len;
      }
      const lf = chunk.indexOf(LF, pos);
      pos = Math.min(lf === -1 ? len : lf, cr);
    }
    if (this.counts.message !== before) this.onActivity?.();
  }

  private endEvent(): void {
    if (!this.hasData) return;
    this.hasData = false;
    this.counts.message++;
    this.onMessage?.(EMPTY, 0, 0);
  }
}

const EMPTY = Buffer.alloc(0);
