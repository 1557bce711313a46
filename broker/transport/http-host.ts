import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedOptions } from '../options';
import type { Session } from '../session/session';
import type { SessionHost } from '../session/session-host';
import type { Connection } from './connection';

/**
 * What the HTTP transports that carry no STOMP from the client (SSE, HTTP publish) need from
 * the server: the options, its origin policy, and a way to open a session of their own kind
 * that is counted, refused at `maxConnections` or during shutdown, and ended at shutdown like
 * every other session.
 */
export interface HttpTransportHost {
  readonly options: ResolvedOptions;
  /** True when a request with these headers may proceed (`allowedOrigins`; no `Origin`: not a browser). */
  allowsOrigin(headers: IncomingHttpHeaders): boolean;
  /** Opens a session made by `make`; when the server refuses it, the session has already been sent its ERROR. */
  openSession<S extends Session>(connection: Connection, make: (host: SessionHost) => S): S;
}
