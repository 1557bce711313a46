import type { StompServer } from '../broker';
import { isMessageController } from '../broker/app/controller';

/** The part of Nest's DiscoveryService the explorer reads (an InstanceWrapper each). */
export interface ProviderSource {
  getProviders(): { instance: unknown; name?: unknown; isDependencyTreeStatic(): boolean }[];
  getControllers(): { instance: unknown; name?: unknown; isDependencyTreeStatic(): boolean }[];
}

/** The part of Nest's HttpAdapterHost the explorer reads. */
export interface HttpServerSource {
  readonly httpAdapter?: { getHttpServer(): unknown; getType?(): string; use?(...args: unknown[]): unknown } | undefined;
}

/**
 * Wires a {@link StompServer} into a Nest application. At module init (every provider is
 * built by then, with its dependencies injected) it registers each provider and controller
 * carrying stompbox mappings (`@MessageMapping`, `@SubscribeMapping`, `@MessageExceptionHandler`,
 * `@ControllerAdvice`) with `server.register()` and, on Express, mounts the server's middleware
 * for its HTTP paths; at application bootstrap (before Nest
 * listens) it attaches the server to Nest's HTTP server, so both share one port; before
 * shutdown it closes the server, so sessions get their ERROR while the HTTP server still runs.
 * Nest calls the hooks when the app enables them (`app.close()`, `enableShutdownHooks()`).
 */
export class StompboxExplorer {
  private readonly registered = new Set<object>();

  constructor(
    private readonly discovery: ProviderSource,
    private readonly adapterHost: HttpServerSource,
    readonly server: StompServer,
  ) {}

  /** Nest's OnModuleInit: registers the message controllers among the providers and controllers. */
  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance;
      if (instance === null || typeof instance !== 'object' || this.registered.has(instance) || !isMessageController(instance)) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        // One instance per request or per consumer: there is no single instance to map frames to.
        this.server.options.logger.warn({ provider: String(wrapper.name) }, 'Skipping a request-scoped or transient provider with STOMP mappings; make it a singleton');
        continue;
      }
      this.registered.add(instance);
      this.server.register(instance);
    }
    // Express answers every path with its 404: our HTTP paths (SockJS, /lib/) go through its
    // middleware chain, after Nest's routes (registered by now) and before its not-found handler.
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType?.() === 'express' && typeof adapter.use === 'function') adapter.use(this.server.middleware());
  }

  /** Nest's OnApplicationBootstrap: attaches to Nest's HTTP server, if the app has one. */
  onApplicationBootstrap(): void {
    const http = this.adapterHost.httpAdapter?.getHttpServer();
    if (http !== undefined && http !== null && this.server.httpServer === undefined) this.server.attach(http as Parameters<StompServer['attach']>[0]);
  }

  /** Nest's BeforeApplicationShutdown: ends every session (ERROR), stops the broker. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
