import { StompError } from '../errors';
import { errorHeaders } from '../session/error-frame';
import type { Connection } from '../transport/connection';
import type { Counters } from './counters';
import type { FlowControl, SlowConsumerPolicy } from './flow-control';
import { Outbox } from './outbox';

/**
 * How a frame may be treated on its way out: a `message` (MESSAGE) is subject to the slow
 * consumer policy and may be dropped; a `control` frame (CONNECTED, RECEIPT) may not be
 * dropped, so past the limit it makes the session a slow consumer; the `final` frame (ERROR)
 * goes out whatever the buffer holds, as the session closes right after it. Every kind queues
 * behind the MESSAGEs of a drop-oldest outbox, so none overtakes another.
 */
export type OutboundKind = 'message' | 'control' | 'final';

/** The part of a session flow control acts on. */
export interface FlowSession {
  readonly sessionId: string;
  readonly connection: Connection;
  /** Writes a server frame (the ERROR that tells a slow consumer why it is closed). */
  sendFrame(command: 'ERROR', headers: Iterable<readonly [string, string]>, body?: Uint8Array): void;
  /** Ends the session with a WebSocket close code (4500: session not reliable, as Spring). */
  end(reason: 'slow-consumer', code: number, text: string): void;
  /** Stops (true) or resumes (false) reading from the client while its send buffer is over the limit. */
  holdInput(reason: 'send-buffer', on: boolean): void;
}

/** Close code for a slow consumer: Spring's CloseStatus.SESSION_NOT_RELIABLE. */
export const SESSION_NOT_RELIABLE = 4500;
const KILL_GRACE = 1000; // ms: a terminated slow consumer gets this long to take its close frame

/**
 * One session's flow state: inbound rate, outbound backlog. The session asks `blocked()`
 * before each MESSAGE — one `bufferedAmount` read and a compare while the socket keeps up,
 * which is the common case: then the frame goes straight to the transport.
 */
