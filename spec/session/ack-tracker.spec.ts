import type { AckMode, Subscriber, Subscription } from '../../broker/messaging/message-broker';
import { AckTracker } from '../../broker/session/ack-tracker';

const subscriber: Subscriber = { sessionId: 's1', user: undefined, deliver: () => undefined };
const sub = (id: string, ack: AckMode): Subscription => ({ id, destination: `/queue/${id}`, ack, subscriber });

describe('AckTracker on STOMP 1.2', () => {
  it('hands out a distinct key per delivery', () => {
    const tracker = new AckTracker(100);
    const s = sub('a', 'client-individual');
    const keys = [tracker.track(s, 'm1', true), tracker.track(s, 'm2', true), tracker.track(s, 'm3', true)];
    expect(new Set(keys).size).toBe(3);
    expect(tracker.size).toBe(3);
  });

  it('settles only the named message of a client-individual subscription', () => {
    const tracker = new AckTracker(100);
    const s = sub('a', 'client-individual');
    const [k1, k2, k3] = ['m1', 'm2', 'm3'].map((m) => tracker.track(s, m, true));
    expect(tracker.settle(k2, true, undefined)).toBe(1);
    expect(tracker.size).toBe(2);
    expect(tracker.settle(k2, true, undefined)).toBe(0);
    expect(tracker.settle(k1, true, undefined)).toBe(1);
    expect(tracker.settle(k3, true, undefined)).toBe(1);
    expect(tracker.size).toBe(0);
  });

  it('settles the named message and every earlier one of its client subscription', () => {
    const tracker = new AckTracker(100);
    const s = sub('a', 'client');
    const [k1, k2, k3] = ['m1', 'm2', 'm3'].map((m) => tracker.track(s, m, true));
    expect(tracker.settle(k2, true, undefined)).toBe(2);
    expect(tracker.settle(k1, true, undefined)).toBe(0);
    expect(tracker.settle(k3, true, undefined)).toBe(1);
  });

  it('leaves other subscriptions alone when settling cumulatively', () => {
    const tracker = new AckTracker(100);
    const a = sub('a', 'client');
    const b = sub('b', 'client');
    tracker.track(a, 'm1', true);
    const kb = tracker.track(b, 'm2', true);
    const ka = tracker.track(a, 'm3', true);
    expect(tracker.settle(ka, true, undefined)).toBe(2);
    expect(tracker.size).toBe(1);
    expect(tracker.settle(kb, true, undefined)).toBe(1);
  });

  it('returns 0 for an unknown key', () => {
    const tracker = new AckTracker(100);
    tracker.track(sub('a', 'client'), 'm1', true);
    expect(tracker.settle('nope', true, undefined)).toBe(0);
    expect(tracker.size).toBe(1);
  });
});

describe('AckTracker on STOMP 1.0 and 1.1', () => {
  it('settles by subscription and message-id', () => {
    const tracker = new AckTracker(100);
    const s = sub('a', 'client-individual');
    tracker.track(s, 'm1', false);
    tracker.track(s, 'm2', false);
    expect(tracker.settle('m2', false, 'b')).toBe(0);
    expect(tracker.settle('m2', false, 'a')).toBe(1);
    expect(tracker.settle('m2', false, 'a')).toBe(0);
    expect(tracker.size).toBe(1);
  });

  it('finds the message by message-id alone when no subscription is named (1.0)', () => {
    const tracker = new AckTracker(100);
    tracker.track(sub('a', 'client'), 'm1', false);
    tracker.track(sub('b', 'client'), 'm2', false);
    expect(tracker.settle('m2', false, undefined)).toBe(1);
    expect(tracker.settle('m3', false, undefined)).toBe(0);
    expect(tracker.size).toBe(1);
  });

  it('settles cumulatively in client mode', () => {
    const tracker = new AckTracker(100);
    const s = sub('a', 'client');
    for (const m of ['m1', 'm2', 'm3']) tracker.track(s, m, false);
    expect(tracker.settle('m3', false, 'a')).toBe(3);
    expect(tracker.size).toBe(0);
  });
});

describe('AckTracker bounds and cleanup', () => {
  it('forgets the oldest entry past its bound', () => {
    const tracker = new AckTracker(2);
    const s = sub('a', 'client-individual');
    const [k1, k2, k3] = ['m1', 'm2', 'm3'].map((m) => tracker.track(s, m, true));
    expect(tracker.size).toBe(2);
    expect(tracker.settle(k1, true, undefined)).toBe(0);
    expect(tracker.settle(k2, true, undefined)).toBe(1);
    expect(tracker.settle(k3, true, undefined)).toBe(1);
  });

  it('never grows past its bound', () => {
    const tracker = new AckTracker(10);
    const s = sub('a', 'client');
    for (let i = 0; i < 1000; i++) tracker.track(s, `m${i}`, i % 2 === 0);
    expect(tracker.size).toBe(10);
  });

  it('forgets every pending message of one subscription', () => {
    const tracker = new AckTracker(100);
    const a = sub('a', 'client');
    const b = sub('b', 'client');
    tracker.track(a, 'm1', true);
    const kb = tracker.track(b, 'm2', true);
    tracker.track(a, 'm3', true);
    tracker.forget(a);
    expect(tracker.size).toBe(1);
    expect(tracker.settle(kb, true, undefined)).toBe(1);
  });
});
