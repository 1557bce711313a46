import { StompError } from './errors';
import { freezeDefaults, invalidOption, refuseUnknown } from './option-kit';
import type { TlsOptions } from 'node:tls';
import type { Logger } from './logger';
import type { SlowConsumerPolicy } from './operations/flow-control';
import { resolveHttpPublishOptions, type HttpPublishOptions, type ResolvedHttpPublishOptions } from './transport/http-publish/publish-options';
import { resolveSseOptions, type ResolvedSseOptions, type SseOptions } from './transport/sse/sse-options';
import { validateRetention, type RetentionRule } from './retention/retention-rules';
import { resolveStoreOption, type ResolvedStoreOption, type StoreOption } from './store/store-options';
import { validateQueues, type QueueRule } from './queues/queue-rules';
import { VERSION } from './version';

const SLOW_CONSUMER_POLICIES: readonly SlowConsumerPolicy[] = ['terminate', 'drop-oldest', 'drop-newest'];

/**
 * Options of a stompbox server. Every field is optional; `resolveOptions()` fills in the
 * defaults listed here, validates the result and freezes it.
 */
export interface StompServerOptions {
  /** SockJS endpoint paths; each also accepts plain WebSocket at `<path>` and `<path>/websocket`. @defaultValue `['/stomp']` */
  endpoints?: string[];
  /** Plain WebSocket-only endpoint paths (no SockJS). @defaultValue `[]` */
  websocketEndpoints?: string[];
  /** Destination prefixes handled by the broker (fan-out to subscribers). @defaultValue `['/topic', '/queue']` */
  brokerPrefixes?: string[];
  /** Destination prefixes routed to handlers, stripped before matching. Empty: any destination a handler maps goes to it. @defaultValue `[]` */
  applicationPrefixes?: string[];
  /** Prefix of user destinations (`/user/<name>/...` and `/user/queue/...`). @defaultValue `'/user'` */
  userDestinationPrefix?: string;
  /** May clients SEND straight to broker destinations? @defaultValue `true` */
  allowClientSendToBroker?: boolean;
  /** Heart-beat the server offers, `[send ms, receive ms]`; 0 disables that direction. @defaultValue `[10000, 10000]` */
  heartbeat?: [number, number];
  /** A session whose heart-beats stop is closed after `receive interval × heartbeatTolerance`. @defaultValue `2` */
  heartbeatTolerance?: number;
  /** Time allowed between the transport opening and a CONNECT frame, ms. @defaultValue `10000` */
  connectTimeout?: number;
  /** Largest inbound frame, headers and body, in bytes (Spring's inbound limit). @defaultValue `65536` */
  maxFrameSize?: number;
  /** Most headers in one inbound frame. @defaultValue `100` */
  maxHeaders?: number;
  /** Longest header line of an inbound frame, bytes. @defaultValue `8192` */
  maxHeaderLength?: number;
  /** Most subscriptions one session may hold. @defaultValue `1000` */
  maxSubscriptionsPerSession?: number;
  /** Most open transactions per session. @defaultValue `16` */
  maxTransactionsPerSession?: number;
  /** Most frames buffered in one transaction. @defaultValue `1000` */
  maxFramesPerTransaction?: number;
  /**
   * Most bytes a session's open transactions hold together until COMMIT or ABORT (bodies, header
   * characters, and 256 + 48 per header for each frame's objects); past it, ERROR
   * `STOMP_ERR_TRANSACTION_LIMIT`. @defaultValue `262144` (256 KiB)
   */
  maxTransactionBytes?: number;
  /**
   * Most frames that may wait behind a session's asynchronous effect (an async handler, a
   * cluster subscribe); past it, ERROR `STOMP_ERR_BACKLOG_LIMIT`. @defaultValue `10000`
   */
  maxBacklogFrames?: number;
  /**
   * Most bytes of frames waiting behind a session's asynchronous effect (counted as for
   * `maxTransactionBytes`). Past half of it (or half of `maxBacklogFrames`) the session stops reading
   * from a WebSocket client until the backlog drains; past all of it, ERROR
   * `STOMP_ERR_BACKLOG_LIMIT`. @defaultValue `262144` (256 KiB)
   */
  maxBacklogBytes?: number;
  /**
   * Most bytes a session's subscriptions may cost together: their ids, destinations and selectors, plus the
   * reply queues it claimed; past it, ERROR `STOMP_ERR_TOO_MANY_SUBSCRIPTIONS`. @defaultValue `262144` (256 KiB)
   */
  maxSubscriptionBytes?: number;
  /** Most unacknowledged MESSAGEs tracked per session for client ack modes; past it the oldest is forgotten. @defaultValue `10000` */
  maxPendingAcks?: number;
  /** Bytes a session's send buffer may hold before `slowConsumerPolicy` applies (Spring's sendBufferSizeLimit). @defaultValue `524288` (512 KiB) */
  sendBufferLimit?: number;
  /** A session whose send buffer has not drained for this long is closed with 4500, whatever the policy (Spring's sendTimeLimit), ms. @defaultValue `10000` */
  sendTimeLimit?: number;
  /** Past `sendBufferLimit`: `terminate` (close 4500), `drop-oldest` (own queue, oldest dropped) or `drop-newest` (new messages dropped). @defaultValue `'terminate'` */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /** Most open connections; further WebSocket handshakes get HTTP 503, further SockJS sessions an ERROR. 0: no limit. @defaultValue `10000` */
  maxConnections?: number;
  /** Most inbound frames per second per session; past it, ERROR `STOMP_ERR_RATE_LIMITED`. 0: no limit. @defaultValue `0` */
  maxFramesPerSecond?: number;
  /** How long `close()` waits for sessions to take their ERROR and drain before dropping them, ms. @defaultValue `5000` */
  shutdownTimeout?: number;
  /**
   * Retention rules (docs/retention.md): the last `messages` of each destination matching
   * `destinations` are kept for `maxAge` ms, replayed to a SUBSCRIBE with `x-stream-offset`, and
   * every MESSAGE of such a destination carries `x-stream-offset` and `x-stream-epoch`. The first
   * matching rule applies. @defaultValue `[]` (nothing retained)
   */
  retention?: RetentionRule[];
  /** Bytes every retained message together may cost (bodies, headers, 200 per message); past it the oldest go first, whatever their destination. @defaultValue `67108864` (64 MiB) */
  retentionBytes?: number;
  /**
   * Where retained history and persistent queue messages live (docs/store.md): `'memory'`
   * (nothing survives a restart) or `{ sqlite: { file, maxBytes, synchronous, queues } }`, a
   * SQLite file (needs the optional peer dependency `better-sqlite3` 12) that keeps offsets,
   * epochs, queue messages and their in-flight state across restarts. @defaultValue `'memory'`
   */
  store?: StoreOption;
  /**
   * Queue rules (docs/queues.md): destinations matching `destinations` are queues: each message
   * to exactly one subscriber (round-robin among those with credit), kept until acknowledged,
   * redelivered after NACK or a lost session, dead-lettered past `maxRedeliveries`. The first
   * matching rule applies. @defaultValue `[]` (no queues: `/queue` fans out as Spring's simple broker)
   */
  queues?: QueueRule[];
  /** Bytes every queue message held (waiting and in flight) may cost together (bodies, headers, 256 per message); past it a rule's `overflow` applies. @defaultValue `67108864` (64 MiB) */
  queueBytes?: number;
  /** Serve Prometheus metrics (needs `prom-client` installed) at `metricsPath`. @defaultValue `false` */
  metrics?: boolean;
  /**
   * Path of the Prometheus metrics; `false`: never served. On a server passed to `attach()` the
   * metrics are served only when this is set explicitly (the app's own paths stay its own).
   * @defaultValue `'/metrics'`
   */
  metricsPath?: string | false;
  /**
   * Path of the health check for load balancers (200 while serving, 503 while shutting down);
   * `false`: never served. On a server passed to `attach()` it is served only when this is set
   * explicitly (the app's own `/health` stays its own). @defaultValue `'/health'`
   */
  healthPath?: string | false;
  /** The `server` header of CONNECTED. @defaultValue `'stompbox/<version>'` */
  serverName?: string;
  /** SockJS options. */
  sockjs?: {
    /** Server heart-beat frame interval, ms. @defaultValue `25000` */
    heartbeatDelay?: number;
    /** Time a session waits for a receiving connection before closing, ms. @defaultValue `5000` */
    disconnectDelay?: number;
    /** Bytes sent over one streaming response before it is recycled. @defaultValue `131072` */
    streamLimit?: number;
    /** URL of sockjs-client loaded by the iframe page (may be relative, e.g. behind a path prefix). @defaultValue `'/lib/sockjs.min.js'` */
    clientUrl?: string;
    /**
     * Later requests of an HTTP SockJS session must also come from the address that opened it
     * (besides carrying the same `Cookie` and `Authorization`, which is always required). Off by
     * default: clients behind a pool of proxies may change address within a session.
     * @defaultValue `false`
     */
    bindRemoteAddress?: boolean;
  };
  /**
   * Browser origins allowed besides the server's own (same origin is always allowed, and so is a
   * handshake without `Origin`, which no browser makes): exact origins, patterns such as
   * `https://*.example.com` or `http://localhost:*`, or `'*'` for all. Others get HTTP 403 on
   * the WebSocket upgrade and on every SockJS request. @defaultValue `[]` (same origin only)
   */
  allowedOrigins?: string[];
  /**
   * The path prefix under which browsers reach this server when a reverse proxy adds one and
   * strips it before forwarding (`/app`: the proxy's `/app/topic.html` is our `/topic.html`).
   * Pages with relative URLs need nothing; this is for the URLs that must be absolute: the
   * sockjs-client script of the SockJS iframe transports (unless `sockjs.clientUrl` is set)
   * and the addresses `stompbox serve` prints. `''`: no prefix. @defaultValue `''`
   */
  publicBasePath?: string;
  /**
   * STOMP over TCP (and TLS) beside the HTTP endpoints, with the same sessions, limits and
   * policies. Started by `listen()` and by `attach()`; a port that cannot be bound is logged
   * once and the HTTP side still serves. @defaultValue none: no TCP listener
   */
  tcp?: TcpOptions;
  /** Serve the browser client libraries at `/lib/`. @defaultValue `true` */
  serveClientLibraries?: boolean;
  /** Directory of static files served at `/` (pages). @defaultValue none */
  staticDir?: string;
  /**
   * Server-Sent Events (`GET /sse?destination=<d>`, docs/sse.md): `true` for the defaults, or
   * `{ path, heartbeat, retry }`. @defaultValue `false` (off)
   */
  sse?: boolean | SseOptions;
  /**
   * HTTP publish for backends (`POST /publish?destination=<d>`, docs/sse.md): `{ path, token }`;
   * a token is required unless `authenticate` is set. @defaultValue `false` (off)
   */
  httpPublish?: false | HttpPublishOptions;
  /**
   * A pino-compatible logger (`debug`, `info`, `warn`, `error`); pass `silentLogger` for none.
   * @defaultValue `createStderrLogger()`: stderr, `warn` and above (env `STOMPBOX_LOG_LEVEL` changes the level)
   */
  logger?: Logger;
}

