/**
 * A Server-Sent Events reader for tests: `GET` over node:http, the body kept as it came (for
 * byte checks) and parsed as WHATWG HTML §9.2.6 says a browser parses it (fields, comments,
 * multi-line data, the default event type). Every stream opened here is closed by
 * `closeStreams()` (call it in afterEach, before closing the servers).
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** One dispatched event, as EventSource would hand it over. */
export interface SseEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

export class SseReader {
  /** The body so far, as UTF-8 text exactly as the server wrote it. */
  text = '';
  readonly events: SseEvent[] = [];
  /** Comment lines (without the leading colon), in order. */
  readonly comments: string[] = [];
  /** `retry:` values seen. */
  readonly retries: number[] = [];
  ended = false;
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private lastEventId = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.receive(chunk));
    res.on('end', () => this.end());
    res.on('close', () => this.end());
    res.on('error', () => this.end());
  }

  /** Resolves once `done()` holds; rejects after `ms`, saying what was awaited. */
  until(what: string, done: () => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text.slice(-400))}`));
      }, ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the first `count` events. */
  async nextEvents(count: number, ms = 5000): Promise<SseEvent[]> {
    await this.until(`${count} events`, () => this.events.length >= count, ms);
    return this.events.slice(0, count);
  }

  /** Resolves once the server ended the response. */
  closed(ms = 5000): Promise<void> {
    return this.until('the end of the stream', () => this.ended, ms);
  }

  /** Stops reading for good (the socket stays open, so the server sees a client that stopped reading). */
  pause(): void {
    this.res.pause();
  }

  close(): void {
    this.res.destroy();
  }

  private receive(chunk: string): void {
    this.text += chunk;
    this.buffer += chunk;
    // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
    for (;;) {
      const m = /\r\n|\r(?!$)|\n/.exec(this.buffer);
      if (m === null) break;
      this.line(this.buffer.slice(0, m.index));
      this.buffer = this.buffer.slice(m.index + m[0].length);
    }
    this.poke();
  }

  /** WHATWG HTML §9.2.6 "Interpreting an event stream". */
  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retries.push(Number(value));
  }

  private dispatch(): void {
    const type = this.type;
    this.type = '';
    if (this.data.length === 0) return;
    const data = this.data.join('\n');
    this.data = [];
    this.events.push({ type: type === '' ? 'message' : type, data, lastEventId: this.lastEventId });
  }

  private end(): void {
    this.ended = true;
    this.poke();
  }

  private poke(): void {
    for (const l of [...this.listeners]) l();
  }
}

const open = new Set<SseReader>();

/** Opens `url` (an http URL) with `headers`; resolves once the response head arrived. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const reader = new SseReader(res.statusCode ?? 0, res.headers, res);
      open.add(reader);
      resolve(reader);
    });
    req.once('error', reject);
    req.end();
  });
}

/** Opens a stream that must be refused: resolves with its status and whole body. */
export async function refusedSse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  const reader = await openSse(url, headers);
  await reader.closed();
  return { status: reader.status, body: reader.text, headers: reader.headers };
}

/** Closes every stream opened here. */
export function closeStreams(): void {
  for (const r of open) r.close();
  open.clear();
}