export class SessionFlow {
  /** Set while a drop policy is dropping, so an episode is logged and counted once. */
  dropping = false;
  /** When the send buffer was first seen non-empty without draining since (0: drained). */
  stalledSince = 0;
  outbox: Outbox | undefined;
  /** True while reading from the client is paused because its send buffer is over the limit. */
  inputHeld = false;
  private epoch = -1;
  private frames = 0;
  private killTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly control: FlowControl,
    readonly session: FlowSession,
    readonly counters: Counters,
  ) {}

  /**
   * Counts one inbound frame and enforces `maxFramesPerSecond`.
   * @throws StompError `STOMP_ERR_RATE_LIMITED` past the limit
   */
  inbound(command: string): void {
    this.counters.frameIn(command);
    // Debug per frame: the command only, never headers (passcode) or the body.
    if (this.control.debugFrames) this.control.logger.debug({ sessionId: this.session.sessionId, command }, 'Frame received');
    const max = this.control.limits.maxFramesPerSecond;
    if (max === 0) return;
    if (this.epoch !== this.control.epoch) {
      this.epoch = this.control.epoch;
      this.frames = 0;
    }
    if (++this.frames > max) {
      this.counters.rateLimited++;
      throw new StompError('STOMP_ERR_RATE_LIMITED', `More than maxFramesPerSecond (${max}) frames in one second`);
    }
  }

  /**
   * True once the socket holds more than half of what it may hold before the next MESSAGE
   * would be refused (or an outbox is open): queues stop handing this session messages until
   * it drains, so an ack:auto consumer never takes more than its buffer can carry.
   */
  backedUp(): boolean {
    return this.outbox !== undefined || this.session.connection.bufferedAmount > this.control.threshold / 2;
  }

  /** True when the next MESSAGE cannot go straight to the socket. */
  blocked(): boolean {
    return this.outbox !== undefined || this.session.connection.bufferedAmount > this.control.threshold;
  }

  /**
   * Applies the policy to a MESSAGE that found the socket over the limit. Returns true when the
   * message is to be queued (`drop-oldest`), false when it is dropped or the session ends.
   */
  overLimit(): boolean {
    const policy = this.control.limits.slowConsumerPolicy;
    if (policy === 'terminate') {
      this.terminate('buffer', this.limitText());
      return false;
    }
    this.startEpisode(policy);
    this.holdInput();
    if (policy === 'drop-newest') {
      this.counters.messagesDropped++;
      return false;
    }
    this.openOutbox();
    return true;
  }

  /**
   * Writes a frame that must not be dropped (CONNECTED, RECEIPT): straight to the socket while
   * it is under the limit; behind the MESSAGEs of an outbox when there is one. A client that
   * stopped reading would otherwise make the broker hold every RECEIPT its frames ask for, so
   * past the limit (with nothing to drop instead) the session is a slow consumer: ERROR
   * `STOMP_ERR_SLOW_CONSUMER` and close 4500, whatever the policy.
   */
  writeControl(data: Uint8Array): void {
    if (this.outbox === undefined && this.session.connection.bufferedAmount <= this.control.threshold) {
      this.session.connection.send(data, false);
      return;
    }
    if (this.control.limits.slowConsumerPolicy !== 'drop-oldest') {
      this.terminate('buffer', this.limitText());
      return;
    }
    this.startEpisode('drop-oldest');
    this.holdInput();
    this.openOutbox();
    this.outbox!.push(data, false, false);
    this.trim();
    this.flush();
  }

  /** Writes the session's last frame (ERROR), behind any queued MESSAGEs; the session ends next. */
  writeFinal(data: Uint8Array): void {
    if (this.outbox === undefined) this.session.connection.send(data, false);
    else this.outbox.push(data, false, false);
  }

  /** Writes a heart-beat unless the client is behind: then what it has not read is proof enough of life. */
  writeHeartbeat(data: Uint8Array): void {
    if (!this.blocked()) this.session.connection.send(data, false);
  }

  /** Queues a MESSAGE behind the socket (drop-oldest), dropping the oldest past the limit. */
  enqueue(data: Uint8Array, binary: boolean): void {
    this.outbox!.push(data, binary);
    this.trim();
    this.flush();
  }

  /** Hands everything queued to the socket (the session is closing: its close goes after it). */
  flushAll(): void {
    const outbox = this.outbox;
    if (outbox === undefined) return;
    while (outbox.length > 0) {
      const [data, binary] = outbox.shift();
      this.session.connection.send(data, binary);
    }
    this.outbox = undefined;
    this.control.overflowing.delete(this);
  }

  /**
   * Drops the oldest MESSAGEs until the outbox is within its half of the limit. What must not
   * be dropped stays; when that alone passes the limit, the session is a slow consumer.
   */
  private trim(): void {
    const outbox = this.outbox!;
    while (outbox.bytes > this.control.threshold && outbox.dropOldest()) this.counters.messagesDropped++;
    if (outbox.fixedBytes > this.control.threshold) this.terminate('buffer', this.limitText());
  }

  private openOutbox(): void {
    if (this.outbox !== undefined) return;
    this.outbox = new Outbox();
    this.control.overflowing.add(this);
    this.control.startFastTick();
  }

  /** Stops reading from the client (its frames ask for RECEIPTs and acks it cannot take) until its buffer is under the limit. */
  private holdInput(): void {
    if (this.inputHeld) return;
    this.inputHeld = true;
    this.session.holdInput('send-buffer', true);
    this.control.overflowing.add(this);
    this.control.startFastTick();
  }

  /** Reads from the client again once nothing waits in front of its socket and the socket is under the limit. */
  releaseInput(): void {
    if (!this.inputHeld || this.outbox !== undefined || this.session.connection.bufferedAmount > this.control.threshold) return;
    this.inputHeld = false;
    this.session.holdInput('send-buffer', false);
  }

  private limitText(): string {
    return `Send buffer limit exceeded (sendBufferLimit ${this.control.limits.sendBufferLimit} bytes)`;
  }

  /** Moves queued frames into the socket while it is under the limit. */
  flush(): void {
    const outbox = this.outbox;
    if (outbox === undefined) return;
    const connection = this.session.connection;
    while (outbox.length > 0 && connection.bufferedAmount <= this.control.threshold) {
      const [data, binary] = outbox.shift();
      connection.send(data, binary);
    }
    if (outbox.length === 0) {
      this.outbox = undefined;
      if (!this.inputHeld) this.control.overflowing.delete(this);
    }
  }

  /** Ends a slow consumer: close 4500 now, and drop the socket if the close cannot get out. */
  terminate(kind: 'buffer' | 'time', text: string): void {
    if (this.killTimer !== undefined) return;
    if (kind === 'buffer') this.counters.bufferBreaches++;
    else this.counters.timeBreaches++;
    const connection = this.session.connection;
    this.control.logger.warn(
      { sessionId: this.session.sessionId, breach: kind, policy: 'terminate', bufferedAmount: connection.bufferedAmount },
      `Slow consumer: ${text}; closing with ${SESSION_NOT_RELIABLE}`,
    );
    // The ERROR waits behind what the client has not read; a client that resumes reading gets it.
    this.session.sendFrame('ERROR', errorHeaders('STOMP_ERR_SLOW_CONSUMER', text));
    this.inputHeld = false;
    this.session.end('slow-consumer', SESSION_NOT_RELIABLE, text);
    this.killTimer = setTimeout(() => connection.terminate(), KILL_GRACE);
    this.killTimer.unref();
  }

  /** Releases timers and queued frames (the session closed). */
  detach(): void {
    if (this.killTimer !== undefined) clearTimeout(this.killTimer);
    this.outbox = undefined;
    this.control.overflowing.delete(this);
    this.control.sessions.delete(this);
    if (this.control.sessions.size === 0) this.control.stop();
  }

  private startEpisode(policy: SlowConsumerPolicy): void {
    if (this.dropping) return;
    this.dropping = true;
    this.counters.bufferBreaches++;
    this.control.logger.warn(
      { sessionId: this.session.sessionId, breach: 'buffer', policy, bufferedAmount: this.session.connection.bufferedAmount },
      `Slow consumer: send buffer over sendBufferLimit (${this.control.limits.sendBufferLimit} bytes); ${policy}`,
    );
  }
}
