import { ClientError } from './errors';
import { nodeWebSocket } from './node-websocket';
import type { TransportMode, WebSocketConstructor } from './options';

/** The concrete way one connection attempt reaches the server. */
export type TransportKind = 'websocket' | 'sockjs';

/** The STOMP subprotocols offered on a plain WebSocket (STOMP 1.2 §"WebSocket"). */
export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** Where each transport connects: `ws(s)://…` for WebSocket, `http(s)://…` for SockJS. */
export interface EndpointUrls {
  readonly websocket: string;
  readonly sockjs: string;
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
  const secure = parsed.protocol === 'wss:' || parsed.protocol === 'https:';
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) {
    throw new ClientError('CLIENT_ERR_BAD_URL', `URL "${url}" has scheme "${parsed.protocol}"; expected ws, wss, http or https`);
  }
  const rest = `//${parsed.host}${parsed.pathname}${parsed.search}`;
  const sockjsPath = parsed.pathname.replace(/\/websocket\/?$/, '') || '/';
  return {
    websocket: `${secure ? 'wss:' : 'ws:'}${rest}`,
    sockjs: `${secure ? 'https:' : 'http:'}//${parsed.host}${sockjsPath}${parsed.search}`,
  };
}

/** The transports one connection cycle tries, in order. */
export function transportPlan(mode: TransportMode, preferred: TransportKind | undefined): TransportKind[] {
  if (mode !== 'auto') return [mode];
  return preferred === 'sockjs' ? ['sockjs', 'websocket'] : ['websocket', 'sockjs'];
}

/** The WebSocket constructor to use: the one given, the global one, else `ws` (Node 20 has no global WebSocket). */
export function webSocketConstructor(given: WebSocketConstructor | undefined): WebSocketConstructor {
  if (given !== undefined) return given;
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return global ?? nodeWebSocket();
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
