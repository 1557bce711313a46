import { isUtf8 } from 'node:buffer';
import { StompError } from '../errors';
import { createStderrLogger, type Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import { hasPrefix } from '../messaging/destination-router';
import { SimpleBroker } from '../messaging/simple-broker';
import type { FrameRelay, RelayGuard } from '../session/session-host';
import type { StompSession } from '../session/stomp-session';
import { encodeFrame } from '../stomp/encoder';
import type { Frame } from '../stomp/frame';
import { OutageLog } from './outage-log';
import { RelayConnection, type RelayEndpoint } from './relay-connection';
import { BROKER_RELAY_DEFAULTS, validate, type StompBrokerRelayOptions } from './relay-options';
import { FORWARDERS, MAX_ACK_IDS, type RelayedSession } from './relay-session';

export { BROKER_RELAY_DEFAULTS, BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT, type StompBrokerRelayOptions } from './relay-options';

const RESPONSE_HEADERS_DROPPED: ReadonlySet<string> = new Set(['content-length']);

/**
 * Spring's StompBrokerRelay: broker destinations live in an external STOMP broker
 * (RabbitMQ's STOMP plugin; by protocol also ActiveMQ or Artemis). Each client session gets
 * its own TCP connection there, opened before CONNECTED; its SENDs, SUBSCRIBEs, UNSUBSCRIBEs,
 * ACK/NACKs and transactions for relay destinations are forwarded as they are, and what the
 * broker answers (MESSAGE, RECEIPT, ERROR) goes back to the client, so acks, receipts,
 * redelivery and durable queues are the external broker's. One shared system connection
 * carries server-side publishing (the messaging template), each SEND confirmed by a receipt.
 * Destinations outside `prefixes` (`/user/...`) stay in the in-memory base broker.
 * While the external broker is unreachable, CONNECTs get an ERROR and template publishes to
 * relay destinations reject; the system connection reconnects with backoff, and the outage is
 * logged once (at `error`) with a reminder every 30 s.
 */
export class StompBrokerRelay extends SimpleBroker implements FrameRelay {
  private readonly prefixes: readonly string[];
  private readonly logger: Logger;
  private readonly system: RelayEndpoint;
  private readonly client: RelayEndpoint;
  private readonly backoff: readonly [number, number];
  private readonly sessions = new Map<string, RelayedSession>();
  private readonly receipts = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private conn: RelayConnection | undefined;
  private attempt = 0;
  private receiptCounter = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private guard: RelayGuard | undefined;
  private started: { promise: Promise<void>; resolve(): void; reject(err: Error): void } | undefined;
  private readonly outage: OutageLog;

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming the option out of range */
  constructor(options: StompBrokerRelayOptions = {}) {
    super();
    validate(options);
    const d = BROKER_RELAY_DEFAULTS;
    const base = {
      host: options.host ?? d.host,
      port: options.port ?? d.port,
      virtualHost: options.virtualHost ?? d.virtualHost,
      heartbeat: options.heartbeat ?? d.heartbeat,
      connectTimeout: options.connectTimeout ?? d.connectTimeout,
      maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
    };
    this.system = { ...base, login: options.systemLogin ?? d.systemLogin, passcode: options.systemPasscode ?? d.systemPasscode };
    this.client = { ...base, login: options.clientLogin ?? d.clientLogin, passcode: options.clientPasscode ?? d.clientPasscode };
    this.prefixes = options.prefixes ?? d.prefixes;
    this.backoff = options.reconnectDelay ?? d.reconnectDelay;
    this.logger = options.logger ?? createStderrLogger();
    this.outage = new OutageLog(this.logger, 'The external STOMP broker of the relay', { host: this.system.host, port: this.system.port });
  }

  /** The server takes its MessageBroker from here: this relay. */
  get broker(): this {
    return this;
  }

  /** True while the system connection is open. */
  get available(): boolean {
    return this.conn?.state === 'open';
  }

  /**
   * Opens the system connection and keeps trying, with backoff, until the external broker
   * answers CONNECTED; the promise resolves then. It does not reject while the broker is down
   * (the outage is logged once, at `error`): a server built on this relay may listen before
   * it is up, and CONNECTs meanwhile get ERROR `Broker relay unavailable`. It rejects only if
   * `close()` comes first. Calling it again returns the same promise.
   * @example
   * const relay = new StompBrokerRelay({ port: 61613 });
   * await relay.start(); // the external broker answered CONNECTED
   * const server = new StompServer({ relay });
   */
  start(): Promise<void> {
    if (this.started !== undefined) return this.started.promise;
    this.stopped = false;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // only close() rejects it: never an unhandled rejection of ours
    this.started = { promise, resolve, reject };
    this.connectSystem();
    return promise;
  }

  /** True when `destination` belongs to the external broker. */
  isRelayDestination(destination: string | undefined): boolean {
    if (destination === undefined) return false;
    for (const p of this.prefixes) if (hasPrefix(destination, p)) return true;
    return false;
  }

  // ---- FrameRelay (the session hook) ----

  attach(guard: RelayGuard): void {
    this.guard = guard;
  }

  forward(session: StompSession, frame: Frame): boolean | Promise<void> {
    const entry = this.sessions.get(session.sessionId);
    const forwarder = FORWARDERS[frame.command];
    if (entry === undefined || forwarder === undefined || !forwarder(this.isRelayed, entry, frame)) return false;
    const send = (): true | Promise<void> => {
      if (!entry.conn.ready) return this.hold(entry, frame);
      forwardNow(entry, frame);
      return true;
    };
    if (this.guard === undefined || (frame.command !== 'SEND' && frame.command !== 'SUBSCRIBE')) return send();
    const checked = this.guard(session, frame.command, frame.headers.get('destination')!);
    if (checked === undefined) return send();
    return checked.then(() => {
      const sent = send();
      return sent === true ? undefined : sent; // a held frame: the session waits for it too
    });
  }

  /**
   * A frame for a link whose broker is silent past its heart-beat is not written into it (a
   * frozen peer's socket takes bytes and loses them), nor for a link with `maxBufferedBytes`
   * unwritten: it waits until the broker is heard from again and the socket drained, then goes
   * out, or the link is closed as dead and the frame is refused with
   * `STOMP_ERR_RELAY_UNAVAILABLE`. Meanwhile the session handles nothing else (its later frames
   * wait under maxBacklogFrames / maxBacklogBytes, then it stops reading).
   */
  private hold(entry: RelayedSession, frame: Frame): Promise<void> {
    entry.held++;
    const silent = entry.conn.silentFor();
    const why = entry.conn.overdue ? `since the external broker fell silent ${silent} ms before` : `while ${entry.conn.bufferedAmount} bytes waited unwritten to the external broker`;
    return entry.conn.alive().then(
      () => {
        entry.held--;
        forwardNow(entry, frame);
      },
      (err: Error) => {
        entry.held--;
        throw new StompError(
          'STOMP_ERR_RELAY_UNAVAILABLE',
          `Broker relay connection lost (${err.message}): ${frame.command} (held ${why}) was not forwarded`,
        );
      },
    );
  }

  private readonly isRelayed = (destination: string | undefined): boolean => this.isRelayDestination(destination);

  async openSession(session: StompSession): Promise<void> {
    if (!this.available) throw new StompError('STOMP_ERR_RELAY_UNAVAILABLE', 'Broker relay unavailable: the external STOMP broker is unreachable');
    const conn = new RelayConnection(this.client);
    const entry: RelayedSession = { conn, subs: new Set(), acks: new Set(), closing: false, held: 0 };
    conn.on('frame', (f: Frame) => this.toClient(session, entry, f));
    conn.on('close', (reason: string) => {
      if (this.sessions.get(session.sessionId) === entry) this.sessions.delete(session.sessionId);
      if (entry.closing || session.state !== 'connected') return;
      this.logger.warn({ sessionId: session.sessionId, reason }, 'Lost the relay connection of a session');
      // A held frame's refusal is the session's ERROR (with its receipt-id); else this one.
      if (entry.held === 0) session.sendError(new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay connection lost: ${reason}`), undefined, 'error');
    });
    try {
      await conn.opened();
    } catch (err) {
      throw new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay unavailable: ${(err as Error).message}`);
    }
    if (session.state === 'closed') return conn.disconnect();
    this.sessions.set(session.sessionId, entry);
  }

  closeSession(session: StompSession): void {
    const entry = this.sessions.get(session.sessionId);
    if (entry === undefined) return;
    this.sessions.delete(session.sessionId);
    entry.closing = true;
    entry.conn.disconnect();
  }

  // ---- MessageBroker: server-side publishing ----

  override publish(message: BrokerMessage): Promise<void> | void {
    if (!this.isRelayDestination(message.destination)) return super.publish(message);
    const conn = this.conn;
    if (conn === undefined || conn.state !== 'open') {
      return Promise.reject(new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay unavailable: cannot publish to "${message.destination}"`));
    }
    // Server-side publishing is refused at once, not held, while the system connection is
    // silent past its heart-beat or backed up: a caller gets its answer now, and nothing waits unbounded.
    if (!conn.ready) {
      const why = conn.overdue ? `the external broker has been silent for ${conn.silentFor()} ms` : `${conn.bufferedAmount} bytes wait unwritten to the external broker`;
      return Promise.reject(new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay unavailable: cannot publish to "${message.destination}": ${why}`));
    }
    const receipt = `relay-${++this.receiptCounter}`;
    const headers: [string, string][] = [['destination', message.destination], ['receipt', receipt]];
    if (message.contentType !== undefined) headers.push(['content-type', message.contentType]);
    for (const [name, value] of message.headers) if (name !== 'destination' && name !== 'receipt') headers.push([name, value]);
    return new Promise((resolve, reject) => {
      this.receipts.set(receipt, { resolve, reject });
      conn.send('SEND', headers, message.body);
    });
  }

  override async close(): Promise<void> {
    this.stopped = true;
    this.started?.reject(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'The broker relay was closed before the external broker answered'));
    this.started = undefined;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const entry of this.sessions.values()) {
      entry.closing = true;
      entry.conn.disconnect();
    }
    this.sessions.clear();
    this.conn?.disconnect();
  }

  // ---- inside ----

  private toClient(session: StompSession, entry: RelayedSession, frame: Frame): void {
    if (session.state !== 'connected') return;
    const headers = [...frame.headers].filter(([name]) => !RESPONSE_HEADERS_DROPPED.has(name));
    if (frame.command === 'MESSAGE') {
      const ack = frame.headers.get('ack');
      if (ack !== undefined) {
        entry.acks.add(ack);
        if (entry.acks.size > MAX_ACK_IDS) entry.acks.delete(entry.acks.values().next().value as string);
      }
    }
    // Through flow control like our own frames: MESSAGEs under the slow consumer policy, RECEIPTs never dropped.
    const kind = frame.command === 'MESSAGE' ? 'message' : frame.command === 'ERROR' ? 'final' : 'control';
    session.write(encodeFrame(frame.command, headers, frame.body, session.version), frame.body.length > 0 && !isUtf8(frame.body), kind);
    if (frame.command === 'ERROR') {
      entry.closing = true;
      session.end('error', 1000, 'ERROR from the external broker');
    }
  }

  private connectSystem(): void {
    const conn = new RelayConnection(this.system);
    this.conn = conn;
    conn.on('frame', (f: Frame) => this.fromSystem(f));
    conn.once('close', (reason: string) => {
      for (const [id, pending] of this.receipts) {
        this.receipts.delete(id);
        pending.reject(new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay connection lost before the receipt: ${reason}`));
      }
      if (this.stopped) return;
      // The system connection died of silence: session links silent past their heart-beat too
      // are the same frozen broker, so they close now rather than at their own next check.
      if (reason.startsWith('no heart-beat')) {
        for (const entry of this.sessions.values()) if (entry.conn.overdue) entry.conn.close(`${reason}, on the system connection`);
      }
      this.outage.failed(reason);
      const delay = Math.min(this.backoff[1], this.backoff[0] * 2 ** Math.min(this.attempt++, 16));
      this.logger.debug({ host: this.system.host, port: this.system.port, attempt: this.attempt, delayMs: delay }, 'Broker relay system connection retrying');
      this.retryTimer = setTimeout(() => this.connectSystem(), delay);
      this.retryTimer.unref();
    });
    conn.opened().then(
      () => {
        this.attempt = 0;
        this.outage.restored();
        this.logger.info({ host: this.system.host, port: this.system.port }, 'Broker relay system connection open');
        this.started?.resolve();
      },
      () => undefined, // the 'close' listener above logs it and schedules the next attempt
    );
  }

  private fromSystem(frame: Frame): void {
    if (frame.command === 'RECEIPT') {
      const id = frame.headers.get('receipt-id') ?? '';
      const pending = this.receipts.get(id);
      this.receipts.delete(id);
      pending?.resolve();
    } else if (frame.command === 'ERROR') {
      this.logger.error({ message: frame.headers.get('message') }, 'ERROR on the broker relay system connection');
    }
  }
}

/** Writes a client frame to its session's link as it came (the encoder computes content-length). */
function forwardNow(entry: RelayedSession, frame: Frame): void {
  const headers = [...frame.headers].filter(([name]) => name !== 'content-length');
  if (!entry.conn.send(frame.command, headers, frame.body)) {
    throw new StompError('STOMP_ERR_RELAY_UNAVAILABLE', `Broker relay connection lost: ${frame.command} not forwarded`);
  }
}
