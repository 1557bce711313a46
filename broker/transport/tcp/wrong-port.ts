import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Clear answers for a client on the wrong port: an HTTP request on the STOMP TCP port, and a
 * STOMP frame on the HTTP port. Neither may hang until a timeout.
 */

/** Request lines of HTTP methods as they start a stream ("GET ", "POST ", ...). */
const HTTP_PREFIXES = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'TRACE ', 'CONNECT '].map((m) => Buffer.from(m, 'latin1'));
/** Longest prefix worth waiting for. */
export const SNIFF_BYTES = Math.max(...HTTP_PREFIXES.map((p) => p.length));

/**
 * What the first bytes of a TCP stream say: `http` when they start an HTTP request line,
 * `stomp` when they cannot, `undecided` while they are a proper prefix of one (`GET` without
 * the space yet). STOMP's own CONNECT is followed by an EOL, HTTP's CONNECT method by a space.
 */
export function sniff(head: Uint8Array): 'http' | 'stomp' | 'undecided' {
  let undecided = false;
  for (const prefix of HTTP_PREFIXES) {
    const n = Math.min(prefix.length, head.length);
    let same = true;
    for (let i = 0; i < n && same; i++) same = head[i] === prefix[i];
    if (!same) continue;
    if (head.length >= prefix.length) return 'http';
    undecided = true;
  }
  return undecided ? 'undecided' : 'stomp';
}

/** The answer to an HTTP request on the TCP port: 400, saying what the port is. */
export function httpOnTcpPortResponse(): string {
  const body = 'This port speaks STOMP over TCP, not HTTP. Connect a STOMP client here, or use the HTTP port for WebSocket, SockJS and pages.\n';
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, ContentType handshake = 22). */
export const TLS_HANDSHAKE = 0x16;

/**
 * The answer to plaintext on the STOMP TLS port, in the client's own protocol: HTTP 400 for an
 * HTTP request line, else a STOMP ERROR frame (unescaped, as no version was negotiated) with
 * code `STOMP_ERR_TLS_REQUIRED`. Either way the port's protocol is named.
 */
export function plaintextOnTlsPortResponse(kind: 'http' | 'stomp'): string {
  const sentence = 'This port speaks STOMP over TLS (stomp+ssl): connect with TLS, or use the plain STOMP TCP port or the HTTP port.';
  if (kind === 'http') {
    const body = `${sentence}\n`;
    return `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  }
  return `ERROR\nmessage:${sentence}\ncode:STOMP_ERR_TLS_REQUIRED\ncontent-type:text/plain;charset=UTF-8\ncontent-length:${Buffer.byteLength(sentence)}\n\n${sentence}\0`;
}

/** STOMP client commands at the start of a line, then an EOL: what a STOMP client sends first (or later). */
const STOMP_REQUEST_LINE = /^(?:CONNECT|STOMP|SEND|SUBSCRIBE|UNSUBSCRIBE|ACK|NACK|BEGIN|COMMIT|ABORT|DISCONNECT)\r?\n/;

/** True when the bytes an HTTP parser refused start like a STOMP frame. */
export function looksLikeStomp(raw: Buffer | undefined): boolean {
  return raw !== undefined && STOMP_REQUEST_LINE.test(raw.subarray(0, 16).toString('latin1'));
}

function stompOnHttpPortResponse(tcpPort: number | undefined): string {
  const where = tcpPort === undefined ? 'STOMP over TCP is not enabled on this server' : `STOMP over TCP is served on port ${tcpPort}`;
  const body = `This is an HTTP port: it takes STOMP over WebSocket or SockJS only. ${where}.\n`;
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** What Node answers by itself to a request its parser refused when nobody listens for 'clientError'. */
function nodeDefaultResponse(code: string | undefined): string {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
    default:
      return 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
  }
}

interface ClientError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

/** The response Node attached to a keep-alive socket for its current request (a ServerResponse). */
interface InFlightResponse {
  readonly writableFinished?: boolean;
  /** The request it answers (Node's `ServerResponse#req`). */
  readonly req?: { readonly complete: boolean };
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

type ClientSocket = Duplex & { bytesWritten?: number; _httpMessage?: InFlightResponse | null };

/** Still open for our answer: not destroyed, writable, not ended (an application that ended or destroyed it keeps its answer). */
function open(socket: ClientSocket): boolean {
  return !socket.destroyed && socket.writable && !socket.writableEnded;
}

/** Calls `done` once, when `response` finished or its socket closed. */
function whenDone(response: InFlightResponse, done: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    done();
  };
  response.once('finish', once);
  response.once('close', once);
}

/**
 * Answers HTTP parse errors on `http`: a STOMP frame gets a 400 naming the TCP port, anything
 * else what Node answers by itself (400, 431, 408), then the socket is destroyed. Adding a
 * 'clientError' listener switches Node's own answer off, so ours stands in for it. When the
 * application listens for 'clientError' too, its listeners go first: ours waits one turn and
 * answers only a socket they left open, unwritten and not ended (an application that answered
 * or destroyed it keeps its answer). On a keep-alive socket whose earlier request is still
 * being answered (pipelined, or a response under way), that response goes out whole first and
 * the 400 after it, answering the bad request in its place in the order; the 400 never
 * replaces or interrupts a response. `tcpPort()` names the port for the message.
 */
export function answerClientErrors(http: HttpServer, tcpPort: () => number | undefined): () => void {
  const listener = (err: ClientError, socket: ClientSocket): void => {
    try {
      const response = looksLikeStomp(err.rawPacket) ? stompOnHttpPortResponse(tcpPort()) : nodeDefaultResponse(err.code);
      const written = socket.bytesWritten ?? 0;
      const finish = (): void => {
        if (!open(socket)) return;
        if (err.code !== 'ECONNRESET') socket.write(response);
        socket.destroy();
      };
      const answer = (): void => {
        const inFlight = socket._httpMessage;
        if (inFlight != null && inFlight.writableFinished !== true) {
          // Its own request was cut short (the client went away mid-body, or sent a broken
          // chunk): that request never completes, so neither does its response. Waiting for it
          // held the socket and the body read so far for good (200 POSTs cut after 60 KB: 12 MB).
          if (inFlight.req?.complete === false) return void socket.destroy();
          return whenDone(inFlight, finish);
        }
        if ((socket.bytesWritten ?? 0) !== written) return; // an application listener answered
        finish();
      };
      if (http.listenerCount('clientError') > 1) setImmediate(answer);
      else answer();
    } catch {
      socket.destroy();
    }
  };
  http.on('clientError', listener);
  return () => http.off('clientError', listener);
}
