import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../endpoint';
import type { HttpTransportHost } from '../http-host';
import { TurnWriter } from '../turn-writer';
import { SseConnection } from './sse-connection';
import type { SseFormat } from './sse-event';
import type { ResolvedSseOptions } from './sse-options';
import { SseSession, type SseStream } from './sse-session';

const CONTROL = /[\x00-\x1f\x7f]/;
const FORMATS: ReadonlySet<string> = new Set<SseFormat>(['text', 'json']);

/**
 * Server-Sent Events (WHATWG HTML §9.2): `GET <path>?destination=<d>[&destination=<e>...]`
 * streams the messages of those destinations as `text/event-stream`, one event per message.
 * Each stream is a {@link SseSession}: the same origin policy, authentication (the HTTP
 * request: cookies, `Authorization`, or a query parameter, since EventSource sets no
 * headers), SUBSCRIBE authorization, user destinations and slow-consumer policy as the
 * WebSocket and SockJS transports (transport name `sse`).
 */
export class SseEndpoint implements Endpoint {
  readonly name = 'sse';
  private readonly open = new Set<SseConnection>();
  private readonly writer = new TurnWriter<SseConnection>();

  constructor(
    private readonly options: ResolvedSseOptions,
    private readonly host: HttpTransportHost,
  ) {}

  owns(pathname: string): boolean {
    return pathname === this.options.path;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.serve(req, res);
    } catch (err) {
      this.host.options.logger.error({ err }, 'SSE request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal server error\n');
      else res.destroy();
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return answer(res, 405, `${this.options.path} takes GET`, { allow: 'GET' });
    if (!this.host.allowsOrigin(req.headers)) return answer(res, 403, 'Origin not allowed');
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const destinations = query.getAll('destination');
    if (destinations.length === 0 || destinations.includes('')) return answer(res, 400, 'STOMP_ERR_MISSING_HEADER: the query needs a "destination" parameter');
    // A line break in a destination could end a comment line of the stream and start a field: refused.
    if (destinations.some((d) => CONTROL.test(d))) return answer(res, 400, 'STOMP_ERR_INVALID_DESTINATION: a destination may not hold control characters');
    const format = query.get('format') ?? 'text';
    if (!FORMATS.has(format)) return answer(res, 400, `STOMP_ERR_INVALID_HEADER: "format" must be text or json; received "${format.slice(0, 32)}"`);
    const login = query.get('login') ?? undefined;
    if (login !== undefined && CONTROL.test(login)) return answer(res, 400, 'STOMP_ERR_INVALID_HEADER: "login" may not hold control characters');
    const lastEventId = firstHeader(req.headers['last-event-id']) ?? query.get('lastEventId') ?? undefined;
    const stream: SseStream = {
      destinations,
      format: format as SseFormat,
      heartbeat: this.options.heartbeat,
      retry: this.options.retry,
      lastEventId,
      login,
    };
    const connection = new SseConnection(req, res, this.writer);
    this.open.add(connection);
    res.once('close', () => this.open.delete(connection));
    const session = this.host.openSession(connection, (host) => new SseSession(connection, host, stream));
    connection.handler = session;
    session.open();
  }

  /** Streams end with their sessions at shutdown; what is still open here then is dropped. */
  close(): void {
    for (const connection of [...this.open]) connection.terminate();
    this.open.clear();
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${text}\n`);
}
