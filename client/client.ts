import type { IMessage, StompHeaders } from '@stomp/stompjs';
import { backoffDelay } from './backoff';
import { encodeBody, type Body } from './body';
import { StompConnection } from './connection';
import { Emitter } from './emitter';
import { ClientError } from './errors';
import { receivedMessage, type MessageHandler, type ReceivedMessage } from './message';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from './options';
import { ReplyRouter } from './reply-router';
import { endpointUrls, transportPlan, type EndpointUrls, type TransportKind } from './transport';
import type { PublishOptions, RequestOptions, SubscribeOptions, Unsubscribe } from './call-options';
import type { ClientEvents, ConnectionState, StateChange } from './events';
import { OffsetWindow } from '../broker/stomp/offset-window';
import { positionOf, resumeHeaders, startHeaders, type ResumeInfo, type StreamPosition, type StreamStart } from './stream';

export type { PublishOptions, RequestOptions, SubscribeOptions, Unsubscribe } from './call-options';
export type { ClientEvents, ConnectionState, StateChange } from './events';
export type { ResumeInfo, StreamPosition, StreamStart } from './stream';

/** Retention: where the first SUBSCRIBE starts, the newest position seen since (resumes start after it), and the offsets of its epoch taken. */
interface StreamState {
  start: StreamStart | undefined;
  last: StreamPosition | undefined;
  window?: OffsetWindow;
  issued: number;
  onResume?: (info: ResumeInfo) => void;
}

interface Sub {
  readonly id: string;
  readonly destination: string;
  readonly headers: StompHeaders;
  readonly onMessage: (m: IMessage) => void;
  /** Retention: where the first SUBSCRIBE starts, and the last position seen since (resumes start after it). */
  readonly stream?: StreamState;
  /** The client's own (errorQueue, replyQueue): restored like any other, but no `subscribed` event. */
  readonly internal: boolean;
  confirmed: boolean;
  resolve(): void;
  reject(err: ClientError): void;
}

interface Waiter {
  resolve(connection: StompConnection): void;
  reject(err: ClientError): void;
}

let subCounter = 0;

/**
 * A STOMP client for stompbox (and any STOMP 1.2 broker) on @stomp/stompjs, for Node and
 * browsers: WebSocket or SockJS, reconnects with backoff and jitter, restores every
 * subscription once per connection, decodes bodies by content type, request/reply.
 *
 * @example
 * const client = new StompboxClient({ url: 'ws://localhost:6032/webServer' });
 * await client.connect();
 * client.subscribe<string>('/topic/getResponse', (body) => show(body));
 * await client.publish('/subscribe', { name: 'zhangsan' });
 */
export class StompboxClient extends Emitter<ClientEvents> {
  readonly options: ResolvedClientOptions;
  private readonly urls: EndpointUrls;
  private current: ConnectionState = 'idle';
  private connection: StompConnection | undefined;
  private preferred: TransportKind | undefined;
  private everConnected = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subs = new Map<string, Sub>();
  private waiters: Waiter[] = [];
  private readonly replies = new ReplyRouter();
  private replyQueueReady: Promise<void> | undefined;
  /** The errorQueue subscription, made on the first connection. */
  private errorQueue: Unsubscribe | undefined;

