import { StompError, isStompError } from '../errors';
import type { BrokerMessage } from '../messaging/broker-message';
import type { SessionId, Subscription } from '../messaging/message-broker';
import { FrameDecoder } from '../stomp/decoder';
import { encodeFrame, HEARTBEAT } from '../stomp/encoder';
import { preConnectHeader } from '../stomp/headers';
import type { Frame } from '../stomp/frame';
import type { StompVersion } from '../stomp/versions';
import type { Connection, ConnectionHandler } from '../transport/connection';
import { Counters } from '../operations/counters';
import { FlowControl, type OutboundKind, type SessionFlow } from '../operations/flow-control';
import { randomId, SESSION_ID_BYTES } from '../security/random-id';
import { AckTracker } from './ack-tracker';
import { errorFrame } from './error-frame';
import { detachFrame, heldSize } from './held-frame';
import { COMMANDS } from './commands';
import type { HeartbeatTarget } from './heartbeat';
import type { CloseReason, SessionHost } from './session-host';
import type { SessionState, StompSession } from './stomp-session';

export type { SessionState } from './stomp-session';

/** Transports that carry any bytes; the others (SockJS) carry text only. */
const BINARY_TRANSPORTS: ReadonlySet<string> = new Set(['websocket', 'tcp', 'tcp-tls']);

/** Why a session stopped reading from its client; reading resumes once no reason is left. */
export type InputHold = 'backlog' | 'send-buffer' | 'receipts';
const HOLD_BITS: Readonly<Record<InputHold, number>> = { backlog: 1, 'send-buffer': 2, receipts: 4 };

/** Extra RECEIPT headers an effect may resolve with (`x-stream-offset` of a retained SEND). */
type ReceiptExtra = [string, string][];
const extraOf = (value: unknown): ReceiptExtra | undefined => (Array.isArray(value) ? (value as ReceiptExtra) : undefined);

/**
 * One STOMP session over one connection: decodes inbound bytes, runs each frame through the
 * command table (session/commands.ts) in order, and writes MESSAGE, RECEIPT and ERROR
 * frames. Frames are handled one at a time: when a command's effect is asynchronous (a
 * cluster subscribe, an async handler), later frames of this session wait for it, so
 * effects and receipts keep the order the client sent them in.
 */
export class Session implements StompSession, HeartbeatTarget, ConnectionHandler {
  readonly sessionId: SessionId;
  state: SessionState = 'connecting';
  version: StompVersion = '1.2';
  user: string | undefined;
  /** The principal as `authenticate` returned it (a name or an object), if any. */
  principal: unknown;
  /** Subscriptions by client id. */
  readonly subscriptions = new Map<string, Subscription>();
  /** Destinations an anonymous session named as `reply-to`: its own queues (app/reserved-queues.ts). */
  replyQueues: Set<string> | undefined;
  /** Open transactions: frames held until COMMIT. */
  get transactions(): Map<string, Frame[]> {
    return (this.openTransactions ??= new Map());
  }

  // Created on first BEGIN: most sessions never open a transaction.
  private openTransactions: Map<string, Frame[]> | undefined;
  /** Bytes held by the open transactions together (`maxTransactionBytes`; held-frame.ts). */
  transactionBytes = 0;
  /** Headers the RECEIPT of the frame being handled carries besides `receipt-id` (`x-stream-recovered`); taken by the next RECEIPT. */
  receiptHeaders: [string, string][] | undefined;
  /** Characters of the subscriptions' ids, destinations and selectors, and of claimed reply queues (`maxSubscriptionBytes`). */
  subscriptionBytes = 0;
  readonly acks: AckTracker;
  /** Backpressure, inbound rate and counters (broker/operations/flow-control.ts). */
  readonly flow: SessionFlow;
  wrote = false;
  /**
   * True once a binary WebSocket message arrived. Until then every body this session sent is
   * valid UTF-8 (ws validates text messages; SockJS carries text only), so its messages need
   * no second check before going out as text.
   */
  binaryInput = false;
  read = false;
  sendInterval = 0;
  receiveInterval = 0;