/** The `tcp` option: where STOMP over TCP listens, and TLS. */
export interface TcpOptions {
  /** TCP port; 0 picks a free one (`server.tcpAddress` tells which). */
  port: number;
  /** Address to bind. @defaultValue all interfaces (as `net.Server.listen`) */
  host?: string;
  /**
   * TLS (`stomp+ssl`): `node:tls` server options (`key`, `cert`, `ca`, `pfx`, `passphrase`, ...;
   * `requestCert` asks clients for a certificate, which `authenticate` then sees as
   * `request.clientCertificate`). @defaultValue none: plain TCP
   */
  tls?: TlsOptions;
}

/** Options after defaults were applied; frozen. */
export type ResolvedOptions = Readonly<
  Required<Omit<StompServerOptions, 'sockjs' | 'staticDir' | 'logger' | 'tcp' | 'sse' | 'httpPublish' | 'store'>> & {
    store: ResolvedStoreOption;
    sse: ResolvedSseOptions | false;
    httpPublish: ResolvedHttpPublishOptions | false;
    sockjs: Readonly<Required<NonNullable<StompServerOptions['sockjs']>>>;
    staticDir: string | undefined;
    tcp: Readonly<{ port: number; host: string | undefined; tls: TlsOptions | undefined }> | undefined;
    logger: Logger;
  }
