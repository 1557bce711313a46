import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';

/** Which transport carries a session: plain WebSocket, or a SockJS transport by its name. */
export type TransportName =
  | 'websocket'
  | 'sockjs-websocket'
  | 'xhr-streaming'
  | 'xhr-polling'
  | 'eventsource'
  | 'htmlfile'
  | 'jsonp-polling'
  | (string & {});

/** What the HTTP handshake told us about the client (for authentication and logs). */
export interface HandshakeInfo {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  /** STOMP over TLS with `requestCert`: the certificate the client presented. */
  readonly clientCertificate?: ClientCertificate;
}

/** A TLS client certificate and whether it chains to the server's trusted CAs (`tcp.tls.ca`). */
export interface ClientCertificate {
  /** As `node:tls` gives it: `subject`, `issuer`, `subjectaltname`, `fingerprint256`, `serialNumber`, `valid_to`, `raw`... */
  readonly certificate: PeerCertificate;
  /** True when it chains to a trusted CA; always true under `rejectUnauthorized` (node's default), which drops the others during the handshake. */
  readonly authorized: boolean;
  /** Why it does not chain (`requestCert` with `rejectUnauthorized: false`), e.g. `SELF_SIGNED_CERT_IN_CHAIN`. */
  readonly authorizationError: string | undefined;
}

/**
 * One client connection as a session sees it. Transports adapt `ws` sockets and SockJS
 * connections to this; sessions never touch a socket, and transports never parse a frame.
 */
export interface Connection {
  readonly transport: TransportName;
  readonly handshake: HandshakeInfo;
  /** Bytes queued for the client and not yet written to the socket. */
  readonly bufferedAmount: number;
  /** Writes one whole frame (or heart-beat) as one transport message. */
  send(data: Uint8Array, binary: boolean): void;
  /** Closes after what was sent so far is flushed. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (dead peer). */
  terminate(): void;
  /**
   * Stops reading from the client (TCP then pushes back), until `resume()`. Optional: a
   * transport that cannot pause omits both, and sessions rely on their hard bounds instead.
   */
  pause?(): void;
  /** Reads from the client again after `pause()`. */
  resume?(): void;
}

/** How a transport feeds a session. */
export interface ConnectionHandler {
  /** `binary`: the data came as a binary WebSocket message (text messages are UTF-8, validated by the transport). */
  receive(data: Uint8Array, binary: boolean): void;
  /**
   * The transport refused what the client sent before it became STOMP (a SockJS message that
   * is not a JSON array of strings, an oversized send): the session answers ERROR with the
   * error's code and closes. Any other error is reported as `STOMP_ERR_INTERNAL`.
   */
  fail(err: unknown, frame: undefined): void;
  closed(reason: string): void;
}
