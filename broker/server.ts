import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerController } from './app/controller';
import { Dispatcher } from './app/dispatcher';
import { FrameRouter } from './app/frame-router';
import type { ErrorClass } from './app/decorators';
import type { SessionEventInfo, StompServerEvents } from './app/events';
import { HandlerRegistry, type ReplyOptions } from './app/handler-registry';
import { InterceptorChain, type Interceptor } from './app/interceptors';
import type { MessageContext, MessageHandler, SubscribeHandler } from './app/message-context';
import { StompError } from './errors';
import { createStderrLogger } from './logger';
import { DestinationRouter } from './messaging/destination-router';
import type { MessageBroker, Subscription } from './messaging/message-broker';
import { MessagingTemplate } from './messaging/messaging-template';
import { resolveOptions, type ResolvedOptions } from './options';
import { handshakeRequest, runAuthenticate, type Authenticate } from './security/authenticate';
import { DestinationAuthorizer } from './security/authorization';
import { Counters } from './operations/counters';
import { FlowControl } from './operations/flow-control';
import { countingPublishes } from './operations/metered-broker';
import { Operations, type BrokerStats } from './operations/operations';
import { OriginPolicy } from './security/origin-policy';
import { Retention, type PublishReceipt } from './retention/retention';
import type { BrokerMessage } from './messaging/broker-message';
import type { QueueStore } from './queues/queue-store';
import { isReceipting } from './queues/queue-broker';
import type { QueueBackend } from './queues/queue-backend';
import { HeartbeatScheduler } from './session/heartbeat';
import { SessionRegistry } from './session/session-registry';
import { Session } from './session/session';
import type { Authenticated, CloseReason, FrameRelay, SessionHost, SubscriptionRequest } from './session/session-host';
import type { StompSession } from './session/stomp-session';
import type { Frame, Headers } from './stomp/frame';
import type { Connection, ConnectionHandler } from './transport/connection';
import { HttpRouter } from './transport/http-router';
import type { Admission } from './transport/screened-endpoint';
import type { HttpTransportHost } from './transport/http-host';
import { requireCredentials } from './transport/http-publish/publish-options';
import { TcpListener } from './transport/tcp/tcp-listener';
import { answerClientErrors } from './transport/tcp/wrong-port';
import { OperationsEndpoint } from './operations/operations-endpoint';
import { andThen, isPromiseLike } from './value-or-promise';
import { buildEndpoints } from './endpoints';
import { buildMessagingStack } from './messaging-stack';
import { refuseUnknownConfig, type StompServerConfig } from './server-config';

