/**
 * HTTP/1.1 over a raw TCP socket, for requests node:http would not send: a Content-Length that
 * lies, a body that trickles, a huge body the server should refuse before it arrives, any
 * method or header. Never rejects and never waits forever: every wait is bounded, and the
 * result says what the server did (answered with a status, closed, or neither in time).
 */
import { connect } from 'node:net';

/** What to send. */
export interface RawRequest {
  /** Request line and headers, CRLF-separated, without the empty line that ends the head. */
  readonly head: string;
  /** Body chunks, written in order (waiting for 'drain' when the socket is full). */
  readonly body?: readonly Buffer[];
  /** Milliseconds between two body chunks (a slow body). @defaultValue 0 */
  readonly chunkDelayMs?: number;
  /** Stop as soon as the response head arrived (streaming responses never end). @defaultValue false */
  readonly stopAfterHead?: boolean;
  /** Longest wait for the response after the last byte was written, ms. @defaultValue 3000 */
  readonly waitMs?: number;
}

/** What happened. */
export interface RawResponse {
  /** The status of the response, if a head arrived. */
  readonly status: number | undefined;
  /** The response as text so far (head and body). */
  readonly text: string;
  /** How the exchange ended. */
  readonly ended: 'complete' | 'head' | 'closed' | 'timeout';
  /** A socket error (e.g. ECONNRESET, EPIPE), if one came. */
  readonly error: string | undefined;
  /** Body bytes written before the exchange ended. */
  readonly written: number;
  /** Milliseconds from connecting to the end. */
  readonly ms: number;
  /** Milliseconds from connecting to the response head, if one came. */
  readonly headMs: number | undefined;
}

/** Sends one raw request to 127.0.0.1:`port`. */
export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let status: number | undefined;
    let headMs: number | undefined;
    let error: string | undefined;
    let written = 0;
    let finished = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = (ended: RawResponse['ended']): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, text: received.toString('latin1'), ended, error, written, ms: Date.now() - started, headMs });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish('timeout'), request.waitMs ?? 3000);
    };

    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (status === undefined) {
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(received.toString('latin1', 0, end));
        const code = m === null ? -1 : Number(m[1]);
        if (code >= 100 && code < 200 && code !== 101) {
          received = received.subarray(end + 4); // an interim response (100 Continue): the real one follows
          continue;
        }
        status = code;
        headMs = Date.now() - started;
        if (request.stopAfterHead === true || code === 101) return finish('head');
      }
      if (complete(received)) finish('complete');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => finish('closed'));
    socket.on('connect', () => {
      arm();
      socket.write(`${request.head}\r\n\r\n`);
      void writeBody(request.body ?? []).then(() => {
        if (!finished) arm();
      });
    });

    async function writeBody(chunks: readonly Buffer[]): Promise<void> {
      for (const chunk of chunks) {
        if (finished || socket.destroyed) return;
        if (request.chunkDelayMs) await new Promise((r) => setTimeout(r, request.chunkDelayMs));
        if (finished || socket.destroyed) return;
        arm();
        const flushed = socket.write(chunk);
        written += chunk.length;
        if (!flushed) await new Promise<void>((r) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            r();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      }
    }
  });
}

/** True when `data` holds a whole response: its Content-Length reached, or the last chunk. */
function complete(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const head = data.toString('latin1', 0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (status === 204 || status === 304) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length !== null) return data.length - (end + 4) >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return data.includes('\r\n0\r\n\r\n', end) || data.indexOf('0\r\n\r\n', end + 4) === end + 4;
  return false;
}
