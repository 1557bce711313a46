import { ClientError } from './errors';
import type { WebSocketConstructor } from './options';

/** Browser stand-in for node-websocket.ts (the bundler swaps it in): browsers always have a global WebSocket. */
export function nodeWebSocket(): WebSocketConstructor {
  throw new ClientError('CLIENT_ERR_INVALID_OPTION', 'No global WebSocket in this environment; pass the "WebSocket" option');
}