  /** @throws ClientError `CLIENT_ERR_INVALID_OPTION` or `CLIENT_ERR_BAD_URL` */
  constructor(options: ClientOptions) {
    super();
    this.options = resolveClientOptions(options);
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    this.urls = endpointUrls(this.options.url, base);
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** The transport in use while connected. */
  get transport(): { kind: TransportKind; protocol: string } | undefined {
    const c = this.connection;
    return c === undefined ? undefined : { kind: c.kind, protocol: c.protocol };
  }

  /**
   * Connects; resolves once CONNECTED arrived. The first connection fails fast (so callers
   * learn about a wrong URL or a server that is down); later drops reconnect on their own.
   * @throws ClientError `CLIENT_ERR_UNREACHABLE`, `CLIENT_ERR_TIMEOUT`, `CLIENT_ERR_STOMP_ERROR`, `CLIENT_ERR_CLOSED`
   */
  connect(): Promise<void> {
    if (this.isClosed()) return Promise.reject(closedError());
    if (this.current === 'connected') return Promise.resolve();
    if (this.current === 'idle') {
      this.setState({ state: 'connecting' });
      void this.cycle();
    }
    return this.waitConnected().then(() => undefined);
  }

  /**
   * Subscribes to `destination`; the handler receives each body decoded by content type. The
   * subscription is restored after every reconnect, exactly once.
   */
  subscribe<T = unknown>(destination: string, handler: MessageHandler<T>, options: SubscribeOptions = {}): Unsubscribe {
    const deliver = (m: IMessage): void => {
      const message = receivedMessage<T>(m);
      try {
        handler(message.body, message);
      } catch (err) {
        setTimeout(() => {
          throw err; // a handler's bug surfaces like any listener error, without breaking the connection
        });
      }
    };
    const stream = options.resume === false ? undefined : { start: options.from, last: undefined, issued: 0, onResume: options.onResume };
    return this.addSub(destination, { ack: options.ack ?? 'auto', ...options.headers }, deliver, false, stream);
  }

  /**
   * Sends one message. Objects travel as JSON, strings as text, Uint8Array/ArrayBuffer as
   * bytes (WebSocket only); a `content-type` header wins. Waits for the connection when the
   * client is (re)connecting.
   * @throws ClientError `CLIENT_ERR_STOMP_ERROR` (the server refused it), `CLIENT_ERR_TIMEOUT`, `CLIENT_ERR_CONNECTION_LOST`, `CLIENT_ERR_UNSUPPORTED_BODY`, `CLIENT_ERR_CLOSED`
   */
  async publish(destination: string, body: Body, headers: Record<string, string> = {}, options: PublishOptions = {}): Promise<void> {
    const connection = await this.waitConnected();
    const { 'content-type': contentType, ...rest } = headers;
    const encoded = encodeBody(body, contentType);
    if (encoded.binary !== undefined && connection.kind === 'sockjs') {
      throw new ClientError('CLIENT_ERR_UNSUPPORTED_BODY', 'SockJS carries text only; send bytes over the websocket transport or encode them (base64)');
    }
    await connection.send(destination, encoded, rest, options.receipt ?? false, options.timeout ?? this.options.timeout);
  }

  /**
   * Sends `payload` and resolves with the reply's body.
   * @throws ClientError `CLIENT_ERR_TIMEOUT`, `CLIENT_ERR_REQUEST_FAILED` (the handler threw), `CLIENT_ERR_STOMP_ERROR`, `CLIENT_ERR_CLOSED`
   * @example
   * const sum = await client.request<number>('/add', { a: 1, b: 2 }, { timeout: 2000 });
   */
  async request<T = unknown>(destination: string, payload?: Body, options: RequestOptions = {}): Promise<T> {
    const timeout = options.timeout ?? this.options.timeout;
    if (options.via === 'subscribe') {
      if (payload !== undefined) throw new ClientError('CLIENT_ERR_INVALID_OPTION', 'request(…, { via: "subscribe" }) sends no payload; pass undefined and use headers');
      return this.requestBySubscribe<T>(destination, timeout, options.headers ?? {});
    }
    await this.ensureReplyQueue();
    const { id, reply } = this.replies.add<T>(timeout, destination);
    const headers = { ...options.headers, 'reply-to': this.options.replyQueue, 'correlation-id': id };
    this.publish(destination, payload, headers, { receipt: true, timeout }).catch((err: ClientError) => this.replies.fail(err, id));
    return reply;
  }

  /** Disconnects (DISCONNECT with a receipt), stops reconnecting and rejects whatever waits. */
  async close(): Promise<void> {
    if (this.isClosed()) return;
    clearTimeout(this.timer);
    const connection = this.connection;
    this.connection = undefined;
    this.setState({ state: 'closed' });
    const err = closedError();
    this.rejectWaiters(err);
    this.replies.fail(err);
    for (const sub of this.subs.values()) sub.reject(err);
    this.subs.clear();
    if (connection !== undefined) await connection.close();
  }

  // ---- connection cycle ----

  /** One round over the transports of the plan; the first that reaches CONNECTED wins. */
  private async cycle(): Promise<void> {
    const failures: ClientError[] = [];
    for (const kind of transportPlan(this.options.transport, this.preferred, this.urls)) {
      if (this.isClosed()) return;
      try {
        const connection = await StompConnection.open(kind, this.urls, this.options);
        if (this.isClosed()) return void connection.close();
        return this.connected(connection);
      } catch (err) {
        failures.push(err instanceof ClientError ? err : new ClientError('CLIENT_ERR_UNREACHABLE', String(err)));
        if (failures.at(-1)!.code === 'CLIENT_ERR_STOMP_ERROR') break; // the server answered: another transport will not help
      }
    }
    if (this.isClosed()) return;
    const failure = combine(failures);
    if (this.everConnected && this.options.reconnect !== false) return this.retry(++this.failures, failure);
    this.setState({ state: 'idle', error: failure });
    this.rejectWaiters(failure);
  }

  private connected(connection: StompConnection): void {
    this.connection = connection;
    this.preferred = connection.kind;
    this.everConnected = true;
    connection.listen({
      onStompError: (err) => this.emit('error', err),
      onClosed: (err) => this.lost(connection, err),
    });
    this.setState({ state: 'connected', transport: connection.kind, protocol: connection.protocol });
    for (const sub of this.subs.values()) this.issue(connection, sub);
    // Handler failures are reported on errorQueue: listen from the first connection on, so a
    // failing handler of a plain publish() shows as an `error` event, not only a failed request().
    // (addSub issues the SUBSCRIBE itself, as the client is connected now.)
    if (this.errorQueue === undefined && this.options.errorQueue !== '') this.errorQueue = this.addSub(this.options.errorQueue, {}, (m) => this.handlerFailed(m), true);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(connection);
  }

  private lost(connection: StompConnection, err: ClientError | undefined): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    // A drop or a server restart resets the backoff; a session the server ended with ERROR does not.
    this.failures = err === undefined || err.stompCode === 'STOMP_ERR_SERVER_SHUTDOWN' ? 0 : this.failures + 1;
    const error = err ?? new ClientError('CLIENT_ERR_CONNECTION_LOST', 'The connection was lost');
    if (this.options.reconnect === false) return this.setState({ state: 'idle', error });
    this.retry(this.failures, error);
  }