  private readonly decoder: FrameDecoder;
  /** Frames waiting behind an asynchronous effect, detached from their transport messages. */
  private readonly queue: Frame[] = [];
  /** Bytes of the waiting frames (`maxBacklogBytes`). */
  private queueBytes = 0;
  /** Reasons the session stopped reading (bits of {@link HOLD_BITS}). */
  private inputHolds = 0;
  private busy = false;
  /**
   * Ordered effects (see {@link markOrdered}): the tail of their RECEIPTs, and how many wait.
   * Every RECEIPT after one of them goes out after it, so receipts keep the client's order.
   */
  private ordered: Promise<void> | undefined;
  private orderedPending = 0;
  private orderedNext = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private closeReason: CloseReason | undefined;
  /** True once CONNECTED went out: from then on ERROR frames are escaped by the negotiated version. */
  private answeredConnect = false;

  constructor(
    readonly connection: Connection,
    readonly host: SessionHost,
  ) {
    const o = host.options;
    // CSPRNG, not a counter: a session id must not be guessable from another one (security/random-id.ts).
    this.sessionId = randomId(SESSION_ID_BYTES);
    this.acks = new AckTracker(o.maxPendingAcks);
    this.flow = (host.flow ?? new FlowControl(o, o.logger)).attach(this, host.counters ?? new Counters());
    this.decoder = new FrameDecoder(o, (frame) => this.enqueue(frame));
    this.connectTimer = setTimeout(() => this.connectTimedOut(), o.connectTimeout);
    this.connectTimer.unref();
  }

  // ---- inbound ----

  receive(data: Uint8Array, binary: boolean): void {
    this.read = true;
    if (binary) this.binaryInput = true;
    if (this.state === 'closed' || this.state === 'closing') return;
    try {
      this.decoder.push(data);
    } catch (err) {
      this.fail(err, undefined);
    }
  }

