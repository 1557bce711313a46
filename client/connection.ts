import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import type { EncodedBody } from './body';
import { ClientError } from './errors';
import type { ResolvedClientOptions } from './options';
import { describeSocketError, openSockJs, openTcp, STOMP_SUBPROTOCOLS, webSocketConstructor, type EndpointUrls, type TransportKind } from './transport';

interface PendingReceipt {
  resolve(headers: Record<string, string>): void;
  reject(err: ClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** What a connection reports to its owner once it is up. */
export interface ConnectionEvents {
  /** An ERROR frame arrived (the server closes the connection after it). */
  onStompError(err: ClientError): void;
  /** The connection ended; `error` is the ERROR frame that ended it, if any. */
  onClosed(error: ClientError | undefined): void;
}

let receiptCounter = 0;

/**
 * One STOMP connection over one transport, on a fresh @stomp/stompjs `Client` with its own
 * reconnection off: the owner (StompboxClient) decides about retries, so a connection never
 * outlives its socket and subscriptions are re-issued exactly once per connection.
 */
export class StompConnection {
  /** SockJS's own transport name (`websocket`, `xhr-streaming`, …), or `websocket` for plain WebSocket. */
  protocol: string;
  connected: IFrame | undefined;
  private readonly stomp: Client;
  private socket: any;
  private opened = false;
  private socketError: string | undefined;
  private stompError: ClientError | undefined;
  private timedOut = false;
  private ended = false;
  private readonly receipts = new Map<string, PendingReceipt>();
  private events: ConnectionEvents | undefined;

  private constructor(
    readonly kind: TransportKind,
    private readonly urls: EndpointUrls,
    private readonly options: ResolvedClientOptions,
  ) {
    this.protocol = kind;
    this.stomp = new Client({
      webSocketFactory: () => this.openSocket(),
      connectHeaders: { ...options.connectHeaders },
      heartbeatOutgoing: options.heartbeat[0],
      heartbeatIncoming: options.heartbeat[1],
      reconnectDelay: 0,
      debug: () => undefined,
    });
  }

  /**
   * Opens a connection and resolves once CONNECTED arrived.
   * @throws ClientError `CLIENT_ERR_UNREACHABLE`, `CLIENT_ERR_TIMEOUT` or `CLIENT_ERR_STOMP_ERROR`
   */
  static open(kind: TransportKind, urls: EndpointUrls, options: ResolvedClientOptions): Promise<StompConnection> {
    const connection = new StompConnection(kind, urls, options);
    return connection.start().then(() => connection);
  }

  /** Starts receiving the connection's events (call right after `open()` resolved). */
  listen(events: ConnectionEvents): void {
    this.events = events;
  }

  /** The server's `server` header and the negotiated version. */
  get server(): { version: string | undefined; server: string | undefined; session: string | undefined } {
    const h = this.connected?.headers ?? {};
    return { version: h.version, server: h.server, session: h.session };
  }

  private start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.stomp.forceDisconnect();
      }, this.options.connectTimeout);
      this.stomp.onConnect = (frame) => {
        clearTimeout(timer);
        this.connected = frame;
        if (this.kind === 'sockjs' && typeof this.socket?.transport === 'string') this.protocol = this.socket.transport;
        resolve();
      };
      this.stomp.onStompError = (frame) => {
        const err = stompErrorOf(frame);
        this.stompError ??= err;
        this.failReceipt(frame.headers['receipt-id'], err);
        this.events?.onStompError(err);
      };
      this.stomp.onWebSocketError = (event: unknown) => {
        this.socketError ??= describeSocketError(event);
      };
      this.stomp.onWebSocketClose = (event: { code?: number; reason?: string }) => {
        clearTimeout(timer);
        if (this.ended) return;
        this.ended = true;
        void this.stomp.deactivate();
        const lost = this.stompError ?? new ClientError('CLIENT_ERR_CONNECTION_LOST', `Connection closed (${event?.code ?? 'no code'}${event?.reason ? `: ${event.reason}` : ''})`);
        for (const id of [...this.receipts.keys()]) this.failReceipt(id, lost);
        if (this.connected !== undefined) this.events?.onClosed(this.stompError);
        else reject(this.failureBeforeConnected(event));
      };
      this.stomp.activate();
    });
  }

  private openSocket(): any {
    let socket: any;
    if (this.kind === 'sockjs') {
      socket = openSockJs(this.urls.sockjs, this.options.sockjsTransports);
    } else if (this.kind === 'tcp') {
      socket = openTcp(this.urls.tcp!, this.options.tls);
    } else {
      const WebSocketImpl = webSocketConstructor(this.options.WebSocket);
      socket = new WebSocketImpl(this.urls.websocket, STOMP_SUBPROTOCOLS);
      // `ws` reports why a handshake failed only through its 'error' event (ECONNREFUSED, 404, …)
      if (typeof socket.on === 'function') socket.on('error', (err: Error) => (this.socketError ??= err.message));
    }
    const onopen = (): void => {
      this.opened = true;
    };
    if (typeof socket.addEventListener === 'function') socket.addEventListener('open', onopen);
    this.socket = socket;
    return socket;
  }

  private failureBeforeConnected(event: { code?: number; reason?: string }): ClientError {
    if (this.stompError !== undefined) return this.stompError;
    const where = this.kind === 'websocket' ? this.urls.websocket : this.kind === 'tcp' ? tcpName(this.urls) : `${this.urls.sockjs} (SockJS)`;
    if (this.timedOut) return new ClientError('CLIENT_ERR_TIMEOUT', `No CONNECTED from ${where} within ${this.options.connectTimeout} ms`);
    const why = this.socketError ?? (event?.reason ? `${event.reason} (${event.code})` : `close code ${event?.code ?? 'unknown'}`);
    const stage = this.opened ? 'closed before CONNECTED' : 'could not connect';
    return new ClientError('CLIENT_ERR_UNREACHABLE', `${where} ${stage}: ${why}`);
  }

  /** Subscribes; resolves once the server's RECEIPT for the SUBSCRIBE arrived. */
  /** Sends SUBSCRIBE with a receipt; resolves with the RECEIPT's headers (`x-stream-recovered`). */
  subscribe(id: string, destination: string, headers: StompHeaders, onMessage: (message: IMessage) => void): Promise<Record<string, string>> {
    const receipt = `sub-${++receiptCounter}`;
    const done = this.expectReceipt(receipt, this.options.timeout);
    this.stomp.subscribe(destination, onMessage, { ...headers, id, receipt });
    return done;
  }

  /** Sends UNSUBSCRIBE (no-op once the connection ended). */
  unsubscribe(id: string): void {
    if (!this.ended && this.stomp.connected) this.stomp.unsubscribe(id);
  }

  /** Sends a SEND frame; with `receipt`, resolves once the server's RECEIPT arrived. */
  send(destination: string, body: EncodedBody, headers: StompHeaders, receipt: boolean, timeout: number): Promise<void> {
    const all: StompHeaders = { ...headers, 'content-type': body.contentType };
    let done: Promise<unknown> = Promise.resolve();
    if (receipt) {
      all.receipt = `send-${++receiptCounter}`;
      done = this.expectReceipt(all.receipt, timeout);
    }
    if (body.binary !== undefined) this.stomp.publish({ destination, headers: all, binaryBody: body.binary });
    else this.stomp.publish({ destination, headers: all, body: body.text ?? '' });
    return done.then(() => undefined);
  }

  /** Ends the connection: DISCONNECT (awaiting its receipt), then the socket closes. */
  async close(): Promise<void> {
    this.ended = true;
    for (const id of [...this.receipts.keys()]) this.failReceipt(id, new ClientError('CLIENT_ERR_CLOSED', 'The client was closed'));
    // A server that stopped answering never sends the DISCONNECT receipt: drop the socket after `timeout`.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => resolve(this.stomp.deactivate({ force: true })), this.options.timeout);
    });
    await Promise.race([this.stomp.deactivate(), late]);
    clearTimeout(timer);
  }

  private expectReceipt(id: string, timeout: number): Promise<Record<string, string>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.failReceipt(id, new ClientError('CLIENT_ERR_TIMEOUT', `No RECEIPT within ${timeout} ms`)), timeout);
      this.receipts.set(id, { resolve, reject, timer });
      this.stomp.watchForReceipt(id, (frame: IFrame) => {
        const pending = this.receipts.get(id);
        if (pending === undefined) return;
        this.receipts.delete(id);
        clearTimeout(pending.timer);
        pending.resolve(frame.headers);
      });
    });
  }

  private failReceipt(id: string | undefined, err: ClientError): void {
    const pending = id === undefined ? undefined : this.receipts.get(id);
    if (pending === undefined) return;
    this.receipts.delete(id!);
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}

function tcpName(urls: EndpointUrls): string {
  const t = urls.tcp!;
  return `${t.secure ? 'tls' : 'tcp'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

function stompErrorOf(frame: IFrame): ClientError {
  const message = frame.headers.message ?? 'no message header';
  return new ClientError('CLIENT_ERR_STOMP_ERROR', `Server sent ERROR: ${message}`, { stompCode: frame.headers.code, detail: frame.body });
}
