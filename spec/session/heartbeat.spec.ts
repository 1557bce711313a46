import { HeartbeatScheduler, type HeartbeatTarget } from '../../broker/session/heartbeat';

/** A session as the scheduler sees it: flags, intervals, and what the scheduler asked of it. */
class Target implements HeartbeatTarget {
  wrote = false;
  read = false;
  readonly beats: number[] = [];
  readonly timeouts: number[] = [];
  onBeat: (() => void) | undefined;

  constructor(
    readonly sendInterval: number,
    readonly receiveInterval: number,
    private readonly clock: { now: number },
  ) {}

  sendHeartbeat(): void {
    this.beats.push(this.clock.now);
    this.onBeat?.();
  }

  heartbeatTimedOut(silentFor: number): void {
    this.timeouts.push(silentFor);
  }
}

let clock: { now: number };
let scheduler: HeartbeatScheduler;

beforeEach(() => {
  clock = { now: 0 };
  scheduler = new HeartbeatScheduler(2, () => clock.now);
});

afterEach(() => scheduler.stop());

/** Advances the fake clock in `step` ms steps up to `until`, checking at each step. */
function run(until: number, step: number, each?: () => void): void {
  while (clock.now < until) {
    clock.now += step;
    each?.();
    scheduler.check();
  }
}

describe('HeartbeatScheduler', () => {
  it('ignores a session with heart-beats off both ways', () => {
    scheduler.add(new Target(0, 0, clock));
    expect(scheduler.size).toBe(0);
  });

  it('tracks a session with either direction on', () => {
    scheduler.add(new Target(1000, 0, clock));
    scheduler.add(new Target(0, 1000, clock));
    expect(scheduler.size).toBe(2);
  });

  it('beats for an idle session, never leaving a gap longer than the send interval', () => {
    const t = new Target(1000, 0, clock);
    scheduler.add(t);
    run(10000, 50);
    expect(t.beats.length).toBeGreaterThanOrEqual(10);
    const gaps = t.beats.map((at, i) => at - (i === 0 ? 0 : t.beats[i - 1]));
    for (const gap of gaps) {
      expect(gap).toBeLessThanOrEqual(1000);
      expect(gap).toBeGreaterThanOrEqual(500);
    }
  });

  it('does not beat while the session writes', () => {
    const t = new Target(1000, 0, clock);
    scheduler.add(t);
    run(10000, 100, () => (t.wrote = true));
    expect(t.beats).toEqual([]);
  });

  it('reports a session silent for longer than receive interval × tolerance, once', () => {
    const t = new Target(0, 1000, clock);
    scheduler.add(t);
    clock.now = 2000;
    scheduler.check();
    expect(t.timeouts).toEqual([]);
    clock.now = 2001;
    scheduler.check();
    expect(t.timeouts).toEqual([2001]);
    expect(scheduler.size).toBe(0);
    clock.now = 9000;
    scheduler.check();
    expect(t.timeouts).toEqual([2001]);
  });

  it('counts silence from the last read', () => {
    const t = new Target(0, 1000, clock);
    scheduler.add(t);
    clock.now = 1500;
    t.read = true;
    scheduler.check();
    clock.now = 3500;
    scheduler.check();
    expect(t.timeouts).toEqual([]);
    clock.now = 3501;
    scheduler.check();
    expect(t.timeouts).toEqual([2001]);
  });

  it('does not count the time the session itself stopped reading as silence, and counts from when it reads again', () => {
    const t = new Target(0, 1000, clock) as Target & { inputPaused: boolean };
    t.inputPaused = true;
    scheduler.add(t);
    run(10000, 100);
    expect(t.timeouts).toEqual([]);
    t.inputPaused = false;
    clock.now = 12000;
    scheduler.check();
    expect(t.timeouts).toEqual([]);
    clock.now = 12001;
    scheduler.check();
    expect(t.timeouts).toEqual([2001]);
  });

  it('keeps a session that keeps reading', () => {
    const t = new Target(0, 1000, clock);
    scheduler.add(t);
    run(20000, 900, () => (t.read = true));
    expect(t.timeouts).toEqual([]);
    expect(scheduler.size).toBe(1);
  });

  it('applies its tolerance factor', () => {
    const lenient = new HeartbeatScheduler(3, () => clock.now);
    const t = new Target(0, 1000, clock);
    lenient.add(t);
    clock.now = 3000;
    lenient.check();
    expect(t.timeouts).toEqual([]);
    clock.now = 3001;
    lenient.check();
    expect(t.timeouts).toEqual([3001]);
    lenient.stop();
  });

  it('handles sessions independently', () => {
    const quiet = new Target(0, 1000, clock);
    const busy = new Target(0, 1000, clock);
    scheduler.add(quiet);
    scheduler.add(busy);
    run(2100, 100, () => (busy.read = true));
    expect(quiet.timeouts).toHaveLength(1);
    expect(busy.timeouts).toEqual([]);
    expect(scheduler.size).toBe(1);
  });

  it('forgets a deleted session', () => {
    const t = new Target(1000, 1000, clock);
    scheduler.add(t);
    scheduler.delete(t);
    expect(scheduler.size).toBe(0);
    run(5000, 100);
    expect(t.beats).toEqual([]);
    expect(t.timeouts).toEqual([]);
  });

  it('runs check() on its own timer with the real clock', async () => {
    const real = new HeartbeatScheduler(2);
    const t = new Target(20, 0, { now: 0 });
    const beat = new Promise<void>((resolve) => (t.onBeat = resolve));
    real.add(t);
    await beat;
    real.stop();
    expect(t.beats.length).toBeGreaterThanOrEqual(1);
  });
});
