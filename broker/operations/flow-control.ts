import { StompError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import type { Connection } from '../transport/connection';
import type { Counters } from './counters';
import { Outbox } from './outbox';

/** What a session does when its client reads slower than the broker writes. */
export type SlowConsumerPolicy = 'terminate' | 'drop-oldest' | 'drop-newest';

/** The limits flow control enforces (a subset of the resolved options). */
export interface FlowLimits {
  readonly sendBufferLimit: number;
  readonly sendTimeLimit: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly maxFramesPerSecond: number;
}

/** The part of a session flow control acts on. */
export interface FlowSession {
  readonly sessionId: string;
  readonly connection: Connection;
  /** Writes a server frame (the ERROR that tells a slow consumer why it is closed). */
  sendFrame(command: 'ERROR', headers: Iterable<readonly [string, string]>, body?: Uint8Array): void;
  /** Ends the session with a WebSocket close code (4500: session not reliable, as Spring). */
  end(reason: 'slow-consumer', code: number, text: string): void;
}

/** Close code for a slow consumer: Spring's CloseStatus.SESSION_NOT_RELIABLE. */
export const SESSION_NOT_RELIABLE = 4500;
const WINDOW = 1000; // ms: the frames-per-second window
const FAST_TICK = 50; // ms: how often own queues (drop-oldest) are flushed into sockets
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
      this.terminate('buffer', `Send buffer limit exceeded (sendBufferLimit ${this.control.limits.sendBufferLimit} bytes)`);
      return false;
    }
    this.startEpisode(policy);
    if (policy === 'drop-newest') {
      this.counters.messagesDropped++;
      return false;
    }
    if (this.outbox === undefined) {
      this.outbox = new Outbox();
      this.control.overflowing.add(this);
      this.control.startFastTick();
    }
    return true;
  }

  /** Queues a MESSAGE behind the socket (drop-oldest), dropping the oldest past the limit. */
  enqueue(data: Uint8Array, binary: boolean): void {
    const outbox = this.outbox!;
    outbox.push(data, binary);
    while (outbox.bytes > this.control.threshold && outbox.length > 1) {
      outbox.shift();
      this.counters.messagesDropped++;
    }
    this.flush();
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
      this.control.overflowing.delete(this);
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
    this.session.sendFrame('ERROR', [
      ['message', text],
      ['code', 'STOMP_ERR_SLOW_CONSUMER'],
      ['content-type', 'text/plain;charset=UTF-8'],
    ]);
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

/**
 * Backpressure for every session of a server (Spring's ConcurrentWebSocketSessionDecorator,
 * without blocking). Sessions check the transport's `bufferedAmount` before each MESSAGE;
 * past `sendBufferLimit` the policy applies: `terminate` closes with 4500, `drop-newest`
 * drops the message, `drop-oldest` keeps a queue of its own in front of the socket (the socket
 * then holds at most half the limit and the queue the other half, so the total stays within
 * the limit). One timer scans sessions for the send time limit: a session whose send buffer
 * has not drained for `sendTimeLimit` ms is closed with 4500 whatever the policy (as Spring).
 */
export class FlowControl {
  /** Bytes a socket may hold before the policy applies. */
  readonly threshold: number;
  /** Advances once per second; sessions reset their frame count when it changes. */
  epoch = 0;
  readonly sessions = new Set<SessionFlow>();
  readonly overflowing = new Set<SessionFlow>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private fastTimer: ReturnType<typeof setInterval> | undefined;
  private epochStart = 0;
  /** Whether per-frame debug lines are wanted; decided once so the frame path pays nothing otherwise. */
  readonly debugFrames: boolean;

  constructor(
    readonly limits: FlowLimits,
    readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const levels = logger as { isLevelEnabled?(level: string): boolean };
    this.debugFrames = logger !== silentLogger && (levels.isLevelEnabled?.('debug') ?? true);
    this.threshold = limits.slowConsumerPolicy === 'drop-oldest' ? Math.floor(limits.sendBufferLimit / 2) : limits.sendBufferLimit;
  }

  /** A new session's flow state; starts the timer with the first session. */
  attach(session: FlowSession, counters: Counters): SessionFlow {
    const flow = new SessionFlow(this, session, counters);
    this.sessions.add(flow);
    if (this.timer === undefined) {
      this.epochStart = this.now();
      // At most half the rate window, so the window advances every 1 to 1.5 s whatever the timer jitter.
      const tick = Math.max(50, Math.min(WINDOW / 2, Math.floor(this.limits.sendTimeLimit / 10)));
      this.timer = setInterval(() => this.check(), tick);
      this.timer.unref();
    }
    return flow;
  }

  /** Bytes held for every session: sockets plus own queues (a gauge). */
  bufferedBytes(): number {
    let total = 0;
    for (const flow of this.sessions) total += flow.session.connection.bufferedAmount + (flow.outbox?.bytes ?? 0);
    return total;
  }

  /** True while any timer runs (for leak checks). */
  get active(): boolean {
    return this.timer !== undefined || this.fastTimer !== undefined;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.fastTimer !== undefined) clearInterval(this.fastTimer);
    this.timer = undefined;
    this.fastTimer = undefined;
  }

  startFastTick(): void {
    if (this.fastTimer !== undefined) return;
    this.fastTimer = setInterval(() => {
      for (const flow of this.overflowing) flow.flush();
      if (this.overflowing.size === 0 && this.fastTimer !== undefined) {
        clearInterval(this.fastTimer);
        this.fastTimer = undefined;
      }
    }, FAST_TICK);
    this.fastTimer.unref();
  }

  /** One pass: advances the rate window, ends drop episodes, enforces the send time limit. */
  check(): void {
    const t = this.now();
    if (t - this.epochStart >= WINDOW) {
      this.epoch++;
      this.epochStart = t;
    }
    for (const flow of this.sessions) {
      const buffered = flow.session.connection.bufferedAmount;
      if (flow.dropping && flow.outbox === undefined && buffered <= this.threshold) flow.dropping = false;
      if (buffered === 0 && flow.outbox === undefined) flow.stalledSince = 0;
      else if (flow.stalledSince === 0) flow.stalledSince = t;
      else if (t - flow.stalledSince >= this.limits.sendTimeLimit) {
        flow.terminate('time', `Send buffer did not drain for sendTimeLimit (${this.limits.sendTimeLimit} ms)`);
      }
    }
  }
}
