import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * One HTTP-served part of the broker (WebSocket, a SockJS prefix, Server-Sent Events, HTTP
 * publish, static files, health, metrics): it says which paths are its own, handles their
 * requests and upgrades to the end, and stops at shutdown. The server's HTTP router offers a
 * request or upgrade to each endpoint in turn and leaves every other path to the application's
 * own listeners; a new HTTP transport is one new class implementing this.
 */
export interface Endpoint {
  /** A short name for logs and metrics (`websocket`, `sockjs:/webServer`, `sse`, ...). */
  readonly name: string;
  /** Whether requests or upgrades for `pathname` (the URL path, no query) are this endpoint's. */
  owns(pathname: string): boolean;
  /**
   * Whether this request is this endpoint's, when that depends on more than the path (the
   * method, say); without it the router asks {@link owns}. Upgrades are always asked by path.
   */
  ownsRequest?(req: IncomingMessage, pathname: string): boolean;
  /** Answers a request this endpoint owns; must not throw (answer 4xx/5xx instead). */
  handleRequest?(req: IncomingMessage, res: ServerResponse): void;
  /** Takes over an upgrade this endpoint owns; must not throw (end the socket instead). */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops accepting and ends what it holds; resolved once its connections are gone. */
  close(): Promise<void> | void;
}
