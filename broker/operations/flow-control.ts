import { silentLogger, type Logger } from '../logger';
import type { Counters } from './counters';
import { SessionFlow, type FlowSession } from './session-flow';

export { SESSION_NOT_RELIABLE, SessionFlow, type FlowSession, type OutboundKind } from './session-flow';

/** What a session does when its client reads slower than the broker writes. */
export type SlowConsumerPolicy = 'terminate' | 'drop-oldest' | 'drop-newest';

/** The limits flow control enforces (a subset of the resolved options). */
export interface FlowLimits {
  readonly sendBufferLimit: number;
  readonly sendTimeLimit: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly maxFramesPerSecond: number;
}

const WINDOW = 1000; // ms: the frames-per-second window
const FAST_TICK = 50; // ms: how often own queues (drop-oldest) are flushed into sockets

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
      for (const flow of this.overflowing) {
        flow.flush();
        flow.releaseInput();
        if (flow.outbox === undefined && !flow.inputHeld) this.overflowing.delete(flow);
      }
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
