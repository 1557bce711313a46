import { ClientError } from './errors';
import type { TlsClientOptions, WebSocketConstructor } from './options';
import type { TcpEndpoint } from './transport';

/** Browser stand-in for node-websocket.ts (the bundler swaps it in): browsers always have a global WebSocket. */
export function nodeWebSocket(): WebSocketConstructor {
  throw new ClientError('CLIENT_ERR_INVALID_OPTION', 'No global WebSocket in this environment; pass the "WebSocket" option');
}

/** Browser stand-in: pages have no TCP sockets. */
export function nodeTcpSocket(_endpoint: TcpEndpoint, _tls: TlsClientOptions | undefined): never {
  throw new ClientError('CLIENT_ERR_BAD_URL', 'STOMP over TCP (tcp://, tls://) needs Node; a browser connects with ws:// or http://');
}
