import type { Clock } from '../../broker/stomp/heartbeat';

/** A {@link Clock} that moves only when told: heart-beat specs advance it instead of sleeping. */
export class ManualClock implements Clock {
  private t = 0;
  private timers: { ms: number; fn: () => void; next: number; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  every(ms: number, fn: () => void): () => void {
    const timer = { ms, fn, next: this.t + ms, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  /** Timers still running. */
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Moves time forward by `ms`, firing every due timer in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (due === undefined) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((t) => t.live);
  }
}
