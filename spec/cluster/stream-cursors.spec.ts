import { StreamCursors } from '../../broker/cluster/stream-cursors';
import type { CatchUpCounts } from '../../broker/cluster/redis-message-store';
import { silentLogger } from '../../broker/logger';
import { BrokerMessage } from '../../broker/messaging/broker-message';
import { stamped } from '../../broker/retention/memory-store';
import type { HistoryRead } from '../../broker/retention/message-store';
import { eventually } from './services';

// The catch-up logic of a cluster node, against a history held here (the Redis side is
// spec/cluster/redis-history.spec.ts): what it delivers for in-order, repeated, skipped and
// re-epoched offsets, and what it counts as lost.

const D = '/topic/t';

function msg(offset: number, epoch = 'e1'): BrokerMessage {
  return stamped(new BrokerMessage(D, Buffer.from(`m${offset}`), undefined, [], `id${offset}`, true), offset, epoch);
}

function setup(history: { epoch: string; first: number; next: number } = { epoch: 'e1', first: 0, next: 0 }, fail = false) {
  const delivered: string[] = [];
  const counts: CatchUpCounts = { caughtUp: 0, lost: 0, failed: 0, ruleConflicts: 0 };
  const reads: number[] = [];
  const read = async (_d: string, from: number, count: number): Promise<HistoryRead> => {
    reads.push(from);
    if (fail) throw new Error('Connection is closed.');
    const start = Math.max(from, history.first);
    const end = Math.min(history.next, start + count);
    const messages = [];
    for (let o = start; o < end; o++) messages.push({ offset: o, timestamp: 0, message: msg(o, history.epoch) });
    return { ...history, lastDroppedAt: Number.NEGATIVE_INFINITY, messages };
  };
  const cursors = new StreamCursors(read, (m) => delivered.push(Buffer.from(m.body).toString()), counts, silentLogger, 100);
  const live = (offset: number, epoch = 'e1'): void => cursors.receive(D, offset, epoch, msg(offset, epoch));
  return { cursors, delivered, counts, reads, live, history };
}

describe('StreamCursors', () => {
  it('delivers consecutive offsets as they come and drops a second copy of one', () => {
    const { delivered, live, reads } = setup();
    for (const o of [0, 1, 1, 2, 0, 3]) live(o);
    expect(delivered).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(reads).toEqual([]);
  });

  it('reads a gap from the history, delivers it first, then what waited, in order', async () => {
    const s = setup({ epoch: 'e1', first: 0, next: 6 });
    s.live(0);
    s.live(4); // 1..3 missed
    s.live(5);
    await eventually('the catch-up', () => s.cursors.idle);
    expect(s.delivered).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(s.reads).toEqual([1]);
    expect(s.counts).toEqual({ caughtUp: 5, lost: 0, failed: 0, ruleConflicts: 0 });
  });

  it('counts what the history no longer holds as lost, and delivers the rest', async () => {
    const s = setup({ epoch: 'e1', first: 3, next: 6 });
    s.live(0);
    s.live(5);
    await eventually('the catch-up', () => s.cursors.idle);
    expect(s.delivered).toEqual(['m0', 'm3', 'm4', 'm5']);
    expect(s.counts.lost).toBe(2); // offsets 1 and 2
  });

  it('counts the gap as lost when the read fails, and goes on from the live message', async () => {
    const s = setup(undefined, true);
    s.live(0);
    s.live(3);
    await eventually('the catch-up', () => s.cursors.idle);
    expect(s.delivered).toEqual(['m0', 'm3']);
    expect(s.counts.lost).toBe(2);
    s.live(4);
    expect(s.delivered).toEqual(['m0', 'm3', 'm4']);
  });

  it('follows a history that restarted under a new epoch from its offset 0, reading what it missed of it', async () => {
    const s = setup({ epoch: 'e2', first: 0, next: 3 });
    s.live(7);
    s.live(8);
    s.live(2, 'e2'); // 0 and 1 of the new epoch missed
    await eventually('the catch-up', () => s.cursors.idle);
    expect(s.delivered).toEqual(['m7', 'm8', 'm0', 'm1', 'm2']);
  });

  it('catches up every remembered destination when the subscriber connection is back', async () => {
    const s = setup({ epoch: 'e1', first: 0, next: 4 });
    s.live(0);
    s.live(1);
    s.cursors.catchUpAll(); // 2 and 3 were published while the connection was cut
    await eventually('the catch-up', () => s.cursors.idle);
    expect(s.delivered).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(s.reads).toEqual([2]);
  });
});
