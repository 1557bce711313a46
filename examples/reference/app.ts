import { existsSync } from 'node:fs';
import path from 'node:path';
import { StompError, StompServer, type Logger, type StompServerOptions } from '../../broker';
import { SubController } from './sub-controller';

/** Settings of the reference app; the defaults are the original's (20 messages, one per second). */
export interface ReferenceAppOptions {
  /** Milliseconds between two pushed messages. @defaultValue 1000 */
  interval?: number;
  /** Messages pushed per request. @defaultValue 20 */
  count?: number;
  /** Most pushes one session's requests may have running at once; a request past it gets STOMP_ERR_RATE_LIMITED on /user/queue/errors. @defaultValue 5 */
  maxPushesPerSession?: number;
  /** Most pushes running at once, all sessions together (each is one timer). @defaultValue 200 */
  maxPushes?: number;
  logger?: Logger;
  /** The prefix a reverse proxy serves the app under (see the `publicBasePath` option). @defaultValue `''` */
  publicBasePath?: string;
  /** STOMP over TCP (see the `tcp` option); `npm start` sets it from env `TCP_PORT`. @defaultValue none */
  tcp?: StompServerOptions['tcp'];
  /** Turns HTTP publish (`POST /publish`) on with this bearer token (env `PUBLISH_TOKEN` in `npm start`). @defaultValue off */
  publishToken?: string;
  /** Where retained history and persistent queue messages live (see the `store` option); `npm start` sets a SQLite file from env `STORE`. @defaultValue `'memory'` */
  store?: StompServerOptions['store'];
}

/** The reference app's defaults. */
export const REFERENCE_DEFAULTS = Object.freeze({ interval: 1000, count: 20, maxPushesPerSession: 5, maxPushes: 200 });

/** What the reference app retains (SPEC §6.1): the last 100 messages of every topic and user destination, for 5 minutes. */
export const REFERENCE_RETENTION = Object.freeze([
  Object.freeze({ destinations: '/topic/**', messages: 100, maxAge: 5 * 60_000 }),
  Object.freeze({ destinations: '/user/**', messages: 100, maxAge: 5 * 60_000 }),
]);

/**
 * What the reference app makes queues (SPEC §6.2): every `/queue/<name>`, dead letters to
 * `/queue/DLQ.<name>` after 3 redeliveries. The exact destination `/queue` is not one: SENDs to
 * it go to its handler (handlers are matched before the broker).
 */
export const REFERENCE_QUEUES = Object.freeze([Object.freeze({ destinations: '/queue/**', maxRedeliveries: 3, deadLetter: '/queue/DLQ.{name}' })]);

/**
 * The reference app: the Node port of the classic Spring demo. Two SockJS endpoints,
 * `/webServer` (topic.html) and `/queueServer` (queue.html); broker prefixes `/topic`, `/user`
 * and `/queue` (its destinations are queues); no application prefix, so clients SEND straight
 * to `/subscribe` and `/queue` (the handlers).
 * Server-Sent Events at `/sse` (sse.html), HTTP publish at `/publish` when `publishToken` is set.
 */
export function createReferenceApp(opts: ReferenceAppOptions = {}): StompServer {
  const { interval, count, maxPushesPerSession, maxPushes } = { ...REFERENCE_DEFAULTS, ...stripUndefined(opts) };
  for (const [name, value] of Object.entries({ interval, count, maxPushesPerSession, maxPushes })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "${name}" must be an integer ≥ 1; received ${JSON.stringify(value)}`);
    }
  }
  const server = new StompServer({
    endpoints: ['/webServer', '/queueServer'],
    brokerPrefixes: ['/topic', '/user', '/queue'],
    applicationPrefixes: [],
    userDestinationPrefix: '/user',
    staticDir: publicDir(),
    logger: opts.logger,
    publicBasePath: opts.publicBasePath,
    // SPEC §6.1: a reload, a transport switch or an absent zhangsan loses nothing of the last 100 (5 minutes).
    retention: REFERENCE_RETENTION.map((r) => ({ ...r })),
    queues: REFERENCE_QUEUES.map((r) => ({ ...r })),
    tcp: opts.tcp,
    // SPEC §6.2: env STORE=<file> keeps history (offsets, epochs) and persistent queue messages across restarts.
    store: opts.store,
    // SPEC §6.3: Server-Sent Events on at /sse; HTTP publish only when a token is given.
    sse: { path: '/sse' },
    httpPublish: opts.publishToken === undefined ? false : { path: '/publish', token: opts.publishToken },
  });

  // The Spring original's SubController, registered like a @Controller bean.
  const controller = new SubController(server.template, { interval, count, maxPerSession: maxPushesPerSession, maxTotal: maxPushes });
  server.register(controller);

  const close = server.close.bind(server);
  server.close = () => {
    controller.stop();
    return close();
  };
  return server;
}

/** The pages folder: beside this file when run from source, in the source tree when run from dist/. */
function publicDir(): string {
  const here = path.join(__dirname, 'public');
  return existsSync(here) ? here : path.resolve(__dirname, '../../../examples/reference/public');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Env STORE of the reference app: empty or `memory` keeps everything in memory; anything else
 * names the SQLite file, which then keeps every queue message (`queues: 'all'`, not only
 * `persistent:true` ones): a receipted SEND to a reference queue survives `kill -9`.
 */
export function referenceStore(store: string | undefined): StompServerOptions['store'] {
  return store === undefined || store === '' || store === 'memory' ? 'memory' : { sqlite: { file: store, queues: 'all' } };
}
