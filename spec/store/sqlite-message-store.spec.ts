/**
 * SqliteMessageStore on a real file: the MessageStore contract of the memory store (offsets,
 * epochs, count, age and byte limits, reads by offset and time), plus what only a file gives:
 * a store opened again on the file has the same heads, epochs and messages, and one commit
 * holds every append of a turn.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerMessage } from '../../broker/messaging/broker-message';
import { silentLogger } from '../../broker';
import { RECORD_OVERHEAD } from '../../broker/retention/memory-store';
import { userHistoryKey, type RetentionLimits } from '../../broker/retention/message-store';
import { SqliteDatabase } from '../../broker/store/sqlite-database';
import { SqliteMessageStore } from '../../broker/store/sqlite-message-store';
import { resolveStoreOption, type ResolvedSqliteOptions } from '../../broker/store/store-options';
import { tempDir } from './support';

const text = (destination: string, body: string, headers: [string, string][] = []): BrokerMessage => new BrokerMessage(destination, Buffer.from(body), 'text/plain', headers, undefined, true);
const bodies = (read: { messages: readonly { message: BrokerMessage }[] }): string[] => read.messages.map((m) => Buffer.from(m.message.body).toString());
const KEEP_10: RetentionLimits = { messages: 10, maxAge: Number.POSITIVE_INFINITY };

let dir: string;
let open: SqliteMessageStore[] = [];

function options(extra: Record<string, unknown> = {}): ResolvedSqliteOptions {
  return (resolveStoreOption({ sqlite: { file: join(dir, 'store.db'), synchronous: 'normal', ...extra } }) as { sqlite: ResolvedSqliteOptions }).sqlite;
}

function store(budget = 1 << 20, now?: () => number, extra: Record<string, unknown> = {}): { s: SqliteMessageStore; db: SqliteDatabase } {
  const db = SqliteDatabase.open(options(extra), silentLogger);
  const s = new SqliteMessageStore(db, budget, now);
  open.push(s);
  return { s, db };
}

function reopen(s: SqliteMessageStore, budget?: number, now?: () => number): SqliteMessageStore {
  s.close();
  return store(budget, now).s;
}

beforeEach(() => {
  dir = tempDir();
});

afterEach(() => {
  for (const s of open) s.close();
  open = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteMessageStore', () => {
  it('assigns consecutive offsets per key at once and resolves each append after its commit', async () => {
    const { s, db } = store();
    const appends = [0, 1, 2].map((i) => s.append('/a', text('/a', `a${i}`), KEEP_10));
    expect(db.commits).toBe(0); // nothing committed within the turn
    expect((await Promise.all(appends)).map((a) => a.offset)).toEqual([0, 1, 2]);
    expect(db.commits).toBe(1); // the turn's three appends: one transaction
    const b = await s.append('/b', text('/b', 'b0'), KEEP_10);
    expect(b.offset).toBe(0);
    expect(s.head('/a')).toMatchObject({ first: 0, next: 3 });
    expect(b.epoch).not.toBe(s.head('/a')!.epoch);
  });

  it('keeps heads, epochs and messages across a reopen of the file, and goes on at the next offset', async () => {
    let { s } = store();
    const first = await s.append('/a', text('/a', 'héllo', [['k', 'v']]), KEEP_10);
    await s.append('/a', text('/a', 'two'), KEEP_10);
    s = reopen(s);
    expect(s.head('/a')).toMatchObject({ epoch: first.epoch, first: 0, next: 2 });
    const read = s.read('/a', { offset: 0 }, KEEP_10);
    expect(bodies(read)).toEqual(['héllo', 'two']);
    expect(read.messages[0].message.headers).toEqual([['k', 'v'], ['x-stream-offset', '0'], ['x-stream-epoch', first.epoch]]);
    expect(read.messages[0].message.messageId).toBe(first.message.messageId);
    expect(read.messages[0].message.contentType).toBe('text/plain');
    expect((await s.append('/a', text('/a', 'three'), KEEP_10)).offset).toBe(2);
    expect(s.stats().messages).toBe(3);
  });

  it("keeps a principal-form user history under its own key (NUL and all) across a reopen", async () => {
    let { s } = store();
    const key = userHistoryKey('zhangsan', '/user/queue/x');
    const { epoch } = await s.append(key, text('/user/queue/x', 'for zhangsan'), KEEP_10);
    s = reopen(s);
    expect(s.head(key)).toMatchObject({ epoch, next: 1 });
    expect(s.head(userHistoryKey('lisi', '/user/queue/x'))).toBeUndefined();
    const read = s.read(key, { offset: 0 }, KEEP_10);
    expect(bodies(read)).toEqual(['for zhangsan']);
    expect(read.messages[0].message.destination).toBe('/user/queue/x');
  });

  it('commits queued appends before a read or a head, so they never disagree with an offset given out', () => {
    const { s } = store();
    void s.append('/a', text('/a', 'queued'), KEEP_10);
    expect(bodies(s.read('/a', { offset: 0 }, KEEP_10))).toEqual(['queued']);
    void s.append('/a', text('/a', 'again'), KEEP_10);
    expect(s.head('/a')!.next).toBe(2);
  });

  it('keeps exactly the newest `messages` of a key, also after a reopen', async () => {
    let { s } = store();
    for (let i = 0; i < 25; i++) await s.append('/a', text('/a', `m${i}`), KEEP_10);
    s = reopen(s);
    const read = s.read('/a', { offset: 0 }, KEEP_10);
    expect(read).toMatchObject({ first: 15, next: 25 });
    expect(bodies(read)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 15}`));
    expect(s.stats().messages).toBe(10);
  });

  it('drops by age, reads from a time, and remembers when it last dropped', async () => {
    let t = 1_700_000_000_000;
    const { s } = store(1 << 20, () => t);
    const limits: RetentionLimits = { messages: 100, maxAge: 1000 };
    for (let i = 0; i < 5; i++) {
      await s.append('/a', text('/a', `m${i}`), limits);
      t += 400;
    }
    // m0 at t0 … m4 at t0+1600; now t0+2000: m0, m1, m2 (≤ t0+800) are older than 1000 ms.
    const read = s.read('/a', { offset: 0 }, limits);
    expect(bodies(read)).toEqual(['m3', 'm4']);
    expect(read.lastDroppedAt).toBe(1_700_000_000_800);
    expect(s.stats().dropped.age).toBe(3);
    expect(bodies(s.read('/a', { timestamp: 1_700_000_001_600 }, limits))).toEqual(['m4']);
  });

  it('drops the globally oldest messages past the byte budget, whatever their key', async () => {
    const size = RECORD_OVERHEAD + 10 + 'x'.length; // body 'aaaaaaaaaa', no headers; message id counted below
    const { s } = store(5 * (size + 30));
    const big: RetentionLimits = { messages: 1000, maxAge: Number.POSITIVE_INFINITY };
    for (let i = 0; i < 6; i++) await s.append(i % 2 === 0 ? '/a' : '/b', text(i % 2 === 0 ? '/a' : '/b', 'aaaaaaaaaa'), big);
    expect(s.stats().bytes).toBeLessThanOrEqual(5 * (size + 30));
    expect(s.stats().dropped.bytes).toBeGreaterThanOrEqual(1);
    expect(s.head('/a')!.first).toBe(1); // /a's offset 0 was the oldest of all
    expect(s.head('/b')!.first).toBe(0);
  });

  it('shares maxBytes with queue messages: retained history yields first', async () => {
    const { s, db } = store(1 << 20, undefined, { maxBytes: 65536 });
    const limits: RetentionLimits = { messages: 10_000, maxAge: Number.POSITIVE_INFINITY };
    for (let i = 0; i < 40; i++) await s.append('/a', text('/a', 'x'.repeat(1000)), limits);
    expect(s.stats().bytes).toBeGreaterThan(40_000);
    db.counts.queued = 60_000; // as if persistent queue messages took most of the file
    await s.append('/a', text('/a', 'last'), limits);
    expect(db.counts.retained + db.counts.queued).toBeLessThanOrEqual(65536);
    expect(bodies(s.read('/a', { offset: 0 }, limits)).at(-1)).toBe('last');
    db.counts.queued = 0;
  });

  it('refuses a write after the file closed with STOMP_ERR_SERVER_SHUTDOWN, and nothing is left unhandled', async () => {
    const { s, db } = store();
    s.close();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      void db.write(() => undefined); // a mark nobody awaits
      await expect(db.write(() => undefined)).rejects.toMatchObject({ code: 'STOMP_ERR_SERVER_SHUTDOWN' });
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('shares a decoded message between readers of the same offset, and a store opened again decodes its own', async () => {
    const { s } = store();
    await Promise.all([0, 1, 2].map((i) => s.append('/r', text('/r', `m${i}`), KEEP_10)));
    const a = s.read('/r', { offset: 0 }, KEEP_10).messages;
    const b = s.read('/r', { offset: 1 }, KEEP_10).messages;
    expect(b[0].message).toBe(a[1].message);
    expect(a[1].message.frame('1.2', 'sub-0', undefined)).toBe(b[0].message.frame('1.2', 'sub-0', undefined));
    const again = reopen(s).read('/r', { offset: 0 }, KEEP_10);
    expect(bodies(again)).toEqual(['m0', 'm1', 'm2']);
    expect(again.messages[1].message).not.toBe(a[1].message);
    expect(again.messages[1].message.headers).toEqual(a[1].message.headers);
  });
});