>;

/** The defaults of every option (units in comments); frozen, arrays and `sockjs` too. */
export const DEFAULTS = freezeDefaults({
  endpoints: ['/stomp'],
  websocketEndpoints: [] as string[],
  brokerPrefixes: ['/topic', '/queue'],
  applicationPrefixes: [] as string[],
  userDestinationPrefix: '/user',
  allowClientSendToBroker: true,
  heartbeat: [10000, 10000] as [number, number], // ms: [server sends every, server expects every]
  heartbeatTolerance: 2, // × the receive interval
  connectTimeout: 10000, // ms
  maxFrameSize: 64 * 1024, // bytes (Spring's inbound message size limit)
  maxHeaders: 100,
  maxHeaderLength: 8192, // bytes
  maxSubscriptionsPerSession: 1000,
  maxTransactionsPerSession: 16,
  maxFramesPerTransaction: 1000,
  maxTransactionBytes: 256 * 1024, // bytes, all open transactions of a session together
  maxBacklogFrames: 10000,
  maxBacklogBytes: 256 * 1024, // bytes; reading pauses past half of it
  maxSubscriptionBytes: 256 * 1024, // bytes of subscription ids, destinations and selectors per session
  maxPendingAcks: 10000,
  sendBufferLimit: 512 * 1024, // bytes (Spring's default)
  sendTimeLimit: 10000, // ms (Spring's default)
  slowConsumerPolicy: 'terminate' as SlowConsumerPolicy,
  maxConnections: 10000, // 0: no limit
  maxFramesPerSecond: 0, // per session; 0: no limit
  shutdownTimeout: 5000, // ms
  retention: [] as RetentionRule[], // nothing retained
  retentionBytes: 64 * 1024 * 1024, // bytes, every retained message together
  store: 'memory' as StoreOption, // nothing survives a restart
  queues: [] as QueueRule[], // no queues: /queue fans out
  queueBytes: 64 * 1024 * 1024, // bytes, every held queue message together
  metrics: false,
  metricsPath: '/metrics',
  healthPath: '/health',
  serverName: `stompbox/${VERSION}`,
  sockjs: {
    heartbeatDelay: 25000, // ms (Spring's SockJS default)
    disconnectDelay: 5000, // ms
    streamLimit: 128 * 1024, // bytes
    clientUrl: '/lib/sockjs.min.js',
    bindRemoteAddress: false,
  },
  serveClientLibraries: true,
  publicBasePath: '',
  allowedOrigins: [] as string[], // same origin only
  sse: false as boolean | SseOptions, // off; true: SSE_DEFAULTS (transport/sse/sse-options.ts)
  httpPublish: false as false | HttpPublishOptions, // off
});

