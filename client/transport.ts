import { ClientError } from './errors';
import { nodeTcpSocket, nodeWebSocket } from './node-websocket';
import type { TlsClientOptions } from './options';
import type { TransportMode, WebSocketConstructor } from './options';

/** The concrete way one connection attempt reaches the server. */
export type TransportKind = 'websocket' | 'sockjs' | 'tcp';

/** STOMP over TCP: where, and whether over TLS. */
export interface TcpEndpoint {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

/** URL schemes of STOMP over TCP (RabbitMQ's and ActiveMQ's names among them), and whether each is TLS. */
const TCP_SCHEMES: Readonly<Record<string, boolean>> = { 'tcp:': false, 'stomp:': false, 'tls:': true, 'ssl:': true, 'tcps:': true, 'stomp+ssl:': true, 'stomp+tls:': true, 'stomps:': true };

/** The STOMP subprotocols offered on a plain WebSocket (STOMP 1.2 §"WebSocket"). */
export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** Where each transport connects: `ws(s)://…` for WebSocket, `http(s)://…` for SockJS. */
export interface EndpointUrls {
  readonly websocket: string;
  readonly sockjs: string;
  /** Set for a `tcp://` (or `tls://`, `stomp+ssl://`...) URL: the only transport then. */
  readonly tcp?: TcpEndpoint;
}

/**
 * Resolves the endpoint URL for both transports. The broker serves SockJS at
 * `http://host/<endpoint>` and plain WebSocket at `ws://host/<endpoint>` and
 * `ws://host/<endpoint>/websocket`; we keep the path for WebSocket and drop a trailing
 * `/websocket` for SockJS.
 * @throws ClientError `CLIENT_ERR_BAD_URL` when the URL does not parse or its scheme is not ws, wss, http or https
 */
export function endpointUrls(url: string, base?: string): EndpointUrls {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    throw new ClientError('CLIENT_ERR_BAD_URL', `URL "${url}" does not parse; expected e.g. ws://localhost:6032/webServer`);
  }
  const tls = TCP_SCHEMES[parsed.protocol];
  if (tls !== undefined && Object.hasOwn(TCP_SCHEMES, parsed.protocol)) {
    // STOMP over TCP: RabbitMQ's and ActiveMQ's ports by default (61613, 61614 with TLS); no path.
    const port = parsed.port === '' ? (tls ? 61614 : 61613) : Number(parsed.port);
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw new ClientError('CLIENT_ERR_BAD_URL', `URL "${url}" names no host; expected e.g. tcp://localhost:61613`);
    return { websocket: '', sockjs: '', tcp: { host, port, secure: tls } };
  }
  const secure = parsed.protocol === 'wss:' || parsed.protocol === 'https:';
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) {
    throw new ClientError('CLIENT_ERR_BAD_URL', `URL "${url}" has scheme "${parsed.protocol}"; expected ws, wss, http, https, tcp or tls (stomp+ssl)`);
  }
  const rest = `//${parsed.host}${parsed.pathname}${parsed.search}`;
  const sockjsPath = parsed.pathname.replace(/\/websocket\/?$/, '') || '/';
  return {
    websocket: `${secure ? 'wss:' : 'ws:'}${rest}`,
    sockjs: `${secure ? 'https:' : 'http:'}//${parsed.host}${sockjsPath}${parsed.search}`,
  };
}

/** The transports one connection cycle tries, in order. */
export function transportPlan(mode: TransportMode, preferred: TransportKind | undefined, urls?: EndpointUrls): TransportKind[] {
  if (urls?.tcp !== undefined) return ['tcp'];
  if (mode !== 'auto') return [mode];
  return preferred === 'sockjs' ? ['sockjs', 'websocket'] : ['websocket', 'sockjs'];
}

/** The WebSocket constructor to use: the one given, the global one, else `ws` (Node 20 has no global WebSocket). */
export function webSocketConstructor(given: WebSocketConstructor | undefined): WebSocketConstructor {
  if (given !== undefined) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return global ?? nodeWebSocket();
}

/** Opens a STOMP-over-TCP socket (Node only). */
export function openTcp(endpoint: TcpEndpoint, tls: TlsClientOptions | undefined): any {
  return nodeTcpSocket(endpoint, tls);
}

/** Opens a SockJS socket; sockjs-client is loaded on first use so WebSocket-only users never load it. */
export function openSockJs(url: string, transports: readonly string[] | undefined): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('sockjs-client') as any;
  const SockJS = mod.default ?? mod;
  return new SockJS(url, null, transports === undefined ? {} : { transports: [...transports] });
}

/** A readable reason from a socket error event: `ws` gives an Error, browsers give nothing. */
export function describeSocketError(event: unknown): string | undefined {
  const e = event as { message?: unknown; error?: { message?: unknown } } | undefined;
  if (typeof e?.error?.message === 'string') return e.error.message;
  if (typeof e?.message === 'string' && e.message !== '') return e.message;
  return undefined;
}
