import { Buffer } from 'node:buffer';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from '../../logger';
import type { ClientCertificate, Connection, ConnectionHandler, HandshakeInfo } from '../connection';
import { TurnWriter } from '../turn-writer';
import { TcpConnection } from './tcp-connection';
import { httpOnTcpPortResponse, plaintextOnTlsPortResponse, sniff, SNIFF_BYTES, TLS_HANDSHAKE } from './wrong-port';

/** The `tcp` option, resolved. */
export interface TcpListenerOptions {
  readonly port: number;
  readonly host: string | undefined;
  /** TLS (`stomp+ssl`): the `node:tls` server options (key, cert, ca, requestCert, ...); undefined for plain TCP. */
  readonly tls: TlsOptions | undefined;
}

export interface TcpListenerConfig {
  readonly tcp: TcpListenerOptions;
  /** Hands a connection to the server (same sessions as WebSocket and SockJS). */
  readonly accept: (connection: Connection) => ConnectionHandler;
  /** How long a TLS handshake, and a closing socket's flush, may take, ms. */
  readonly connectTimeout: number;
  /** `maxConnections` (0: none): with TLS it also bounds the sockets still in their handshake, which are no session yet. */
  readonly maxConnections: number;
  readonly logger: Logger;
}

const NO_HEADERS = Object.freeze({});

/**
 * STOMP over TCP, or over TLS (`tcp.tls`): a `node:net` (or `node:tls`) server whose sockets
 * become {@link Connection}s for the same `accept()` the WebSocket and SockJS endpoints use.
 * The byte stream goes to the session's decoder as it arrives (frames cut anywhere, several per
 * chunk). The first bytes are sniffed once: an HTTP request line gets HTTP 400 and a close;
 * on the TLS port, plaintext (no TLS handshake) gets an answer in its own protocol (`screen()`).
 *
 * Nothing a client sends may throw out of a socket listener: a fault ends that session only.
 */
export class TcpListener {
  private readonly server: NetServer;
  /** With TLS: the server that runs the handshakes of the sockets `server` accepts (it does not listen itself). */
  private readonly tls: TlsServer | undefined;
  private readonly writer = new TurnWriter<TcpConnection>();
  private readonly sockets = new Set<Socket>();
  private bound: AddressInfo | undefined;
  private started: Promise<AddressInfo | undefined> | undefined;
  private readonly transport: 'tcp' | 'tcp-tls';

