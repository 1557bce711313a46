import type { WebSocketConstructor } from './options';

/**
 * The `ws` package's WebSocket, for Node versions without a global one. Loaded on demand;
 * the browser bundle replaces this module with browser-websocket.ts.
 */
export function nodeWebSocket(): WebSocketConstructor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ws') as WebSocketConstructor;
}