/**
 * The options of {@link StompServerOptions} that have no entry in {@link DEFAULTS} (absent means
 * none). With the keys of DEFAULTS these are every name `resolveOptions` accepts: a new option
 * is one line, in DEFAULTS or here (tsc refuses an option of the interface listed in neither).
 */
export const OPTIONS_WITHOUT_DEFAULT = Object.freeze(['staticDir', 'tcp', 'logger'] as const);

/** Every option name of {@link StompServerOptions}. */
export const SERVER_OPTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(DEFAULTS), ...OPTIONS_WITHOUT_DEFAULT]);

/** An option of the interface in neither list: `true` is then not assignable, and tsc names it. */
type Unlisted = Exclude<keyof StompServerOptions, keyof typeof DEFAULTS | (typeof OPTIONS_WITHOUT_DEFAULT)[number]>;
const everyOptionIsListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOptionIsListed;

const SOCKJS_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(DEFAULTS.sockjs));

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}

function checkInteger(option: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) fail(option, `an integer ≥ ${min}`, value);
}

function checkPaths(option: string, value: unknown): void {
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || !p.startsWith('/') || (p.length > 1 && p.endsWith('/')))) {
    fail(option, 'an array of paths starting with "/" and not ending with "/"', value);
  }
}

/** True when `value` is not a path starting with "/" and not ending with "/". */
function checkPathQuietly(value: string): boolean {
  return !value.startsWith('/') || (value.length > 1 && value.endsWith('/'));
}

