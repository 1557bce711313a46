import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Dispatcher } from './app/dispatcher';
import { HandlerRegistry, type ReplyOptions } from './app/handler-registry';
import type { MessageHandler, SubscribeHandler } from './app/message-context';
import { StompError } from './errors';
import { silentLogger } from './logger';
import { BrokerMessage, type HeaderPair } from './messaging/broker-message';
import { DestinationRouter } from './messaging/destination-router';
import type { MessageBroker, Subscription } from './messaging/message-broker';
import { RESERVED } from './messaging/message-converter';
import { MessagingTemplate } from './messaging/messaging-template';
import { SimpleBroker } from './messaging/simple-broker';
import { resolveOptions, type ResolvedOptions, type StompServerOptions } from './options';
import { HeartbeatScheduler } from './session/heartbeat';
import { Session } from './session/session';
import type { CloseReason, SessionHost, SubscriptionRequest } from './session/session-host';
import type { Frame, Headers } from './stomp/frame';
import type { Connection, ConnectionHandler } from './transport/connection';
import { SockJsEndpoint } from './transport/sockjs-endpoint';
import { StaticFiles } from './transport/static-files';
import { WebSocketEndpoint } from './transport/ws-endpoint';

/** Options of {@link StompServer}: the validated options plus the pluggable parts. */
export interface StompServerConfig extends StompServerOptions {
  /** The message broker (the cluster seam). @defaultValue a new in-memory {@link SimpleBroker} */
  broker?: MessageBroker;
}

/** Events a server emits. */
export interface StompServerEvents {
  connect: [info: { sessionId: string; user: string | undefined; transport: string }];
  disconnect: [info: { sessionId: string; user: string | undefined; reason: CloseReason }];
}

type Listener = (...args: any[]) => void;

/**
 * A STOMP broker server: endpoints (SockJS and plain WebSocket) + sessions + the message
 * broker + handlers, composed on one HTTP server.
 *
 * @example
 * const server = new StompServer({ endpoints: ['/webServer'], brokerPrefixes: ['/topic', '/user'] });
 * server.onMessage('/subscribe', ({ name }) => server.template.convertAndSend('/topic/greetings', `hi ${name}`));
 * await server.listen(6032);
 */
export class StompServer extends EventEmitter implements SessionHost {
  readonly options: ResolvedOptions;
  readonly broker: MessageBroker;
  readonly heartbeats: HeartbeatScheduler;
  readonly router: DestinationRouter;
  readonly handlers = new HandlerRegistry();
  readonly template: MessagingTemplate;
  /** Connected sessions by id. */
  readonly sessions = new Map<string, Session>();
  private readonly open = new Set<Session>();
  private readonly dispatcher: Dispatcher;
  private readonly wsEndpoint: WebSocketEndpoint;
  private readonly sockjsEndpoints: SockJsEndpoint[];
  private readonly staticFiles: StaticFiles;
  private readonly wsPaths: Set<string>;
  private http: HttpServer | undefined;
  private ownsHttp = false;
  private closing: Promise<void> | undefined;

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming the option at fault */
  constructor(config: StompServerConfig = {}) {
    super();
    const { broker, logger, ...rest } = config;
    this.options = resolveOptions(rest, logger ?? silentLogger);
    const o = this.options;
    this.broker = broker ?? new SimpleBroker();
    this.heartbeats = new HeartbeatScheduler(o.heartbeatTolerance);
    this.router = new DestinationRouter(o.brokerPrefixes, o.applicationPrefixes, o.userDestinationPrefix);
    this.template = new MessagingTemplate(this.broker, this.router);
    const defaultPrefix = o.brokerPrefixes.includes('/topic') ? '/topic' : (o.brokerPrefixes[0] ?? '/topic');
    this.dispatcher = new Dispatcher(this.template, defaultPrefix, o.logger);
    const accept = (connection: Connection): ConnectionHandler => this.accept(connection);
    this.wsEndpoint = new WebSocketEndpoint(Math.max(o.maxFrameSize * 4, 1 << 20), accept);
    this.sockjsEndpoints = o.endpoints.map((prefix) => new SockJsEndpoint(prefix, o.sockjs, o.logger, accept));
    this.wsPaths = new Set([...o.endpoints.flatMap((p) => [p, `${p}/websocket`]), ...o.websocketEndpoints]);
    this.staticFiles = new StaticFiles(o.staticDir, o.serveClientLibraries);
  }

