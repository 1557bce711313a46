import { BrokerMessage } from '../../broker/messaging/broker-message';
import type { Subscriber, Subscription } from '../../broker/messaging/message-broker';
import { SimpleBroker } from '../../broker/messaging/simple-broker';
import { MemoryMessageStore, stamped } from '../../broker/retention/memory-store';
import { userHistoryKey } from '../../broker/retention/message-store';
import { Retention } from '../../broker/retention/retention';
import { RetentionRules } from '../../broker/retention/retention-rules';
import { OffsetWindow } from '../../broker/stomp/offset-window';

describe('OffsetWindow', () => {
  it('takes every offset once, in order or not: a late one (skipped, then after a newer one) is new, a repeat is not', () => {
    const w = new OffsetWindow(0);
    expect([0, 1, 3, 2, 4, 2, 3, 0, 5].map((o) => w.take(o))).toEqual([true, true, true, true, true, false, false, false, true]);
    expect(w.next).toBe(6);
  });

  it('drops what came before its floor (a replay already delivered it)', () => {
    const w = new OffsetWindow(10);
    expect([9, 10, 10, 12, 11, 11].map((o) => w.take(o))).toEqual([false, true, false, true, true, false]);
  });

  it('remembers only the 16 most recent skipped offsets, and no gap wider than that (a selector skips many)', () => {
    const w = new OffsetWindow(0);
    expect(w.take(1000)).toBe(true);
    expect(w.take(500)).toBe(false);
    for (let o = 1001; o < 1100; o += 2) w.take(o); // skips every other
    expect(w.take(1097)).toBe(false); // taken
    expect(w.take(1098)).toBe(true); // skipped, recent: late
    expect(w.take(1002)).toBe(false); // skipped long ago: forgotten
  });
});

describe('the replay gate of a subscription with history', () => {
  it('passes a live message that comes after a newer one of its epoch (two cluster nodes sending to one user), and drops a repeat', async () => {
    const broker = new SimpleBroker();
    const store = new MemoryMessageStore(1 << 20);
    const retention = new Retention(new RetentionRules([{ destinations: '/user/**', messages: 100 }]), store);
    const got: string[] = [];
    const subscriber: Subscriber = { sessionId: 's1', user: 'zhangsan', deliver: (_s, m) => got.push(Buffer.from(m.body).toString()) };
    const sub: Subscription = { id: 'sub-0', destination: '/user/queue/q', ack: 'auto', subscriber, user: 'zhangsan' };
    await broker.addSession(subscriber);
    const text = (body: string): BrokerMessage => new BrokerMessage('/user/queue/q', Buffer.from(body), 'text/plain', [], undefined, true);
    // Offsets 0 and 1 as the history assigns them.
    const first = store.append(userHistoryKey('zhangsan', '/user/queue/q'), text('m0'), { messages: 100, maxAge: Infinity });
    await retention.subscribe(broker, sub, { kind: 'offset', offset: 0, epoch: first.epoch });
    expect(got).toEqual(['m0']);
    const epoch = first.epoch;
    // Live, out of offset order: 2 arrives after 3 (another node's lookup answered first), then 3 again.
    for (const [offset, body] of [[1, 'm1'], [3, 'm3'], [2, 'm2'], [3, 'm3 again'], [4, 'm4']] as const) {
      await broker.publishToUser('zhangsan', stamped(text(body), offset, epoch));
    }
    expect(got).toEqual(['m0', 'm1', 'm3', 'm2', 'm4']);
    store.close();
  });
});
