import { BrokerMessage } from '../../broker/messaging/broker-message';
import { MAX_IDLE_HISTORIES, MemoryMessageStore, RECORD_OVERHEAD } from '../../broker/retention/memory-store';
import { userHistoryKey, type RetentionLimits } from '../../broker/retention/message-store';

const text = (destination: string, body: string, headers: [string, string][] = []): BrokerMessage =>
  new BrokerMessage(destination, Buffer.from(body), 'text/plain', headers, undefined, true);
const bodies = (read: { messages: readonly { message: BrokerMessage }[] }): string[] => read.messages.map((m) => Buffer.from(m.message.body).toString());
const KEEP_10: RetentionLimits = { messages: 10, maxAge: Number.POSITIVE_INFINITY };

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

let stores: MemoryMessageStore[] = [];
function store(budget = 1 << 20, now?: () => number): MemoryMessageStore {
  const s = new MemoryMessageStore(budget, now);
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
});

describe('MemoryMessageStore', () => {
  it('assigns consecutive offsets per key from 0, each key with its own epoch', () => {
    const s = store();
    expect([0, 1, 2].map((i) => s.append('/a', text('/a', `a${i}`), KEEP_10).offset)).toEqual([0, 1, 2]);
    expect(s.append('/b', text('/b', 'b0'), KEEP_10).offset).toBe(0);
    expect(s.head('/a')!.epoch).not.toBe(s.head('/b')!.epoch);
    expect(s.head('/a')).toMatchObject({ first: 0, next: 3 });
  });

  it('stamps the appended message with x-stream-offset and x-stream-epoch after its own headers', () => {
    const s = store();
    const { message, epoch } = s.append('/a', text('/a', 'x', [['color', 'red']]), KEEP_10);
    expect(message.headers).toEqual([['color', 'red'], ['x-stream-offset', '0'], ['x-stream-epoch', epoch]]);
  });

  it('gives another store (a restart) other epochs', () => {
    const a = store();
    const b = store();
    expect(a.append('/a', text('/a', 'x'), KEEP_10).epoch).not.toBe(b.append('/a', text('/a', 'x'), KEEP_10).epoch);
  });

  it('keeps exactly the newest `messages` of a key', () => {
    const s = store();
    for (let i = 0; i < 25; i++) s.append('/a', text('/a', `m${i}`), KEEP_10);
    const read = s.read('/a', { offset: 0 }, KEEP_10);
    expect(read).toMatchObject({ first: 15, next: 25 });
    expect(bodies(read)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 15}`));
    expect(s.stats()).toMatchObject({ messages: 10, dropped: { count: 15, age: 0, bytes: 0 } });
  });

  it('rebuilds replayed messages with their id, content type, headers, body and stream headers', () => {
    const s = store();
    const original = text('/a', 'héllo', [['k', 'v']]);
    const { epoch } = s.append('/a', original, KEEP_10);
    const [r] = s.read('/a', { offset: 0 }, KEEP_10).messages;
    expect(r.offset).toBe(0);
    expect(r.message.messageId).toBe(original.messageId);
    expect(r.message.contentType).toBe('text/plain');
    expect(Buffer.from(r.message.body).toString()).toBe('héllo');
    expect(r.message.headers).toEqual([['k', 'v'], ['x-stream-offset', '0'], ['x-stream-epoch', epoch]]);
  });

  it('keeps a binary body byte for byte, as a copy of its own', () => {
    const s = store();
    const big = Buffer.alloc(4096, 7);
    const view = big.subarray(100, 110);
    view.set([0xff, 0xfe, 0x00, 0x80]);
    s.append('/bin', new BrokerMessage('/bin', view, 'application/octet-stream'), KEEP_10);
    const [r] = s.read('/bin', { offset: 0 }, KEEP_10).messages;
    expect(Buffer.from(r.message.body)).toEqual(Buffer.from(view));
    // Not a view of the transport's buffer: the 4 KB around it is not what the store holds.
    expect((r.message.body as Uint8Array).buffer).not.toBe(big.buffer);
    big.fill(0);
    expect(Buffer.from(s.read('/bin', { offset: 0 }, KEEP_10).messages[0].message.body)).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x80, 7, 7, 7, 7, 7, 7]));
  });

  it('drops messages past maxAge, on read and by its sweep', async () => {
    const clock = fakeClock();
    const s = store(1 << 20, clock.now);
    const limits = { messages: 100, maxAge: 1000 };
    s.append('/a', text('/a', 'old'), limits);
    clock.advance(600);
    s.append('/a', text('/a', 'new'), limits);
    clock.advance(500);
    const read = s.read('/a', { offset: 0 }, limits);
    expect(bodies(read)).toEqual(['new']);
    expect(read.lastDroppedAt).toBe(clock.now() - 1100);
    expect(s.stats().dropped.age).toBe(1);
    clock.advance(1000);
    // No read: the sweep (every second) drops it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(s.stats().messages).toBe(0);
  });

  it('reads from a time: the first message appended at or after it', () => {
    const clock = fakeClock();
    const s = store(1 << 20, clock.now);
    const start = clock.now();
    for (let i = 0; i < 5; i++) {
      s.append('/a', text('/a', `m${i}`), KEEP_10);
      clock.advance(1000);
    }
    expect(bodies(s.read('/a', { timestamp: start + 2000 }, KEEP_10))).toEqual(['m2', 'm3', 'm4']);
    expect(bodies(s.read('/a', { timestamp: start + 1500 }, KEEP_10))).toEqual(['m2', 'm3', 'm4']);
    expect(bodies(s.read('/a', { timestamp: start + 9000 }, KEEP_10))).toEqual([]);
  });

  it('never lets a clock step backwards unorder a history', () => {
    const clock = fakeClock();
    const s = store(1 << 20, clock.now);
    s.append('/a', text('/a', 'a'), KEEP_10);
    clock.advance(-5000);
    s.append('/a', text('/a', 'b'), KEEP_10);
    const [a, b] = s.read('/a', { offset: 0 }, KEEP_10).messages;
    expect(b.timestamp).toBeGreaterThanOrEqual(a.timestamp);
  });

  it('drops the globally oldest messages first past the byte budget, whatever their key', () => {
    const each = RECORD_OVERHEAD + 100;
    const s = store(each * 4 + 10);
    const body = 'x'.repeat(100 - 13);
    const limits = { messages: 100, maxAge: Number.POSITIVE_INFINITY };
    const ids: string[] = [];
    for (const key of ['/a', '/b', '/a', '/b', '/c', '/c']) {
      const m = text(key, body);
      ids.push(m.messageId);
      // Size = overhead + body + id: keep every record the same size.
      expect(m.messageId.length + body.length).toBeLessThanOrEqual(100);
      s.append(key, m, limits);
    }
    expect(s.stats().messages).toBe(4);
    expect(s.stats().bytes).toBeLessThanOrEqual(s.stats().budget);
    expect(s.stats().dropped.bytes).toBe(2);
    // The first /a and the first /b went; /c keeps both.
    expect(s.head('/a')).toMatchObject({ first: 1, next: 2 });
    expect(s.head('/b')).toMatchObject({ first: 1, next: 2 });
    expect(s.head('/c')).toMatchObject({ first: 0, next: 2 });
  });

  it('stays within its budget under a long run of trims (stale slots are compacted)', () => {
    const s = store(64 * 1024);
    const limits = { messages: 3, maxAge: Number.POSITIVE_INFINITY };
    for (let i = 0; i < 20_000; i++) s.append(`/k${i % 50}`, text('/k', `body-${i}`), limits);
    expect(s.stats().messages).toBeLessThanOrEqual(150);
    expect(s.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    const internal = s as unknown as { order: { length: number } };
    expect(internal.order.length).toBeLessThan(3000);
  });

  it('forgets the least recently emptied history past MAX_IDLE_HISTORIES, which then starts under a new epoch', () => {
    const clock = fakeClock();
    const s = store(1 << 30, clock.now);
    const limits = { messages: 1, maxAge: 10 };
    const first = s.append('/idle/0', text('/idle/0', 'x'), limits).epoch;
    for (let i = 1; i <= MAX_IDLE_HISTORIES; i++) s.append(`/idle/${i}`, text('/idle', 'x'), limits);
    clock.advance(100);
    for (let i = 0; i <= MAX_IDLE_HISTORIES; i++) s.trim(`/idle/${i}`, limits);
    expect(s.head('/idle/0')).toBeUndefined();
    expect(s.head('/idle/1')).toMatchObject({ first: 1, next: 1 });
    const again = s.append('/idle/0', text('/idle/0', 'y'), limits);
    expect(again.offset).toBe(0);
    expect(again.epoch).not.toBe(first);
  });

  it('never forgets a history that holds messages: one a one-message rule emptied to make room is not idle', () => {
    const s = store(1 << 30);
    const one = { messages: 1, maxAge: Number.POSITIVE_INFINITY };
    s.append('/last', text('/last', 'a'), one);
    const { epoch } = s.append('/last', text('/last', 'b'), one); // room made: emptied for an instant
    // More emptied histories than are kept: the least recently emptied go, never /last.
    for (let i = 0; i <= MAX_IDLE_HISTORIES; i++) {
      s.append(`/gone/${i}`, text('/gone', 'x'), one);
      s.trim(`/gone/${i}`, { messages: 1, maxAge: -1 });
    }
    const read = s.read('/last', { offset: 0 }, one);
    expect(read).toMatchObject({ epoch, first: 1, next: 2 });
    expect(bodies(read)).toEqual(['b']);
  });

  it('shares a rebuilt message between readers (one decode, one encode per subscription id), keeping at most three of its frames', () => {
    const s = store();
    for (let i = 0; i < 3; i++) s.append('/r', text('/r', `m${i}`), KEEP_10);
    const a = s.read('/r', { offset: 0 }, KEEP_10).messages;
    const b = s.read('/r', { offset: 1 }, KEEP_10).messages;
    expect(b[0].message).toBe(a[1].message);
    expect(a[1].message.frame('1.2', 'sub-0', undefined)).toBe(b[0].message.frame('1.2', 'sub-0', undefined));
    // Frames for other subscription ids beyond two more are encoded, not kept: the cache's cost stays what it counts.
    const m = a[0].message;
    for (const id of ['sub-0', 'sub-1', 'sub-2', 'sub-3']) m.frame('1.2', id, undefined);
    expect(m.frame('1.2', 'sub-1', undefined)).toBe(m.frame('1.2', 'sub-1', undefined));
    expect(m.frame('1.2', 'sub-3', undefined)).not.toBe(m.frame('1.2', 'sub-3', undefined));
  });

  it('keeps user histories apart from destinations and from each other', () => {
    const s = store();
    s.append(userHistoryKey('ann', '/user/queue/x'), text('/user/queue/x', 'for ann'), KEEP_10);
    s.append(userHistoryKey('bob', '/user/queue/x'), text('/user/queue/x', 'for bob'), KEEP_10);
    expect(bodies(s.read(userHistoryKey('ann', '/user/queue/x'), { offset: 0 }, KEEP_10))).toEqual(['for ann']);
    expect(s.head('/user/queue/x')).toBeUndefined();
    expect(userHistoryKey('a', '1:b/x')).not.toBe(userHistoryKey('a1:b', '/x'));
  });
});