  private retry(failures: number, error: ClientError | undefined): void {
    const delay = backoffDelay(failures, this.options.reconnect as Required<Exclude<ResolvedClientOptions['reconnect'], false>>);
    this.setState({ state: 'reconnecting', failures, delay, error });
    this.timer = setTimeout(() => void this.cycle(), delay);
  }

  private isClosed(): boolean {
    return this.current === 'closed';
  }

  private setState(change: Omit<StateChange, 'previous'>): void {
    const previous = this.current;
    this.current = change.state;
    this.emit('state', { ...change, previous });
  }

  private waitConnected(): Promise<StompConnection> {
    if (this.current === 'connected' && this.connection !== undefined) return Promise.resolve(this.connection);
    if (this.isClosed()) return Promise.reject(closedError());
    if (this.current === 'idle') return Promise.reject(new ClientError('CLIENT_ERR_CLOSED', 'Not connected: call connect() first'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private rejectWaiters(err: ClientError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }

  // ---- subscriptions ----

  private addSub(destination: string, headers: StompHeaders, deliver: (m: IMessage) => void, internal = false, stream?: Sub['stream']): Unsubscribe {
    const id = `sub-${++subCounter}`;
    // Retention: remember the last position; after a resume, drop what was already seen in this epoch.
    const onMessage =
      stream === undefined
        ? deliver
        : (m: IMessage): void => {
            const at = positionOf(m.headers);
            if (at !== undefined) {
              if (stream.window === undefined || stream.last?.epoch !== at.epoch) stream.window = new OffsetWindow(at.offset);
              // A repeat is dropped; a late one (skipped, then after a newer one) still comes, leaving the position at the newest.
              if (!stream.window.take(at.offset)) return;
              if (at.offset + 1 === stream.window.next) stream.last = at;
            }
            deliver(m);
          };
    let resolve!: () => void;
    let reject!: (err: ClientError) => void;
    const ready = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    ready.catch(() => undefined); // observed by whoever awaits `ready`; never an unhandled rejection
    const sub: Sub = { id, destination, headers, onMessage, internal, stream, confirmed: false, resolve, reject };
    if (!this.isClosed()) this.subs.set(id, sub);
    else reject(closedError());
    if (this.connection !== undefined && this.current === 'connected') this.issue(this.connection, sub);
    const unsubscribe = (): void => {
      if (!this.subs.delete(id)) return;
      this.connection?.unsubscribe(id);
    };
    return Object.assign(unsubscribe, { id, ready, position: () => stream?.last });
  }

  /** The SUBSCRIBE headers of `sub` now: after a message was seen, resume just after it (with its epoch). */
  private streamHeaders(sub: Sub): StompHeaders {
    const stream = sub.stream;
    if (stream === undefined) return sub.headers;
    if (stream.last !== undefined) return { ...sub.headers, ...resumeHeaders(stream.last) };
    if (stream.start !== undefined) return { ...sub.headers, ...startHeaders(stream.start) };
    return sub.headers;
  }

  /** Sends one SUBSCRIBE for `sub` on `connection`. */
  private issue(connection: StompConnection, sub: Sub): void {
    const headers = this.streamHeaders(sub);
    const from = sub.stream?.last;
    const reconnect = sub.stream !== undefined && sub.stream.issued++ > 0;
    connection.subscribe(sub.id, sub.destination, headers, sub.onMessage).then(
      (receipt) => {
        if (!this.subs.has(sub.id)) return;
        sub.confirmed = true;
        sub.resolve();
        if (!sub.internal) this.emit('subscribed', { id: sub.id, destination: sub.destination });
        const recovered = receipt['x-stream-recovered'];
        if (sub.stream !== undefined && recovered !== undefined && headers['x-stream-offset'] !== undefined) {
          const info: ResumeInfo = { id: sub.id, destination: sub.destination, recovered: recovered === 'true', reconnect, from };
          sub.stream.onResume?.(info);
          this.emit('resumed', info);
        }
      },
      (err: ClientError) => {
        if (err.code !== 'CLIENT_ERR_STOMP_ERROR') return; // a lost connection: restored on reconnect
        this.subs.delete(sub.id); // refused: restoring it would only be refused again
        sub.reject(err);
      },
    );
  }

  private ensureReplyQueue(): Promise<void> {
    if (this.replyQueueReady !== undefined) return this.replyQueueReady;
    const ready = [this.addSub(this.options.replyQueue, {}, (m) => this.replies.reply(receivedMessage(m)), true).ready];
    if (this.errorQueue !== undefined) ready.push(this.errorQueue.ready);
    this.replyQueueReady = Promise.all(ready).then(() => undefined);
    this.replyQueueReady.catch(() => (this.replyQueueReady = undefined));
    return this.replyQueueReady;
  }

  /** A report on errorQueue: it fails the request it answers, or is emitted as `error` when nobody awaits it. */
  private handlerFailed(m: IMessage): void {
    const message: ReceivedMessage = receivedMessage(m);
    const owned = this.replies.owns(message);
    const err = this.replies.failure(message);
    if (!owned) this.emit('error', err);
  }

  private requestBySubscribe<T>(destination: string, timeout: number, headers: Record<string, string>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new ClientError('CLIENT_ERR_TIMEOUT', `No reply from subscription "${destination}" within ${timeout} ms`));
      }, timeout);
      const unsubscribe = this.addSub(destination, { ...headers }, (m) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(receivedMessage<T>(m).body);
      });
      unsubscribe.ready.catch((err: ClientError) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}

/** One error for a cycle: the ERROR frame if the server sent one, else the last failure naming every transport tried. */
function combine(failures: ClientError[]): ClientError {
  const last = failures.at(-1)!;
  if (failures.length === 1 || last.code === 'CLIENT_ERR_STOMP_ERROR') return last;
  return new ClientError(last.code, failures.map((f) => f.message).join('; '));
}

function closedError(): ClientError {
  return new ClientError('CLIENT_ERR_CLOSED', 'The client was closed');
}
