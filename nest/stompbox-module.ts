import { DiscoveryModule, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import type { Provider } from '@nestjs/common';
import { MessagingTemplate, StompServer } from '../broker';
import { StompboxExplorer } from './stompbox-explorer';
import { STOMPBOX_OPTIONS, type StompboxModuleAsyncOptions, type StompboxModuleOptions } from './stompbox-options';

/**
 * What `forRoot()` returns: a Nest `DynamicModule`, declared structurally so that these
 * declarations import nothing from @nestjs/common. Nest 12 is an ES module, which a CommonJS
 * declaration file may not import under TypeScript's node16 resolution (TS1541); this shape
 * is assignable to `DynamicModule` of Nest 11 and 12 alike.
 */
export interface StompboxDynamicModule {
  module: new (...args: any[]) => any;
  global: boolean;
  imports: any[];
  providers: any[];
  exports: any[];
}

/**
 * The NestJS module of stompbox: a {@link StompServer} on Nest's own HTTP server, with the
 * stompbox-decorated providers of the app as its controllers.
 *
 * `@MessageMapping`, `@SubscribeMapping`, `@SendTo`, `@SendToUser` (import them from
 * `stompbox`, not from `@nestjs/websockets` or `@nestjs/microservices`, which have their own
 * `@MessageMapping`) on any singleton provider or controller are discovered once every provider
 * is built, so their constructor dependencies are Nest's injections. `StompServer` and
 * `MessagingTemplate` are injectable everywhere (the module is global).
 *
 * Built on Nest's providers without decorators of its own, so this package compiles with
 * standard decorators while Nest apps use `experimentalDecorators`; both work with ours.
 *
 * @example
 * \@Module({ imports: [StompboxModule.forRoot({ endpoints: ['/ws'], brokerPrefixes: ['/topic', '/user'] })], providers: [ChatHandlers] })
 * export class AppModule {}
 */
export class StompboxModule {
  /**
   * The module with the options of `new StompServer(options)`.
   * @throws StompError `STOMP_ERR_INVALID_OPTION` (when Nest builds the server) naming the option at fault
   */
  static forRoot(options: StompboxModuleOptions = {}): StompboxDynamicModule {
    return StompboxModule.build([{ provide: STOMPBOX_OPTIONS, useValue: options }], []);
  }

  /** The module with options from a factory, e.g. `{ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ ... }) }`. */
  static forRootAsync(options: StompboxModuleAsyncOptions): StompboxDynamicModule {
    return StompboxModule.build([{ provide: STOMPBOX_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }], options.imports ?? []);
  }

  private static build(optionsProvider: Provider[], imports: any[]): StompboxDynamicModule {
    return {
      module: StompboxModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionsProvider,
        { provide: StompServer, useFactory: (o: StompboxModuleOptions) => new StompServer(o), inject: [STOMPBOX_OPTIONS] },
        { provide: MessagingTemplate, useFactory: (s: StompServer) => s.template, inject: [StompServer] },
        {
          provide: StompboxExplorer,
          useFactory: (d: DiscoveryService, h: HttpAdapterHost, s: StompServer) => new StompboxExplorer(d, h, s),
          inject: [DiscoveryService, HttpAdapterHost, StompServer],
        },
      ],
      exports: [StompServer, MessagingTemplate, STOMPBOX_OPTIONS],
    };
  }
}
