/**
 * One timer for every session's heart-beats (STOMP 1.2 §"Heart-beating"), instead of two
 * timers per session: with thousands of mostly idle sessions, a periodic scan of flags is
 * cheaper in memory and CPU than rescheduling a timer on every write. Sessions set
 * `wrote`/`read` flags on the hot path (no clock reads there); each tick turns the flags into
 * timestamps, sends a heart-beat where the outgoing side was idle for its interval, and
 * reports a session whose incoming side was silent past its tolerance.
 */
export interface HeartbeatTarget {
  /** Set by the session whenever it writes anything. */
  wrote: boolean;
  /** Set by the session whenever it receives anything. */
  read: boolean;
  /** True while the session itself stopped reading (backpressure): not the client's silence. */
  readonly inputPaused?: boolean;
  /** Negotiated interval at which the server must write, ms (0: never). */
  readonly sendInterval: number;
  /** Negotiated interval at which the client must write, ms (0: never). */
  readonly receiveInterval: number;
  sendHeartbeat(): void;
  heartbeatTimedOut(silentFor: number): void;
}

interface Entry {
  lastWrite: number;
  lastRead: number;
}

export class HeartbeatScheduler {
  private readonly entries = new Map<HeartbeatTarget, Entry>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private tick = 0;

  constructor(
    private readonly tolerance: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(target: HeartbeatTarget): void {
    if (target.sendInterval === 0 && target.receiveInterval === 0) return;
    const t = this.now();
    this.entries.set(target, { lastWrite: t, lastRead: t });
    const shortest = Math.min(...[target.sendInterval, target.receiveInterval].filter((n) => n > 0));
    const wanted = Math.max(5, Math.min(1000, Math.floor(shortest / 4)));
    if (this.timer === undefined || wanted < this.tick) this.start(wanted);
  }

  delete(target: HeartbeatTarget): void {
    this.entries.delete(target);
    if (this.entries.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.tick = 0;
  }

  private start(tick: number): void {
    this.stop();
    this.tick = tick;
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref();
  }

  /** One pass over every session; public so tests with fake clocks can drive it. */
  check(): void {
    const t = this.now();
    for (const [target, entry] of this.entries) {
      if (target.read || target.inputPaused === true) {
        target.read = false;
        entry.lastRead = t;
      }
      if (target.wrote) {
        target.wrote = false;
        entry.lastWrite = t;
      }
      if (target.receiveInterval > 0 && t - entry.lastRead > target.receiveInterval * this.tolerance) {
        this.entries.delete(target);
        target.heartbeatTimedOut(t - entry.lastRead);
        continue;
      }
      // Send a little early (one tick) so the client never sees a gap longer than the interval.
      if (target.sendInterval > 0 && t - entry.lastWrite + this.tick >= target.sendInterval) {
        target.sendHeartbeat();
        target.wrote = false;
        entry.lastWrite = t;
      }
    }
  }
}
