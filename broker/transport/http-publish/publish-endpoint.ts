import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../endpoint';
import type { HttpTransportHost } from '../http-host';
import { readBody, type BodyOutcome } from '../sockjs/body-reader';
import type { ResolvedHttpPublishOptions } from './publish-options';
import { PublishConnection, PublishSession, type PublishOutcome } from './publish-session';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
/** After a 413, the rest of the body is read and dropped (so the client can read the answer) up to this many bytes... */
const DRAIN_BYTES = 16 * 1024 * 1024;
/** ...or for this long; then the connection is dropped. */
const DRAIN_TIME = 5000; // ms

/**
 * HTTP publish for backends: `POST <path>?destination=<d>` with the message as the body (its
 * `Content-Type` kept). With `httpPublish.token` the request must carry
 * `Authorization: Bearer <token>` (401 otherwise); without it the `authenticate` hook decides
 * from the request. The message then goes through a {@link PublishSession}, authorized and
 * routed as a SEND. Answers: 202 (JSON), 400 (no destination, or one the grammar refuses), 401,
 * 403 (refused by authorization or `allowClientSendToBroker`), 405 with `Allow: POST`, 413 past
 * `maxFrameSize` (answered at once; the rest of the body is drained so the client reads it),
 * 408 when the body has not arrived whole within `connectTimeout` (then the connection closes).
 * The body is read as it arrives, never allocated from a claimed `Content-Length`.
 */
export class PublishEndpoint implements Endpoint {
  readonly name = 'http-publish';
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly options: ResolvedHttpPublishOptions,
    private readonly host: HttpTransportHost,
  ) {
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
  }

  owns(pathname: string): boolean {
    return pathname === this.options.path;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.serve(req, res);
    } catch (err) {
      this.host.options.logger.error({ err }, 'HTTP publish failed');
      if (!res.headersSent) reply(res, 500, 'Internal server error');
      else res.destroy();
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') return reply(res, 405, `${this.options.path} takes POST`, { allow: 'POST' });
    if (!this.host.allowsOrigin(req.headers)) return reply(res, 403, 'Origin not allowed');
    if (this.tokenDigest !== undefined && !this.validToken(req.headers.authorization)) {
      return reply(res, 401, 'STOMP_ERR_UNAUTHORIZED: a valid "Authorization: Bearer <token>" header is required', { 'www-authenticate': 'Bearer realm="stompbox"' });
    }
    const destination = new URL(req.url ?? '/', 'http://localhost').searchParams.get('destination');
    if (destination === null || destination === '') return reply(res, 400, 'STOMP_ERR_MISSING_HEADER: the query needs a "destination" parameter');
    const limit = this.host.options.maxFrameSize;
    // The body must arrive within connectTimeout, as a connection must send CONNECT: a stalled
    // publisher holds neither its bytes nor its socket for Node's 300 s request timeout.
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      if (!res.headersSent) res.writeHead(408, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(`STOMP_ERR_CONNECT_TIMEOUT: the body did not arrive within connectTimeout (${this.host.options.connectTimeout} ms)\n`, () => req.socket.destroy());
    }, this.host.options.connectTimeout);
    timer.unref();
    req.once('close', () => clearTimeout(timer));
    readBody(req, limit, (outcome) => {
      clearTimeout(timer);
      if (late) return;
      try {
        this.publish(req, res, destination, limit, outcome);
      } catch (err) {
        // Called from the request's 'end' listener: nothing may throw out of it.
        this.host.options.logger.error({ err }, 'HTTP publish failed');
        if (!res.headersSent) reply(res, 500, 'Internal server error');
        else res.destroy();
      }
    });
  }

  /** Routes a body that was read whole; answers a too-large one with 413. */
  private publish(req: IncomingMessage, res: ServerResponse, destination: string, limit: number, outcome: BodyOutcome): void {
    if (outcome.kind === 'aborted') return;
    if (outcome.kind === 'too-large') return tooLarge(req, res, limit);
    const connection = new PublishConnection(req);
    const respond = (o: PublishOutcome): void => {
      if (res.writableEnded || res.destroyed) return;
      if (o.json) res.writeHead(o.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(o.body);
      else reply(res, o.status, o.body, o.status === 401 ? { 'www-authenticate': 'Bearer realm="stompbox"' } : {});
    };
    const session = this.host.openSession(connection, (host) => new PublishSession(connection, host, respond));
    connection.handler = session;
    session.publish(destination, req.headers['content-type'], outcome.body);
  }

  /** Compares digests in constant time, so the answer's timing says nothing about the token. */
  private validToken(header: string | undefined): boolean {
    const m = header === undefined ? null : BEARER.exec(header);
    return m !== null && timingSafeEqual(digest(m[1]), this.tokenDigest!);
  }

  close(): void {
    // Each publish is a session: the server's shutdown ends them.
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${text}\n`);
}

/**
 * 413, readable by the client: the answer goes out at once, complete (Content-Length), but the
 * response ends only once the rest of the body was read and dropped. Closing while the client
 * still sends would reset the connection, and a reset discards the answer before the client
 * reads it. A client that keeps sending past DRAIN_BYTES or DRAIN_TIME is dropped.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const text = `STOMP_ERR_FRAME_TOO_LARGE: the body is over maxFrameSize (${limit} bytes)\n`;
  res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.write(text);
  if (req.complete) {
    res.end();
    return;
  }
  let drained = 0;
  const drop = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(drop, DRAIN_TIME);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) drop();
  });
  req.once('end', () => {
    clearTimeout(timer);
    res.end();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
