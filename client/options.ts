import { ClientError } from './errors';

/** How the client reaches the server: plain WebSocket, SockJS (with its fallbacks), or WebSocket first and SockJS after. */
export type TransportMode = 'websocket' | 'sockjs' | 'auto';

/** A WebSocket constructor (the browser's, Node's global one, or `ws`). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => any;

/** Reconnection policy: exponential backoff with jitter. */
export interface ReconnectOptions {
  /** Delay before the first retry, ms. @defaultValue `500` */
  initialDelay?: number;
  /** Longest delay between two retries, ms. @defaultValue `30000` */
  maxDelay?: number;
  /** Each failed attempt multiplies the delay by this. @defaultValue `2` */
  factor?: number;
  /** Random spread of each delay, as a fraction: 0.3 means ±30 %. @defaultValue `0.3` */
  jitter?: number;
}

/** TLS for `tls://` (`stomp+ssl://`) URLs: PEM text or bytes, as `node:tls` takes them. */
export interface TlsClientOptions {
  /** CAs to trust instead of the system's (a server's self-signed certificate, a private CA). */
  ca?: string | Uint8Array | (string | Uint8Array)[];
  /** A client certificate and its key, for servers that ask for one (`requestCert`). */
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** Refuse a server certificate that does not chain to a trusted CA. @defaultValue `true` */
  rejectUnauthorized?: boolean;
  /** The name the server certificate must carry. @defaultValue the URL's host when it is a name */
  servername?: string;
}

/** Options of {@link StompboxClient}; only `url` is required. */
export interface ClientOptions {
  /**
   * The endpoint: `ws://host/<endpoint>` (or `.../<endpoint>/websocket`) or `http://host/<endpoint>`;
   * the scheme is adapted to the transport. Relative URLs resolve against the page in browsers.
   * In Node, `tcp://host:port` (or `stomp://`) is STOMP over TCP and `tls://host:port` (or
   * `stomp+ssl://`, `ssl://`) STOMP over TLS, the only transport then (ports 61613 / 61614 by default).
   */
  url: string;
  /** @defaultValue `'auto'` (WebSocket first, then SockJS and its fallbacks) */
  transport?: TransportMode;
  /** SockJS transports allowed, in order of preference, e.g. `['xhr-streaming']`. @defaultValue every transport */
  sockjsTransports?: string[];
  /** Headers of CONNECT, e.g. `{ login, passcode }`. @defaultValue `{}` */
  connectHeaders?: Record<string, string>;
  /** Heart-beats `[outgoing ms, incoming ms]`; 0 disables a direction. @defaultValue `[10000, 10000]` */
  heartbeat?: [number, number];
  /** Time allowed for one attempt to reach CONNECTED, ms. @defaultValue `10000` */
  connectTimeout?: number;
  /** Reconnect after a lost connection; `false` disables. @defaultValue `{}` (the defaults of {@link ReconnectOptions}) */
  reconnect?: ReconnectOptions | false;
  /** Time allowed for a receipt or a reply unless a call says otherwise, ms. @defaultValue `10000` */
  timeout?: number;
  /** The per-session reply queue of `request()`, sent as `reply-to`. @defaultValue `'/user/queue/reply'` */
  replyQueue?: string;
  /**
   * Where the server reports handler failures. The client subscribes there on its first
   * connection and emits each report nobody awaits as an `error` event (a failed `request()`
   * rejects instead). `''` disables it: do so for brokers without stompbox's `/user/queue/...`
   * destinations (RabbitMQ refuses the SUBSCRIBE). @defaultValue `'/user/queue/errors'`
   */
  errorQueue?: string;
  /** WebSocket constructor. @defaultValue the global `WebSocket`, else the `ws` package (Node) */
  WebSocket?: WebSocketConstructor;
  /** TLS of `tls://` URLs (trusted CAs, a client certificate). @defaultValue none: the system's CAs, no client certificate */
  tls?: TlsClientOptions;
}

/** Options after defaults were applied; frozen. */
export interface ResolvedClientOptions {
  readonly url: string;
  readonly transport: TransportMode;
  readonly sockjsTransports: readonly string[] | undefined;
  readonly connectHeaders: Readonly<Record<string, string>>;
  readonly heartbeat: readonly [number, number];
  readonly connectTimeout: number;
  readonly reconnect: Readonly<Required<ReconnectOptions>> | false;
  readonly timeout: number;
  readonly replyQueue: string;
  readonly errorQueue: string;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly tls: Readonly<TlsClientOptions> | undefined;
}