  protected enqueue(frame: Frame): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.flow.inbound(frame.command);
    if (this.busy) this.wait(frame);
    else this.process(frame);
  }

  /**
   * Queues a frame behind the asynchronous effect in progress: as a detached copy, counted
   * against `maxBacklogFrames` and `maxBacklogBytes`. Past half of either, the session stops
   * reading from its client (when the transport can pause) so that TCP holds the rest.
   * @throws StompError `STOMP_ERR_BACKLOG_LIMIT` past either bound
   */
  private wait(frame: Frame): void {
    const { maxBacklogFrames, maxBacklogBytes } = this.host.options;
    if (this.queue.length >= maxBacklogFrames) {
      throw new StompError('STOMP_ERR_BACKLOG_LIMIT', `More than maxBacklogFrames (${maxBacklogFrames}) frames are waiting to be processed`);
    }
    const held = detachFrame(frame);
    const size = heldSize(held);
    if (this.queueBytes + size > maxBacklogBytes) {
      throw new StompError('STOMP_ERR_BACKLOG_LIMIT', `Frames waiting to be processed would pass maxBacklogBytes (${maxBacklogBytes} bytes)`);
    }
    this.queue.push(held);
    this.queueBytes += size;
    if (this.queueBytes * 2 > maxBacklogBytes || this.queue.length * 2 > maxBacklogFrames) this.holdInput('backlog', true);
  }

  private process(frame: Frame): void {
    let result: Promise<void> | void;
    try {
      result = this.handle(frame);
    } catch (err) {
      this.fail(err, frame);
      return;
    }
    if (result === undefined) return;
    this.busy = true;
    result.then(
      () => {
        this.busy = false;
        this.drain();
      },
      (err: unknown) => {
        this.busy = false;
        this.fail(err, frame);
      },
    );
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0 && this.state !== 'closed' && this.state !== 'closing') {
      const frame = this.queue.shift()!;
      this.queueBytes -= heldSize(frame);
      this.process(frame);
    }
    const { maxBacklogFrames, maxBacklogBytes } = this.host.options;
    if (this.queueBytes * 2 <= maxBacklogBytes && this.queue.length * 2 <= maxBacklogFrames) this.holdInput('backlog', false);
  }

  /**
   * Stops or resumes reading from the client for one reason (a backlog of frames, a send buffer
   * over its limit); reading resumes once no reason is left. A transport without `pause()`
   * (SockJS) keeps delivering, and the hard bounds then apply.
   */
  holdInput(reason: InputHold, on: boolean): void {
    const before = this.inputHolds;
    this.inputHolds = on ? before | HOLD_BITS[reason] : before & ~HOLD_BITS[reason];
    if (before === 0 && this.inputHolds !== 0) this.connection.pause?.();
    else if (before !== 0 && this.inputHolds === 0 && this.state !== 'closed') this.connection.resume?.();
  }

  /** Frames waiting behind an asynchronous effect, and their bytes (`maxBacklogFrames`, `maxBacklogBytes`). */
  get backlog(): { readonly frames: number; readonly bytes: number } {
    return { frames: this.queue.length, bytes: this.queueBytes };
  }

  /** True while the session chose not to read: heart-beat checks do not count that as silence. */
  get inputPaused(): boolean {
    return this.inputHolds !== 0;
  }

  /** Runs one frame through the inbound interceptors (if any) and the command table, then sends its RECEIPT after the effect. */
  handle(frame: Frame): Promise<void> | void {
    const chain = this.host.interceptors;
    if (chain === undefined || !chain.hasInbound) return this.run(frame);
    return chain.inbound(frame, this).then((passed) => {
      if (passed !== undefined) return this.run(passed);
      const receipt = frame.headers.get('receipt');
      if (receipt !== undefined && this.state === 'connected') this.sendReceipt(receipt);
    });
  }

  private run(frame: Frame): Promise<void> | void {
    if (this.state === 'connecting' && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
      throw new StompError('STOMP_ERR_NOT_CONNECTED', `Received ${frame.command} before CONNECT`);
    }
    // Broker relay: the external broker handles the frame and sends its RECEIPT.
    const relayed = this.state === 'connected' && this.host.relay !== undefined ? this.host.relay.forward(this, frame) : false;
    if (relayed !== false) return relayed === true ? undefined : relayed;
    const handler = COMMANDS[frame.command as keyof typeof COMMANDS];
    if (handler === undefined) {
      throw new StompError('STOMP_ERR_UNKNOWN_COMMAND', `${frame.command} is not a client frame`);
    }
    // DISCONNECT's RECEIPT is the last frame: after every ordered effect's.
    if (frame.command === 'DISCONNECT' && this.ordered !== undefined) return this.ordered.then(() => handler(this, frame) as void);
    this.orderedNext = false;
    const result = handler(this, frame);
    const receipt = frame.headers.get('receipt');
    // Only a frame's own effect can be ordered: COMMIT replays its frames one after another.
    if (this.orderedNext && result !== undefined && (frame.command === 'SEND' || frame.command === 'ACK' || frame.command === 'NACK')) return this.order(result, receipt, frame);
    if (receipt === undefined || frame.command === 'CONNECT' || frame.command === 'STOMP' || frame.command === 'DISCONNECT') {
      return result;
    }
    if (result === undefined) {
      if (this.ordered === undefined) this.sendReceipt(receipt);
      else {
        const extra = this.receiptHeaders;
        this.receiptHeaders = undefined;
        this.afterOrdered(() => this.sendReceipt(receipt, extra));
      }
      return;
    }
    return result.then((value) => {
      const extra = extraOf(value) ?? this.receiptHeaders;
      this.receiptHeaders = undefined;
      if (this.ordered === undefined) this.sendReceipt(receipt, extra);
      else this.afterOrdered(() => this.sendReceipt(receipt, extra));
    });
  }

  /**
   * Says that the effect the current frame's handler returns is ordered already (the durable
   * store took its place, or the queue engine settled the ACK, when the handler returned): later
   * frames need not wait for it, only its RECEIPT does (and a failure still ends the session).
   * So a client's pipelined SENDs share one commit instead of one commit each.
   */
  markOrdered(): void {
    this.orderedNext = true;
  }

  private order(result: Promise<unknown>, receipt: string | undefined, frame: Frame): void {
    this.orderedNext = false;
    this.orderedPending++;
    // Bounded like the backlog: past half of maxBacklogFrames waiting RECEIPTs, stop reading.
    if (this.orderedPending * 2 > this.host.options.maxBacklogFrames) this.holdInput('receipts', true);
    const previous = this.ordered;
    const done = (previous === undefined ? result : Promise.all([previous, result]).then(([, v]) => v)).then(
      (value) => {
        if (receipt !== undefined) this.sendReceipt(receipt, extraOf(value));
      },
      (err: unknown) => this.fail(err, frame),
    );
    const tail: Promise<void> = done.then(() => {
      this.orderedPending--;
      if (this.ordered === tail) this.ordered = undefined;
      if (this.orderedPending * 2 <= this.host.options.maxBacklogFrames) this.holdInput('receipts', false);
    });
    this.ordered = tail;
  }

  private afterOrdered(fn: () => void): void {
    const tail: Promise<void> = this.ordered!.then(fn).then(() => {
      if (this.ordered === tail) this.ordered = undefined;
    });
    this.ordered = tail;
  }

  // ---- outbound ----

  /**
   * Writes one encoded frame through flow control (operations/flow-control.ts), the one path
   * every outbound frame takes: `message` frames are subject to the slow consumer policy,
   * `control` frames (CONNECTED, RECEIPT) are never dropped and past the limit make the session
   * a slow consumer, the `final` frame (ERROR) always goes out; none overtakes a queued MESSAGE.
   */
  write(data: Uint8Array, binary = false, kind: OutboundKind = 'control'): void {
    if (this.state === 'closed') return;
    this.wrote = true;
    if (kind === 'control') this.flow.writeControl(data);
    else if (kind === 'final') this.flow.writeFinal(data);
    else if (!this.flow.blocked()) this.connection.send(data, binary);
    else if (this.flow.overLimit()) this.flow.enqueue(data, binary);
  }

  /** Encodes and writes a server frame under this session's version. */
  sendFrame(command: 'CONNECTED' | 'RECEIPT' | 'ERROR' | 'MESSAGE', headers: Iterable<readonly [string, string]>, body?: Uint8Array): void {
    this.flow.counters.frameOut(command);
    if (command === 'CONNECTED') this.answeredConnect = true;
    // An ERROR instead of CONNECTED reaches a client that knows no version yet: like CONNECTED
    // it is not escaped (STOMP 1.2 §"Value Encoding" exempts CONNECT and CONNECTED, and 1.0
    // escapes nothing), so `:` arrives as `:` and not `\c` (stomp/headers.ts preConnectHeader).
    if (command === 'ERROR' && !this.answeredConnect) {
      const plain = [...headers].map(([name, value]) => [preConnectHeader(name), preConnectHeader(value)] as const);
      this.write(encodeFrame(command, plain, body, '1.0'), false, 'final');
      return;
    }
    this.write(encodeFrame(command, headers, body, this.version), false, command === 'ERROR' ? 'final' : command === 'MESSAGE' ? 'message' : 'control');
  }

  sendReceipt(receipt: string, extra: ReceiptExtra | undefined = this.receiptHeaders): void {
    this.receiptHeaders = undefined;
    if (this.state !== 'connected' && this.state !== 'closing') return;
    this.sendFrame('RECEIPT', extra === undefined ? [['receipt-id', receipt]] : [['receipt-id', receipt], ...extra]);
  }

  backedUp(): boolean {
    return this.state !== 'connected' || this.flow.backedUp();
  }

  deliver(subscription: Subscription, message: BrokerMessage): void {
    if (this.state !== 'connected') return;
    const chain = this.host.interceptors;
    if (chain !== undefined && chain.hasOutbound) chain.outbound(this, subscription, message);
    else this.writeMessage(subscription, message);
  }

  /** Writes one MESSAGE (tracking it for client ack modes), past the outbound interceptors. */
  writeMessage(subscription: Subscription, message: BrokerMessage): void {
    if (this.state !== 'connected') return;
    // Backpressure: one bufferedAmount read while the socket keeps up (flow-control.ts).
    if (this.flow.blocked() && !this.flow.overLimit()) return;
    // SockJS carries text only: a body that is not UTF-8 would arrive altered, no longer matching
    // its content-length, and the client's parser would lose every frame after it. Skip it.
    // (Plain WebSocket and TCP carry bytes.)
    if (message.binary && !BINARY_TRANSPORTS.has(this.connection.transport)) {
      this.host.options.logger.warn(
        { sessionId: this.sessionId, transport: this.connection.transport, destination: message.destination },
        'MESSAGE with a non-UTF-8 body not delivered: this transport carries text only',
      );
      return;
    }
    let ack: string | undefined;
    if (subscription.ack !== 'auto') {
      const key = this.acks.track(subscription, message.messageId, this.version === '1.2');
      if (this.version === '1.2') ack = key;
    }
    this.wrote = true;
    this.flow.counters.messagesDelivered++;
    const data = message.frame(this.version, subscription.id, ack);
    if (this.flow.outbox === undefined) this.connection.send(data, message.binary);
    else this.flow.enqueue(data, message.binary);
  }

  sendHeartbeat(): void {
    if (this.state === 'connected') this.flow.writeHeartbeat(HEARTBEAT);
  }

  // ---- ending ----

  heartbeatTimedOut(silentFor: number): void {
    this.sendError(
      new StompError('STOMP_ERR_HEARTBEAT_TIMEOUT', `No frame or heart-beat received for ${silentFor} ms (expected every ${this.receiveInterval} ms)`),
      undefined,
      'heartbeat-timeout',
    );
  }

  private connectTimedOut(): void {
    this.connectTimer = undefined;
    if (this.state !== 'connecting') return;
    this.sendError(
      new StompError('STOMP_ERR_CONNECT_TIMEOUT', `No CONNECT frame within connectTimeout (${this.host.options.connectTimeout} ms)`),
      undefined,
      'connect-timeout',
    );
  }

  /** Turns any failure into an ERROR frame and a close; never a stack trace to the client. */
  fail(err: unknown, frame: Frame | undefined): void {
    if (isStompError(err)) {
      this.host.options.logger.warn({ sessionId: this.sessionId, code: err.code, command: frame?.command }, err.message);
      this.sendError(err, frame, 'error');
      return;
    }
    this.host.options.logger.error({ sessionId: this.sessionId, err, command: frame?.command }, 'Internal error while handling a frame');
    this.sendError(new StompError('STOMP_ERR_INTERNAL', 'Internal server error'), frame, 'error');
  }

  /** Sends ERROR (with `receipt-id` when the frame asked for a receipt), then closes. */
  sendError(err: StompError, frame: Frame | undefined, reason: CloseReason): void {
    if (this.state === 'closed') return;
    const { headers, body } = errorFrame(err, frame?.headers.get('receipt'));
    this.sendFrame('ERROR', headers, body);
    this.end(reason, 1000, err.code);
  }

  /** Closes the connection after pending writes; the transport then calls `closed()`. */
  end(reason: CloseReason, code: number, text: string): void {
    if (this.state === 'closed') return;
    this.closeReason ??= reason;
    this.state = 'closing';
    // What waits in a drop-oldest outbox goes before the close (bounded by the limit).
    this.flow.flushAll();
    // The close handshake needs the client's close frame: read again (frames are ignored now).
    if (this.inputHolds !== 0) {
      this.inputHolds = 0;
      this.connection.resume?.();
    }
    this.connection.close(code, text.slice(0, 120));
  }

  /** Called by the transport once the connection is gone: releases everything, exactly once. */
  closed(transportReason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.host.heartbeats.delete(this);
    this.flow.detach();
    this.queue.length = 0;
    this.queueBytes = 0;
    this.inputHolds = 0;
    this.openTransactions?.clear();
    this.transactionBytes = 0;
    this.subscriptions.clear();
    this.subscriptionBytes = 0;
    const reason = this.closeReason ?? 'transport-closed';
    this.host.options.logger.info({ sessionId: this.sessionId, reason, transport: transportReason }, 'Session closed');
    this.host.sessionClosed(this, reason);
  }

  /** Marks CONNECT done: stops the connect timer and starts heart-beats. */
  connected(version: StompVersion, user: string | undefined, sendInterval: number, receiveInterval: number): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.version = version;
    this.decoder.version = version;
    this.user = user;
    this.sendInterval = sendInterval;
    this.receiveInterval = receiveInterval;
    this.state = 'connected';
    this.host.heartbeats.add(this);
  }

  /** Reads a header a command requires, or throws naming it. */
  required(frame: Frame, name: string): string {
    const value = frame.headers.get(name);
    if (value === undefined || value === '') {
      throw new StompError('STOMP_ERR_MISSING_HEADER', `${frame.command} needs a "${name}" header`);
    }
    return value;
  }
}