const INTEGER_OPTIONS = [
  ['connectTimeout', 1],
  ['maxFrameSize', 64],
  ['maxHeaders', 1],
  ['maxHeaderLength', 16],
  ['maxSubscriptionsPerSession', 1],
  ['maxTransactionsPerSession', 0],
  ['maxFramesPerTransaction', 1],
  ['maxTransactionBytes', 1024],
  ['maxBacklogFrames', 1],
  ['maxBacklogBytes', 1024],
  ['maxSubscriptionBytes', 1024],
  ['maxPendingAcks', 1],
  ['sendBufferLimit', 1024],
  ['sendTimeLimit', 100],
  ['maxConnections', 0],
  ['maxFramesPerSecond', 0],
  ['shutdownTimeout', 0],
  ['retentionBytes', 1024],
  ['queueBytes', 1024],
] as const;

/**
 * Applies the defaults, validates every option and freezes the result.
 * @throws StompError `STOMP_ERR_INVALID_OPTION`, naming the option and the value received
 */
export function resolveOptions(options: StompServerOptions = {}, logger: Logger): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  refuseUnknown(options, SERVER_OPTION_NAMES);
  if (options.sockjs !== undefined) {
    if (typeof options.sockjs !== 'object' || options.sockjs === null || Array.isArray(options.sockjs)) fail('sockjs', 'an object', options.sockjs);
    refuseUnknown(options.sockjs, SOCKJS_OPTION_NAMES, '', 'sockjs.');
  }
  const o = { ...DEFAULTS, ...stripUndefined(options), sockjs: { ...DEFAULTS.sockjs, ...stripUndefined(options.sockjs ?? {}) } };
  if (typeof o.publicBasePath !== 'string' || (o.publicBasePath !== '' && (checkPathQuietly(o.publicBasePath) || o.publicBasePath === '/'))) {
    fail('publicBasePath', '"" or a path starting with "/" and not ending with "/"', o.publicBasePath);
  }
  // The iframe page loads sockjs-client by absolute URL: behind a prefixing proxy it needs the prefix.
  if (options.sockjs?.clientUrl === undefined) o.sockjs.clientUrl = `${o.publicBasePath}${DEFAULTS.sockjs.clientUrl}`;
  for (const name of ['endpoints', 'websocketEndpoints', 'brokerPrefixes', 'applicationPrefixes'] as const) checkPaths(name, o[name]);
  checkPaths('userDestinationPrefix', [o.userDestinationPrefix]);
  for (const [name, min] of INTEGER_OPTIONS) checkInteger(name, o[name], min);
  const hb = o.heartbeat;
  if (!Array.isArray(hb) || hb.length !== 2 || hb.some((n) => !Number.isInteger(n) || n < 0)) {
    fail('heartbeat', 'a pair of non-negative integers [send ms, receive ms]', hb);
  }
  if (typeof o.heartbeatTolerance !== 'number' || !(o.heartbeatTolerance >= 1)) fail('heartbeatTolerance', 'a number ≥ 1', o.heartbeatTolerance);
  for (const name of ['heartbeatDelay', 'disconnectDelay', 'streamLimit'] as const) checkInteger(`sockjs.${name}`, o.sockjs[name], 1);
  if (typeof o.serverName !== 'string' || /[\r\n]/.test(o.serverName)) fail('serverName', 'a string without EOL', o.serverName);
  if (!SLOW_CONSUMER_POLICIES.includes(o.slowConsumerPolicy)) fail('slowConsumerPolicy', `one of ${SLOW_CONSUMER_POLICIES.join(', ')}`, o.slowConsumerPolicy);
  if (typeof o.metrics !== 'boolean') fail('metrics', 'a boolean', o.metrics);
  for (const name of ['metricsPath', 'healthPath'] as const) if (o[name] !== false) checkPaths(name, [o[name]]);
  for (const name of ['allowClientSendToBroker', 'serveClientLibraries'] as const) {
    if (typeof o[name] !== 'boolean') fail(name, 'a boolean', o[name]);
  }
  if (typeof o.sockjs.clientUrl !== 'string' || o.sockjs.clientUrl === '') fail('sockjs.clientUrl', 'a non-empty URL', o.sockjs.clientUrl);
  if (typeof o.sockjs.bindRemoteAddress !== 'boolean') fail('sockjs.bindRemoteAddress', 'a boolean', o.sockjs.bindRemoteAddress);
  if (o.staticDir !== undefined && typeof o.staticDir !== 'string') fail('staticDir', 'a directory path', o.staticDir);
  if (logger === null || typeof logger !== 'object' || !(['debug', 'info', 'warn', 'error'] as const).every((l) => typeof logger[l] === 'function')) {
    fail('logger', 'a pino-compatible logger (debug, info, warn, error functions)', typeof logger);
  }
  if (!Array.isArray(o.allowedOrigins) || o.allowedOrigins.some((v) => typeof v !== 'string')) fail('allowedOrigins', 'an array of origins or patterns', o.allowedOrigins);
  const retention = validateRetention(o.retention) as RetentionRule[];
  const queues = validateQueues(o.queues) as QueueRule[];
  const tcp = resolveTcp(o.tcp);
  return Object.freeze({
    ...o,
    retention,
    store: resolveStoreOption(o.store),
    queues,
    endpoints: Object.freeze([...o.endpoints]) as string[],
    websocketEndpoints: Object.freeze([...o.websocketEndpoints]) as string[],
    brokerPrefixes: Object.freeze([...o.brokerPrefixes]) as string[],
    allowedOrigins: Object.freeze([...o.allowedOrigins]) as string[],
    applicationPrefixes: Object.freeze([...o.applicationPrefixes]) as string[],
    heartbeat: Object.freeze([...hb]) as [number, number],
    sse: resolveSseOptions(o.sse),
    httpPublish: resolveHttpPublishOptions(o.httpPublish),
    sockjs: Object.freeze(o.sockjs),
    staticDir: o.staticDir,
    tcp,
    logger,
  });
}

