import { StompError } from './errors';
import type { Logger } from './logger';

/**
 * Options of a stompbox server. Every field is optional; `resolveOptions()` fills in the
 * defaults listed here, validates the result and freezes it.
 */
export interface StompServerOptions {
  /** SockJS endpoint paths; each also accepts plain WebSocket at `<path>` and `<path>/websocket`. @defaultValue `['/stomp']` */
  endpoints?: string[];
  /** Plain WebSocket-only endpoint paths (no SockJS). @defaultValue `[]` */
  websocketEndpoints?: string[];
  /** Destination prefixes handled by the broker (fan-out to subscribers). @defaultValue `['/topic', '/queue']` */
  brokerPrefixes?: string[];
  /** Destination prefixes routed to handlers, stripped before matching. Empty: any destination a handler maps goes to it. @defaultValue `[]` */
  applicationPrefixes?: string[];
  /** Prefix of user destinations (`/user/<name>/...` and `/user/queue/...`). @defaultValue `'/user'` */
  userDestinationPrefix?: string;
  /** May clients SEND straight to broker destinations? @defaultValue `true` */
  allowClientSendToBroker?: boolean;
  /** Heart-beat the server offers, `[send ms, receive ms]`; 0 disables that direction. @defaultValue `[10000, 10000]` */
  heartbeat?: [number, number];
  /** A session whose heart-beats stop is closed after `receive interval × heartbeatTolerance`. @defaultValue `2` */
  heartbeatTolerance?: number;
  /** Time allowed between the transport opening and a CONNECT frame, ms. @defaultValue `10000` */
  connectTimeout?: number;
  /** Largest inbound frame, headers and body, in bytes (Spring's inbound limit). @defaultValue `65536` */
  maxFrameSize?: number;
  /** Most headers in one inbound frame. @defaultValue `100` */
  maxHeaders?: number;
  /** Longest header line of an inbound frame, bytes. @defaultValue `8192` */
  maxHeaderLength?: number;
  /** Most subscriptions one session may hold. @defaultValue `1000` */
  maxSubscriptionsPerSession?: number;
  /** Most open transactions per session. @defaultValue `16` */
  maxTransactionsPerSession?: number;
  /** Most frames buffered in one transaction. @defaultValue `1000` */
  maxFramesPerTransaction?: number;
  /** Most unacknowledged MESSAGEs tracked per session for client ack modes; past it the oldest is forgotten. @defaultValue `10000` */
  maxPendingAcks?: number;
  /** The `server` header of CONNECTED. @defaultValue `'stompbox/<version>'` */
  serverName?: string;
  /** SockJS options. */
  sockjs?: {
    /** Server heart-beat frame interval, ms. @defaultValue `25000` */
    heartbeatDelay?: number;
    /** Time a session waits for a receiving connection before closing, ms. @defaultValue `5000` */
    disconnectDelay?: number;
    /** Bytes sent over one streaming response before it is recycled. @defaultValue `131072` */
    streamLimit?: number;
    /** URL of sockjs-client served for the iframe transports. @defaultValue `'/lib/sockjs.min.js'` */
    clientUrl?: string;
  };
  /** Serve the browser client libraries at `/lib/`. @defaultValue `true` */
  serveClientLibraries?: boolean;
  /** Directory of static files served at `/` (pages). @defaultValue none */
  staticDir?: string;
  /** A pino-compatible logger. @defaultValue a silent logger */
  logger?: Logger;
}

/** Options after defaults were applied; frozen. */
export type ResolvedOptions = Readonly<
  Required<Omit<StompServerOptions, 'sockjs' | 'staticDir' | 'logger'>> & {
    sockjs: Readonly<Required<NonNullable<StompServerOptions['sockjs']>>>;
    staticDir: string | undefined;
    logger: Logger;
  }
>;