export type { StompServerConfig } from './server-config';
export type { StompServerEvents } from './app/events';

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
export class StompServer extends EventEmitter implements SessionHost, HttpTransportHost {
  readonly options: ResolvedOptions;
  readonly broker: MessageBroker;
  /** Retention and resume (docs/retention.md): the rules, the store, history reads and epochs. */
  readonly retention: Retention;
  /** Where queue messages are recorded (the queue store seam): memory, or the `store` option's SQLite file. */
  readonly queueStore: QueueStore;
  /** The broker as publishers use it: queues first (when rules make some), retaining what the rules retain, then `broker`. */
  private readonly publisher: MessageBroker;
  /** The queue engine (docs/queues.md); undefined when no `queues` rule exists. */
  readonly queues: QueueBackend | undefined;
  /** Hears ACK and NACK for the queue engine (SessionHost). */
  readonly acknowledger: MessageBroker | undefined;
  readonly relay: FrameRelay | undefined;
  readonly heartbeats: HeartbeatScheduler;
  readonly router: DestinationRouter;
  readonly handlers = new HandlerRegistry();
  readonly template: MessagingTemplate;
  /** Connected sessions by id (the registry's). */
  readonly sessions: Map<string, StompSession>;
  /** Every session from its connection to its close: admission, connected ones, events, drained. */
  readonly sessionRegistry: SessionRegistry<StompSession>;
  private readonly dispatcher: Dispatcher;
  private readonly frames: FrameRouter;
  /** Interceptors; undefined until one is added, so sessions skip them at no cost. */
  interceptors: InterceptorChain | undefined;
  private readonly authenticator: Authenticate | undefined;
  private readonly authorizer: DestinationAuthorizer | undefined;
  private readonly origins: OriginPolicy;
  /**
   * The HTTP endpoints (WebSocket, each SockJS prefix, health and metrics, static files, and
   * whatever is added): the one `request` and one `upgrade` listener `attach()` installs offers
   * each request or upgrade to them and leaves every other path to the application.
   */
  readonly httpRouter: HttpRouter;
  private readonly opsEndpoint: OperationsEndpoint;
  /** Whether `healthPath` / `metricsPath` were given (on an attached server only those are served). */
  private readonly explicitPaths: { readonly health: boolean; readonly metrics: boolean };
  private http: HttpServer | undefined;
  /** STOMP over TCP (option `tcp`), started by `attach()`. */
  private readonly tcp: TcpListener | undefined;
  private tcpStarted: Promise<AddressInfo | undefined> | undefined;
  private ownsHttp = false;
  private closing: Promise<void> | undefined;
  /** Running totals (plain integers) behind metrics and `stats()`. */
  readonly counters = new Counters();
  /** Backpressure and rate limits of every session. */
  readonly flow: FlowControl;
  private readonly operations: Operations;

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming the option at fault */
  constructor(config: StompServerConfig = {}) {
    super();
    refuseUnknownConfig(config);
    const { broker, relay, logger, authenticate, authorization, interceptors, messageStore, queueStore, ...rest } = config;
    this.options = resolveOptions(rest, logger ?? createStderrLogger());
    if (authenticate !== undefined && typeof authenticate !== 'function') {
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "authenticate" must be a function; received ${typeof authenticate}`);
    }
    this.authenticator = authenticate;
    this.authorizer = authorization === undefined ? undefined : new DestinationAuthorizer(authorization);
    this.origins = new OriginPolicy(this.options.allowedOrigins);
    for (const interceptor of interceptors ?? []) this.intercept(interceptor);
    const o = this.options;
    this.sessionRegistry = new SessionRegistry<StompSession>(o.maxConnections);
    this.sessions = this.sessionRegistry.connected;
    this.relay = relay;
    relay?.attach?.((session, command, destination) => this.guardRelayed(session, command, destination));
    const stack = buildMessagingStack(o, { broker, relay, messageStore, queueStore });
    ({ broker: this.broker, retention: this.retention, queueStore: this.queueStore, queues: this.queues, publisher: this.publisher, acknowledger: this.acknowledger } = stack);
    const activeRetention = this.retention.rules.active ? this.retention : undefined;
    this.heartbeats = new HeartbeatScheduler(o.heartbeatTolerance);
    this.router = new DestinationRouter(o.brokerPrefixes, o.applicationPrefixes, o.userDestinationPrefix);
    this.template = new MessagingTemplate(countingPublishes(this.publisher, this.counters), this.router);
    const defaultPrefix = o.brokerPrefixes.includes('/topic') ? '/topic' : (o.brokerPrefixes[0] ?? '/topic');
    this.dispatcher = new Dispatcher(this.template, defaultPrefix, o.logger, this.handlers.exceptionHandlers);
    this.frames = new FrameRouter(o, this.router, this.handlers, this.dispatcher, this.publisher, this.counters, this.authorizer, activeRetention);
    this.explicitPaths = { health: rest.healthPath !== undefined, metrics: rest.metricsPath !== undefined };
    requireCredentials(o.httpPublish, authenticate !== undefined);
    this.flow = new FlowControl(o, o.logger);
    this.operations = new Operations({
      options: o,
      counters: this.counters,
      flow: this.flow,
      heartbeats: this.heartbeats,
      broker: this.broker,
      retention: this.retention,
      queues: this.queues,
      store: stack.database,
      sessions: this.sessions,
      openSessions: () => this.sessionRegistry.open,
      shuttingDown: () => this.sessionRegistry.shuttingDown,
    });
    const admission: Admission = { refusing: () => this.refusing(), refused: () => void this.counters.connectionsRefused++ };
    const accept = (connection: Connection): ConnectionHandler => this.accept(connection);
    ({ httpRouter: this.httpRouter, opsEndpoint: this.opsEndpoint, tcp: this.tcp } = buildEndpoints(o, { accept, http: this, operations: this.operations, origins: this.origins, admission }));
  }

  /** A snapshot of sessions, frames, messages, subscriptions, backpressure and heart-beats. */
  stats(): BrokerStats {
    return this.operations.stats();
  }

  /**
   * Publishes a message to a broker destination, as the template does, and tells where it
   * landed: `{ offset, epoch }` when a retention rule keeps its destination (HTTP publish answers
   * it), else undefined.
   */
  publish(message: BrokerMessage): Promise<PublishReceipt | undefined> {
    this.counters.messagesPublished++;
    if (isReceipting(this.publisher, message.destination)) return this.publisher.publishRetained(message);
    return Promise.resolve(this.publisher.publish(message)).then(() => undefined);
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
   * Registers a controller: an instance of a class decorated with `@MessageMapping`,
   * `@SubscribeMapping`, `@SendTo`, `@SendToUser`, `@MessageExceptionHandler` (or a
   * `@ControllerAdvice` class, whose exception handlers apply to every mapping). Feeds the
   * same registry as `onMessage()`.
   * @throws StompError `STOMP_ERR_INVALID_OPTION` when a mapping duplicates or is ambiguous with another, naming both
   */
  register(controller: object): this {
    registerController(this.handlers, controller);
    return this;
  }

  /**
   * Adds a global exception handler `(error, ctx)` for handler errors of the given classes (all
   * when none), as `@MessageExceptionHandler` in a `@ControllerAdvice` does; its return value is
   * routed by `options` (`sendToUser`, `sendTo`).
   */
  onException(types: ErrorClass[], handler: (error: any, ctx: MessageContext) => unknown, options: ReplyOptions = {}): this {
    this.handlers.addExceptionHandler({ types, handler, name: handler.name || 'onException', ...options });
    return this;
  }

  /** Adds an inbound/outbound interceptor (see {@link Interceptor}). */
  intercept(interceptor: Interceptor): this {
    this.interceptors ??= new InterceptorChain(this.options.logger);
    this.interceptors.add(interceptor);
    return this;
  }

  /**
   * Serves the endpoints on an existing HTTP server the application owns, beside its own
   * listeners, in whatever order they were added: one `request` and one `upgrade` listener that
   * handle our paths only and leave every other request and upgrade alone (see
   * {@link HttpRouter}). The health check and metrics are served here only when `healthPath` /
   * `metricsPath` are set explicitly. A framework that answers every path itself (Express,
   * Fastify, Nest) hands ours over with {@link middleware} or {@link HttpRouter.take}. A STOMP
   * frame sent to the HTTP port gets HTTP 400 (the application's own 'clientError' listeners go
   * first). With the `tcp` option this also starts the STOMP TCP listener (see {@link tcpReady}).
   * @throws StompError `STOMP_ERR_INVALID_OPTION` when already attached
   */
  attach(http: HttpServer): this {
    return this.attachTo(http, false);
  }

  /** A Connect-style middleware serving our HTTP paths (SockJS, static files, health) and passing on every other one. */
  middleware(): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void {
    return this.httpRouter.middleware();
  }

  private attachTo(http: HttpServer, owned: boolean): this {
    if (this.http !== undefined) throw new StompError('STOMP_ERR_INVALID_OPTION', 'This server is already attached to an HTTP server');
    this.http = http;
    this.ownsHttp = owned;
    const o = this.options;
    const path = (value: string | false, explicit: boolean): string | undefined => (value === false || (!owned && !explicit) ? undefined : value);
    this.opsEndpoint.paths = { health: path(o.healthPath, this.explicitPaths.health), metrics: path(o.metricsPath, this.explicitPaths.metrics) };
    this.httpRouter.attach(http);
    answerClientErrors(http, () => this.tcp?.address?.port);
    this.tcpStarted = this.tcp?.start();
    return this;
  }

  /**
   * Creates an HTTP server, attaches to it and listens. Resolves with the HTTP address once the
   * TCP listener (option `tcp`) is up too, or once its failure to bind was logged.
   */
  async listen(port = 0, host?: string): Promise<AddressInfo> {
    // A durable queue store brings its queues back before the first session arrives.
    await this.queues?.ready;
    const http = createServer();
    this.attachTo(http, true);
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve(http.address() as AddressInfo);
      });
    });
    await this.tcpStarted;
    return address;
  }

  /**
   * Resolves once the STOMP TCP listener is up, with its address; with undefined when there is
   * none (no `tcp` option, not attached yet) or its port could not be bound (logged).
   */
  tcpReady(): Promise<AddressInfo | undefined> {
    return this.tcpStarted ?? Promise.resolve(undefined);
  }

  /** Where STOMP over TCP listens (option `tcp`), once it does. */
  get tcpAddress(): AddressInfo | undefined {
    return this.tcp?.address;
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
    const registry = this.sessionRegistry;
    registry.stopAdmitting();
    for (const session of [...registry.open]) {
      session.sendError(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'Server is shutting down'), undefined, 'server-shutdown');
    }
    this.options.logger.info({ sessions: registry.open.size, timeout: this.options.shutdownTimeout }, 'Shutting down');
    // Each session's close waits for its pending writes; whatever is still open at the timeout is dropped.
    await registry.drainedWithin(this.options.shutdownTimeout);
    for (const session of [...registry.open]) session.connection.terminate();
    this.flow.stop();
    await this.httpRouter.close();
    await this.tcp?.close();
    for (const session of [...registry.open]) session.closed('server shutdown');
    this.heartbeats.stop();
    if (this.http !== undefined && this.ownsHttp) {
      const http = this.http;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    } else this.httpRouter.detach();
    await this.queues?.close();
    await this.broker.close();
    await this.retention.store.close();
    await this.queueStore.close();
  }

  // ---- SessionHost ----

  /** Runs the `authenticate` option; without one, the CONNECT `login` header names the principal (a development convenience). */
  authenticate(session: StompSession, headers: Headers): Promise<Authenticated | undefined> | Authenticated | undefined {
    if (this.authenticator === undefined) {
      const login = headers.get('login');
      return login === undefined || login === '' ? undefined : { name: login, principal: login };
    }
    const request = handshakeRequest(session.connection.handshake);
    return runAuthenticate(this.authenticator, { request, connectHeaders: headers, sessionId: session.sessionId });
  }

  routeSend(session: StompSession, frame: Frame): Promise<void> | void {
    return this.frames.send(session, frame);
  }

  /** The checks a relayed SEND or SUBSCRIBE passes, as it would on its way to our own broker. */
  private guardRelayed(session: StompSession, command: 'SEND' | 'SUBSCRIBE', destination: string): Promise<void> | void {
    if (command === 'SEND' && !this.options.allowClientSendToBroker) {
      throw new StompError('STOMP_ERR_FORBIDDEN', `Clients may not SEND to broker destination "${destination}" (allowClientSendToBroker is false)`);
    }
    return this.frames.authorize(session, command, destination);
  }

  routeSubscribe(session: StompSession, frame: Frame, request: SubscriptionRequest): Promise<Subscription> | Subscription {
    const subscribed = this.frames.subscribe(session, frame, request);
    const announce = (sub: Subscription): Subscription => {
      if (this.listenerCount('subscribe') > 0) this.emit('subscribe', { ...this.info(session), id: sub.id, destination: sub.destination });
      return sub;
    };
    return andThen(subscribed, announce);
  }

  routeUnsubscribe(session: StompSession, sub: Subscription): Promise<void> | void {
    const done = this.publisher.unsubscribe(sub);
    const announce = (): void => {
      if (this.listenerCount('unsubscribe') > 0) this.emit('unsubscribe', { ...this.info(session), id: sub.id, destination: sub.destination });
    };
    if (done === undefined) return announce();
    return done.then(announce);
  }

  /** An event's session fields; callers build them only when the event has a listener (a storm of reconnects emits five per session). */
  private info(session: StompSession): SessionEventInfo {
    return { sessionId: session.sessionId, user: session.user, transport: session.connection.transport };
  }

  sessionConnected(session: StompSession): Promise<void> | void {
    this.sessionRegistry.markConnected(session);
    if (this.listenerCount('connect') > 0) this.emit('connect', this.info(session));
    const added = this.broker.addSession(session);
    if (this.relay === undefined) return added;
    const relayed = this.relay.openSession(session);
    return added === undefined ? relayed : Promise.all([added, relayed]).then(() => undefined);
  }

  connectedSent(session: StompSession): void {
    if (this.listenerCount('connected') > 0) this.emit('connected', this.info(session));
  }

  sessionClosed(session: StompSession, reason: CloseReason): void {
    const left = this.sessionRegistry.remove(session);
    if (left.open) this.counters.closed(reason);
    if (reason === 'heartbeat-timeout') this.counters.heartbeatTimeouts++;
    this.relay?.closeSession(session);
    if (!left.connected) return;
    const removed = this.publisher.removeSession(session);
    if (isPromiseLike(removed)) {
      removed.catch((err: unknown) => this.options.logger.error({ sessionId: session.sessionId, err }, 'Broker failed to remove a session'));
    }
    if (this.listenerCount('disconnect') > 0) this.emit('disconnect', { ...this.info(session), reason });
  }

  /** True while new connections are refused: shutting down, or at `maxConnections`. */
  private refusing(): boolean {
    return this.sessionRegistry.refusing();
  }

  private accept(connection: Connection): ConnectionHandler {
    return this.openSession(connection, (host) => new Session(connection, host));
  }

  /** True when a request with these headers may proceed (the `allowedOrigins` policy). */
  allowsOrigin(headers: IncomingMessage['headers']): boolean {
    return this.origins.allows(headers);
  }

  /** Opens a session of any transport: counted, and sent its ERROR at once when refused (shutdown, `maxConnections`). */
  openSession<S extends Session>(connection: Connection, make: (host: SessionHost) => S): S {
    const refuse = this.refusing();
    const session = make(this);
    this.sessionRegistry.add(session);
    this.counters.sessionsOpened++;
    this.options.logger.info({ sessionId: session.sessionId, transport: connection.transport, remoteAddress: connection.handshake.remoteAddress }, 'Session opened');
    if (this.sessionRegistry.shuttingDown) {
      session.sendError(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'Server is shutting down'), undefined, 'server-shutdown');
    } else if (refuse) {
      this.counters.connectionsRefused++;
      session.sendError(new StompError('STOMP_ERR_TOO_MANY_CONNECTIONS', `The server holds maxConnections (${this.options.maxConnections}) connections`), undefined, 'error');
    }
    return session;
  }

  override on<K extends keyof StompServerEvents>(event: K, listener: (...args: StompServerEvents[K]) => void): this;
  override on(event: string | symbol, listener: Listener): this;
  override on(event: string | symbol, listener: Listener): this {
    return super.on(event, listener);
  }

  override once<K extends keyof StompServerEvents>(event: K, listener: (...args: StompServerEvents[K]) => void): this;
  override once(event: string | symbol, listener: Listener): this;
  override once(event: string | symbol, listener: Listener): this {
    return super.once(event, listener);
  }

  override emit<K extends keyof StompServerEvents>(event: K, ...args: StompServerEvents[K]): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }
}