const TCP_KEYS: ReadonlySet<string> = new Set(['port', 'host', 'tls']);

function resolveTcp(tcp: unknown): ResolvedOptions['tcp'] {
  if (tcp === undefined) return undefined;
  if (typeof tcp !== 'object' || tcp === null || Array.isArray(tcp)) fail('tcp', 'an object { port, host, tls }', tcp);
  const t = tcp as Record<string, unknown>;
  refuseUnknown(t, TCP_KEYS, '', 'tcp.');
  if (!Number.isInteger(t.port) || (t.port as number) < 0 || (t.port as number) > 65535) fail('tcp.port', 'an integer from 0 to 65535', t.port);
  if (t.host !== undefined && (typeof t.host !== 'string' || t.host === '')) fail('tcp.host', 'a non-empty host name or address', t.host);
  if (t.tls !== undefined) {
    if (typeof t.tls !== 'object' || t.tls === null || Array.isArray(t.tls)) fail('tcp.tls', 'node:tls secure context options (an object with key and cert, or pfx)', '[not an object]');
    const tls = t.tls as Record<string, unknown>;
    if (tls.pfx === undefined && (tls.key === undefined || tls.cert === undefined)) {
      fail('tcp.tls', 'node:tls secure context options with key and cert (or pfx)', Object.keys(tls));
    }
  }
  return Object.freeze({ port: t.port as number, host: t.host as string | undefined, tls: t.tls === undefined ? undefined : Object.freeze({ ...(t.tls as TlsOptions) }) });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