/** The defaults of every client option (units in comments). */
export const CLIENT_DEFAULTS = Object.freeze({
  transport: 'auto' as TransportMode,
  heartbeat: [10000, 10000] as [number, number], // ms: [we send every, we expect every]
  connectTimeout: 10000, // ms
  reconnect: Object.freeze({ initialDelay: 500, maxDelay: 30000, factor: 2, jitter: 0.3 }), // ms, ms, ×, fraction
  timeout: 10000, // ms
  replyQueue: '/user/queue/reply',
  errorQueue: '/user/queue/errors',
});

function fail(option: string, expected: string, got: unknown): never {
  throw new ClientError('CLIENT_ERR_INVALID_OPTION', `Option "${option}" must be ${expected}; received ${JSON.stringify(got)}`);
}

function checkNumber(option: string, value: unknown, min: number, max = Infinity): void {
  if (typeof value !== 'number' || !(value >= min && value <= max)) fail(option, `a number from ${min} to ${max}`, value);
}

/**
 * Applies the defaults, validates every option and freezes the result.
 * @throws ClientError `CLIENT_ERR_INVALID_OPTION`, naming the option and the value received
 */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  if (typeof options.url !== 'string' || options.url === '') fail('url', 'a non-empty string', options.url);
  const transport = options.transport ?? CLIENT_DEFAULTS.transport;
  if (!['websocket', 'sockjs', 'auto'].includes(transport)) fail('transport', '"websocket", "sockjs" or "auto"', transport);
  const heartbeat = options.heartbeat ?? CLIENT_DEFAULTS.heartbeat;
  if (!Array.isArray(heartbeat) || heartbeat.length !== 2 || heartbeat.some((n) => !Number.isInteger(n) || n < 0)) {
    fail('heartbeat', 'a pair of non-negative integers [outgoing ms, incoming ms]', heartbeat);
  }
  const connectTimeout = options.connectTimeout ?? CLIENT_DEFAULTS.connectTimeout;
  checkNumber('connectTimeout', connectTimeout, 1);
  const timeout = options.timeout ?? CLIENT_DEFAULTS.timeout;
  checkNumber('timeout', timeout, 1);
  let reconnect: Required<ReconnectOptions> | false = false;
  if (options.reconnect !== false) {
    reconnect = { ...CLIENT_DEFAULTS.reconnect, ...stripUndefined(options.reconnect ?? {}) };
    checkNumber('reconnect.initialDelay', reconnect.initialDelay, 0);
    checkNumber('reconnect.maxDelay', reconnect.maxDelay, reconnect.initialDelay);
    checkNumber('reconnect.factor', reconnect.factor, 1);
    checkNumber('reconnect.jitter', reconnect.jitter, 0, 1);
  }
  const sockjsTransports = options.sockjsTransports;
  if (sockjsTransports !== undefined && (!Array.isArray(sockjsTransports) || sockjsTransports.some((t) => typeof t !== 'string'))) {
    fail('sockjsTransports', 'an array of SockJS transport names', sockjsTransports);
  }
  const replyQueue = options.replyQueue ?? CLIENT_DEFAULTS.replyQueue;
  if (typeof replyQueue !== 'string' || !replyQueue.startsWith('/')) fail('replyQueue', 'a destination starting with "/"', replyQueue);
  const errorQueue = options.errorQueue ?? CLIENT_DEFAULTS.errorQueue;
  if (typeof errorQueue !== 'string' || (errorQueue !== '' && !errorQueue.startsWith('/'))) fail('errorQueue', 'a destination or ""', errorQueue);
  if (options.WebSocket !== undefined && typeof options.WebSocket !== 'function') fail('WebSocket', 'a constructor', typeof options.WebSocket);
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null || Array.isArray(options.tls))) fail('tls', 'an object { ca, cert, key, rejectUnauthorized, servername }', options.tls);
  return Object.freeze({
    url: options.url,
    transport,
    sockjsTransports: sockjsTransports === undefined ? undefined : Object.freeze([...sockjsTransports]),
    connectHeaders: Object.freeze({ ...(options.connectHeaders ?? {}) }),
    heartbeat: Object.freeze([heartbeat[0], heartbeat[1]]) as readonly [number, number],
    connectTimeout,
    reconnect: reconnect === false ? false : Object.freeze(reconnect),
    timeout,
    replyQueue,
    errorQueue,
    WebSocket: options.WebSocket,
    tls: options.tls === undefined ? undefined : Object.freeze({ ...options.tls }),
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
