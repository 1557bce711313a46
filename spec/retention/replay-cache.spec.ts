/**
 * ReplayCache, the messages a store rebuilt for one read and shares with the next readers of
 * the same offsets: per history (named with its epoch), bounded in bytes, oldest out first.
 */
import { BrokerMessage } from '../../broker/messaging/broker-message';
import { ReplayCache } from '../../broker/retention/replay-cache';

const message = (body: string): BrokerMessage => new BrokerMessage('/topic/r', Buffer.from(body), 'text/plain', [], undefined, true);
/** What the cache counts for a message of `n` body bytes. */
const cost = (n: number): number => 4 * n + 512;
/** `message` kept under history and offset (the cache rebuilds nothing when it has one). */
const keep = (cache: ReplayCache, history: string, offset: number, m: BrokerMessage): BrokerMessage | undefined => cache.shared(history, offset, () => m);
/** What the cache has for history and offset, rebuilding nothing. */
const get = (cache: ReplayCache, history: string, offset: number): BrokerMessage | undefined => {
  let kept = true;
  const m = cache.shared(history, offset, () => {
    kept = false;
    return undefined;
  });
  return kept ? m : undefined;
};

describe('ReplayCache', () => {
  it('gives the kept message back for its history and offset only', () => {
    const cache = new ReplayCache(1 << 20);
    const m = message('a');
    expect(keep(cache, 'h1', 0, m)).toBe(m);
    expect(get(cache, 'h1', 0)).toBe(m);
    expect(get(cache, 'h1', 1)).toBeUndefined();
    expect(get(cache, 'h2', 0)).toBeUndefined(); // another history (or the same one under a new epoch)
    expect(cache.bytes).toBe(cost(1));
  });

  it('answers a second keep of an offset with the message kept first, so concurrent reads still share one', () => {
    const cache = new ReplayCache(1 << 20);
    const first = keep(cache, 'h', 3, message('x'));
    expect(keep(cache, 'h', 3, message('x'))).toBe(first);
    expect(cache.bytes).toBe(cost(1));
  });

  it('stays within its bytes, evicting the oldest kept first, across histories', () => {
    const limit = 64 * cost(100);
    const cache = new ReplayCache(limit);
    const kept: BrokerMessage[] = [];
    for (let i = 0; i < 100; i++) kept.push(keep(cache, i % 2 === 0 ? 'even' : 'odd', i, message('b'.repeat(100)))!);
    expect(cache.bytes).toBeLessThanOrEqual(limit);
    expect(cache.bytes).toBe(64 * cost(100));
    for (let i = 0; i < 36; i++) expect(get(cache, i % 2 === 0 ? 'even' : 'odd', i)).toBeUndefined();
    for (let i = 36; i < 100; i++) expect(get(cache, i % 2 === 0 ? 'even' : 'odd', i)).toBe(kept[i]);
  });

  it('asks the store to rebuild only what it does not keep, and keeps nothing for what the store has not', () => {
    const cache = new ReplayCache(1 << 20);
    let rebuilt = 0;
    const m = message('a');
    const rebuild = (): BrokerMessage => (rebuilt++, m);
    expect(cache.shared('h', 0, rebuild)).toBe(m);
    expect(cache.shared('h', 0, rebuild)).toBe(m);
    expect(rebuilt).toBe(1);
    expect(cache.shared('h', 1, () => undefined)).toBeUndefined();
    expect(cache.bytes).toBe(cost(1));
  });

  it('does not keep a message larger than a 64th of its bytes, and limits what any message keeps of its frames', () => {
    const cache = new ReplayCache(64 * cost(100));
    const big = message('b'.repeat(101));
    expect(keep(cache, 'h', 0, big)).toBe(big);
    expect(get(cache, 'h', 0)).toBeUndefined();
    expect(cache.bytes).toBe(0);
    expect(big.frameCacheLimit).toBe(2);
  });
});