  constructor(private readonly config: TcpListenerConfig) {
    const { tls } = config.tcp;
    this.transport = tls === undefined ? 'tcp' : 'tcp-tls';
    if (tls === undefined) {
      this.server = createNetServer({ allowHalfOpen: false, noDelay: true }, (socket) => this.open(socket));
    } else {
      // A TLS handshake that never completes is dropped after connectTimeout, as a TCP client that never sends CONNECT.
      this.tls = createTlsServer({ ...tls, handshakeTimeout: config.connectTimeout, allowHalfOpen: false }, (socket) => this.open(socket));
      this.tls.on('tlsClientError', (err: Error, socket: Socket) => {
        config.logger.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'TLS handshake failed');
        socket.destroy();
      });
      // The port's own server looks at the first byte: a TLS handshake goes on to `tls`, plaintext gets a plaintext answer.
      this.server = createNetServer({ allowHalfOpen: false, noDelay: true }, (socket) => this.screen(socket));
      if (config.maxConnections !== 0) this.server.maxConnections = config.maxConnections;
    }
  }

  /** The bound address once listening. */
  get address(): AddressInfo | undefined {
    return this.bound;
  }

  /**
   * Starts listening. Resolves with the bound address, or with undefined when the port cannot
   * be bound (in use, not allowed): that is logged once, naming the port, and the rest of the
   * server keeps serving.
   */
  start(): Promise<AddressInfo | undefined> {
    this.started ??= new Promise((resolve) => {
      const { port, host } = this.config.tcp;
      const failed = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${err.code ?? err.message})`;
        this.config.logger.error({ port, host, code: err.code }, `STOMP over TCP disabled: port ${port} ${why}; HTTP, WebSocket and SockJS still serve`);
        resolve(undefined);
      };
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        this.server.on('error', (err) => this.config.logger.error({ err }, 'STOMP TCP listener failed'));
        this.bound = this.server.address() as AddressInfo;
        this.config.logger.info({ port: this.bound.port, host: this.bound.address, transport: this.transport }, 'STOMP over TCP listening');
        resolve(this.bound);
      });
    });
    return this.started;
  }

  /** Stops accepting and drops the sockets still open (sessions were ended before). */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handshakeOf(socket: Socket): HandshakeInfo {
    if (this.transport === 'tcp') return { url: 'tcp://', headers: NO_HEADERS, remoteAddress: socket.remoteAddress };
    const clientCertificate = clientCertificateOf(socket as TLSSocket);
    const info = { url: 'tcp+tls://', headers: NO_HEADERS, remoteAddress: socket.remoteAddress };
    return clientCertificate === undefined ? info : { ...info, clientCertificate };
  }

  /**
   * The first bytes on the TLS port: a TLS record (a handshake starts with byte 0x16) is
   * handed, unread, to the TLS server; anything else is a client speaking plaintext to a TLS
   * port, which gets a plaintext answer it can read (HTTP 400, or a STOMP ERROR frame) and a
   * close. At most SNIFF_BYTES are held while an HTTP request line is undecided; a socket that
   * sends nothing is dropped after connectTimeout.
   */
  private screen(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.sockets.delete(socket));
    const timer = setTimeout(() => socket.destroy(), this.config.connectTimeout);
    timer.unref();
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head[0] === TLS_HANDSHAKE) {
        socket.off('data', onData);
        socket.pause();
        clearTimeout(timer); // from here the handshake timeout applies
        socket.unshift(head); // node's TLS socket reads what the raw socket already buffered
        this.tls!.emit('connection', socket);
        return;
      }
      const kind = sniff(head.subarray(0, SNIFF_BYTES));
      if (kind === 'undecided') return;
      socket.off('data', onData);
      socket.on('data', () => undefined); // the rest is not read into anything
      this.config.logger.debug({ remoteAddress: socket.remoteAddress, kind }, 'Plaintext on the STOMP TLS port');
      socket.end(plaintextOnTlsPortResponse(kind));
    };
    socket.on('data', onData);
  }

  private open(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30000);
    const connection = new TcpConnection(
      this.transport,
      socket,
      this.handshakeOf(socket),
      this.writer,
      this.config.connectTimeout,
    );
    let handler: ConnectionHandler;
    try {
      handler = this.config.accept(connection);
    } catch (err) {
      this.config.logger.error({ err, transport: this.transport }, 'Opening a TCP session failed');
      socket.destroy();
      return;
    }
    // Until the first bytes tell STOMP from HTTP they are held here (at most SNIFF_BYTES).
    let head: Buffer | undefined = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (head !== undefined) {
          const seen: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
          const kind = sniff(seen.subarray(0, SNIFF_BYTES));
          if (kind === 'undecided') {
            head = seen;
            return;
          }
          head = undefined;
          if (kind === 'http') {
            socket.end(httpOnTcpPortResponse());
            connection.close();
            return;
          }
          chunk = seen;
        }
        handler.receive(chunk, true);
      } catch (err) {
        try {
          handler.fail(err, undefined);
        } catch {
          socket.destroy();
        }
      }
    });
    socket.once('close', () => {
      this.sockets.delete(socket);
      try {
        handler.closed(`${this.transport} close`);
      } catch (err) {
        this.config.logger.error({ err, transport: this.transport }, 'Session close handling failed');
      }
    });
  }
}

/**
 * The certificate a TLS client presented (the server asked for one with `requestCert`), or
 * undefined. Kept for the session's lifetime: a few kB per session, bounded by the handshake.
 */
function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  const certificate = socket.getPeerCertificate();
  if (certificate === null || typeof certificate !== 'object' || Object.keys(certificate).length === 0) return undefined;
  const why = socket.authorizationError as unknown;
  const authorizationError = why === undefined || why === null ? undefined : why instanceof Error ? why.message : String(why);
  return { certificate, authorized: socket.authorized, authorizationError };
}