  /** Maps SENDs to `pattern` (`{var}`, `*`, `**`) to a handler `(payload, ctx)`. */
  onMessage<T = any>(pattern: string, handler: MessageHandler<T>, options?: ReplyOptions): this {
    this.handlers.add('message', pattern, handler, options);
    return this;
  }

  /** Maps SUBSCRIBEs to `pattern` to a handler `(ctx)` whose return value goes to that subscriber only. */
  onSubscribe(pattern: string, handler: SubscribeHandler, options?: ReplyOptions): this {
    this.handlers.add('subscribe', pattern, handler, options);
    return this;
  }

  /**
   * Serves the endpoints on an existing HTTP server. Its own request and upgrade listeners
   * keep working for every path that is not ours.
   */
  attach(http: HttpServer): this {
    if (this.http !== undefined) throw new StompError('STOMP_ERR_INVALID_OPTION', 'This server is already attached to an HTTP server');
    this.http = http;
    const userRequest = takeListeners(http, 'request');
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.staticFiles.serve(req, res).then(
        (served) => {
          if (served) return;
          if (userRequest.length > 0) for (const l of userRequest) l.call(http, req, res);
          else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
        },
        () => res.writeHead(500).end(),
      );
    });
    const userUpgrade = takeListeners(http, 'upgrade');
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (userUpgrade.length > 0) for (const l of userUpgrade) l.call(http, req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    for (const endpoint of this.sockjsEndpoints) endpoint.install(http);
    const sockjsUpgrade = takeListeners(http, 'upgrade');
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (this.wsPaths.has(pathOf(req.url))) this.wsEndpoint.handleUpgrade(req, socket, head);
      else for (const l of sockjsUpgrade) l.call(http, req, socket, head);
    });
    return this;
  }

  /** Creates an HTTP server, attaches to it and listens. Resolves with the bound address. */
  listen(port = 0, host?: string): Promise<AddressInfo> {
    const http = createServer();
    this.attach(http);
    this.ownsHttp = true;
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve(http.address() as AddressInfo);
      });
    });
  }

  /** The HTTP server in use, if attached. */
  get httpServer(): HttpServer | undefined {
    return this.http;
  }

  /** Ends every session (ERROR "server shutting down"), stops the endpoints and the broker. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const session of [...this.open]) {
      session.sendError(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'Server is shutting down'), undefined, 'server-shutdown');
    }
    await waitFor(() => this.open.size === 0, 2000);
    this.wsEndpoint.close();
    for (const endpoint of this.sockjsEndpoints) endpoint.close();
    for (const session of [...this.open]) session.closed('server shutdown');
    this.heartbeats.stop();
    if (this.http !== undefined && this.ownsHttp) {
      const http = this.http;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
    await this.broker.close();
  }

  // ---- SessionHost ----

  /** Until an authenticator is configured, the CONNECT `login` header names the principal (a development convenience). */
  authenticate(_session: Session, headers: Headers): string | undefined {
    const login = headers.get('login');
    return login === undefined || login === '' ? undefined : login;
  }

  routeSend(session: Session, frame: Frame): Promise<void> | void {
    const destination = frame.headers.get('destination')!;
    const app = this.router.applicationDestination(destination);
    if (app !== undefined) {
      const match = this.handlers.match('message', app);
      if (match === undefined) throw new StompError('STOMP_ERR_NO_HANDLER', `No handler is mapped to "${app}" (SEND to "${destination}")`);
      return this.dispatcher.dispatchSend(session, frame, app, match);
    }
    if (this.options.applicationPrefixes.length === 0) {
      const match = this.handlers.match('message', destination);
      if (match !== undefined) return this.dispatcher.dispatchSend(session, frame, destination, match);
    }
    const user = this.router.userTarget(destination);
    if (user === undefined && !this.router.isBrokerDestination(destination)) {
      throw new StompError(
        'STOMP_ERR_INVALID_DESTINATION',
        `No handler maps "${destination}" and it is under no broker prefix (${this.options.brokerPrefixes.join(', ')})`,
      );
    }
    if (!this.options.allowClientSendToBroker) {
      throw new StompError('STOMP_ERR_FORBIDDEN', `Clients may not SEND to broker destination "${destination}" (allowClientSendToBroker is false)`);
    }
    const message = messageFromFrame(destination, frame);
    if (user === undefined) return this.broker.publish(message);
    const toUser = this.broker.publishToUser(user.user, message.withDestination(user.destination));
    const literal = this.router.literalUserDestinations ? this.broker.publish(message) : undefined;
    if (toUser === undefined && literal === undefined) return;
    return Promise.all([toUser, literal]).then(() => undefined);
  }

  routeSubscribe(session: Session, frame: Frame, request: SubscriptionRequest): Promise<Subscription> | Subscription {
    const { destination } = request;
    const app = this.router.applicationDestination(destination);
    const mapped = app ?? (this.options.applicationPrefixes.length === 0 ? destination : undefined);
    const match = mapped === undefined ? undefined : this.handlers.match('subscribe', mapped);
    if (app !== undefined && match === undefined) {
      throw new StompError('STOMP_ERR_NO_HANDLER', `No subscribe handler is mapped to "${app}" (SUBSCRIBE to "${destination}")`);
    }
    let user: string | undefined;
    let toBroker = false;
    if (this.router.isUserDestination(destination)) {
      const own = session.user !== undefined && destination.startsWith(this.router.literalUserDestination(session.user, '/'));
      if (session.user !== undefined && !own) {
        user = session.user; // principal-based: /user/queue/x of this user only
        toBroker = true;
      } else if (this.router.literalUserDestinations) {
        toBroker = true;
      } else {
        throw new StompError('STOMP_ERR_UNAUTHORIZED', `SUBSCRIBE to user destination "${destination}" needs an authenticated session`);
      }
    } else if (app === undefined && this.router.isBrokerDestination(destination)) {
      toBroker = true;
    }
    if (!toBroker && match === undefined) {
      throw new StompError(
        'STOMP_ERR_INVALID_DESTINATION',
        `No handler maps "${destination}" and it is under no broker prefix (${this.options.brokerPrefixes.join(', ')})`,
      );
    }
    const sub: Subscription = { id: request.id, destination, ack: request.ack, subscriber: session, user };
    const after = (): Promise<Subscription> | Subscription => {
      const handled = match === undefined ? undefined : this.dispatcher.dispatchSubscribe(session, frame, sub, mapped!, match);
      return handled === undefined ? sub : handled.then(() => sub);
    };
    const subscribed = toBroker ? this.broker.subscribe(sub) : undefined;
    return subscribed === undefined ? after() : subscribed.then(after);
  }

  sessionConnected(session: Session): Promise<void> | void {
    this.sessions.set(session.sessionId, session);
    this.emit('connect', { sessionId: session.sessionId, user: session.user, transport: session.connection.transport });
    return this.broker.addSession(session);
  }

  sessionClosed(session: Session, reason: CloseReason): void {
    this.open.delete(session);
    if (!this.sessions.delete(session.sessionId)) return;
    const removed = this.broker.removeSession(session);
    if (removed instanceof Promise) {
      removed.catch((err: unknown) => this.options.logger.error({ sessionId: session.sessionId, err }, 'Broker failed to remove a session'));
    }
    this.emit('disconnect', { sessionId: session.sessionId, user: session.user, reason });
  }

  private accept(connection: Connection): ConnectionHandler {
    const session = new Session(connection, this);
    this.open.add(session);
    if (this.closing !== undefined) {
      session.sendError(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'Server is shutting down'), undefined, 'server-shutdown');
    }
    return session;
  }

  override on<K extends keyof StompServerEvents>(event: K, listener: (...args: StompServerEvents[K]) => void): this;
  override on(event: string | symbol, listener: Listener): this;
  override on(event: string | symbol, listener: Listener): this {
    return super.on(event, listener);
  }
}

/** The MESSAGE-to-be of a client SEND: its headers carried over, reserved ones excepted. */
function messageFromFrame(destination: string, frame: Frame): BrokerMessage {
  const pairs: HeaderPair[] = [];
  for (const [name, value] of frame.headers) if (!RESERVED.has(name)) pairs.push([name, value]);
  return new BrokerMessage(destination, frame.body, frame.headers.get('content-type'), pairs);
}

function takeListeners(http: HttpServer, event: 'request' | 'upgrade'): Listener[] {
  const listeners = http.listeners(event) as Listener[];
  http.removeAllListeners(event);
  return listeners;
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q === -1 ? (url ?? '/') : url!.slice(0, q);
}

function waitFor(done: () => boolean, timeout: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const poll = (): void => {
      if (done() || Date.now() - started >= timeout) resolve();
      else setTimeout(poll, 10);
    };
    poll();
  });
}
