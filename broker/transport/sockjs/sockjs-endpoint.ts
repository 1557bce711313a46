import type { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../logger';
import type { Connection, ConnectionHandler, HandshakeInfo } from '../connection';
import type { Endpoint } from '../endpoint';
import { TurnWriter } from '../turn-writer';
import { cacheFor, cors, noCache, ONE_YEAR, preflight, reply } from './http-headers';
import { handleSend, handleWebSocketMessage, type SendKind } from './inbound';
import { HTTP_FORMATS, HttpReceiver, type HttpTransport } from './http-receiver';
import { callbackOf, framingHeaders, framingPolicy, GREETING, IframePage, infoBody, type FramingPolicy } from './pages';
import { SessionBinding } from './session-binding';
import { SockJsSession, type SessionHost } from './sockjs-session';
import { WebSocketReceiver } from './websocket-receiver';

/** SockJS settings (Spring's defaults: heart-beat 25 s, disconnect delay 5 s, stream limit 128 KiB). */
export interface SockJsSettings {
  readonly heartbeatDelay: number;
  readonly disconnectDelay: number;
  readonly streamLimit: number;
  /** Where the iframe page loads sockjs-client from: our own server, never a CDN. */
  readonly clientUrl: string;
  /** Later requests of an HTTP session must come from the address that opened it. */
  readonly bindRemoteAddress: boolean;
}

/** What one SockJS endpoint is built from. */
export interface SockJsEndpointOptions {
  /** The endpoint path, e.g. `/stomp`. */
  readonly prefix: string;
  readonly sockjs: SockJsSettings;
  /** Largest inbound SockJS message in bytes (websocket message or send body): plain WebSocket's `maxPayload`. */
  readonly messageLimit: number;
  /** How long a response may take to get its last bytes out once it ended, ms (the server's `sendTimeLimit`). */
  readonly flushGrace: number;
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
}

/** `/<server>/<session>/<transport>`; neither id may hold a dot (sockjs-protocol), nor pass 128 characters. */
const SESSION_URL = /^\/([^/.]{1,128})\/([^/.]{1,128})\/([a-z_]+)\/?$/;
/** Any iframe page name sockjs-client may ask for (`iframe.html`, `iframe-1.6.1.html`, ...). */
const IFRAME_URL = /^\/iframe[0-9a-z._-]*\.html$/;
const UPGRADE_ONLY = 'Can "Upgrade" only to "WebSocket".';

type Run = (endpoint: SockJsEndpoint, req: IncomingMessage, res: ServerResponse, id: string, query: string) => void;

/** One row per transport URL: the method it takes, whether it answers CORS preflights, what it does. */
const TRANSPORTS: ReadonlyMap<string, { readonly method: 'GET' | 'POST'; readonly preflight: boolean; readonly run: Run }> = new Map(Object.entries({
  websocket: { method: 'GET', preflight: false, run: (_e, req, res) => reply(req, res, 400, UPGRADE_ONLY) },
  xhr: { method: 'POST', preflight: true, run: (e, req, res, id, q) => e.receiving(req, res, id, q, 'xhr') },
  xhr_streaming: { method: 'POST', preflight: true, run: (e, req, res, id, q) => e.receiving(req, res, id, q, 'xhr_streaming') },
  xhr_send: { method: 'POST', preflight: true, run: (e, req, res, id) => e.sending(req, res, id, 'xhr') },
  eventsource: { method: 'GET', preflight: false, run: (e, req, res, id, q) => e.receiving(req, res, id, q, 'eventsource') },
  htmlfile: { method: 'GET', preflight: false, run: (e, req, res, id, q) => e.receiving(req, res, id, q, 'htmlfile') },
  jsonp: { method: 'GET', preflight: false, run: (e, req, res, id, q) => e.receiving(req, res, id, q, 'jsonp') },
  jsonp_send: { method: 'POST', preflight: false, run: (e, req, res, id) => e.sending(req, res, id, 'jsonp') },
} satisfies Record<string, { method: 'GET' | 'POST'; preflight: boolean; run: Run }>));

/**
 * One SockJS endpoint (sockjs-protocol 0.3, every transport sockjs-client 1.6 uses) under a
 * path prefix. The server's request and upgrade listeners hand over what {@link owns} claims,
 * after screening the origin. Requests that cannot open or reach a session (a bad id, a
 * missing callback, a wrong method, a foreign session's credentials) are answered without
 * keeping anything; sessions live in one map by id, each counted by the server from the
 * moment it exists and ended after `disconnectDelay` without a receiver. Nothing a client
 * sends can throw out of a listener here: a fault ends that client's session only.
 */
export class SockJsEndpoint implements SessionHost, Endpoint {
  readonly name: string;
  readonly writer = new TurnWriter<SockJsSession>();
  readonly heartbeatDelay: number;
  readonly disconnectDelay: number;
  readonly logger: Logger;
  /** HTTP sessions by the id their client chose (websocket sessions are not addressable). */
  private readonly sessions = new Map<string, SockJsSession>();
  private readonly live = new Set<SockJsSession>();
  private readonly wss: WebSocketServer;
  private readonly iframe: IframePage;
  private readonly framing: FramingPolicy;
  private closed = false;
  /** The prefix without a trailing `/`: `''` for the endpoint `/`. */
  private readonly base: string;

  constructor(
    private readonly options: SockJsEndpointOptions,
    private readonly accept: (connection: Connection) => ConnectionHandler,
  ) {
    this.name = `sockjs:${options.prefix}`;
    this.heartbeatDelay = options.sockjs.heartbeatDelay;
    this.disconnectDelay = options.sockjs.disconnectDelay;
    this.logger = options.logger;
    this.base = options.prefix === '/' ? '' : options.prefix;
    this.iframe = new IframePage(options.sockjs.clientUrl);
    this.framing = framingPolicy(options.allowedOrigins);
    // The same message limit as plain WebSocket; SockJS negotiates no subprotocol.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.messageLimit, perMessageDeflate: false, clientTracking: false, handleProtocols: () => false });
  }

  get prefix(): string {
    return this.options.prefix;
  }

  /** Sessions alive now (every transport), closed ones still answering their close frame included. */
  get size(): number {
    return this.live.size;
  }

  /** True when `pathname` belongs to this endpoint (greeting, info, iframe page, transports). */
  owns(pathname: string): boolean {
    const base = this.base;
    if (base === '') return pathname === '/' || pathname === '/info' || IFRAME_URL.test(pathname) || SESSION_URL.test(pathname); // endpoint `/`
    return pathname === base || (pathname.startsWith(base) && pathname.charCodeAt(base.length) === 0x2f); // '/'
  }

  /** Serves one HTTP request under the prefix. Never throws. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', ignore);
    res.on('error', ignore);
    try {
      this.route(req, res);
    } catch (err) {
      this.failedRequest(req, res, err);
    }
  }

  /** Completes a websocket upgrade of `<prefix>/<server>/<session>/websocket`. Never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const m = SESSION_URL.exec(this.rest(req.url));
      if (m === null || m[3] !== 'websocket') socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else if (this.closed) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else this.wss.handleUpgrade(req, socket, head, (ws) => this.openWebSocket(ws, req));
    } catch (err) {
      this.logger.error({ err, prefix: this.prefix }, 'SockJS upgrade failed');
      socket.destroy();
    }
  }

  /** Ends every session at once (an attached receiver gets its close frame) and stops taking new ones. */
  close(): void {
    this.closed = true;
    for (const session of [...this.live]) session.shutdown();
    this.sessions.clear();
    this.live.clear();
    this.wss.close();
  }

  retire(session: SockJsSession): void {
    this.live.delete(session);
    if (session.id !== undefined && this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  // ---- routing ----

  /** The part of the URL path after the prefix (`''`, `/info`, `/000/abc/xhr`, ...). */
  private rest(url: string | undefined): string {
    const u = url ?? '/';
    const q = u.indexOf('?');
    return (q === -1 ? u : u.slice(0, q)).slice(this.base.length);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rest = this.rest(url);
    const query = q === -1 ? '' : url.slice(q + 1);
    if (rest === '' || rest === '/') this.only(req, res, 'GET', () => res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(GREETING));
    else if (rest === '/info') this.info(req, res);
    else if (IFRAME_URL.test(rest)) this.only(req, res, 'GET', () => this.iframePage(req, res));
    else if (rest === '/websocket') this.only(req, res, 'GET', () => reply(req, res, 400, UPGRADE_ONLY));
    else {
      const m = SESSION_URL.exec(rest);
      const transport = m === null ? undefined : TRANSPORTS.get(m[3]);
      if (m === null || transport === undefined) reply(req, res, 404, 'Not found');
      else if (req.method === transport.method) transport.run(this, req, res, m[2], query);
      else if (req.method === 'OPTIONS' && transport.preflight) preflight(req, res, 'OPTIONS, POST');
      else reply(req, res, 405, '', { Allow: transport.preflight ? `OPTIONS, ${transport.method}` : transport.method });
    }
  }

  private only(req: IncomingMessage, res: ServerResponse, method: string, run: () => void): void {
    if (req.method === method) run();
    else reply(req, res, 405, '', { Allow: method });
  }

  private info(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'OPTIONS') return preflight(req, res, 'OPTIONS, GET');
    if (req.method !== 'GET') return reply(req, res, 405, '', { Allow: 'OPTIONS, GET' });
    cors(req, res);
    noCache(res);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' }).end(infoBody(this.options.allowedOrigins));
  }

  /** The iframe page: same-origin framing only by default; none at all when foreign origins are listed (Spring). */
  private iframePage(req: IncomingMessage, res: ServerResponse): void {
    if (this.framing === 'none') return reply(req, res, 404, 'Not found');
    cacheFor(res, ONE_YEAR);
    const headers = { ETag: this.iframe.etag, ...framingHeaders(this.framing) };
    if (req.headers['if-none-match'] === this.iframe.etag) res.writeHead(304, headers).end();
    else res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', ...headers }).end(this.iframe.html);
  }

  // ---- transports ----

  /** @internal A receiving request: opens the session, or attaches to the one it names. */
  receiving(req: IncomingMessage, res: ServerResponse, id: string, query: string, transport: HttpTransport): void {
    const format = HTTP_FORMATS[transport];
    let callback = '';
    if (transport === 'htmlfile' || transport === 'jsonp') {
      const c = callbackOf(query);
      if (c === undefined) return reply(req, res, 500, '"callback" parameter required');
      if (c === null) return reply(req, res, 500, 'invalid "callback" parameter');
      callback = c;
    }
    let session = this.sessions.get(id);
    if (session !== undefined && session.binding?.matches(req) !== true) return reply(req, res, 404, 'Not found');
    if (session === undefined && this.closed) return reply(req, res, 503, 'Server is shutting down');
    const fresh = session === undefined;
    if (session === undefined) {
      session = new SockJsSession(id, format.transport, handshakeOf(req), SessionBinding.of(req, this.options.sockjs.bindRemoteAddress), this);
      this.sessions.set(id, session);
      this.live.add(session);
    }
    if (transport !== 'htmlfile' && transport !== 'jsonp') cors(req, res);
    noCache(res);
    const headers: Record<string, string> = { 'Content-Type': format.contentType };
    if (transport === 'jsonp') headers['X-Content-Type-Options'] = 'nosniff';
    if (transport === 'htmlfile') Object.assign(headers, framingHeaders(this.framing));
    res.writeHead(200, headers);
    const prelude = format.prelude(callback);
    if (prelude !== '') res.write(prelude);
    session.attach(new HttpReceiver(res, format, callback, this.options.sockjs.streamLimit, this.options.flushGrace));
    if (fresh) session.bind(this.accept(session));
  }

  /** @internal `xhr_send` / `jsonp_send`: delivers the messages of the body to the session it names. */
  sending(req: IncomingMessage, res: ServerResponse, id: string, kind: SendKind): void {
    const session = this.sessions.get(id);
    // Checked before a byte of the body is read: a stranger's POST costs nothing.
    if (session === undefined || session.state === 'closed' || session.binding?.matches(req) !== true) return reply(req, res, 404, 'Not found');
    handleSend(req, res, session, kind, this.options.messageLimit, (err) => this.failedRequest(req, res, err));
  }

  private openWebSocket(ws: WebSocket, req: IncomingMessage): void {
    const session = new SockJsSession(undefined, 'sockjs-websocket', handshakeOf(req), undefined, this);
    this.live.add(session);
    req.socket.setKeepAlive?.(true, 30000);
    req.socket.setNoDelay?.(true);
    const receiver = new WebSocketReceiver(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onWebSocketMessage(session, data, isBinary));
    ws.on('close', () => this.guard(session, () => receiver.closed()));
    ws.on('error', () => ws.terminate());
    session.attach(receiver);
    session.bind(this.accept(session));
  }

  private onWebSocketMessage(session: SockJsSession, data: Buffer, isBinary: boolean): void {
    try {
      handleWebSocketMessage(session, data, isBinary);
    } catch (err) {
      this.logger.error({ err, transport: 'sockjs-websocket' }, 'SockJS message handling failed');
      session.failed(err);
    }
  }

  private guard(session: SockJsSession, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.logger.error({ err, transport: session.transport }, 'SockJS close handling failed');
    }
  }

  private failedRequest(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    this.logger.error({ err, prefix: this.prefix, method: req.method }, 'SockJS request failed');
    try {
      if (res.headersSent) res.destroy();
      else reply(req, res, 500, 'Internal server error');
    } catch {
      res.destroy();
    }
  }
}

function ignore(): void {}

function handshakeOf(req: IncomingMessage): HandshakeInfo {
  return { url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress };
}
