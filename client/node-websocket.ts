import type { TlsClientOptions, WebSocketConstructor } from './options';
import type { TcpEndpoint } from './transport';

/**
 * The `ws` package's WebSocket, for Node versions without a global one. Loaded on demand;
 * the browser bundle replaces this module with browser-websocket.ts.
 */
export function nodeWebSocket(): WebSocketConstructor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ws') as WebSocketConstructor;
}

/** A STOMP-over-TCP (or TLS) socket for @stomp/stompjs (client/node-tcp.ts); Node only, like `ws`. */
export function nodeTcpSocket(endpoint: TcpEndpoint, tls: TlsClientOptions | undefined): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TcpStompSocket } = require('./node-tcp') as typeof import('./node-tcp');
  return new TcpStompSocket(endpoint, tls);
}
