/**
 * The transports a raw STOMP client reaches the broker by, as a table for `describe.each`: the
 * protocol specs run once per row (plain WebSocket, and STOMP over TCP), not as copies.
 */
import type { StompServerConfig } from '../../broker';
import { startServer, type Running } from './server';

export interface RawTransport {
  readonly name: 'websocket' | 'tcp';
  /**
   * True when the wire has messages of its own (WebSocket: one frame per message, text or
   * binary); false for a byte stream (TCP), where RawClient cuts messages at frame ends.
   */
  readonly framed: boolean;
  /** Starts a server (endpoint `/stomp` unless configured) and gives the URL RawClient opens. */
  start(config?: StompServerConfig): Promise<{ running: Running; url: string }>;
}

export const RAW_TRANSPORTS: readonly RawTransport[] = [
  {
    name: 'websocket',
    framed: true,
    async start(config = {}) {
      const running = await startServer({ endpoints: ['/stomp'], ...config });
      return { running, url: running.ws('/stomp') };
    },
  },
  {
    name: 'tcp',
    framed: false,
    async start(config = {}) {
      const running = await startServer({ endpoints: ['/stomp'], ...config, tcp: { port: 0, host: '127.0.0.1' } });
      return { running, url: tcpUrl(running) };
    },
  },
];

/** `tcp://127.0.0.1:<port>` of a running server's TCP listener. */
export function tcpUrl(running: Running): string {
  const address = running.server.tcpAddress;
  if (address === undefined) throw new Error('The server has no TCP listener');
  return `tcp://127.0.0.1:${address.port}`;
}
