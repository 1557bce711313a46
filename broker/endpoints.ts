import type { ResolvedOptions } from './options';
import type { Operations } from './operations/operations';
import { OperationsEndpoint } from './operations/operations-endpoint';
import type { OriginPolicy } from './security/origin-policy';
import type { Connection, ConnectionHandler } from './transport/connection';
import type { HttpTransportHost } from './transport/http-host';
import { PublishEndpoint } from './transport/http-publish/publish-endpoint';
import { HttpRouter } from './transport/http-router';
import { ScreenedEndpoint, type Admission } from './transport/screened-endpoint';
import { SockJsEndpoint } from './transport/sockjs/sockjs-endpoint';
import { SseEndpoint } from './transport/sse/sse-endpoint';
import { StaticFiles } from './transport/static-files';
import { TcpListener } from './transport/tcp/tcp-listener';
import { WebSocketEndpoint } from './transport/ws-endpoint';

/** What the endpoints need of the server. */
export interface EndpointHost {
  /** Opens a session on a new connection of any transport. */
  readonly accept: (connection: Connection) => ConnectionHandler;
  /** SSE and HTTP publish's host: they admit their own sessions. */
  readonly http: HttpTransportHost;
  readonly operations: Operations;
  readonly origins: OriginPolicy;
  readonly admission: Admission;
}

/** A server's listeners: the HTTP endpoints behind one router, and STOMP over TCP. */
export interface Endpoints {
  /** WebSocket, each SockJS prefix, SSE, HTTP publish, health and metrics, static files, in the order they are asked. */
  readonly httpRouter: HttpRouter;
  /** Health and metrics, whose paths are set when the server attaches. */
  readonly opsEndpoint: OperationsEndpoint;
  /** STOMP over TCP (option `tcp`), started when the server attaches. */
  readonly tcp: TcpListener | undefined;
}

/** Composes the endpoints the options ask for: one line per endpoint, asked in this order. */
export function buildEndpoints(o: ResolvedOptions, host: EndpointHost): Endpoints {
  const { accept, origins, admission } = host;
  // One inbound message limit for every transport: a WebSocket message, a SockJS websocket message or send body.
  const messageLimit = Math.max(o.maxFrameSize * 4, 1 << 20);
  const wsPaths = [...o.endpoints.flatMap((p) => [p, `${p}/websocket`]), ...o.websocketEndpoints];
  const ws = new WebSocketEndpoint(messageLimit, accept, o.logger, wsPaths);
  const opsEndpoint = new OperationsEndpoint(host.operations);
  const httpRouter = new HttpRouter(o.logger);
  httpRouter.add(new ScreenedEndpoint(ws, { origins, admission, requests: false }));
  for (const prefix of o.endpoints) {
    const sockjs = new SockJsEndpoint({ prefix, sockjs: o.sockjs, messageLimit, flushGrace: o.sendTimeLimit, allowedOrigins: o.allowedOrigins, logger: o.logger }, accept);
    httpRouter.add(new ScreenedEndpoint(sockjs, { origins, admission, requests: true, exempt: (p) => ws.owns(p) }));
  }
  // SSE and HTTP publish screen origins themselves (their refusals are part of their answers) and admit through openSession().
  if (o.sse !== false) httpRouter.add(new SseEndpoint(o.sse, host.http));
  if (o.httpPublish !== false) httpRouter.add(new PublishEndpoint(o.httpPublish, host.http));
  httpRouter.add(opsEndpoint);
  const files = new StaticFiles(o.staticDir, o.serveClientLibraries);
  if (!files.empty) httpRouter.add(files);
  // STOMP over TCP: not an HTTP endpoint, the same accept().
  const tcp = o.tcp === undefined ? undefined : new TcpListener({ tcp: o.tcp, accept, connectTimeout: o.connectTimeout, maxConnections: o.maxConnections, logger: o.logger });
  return { httpRouter, opsEndpoint, tcp };
}
