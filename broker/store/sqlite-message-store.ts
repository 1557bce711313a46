import { randomBytes } from 'node:crypto';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import type { Appended, HistoryHead, HistoryKey, HistoryRead, MessageStore, Offset, ReadFrom, RetainedMessage, RetentionLimits, StoreStats } from '../retention/message-store';
import { streamHeaders } from '../retention/message-store';
import { MAX_IDLE_HISTORIES, RECORD_OVERHEAD, stamped } from '../retention/memory-store';
import { ReplayCache } from '../retention/replay-cache';
import type { SqliteDatabase, SqliteStatement, StorePart } from './sqlite-database';
import { decodeHeaders, encodeHeaders } from './stored-message';

/** How often histories are swept for messages past their rule's age, ms (as the memory store). */
const SWEEP_INTERVAL = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS histories (
  key TEXT PRIMARY KEY, destination TEXT NOT NULL, epoch TEXT NOT NULL,
  first INTEGER NOT NULL, next INTEGER NOT NULL, last_dropped_at INTEGER, emptied_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retained (
  seq INTEGER PRIMARY KEY, key TEXT NOT NULL, offset INTEGER NOT NULL, t INTEGER NOT NULL,
  id TEXT NOT NULL, content_type TEXT, headers TEXT, body BLOB NOT NULL, text INTEGER NOT NULL, size INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS retained_key_offset ON retained (key, offset);
`;

/** One history's head, kept in memory and written to `histories` when it changed. */
interface Head {
  readonly key: HistoryKey;
  readonly destination: string;
  readonly epoch: string;
  first: Offset;
  next: Offset;
  lastDroppedAt: number;
  /** Messages it holds in the file. */
  count: number;
  /** Time of its oldest message; `Infinity` when empty. */
  frontT: number;
  limits: RetentionLimits | undefined;
}

interface Row {
  offset: number;
  t: number;
  id: string;
  content_type: string | null;
  headers: string | null;
  body: Buffer;
  text: number;
}

/**
 * The SQLite {@link MessageStore} (docs/store.md): every destination's history in one file, so
 * offsets and epochs survive a restart and clients resume after it with
 * `x-stream-recovered:true`. An append takes its offset at once (in memory) and is written in
 * the turn's transaction; the promise it answers resolves after that COMMIT, so a message is
 * published, and its SEND receipted, only once it is on disk. Reads and heads commit what is
 * queued first, so they never disagree with an offset already given out.
 *
 * Limits as the memory store: each rule's count and age, and the byte budget
 * (`retentionBytes`, and the file's `maxBytes` shared with persistent queue messages) past
 * which the globally oldest retained message goes first.
 */
export class SqliteMessageStore implements MessageStore, StorePart {
  private heads = new Map<HistoryKey, Head>();
  private readonly dirty = new Set<Head>();
  /** Emptied histories, least recently emptied first (kept up to {@link MAX_IDLE_HISTORIES}). */
  private idle = new Set<HistoryKey>();
  private messages = 0;
  private readonly dropped = { count: 0, age: 0, bytes: 0 };
  private last = 0;
  private readonly epochPrefix = randomBytes(6).toString('base64url');
  private readonly replayCache = new ReplayCache();
  private epochCounter = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private readonly sql: Record<'insert' | 'range' | 'deleteRange' | 'front' | 'firstAt' | 'readOffset' | 'readTime' | 'oldest' | 'deleteSeq' | 'saveHead' | 'forget', SqliteStatement>;

  constructor(
    private readonly db: SqliteDatabase,
    /** The byte budget of retained messages (`retentionBytes`); the file's `maxBytes` bounds them too. */
    readonly budget: number,
    private readonly now: () => number = Date.now,
  ) {
    const h = db.handle;
    h.exec(SCHEMA);
    this.sql = {
      insert: h.prepare('INSERT INTO retained (key, offset, t, id, content_type, headers, body, text, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      range: h.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, max(t) AS t FROM retained WHERE key = ? AND offset < ?'),
      deleteRange: h.prepare('DELETE FROM retained WHERE key = ? AND offset < ?'),
      front: h.prepare('SELECT t FROM retained WHERE key = ? ORDER BY offset LIMIT 1'),
      firstAt: h.prepare('SELECT offset FROM retained WHERE key = ? AND t >= ? ORDER BY offset LIMIT 1'),
      readOffset: h.prepare('SELECT offset, t, id, content_type, headers, body, text FROM retained WHERE key = ? AND offset >= ? ORDER BY offset LIMIT ?'),
      readTime: h.prepare('SELECT offset, t, id, content_type, headers, body, text FROM retained WHERE key = ? AND t >= ? ORDER BY offset LIMIT ?'),
      oldest: h.prepare('SELECT seq, key, offset, t, size FROM retained ORDER BY seq LIMIT 256'),
      deleteSeq: h.prepare('DELETE FROM retained WHERE seq = ?'),
      saveHead: h.prepare('INSERT OR REPLACE INTO histories (key, destination, epoch, first, next, last_dropped_at, emptied_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      forget: h.prepare('DELETE FROM histories WHERE key = ?'),
    };
    this.reload();
    db.attach(this);
  }

  append(key: HistoryKey, message: BrokerMessage, limits: RetentionLimits): Promise<Appended> {
    let head = this.heads.get(key);
    if (head === undefined) {
      head = { key, destination: message.destination, epoch: `${this.epochPrefix}${(this.epochCounter++).toString(36)}`, first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY, count: 0, frontT: Number.POSITIVE_INFINITY, limits };
      this.heads.set(key, head);
      this.startSweeping();
    }
    head.limits = limits;
    const offset = head.next++;
    const t = this.clock();
    let size = RECORD_OVERHEAD + message.body.byteLength + message.messageId.length;
    for (const [name, value] of message.headers) size += name.length + value.length + 16;
    const h = head;
    const appended: Appended = { offset, epoch: head.epoch, message: stamped(message, offset, head.epoch) };
    return this.db
      .write(() => {
        this.sql.insert.run(key, offset, t, message.messageId, message.contentType ?? null, encodeHeaders(message.headers), message.body, message.binary ? 0 : 1, size);
        if (h.count === 0) this.idle.delete(key);
        h.count++;
        if (h.count === 1) h.frontT = t;
        this.messages++;
        this.db.counts.retained += size;
        this.dirty.add(h);
        this.trimHead(h, t);
      })
      .then(() => appended);
  }

  read(key: HistoryKey, from: ReadFrom, limits: RetentionLimits, limit = Number.POSITIVE_INFINITY): HistoryRead {
    const head = this.heads.get(key);
    if (head === undefined) {
      this.db.flush();
      return { epoch: '', first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY, messages: [] };
    }
    head.limits = limits;
    this.db.now(() => {
      this.trimHead(head, this.clock());
      this.settle();
    });
    const max = limit === Number.POSITIVE_INFINITY ? -1 : limit;
    const rows = ('offset' in from ? this.sql.readOffset.all(key, Math.max(from.offset, head.first), max) : this.sql.readTime.all(key, from.timestamp, max)) as Row[];
    const messages: RetainedMessage[] = rows.map((r) => this.rebuild(head, r));
    return { ...headOf(head), messages };
  }

  head(key: HistoryKey): HistoryHead | undefined {
    this.db.flush();
    const head = this.heads.get(key);
    return head === undefined ? undefined : headOf(head);
  }

  trim(key: HistoryKey, limits: RetentionLimits): void {
    const head = this.heads.get(key);
    if (head === undefined) return;
    head.limits = limits;
    void this.db.write(() => this.trimHead(head, this.clock()));
  }

  stats(): StoreStats {
    return { destinations: this.heads.size, messages: this.messages, bytes: this.db.counts.retained, budget: this.budget, dropped: { ...this.dropped } };
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.closed) return;
    this.closed = true;
    this.timer = undefined;
    this.db.release();
  }

  /** Inside every write transaction: the byte budget, then the heads that changed. */
  settle(): void {
    const { counts } = this.db;
    const max = this.db.options.maxBytes;
    while (this.messages > 0 && (counts.retained > this.budget || counts.retained + counts.queued > max)) this.dropOldest();
    for (const head of this.dirty) {
      const emptiedAt = head.count === 0 ? this.last : null;
      this.sql.saveHead.run(head.key, head.destination, head.epoch, head.first, head.next, Number.isFinite(head.lastDroppedAt) ? head.lastDroppedAt : null, emptiedAt);
    }
    this.dirty.clear();
  }

  /** Loads the heads from the file (at start, and after a transaction rolled back). */
  reload(): void {
    const h = this.db.handle;
    this.heads = new Map();
    this.idle = new Set();
    this.dirty.clear();
    const counts = new Map((h.prepare('SELECT key, count(*) AS n, min(t) AS t FROM retained GROUP BY key').all() as { key: string; n: number; t: number }[]).map((r) => [r.key, r]));
    const rows = h.prepare('SELECT key, destination, epoch, first, next, last_dropped_at, emptied_at FROM histories ORDER BY emptied_at').all() as {
      key: string;
      destination: string;
      epoch: string;
      first: number;
      next: number;
      last_dropped_at: number | null;
      emptied_at: number | null;
    }[];
    for (const r of rows) {
      const c = counts.get(r.key);
      this.heads.set(r.key, { key: r.key, destination: r.destination, epoch: r.epoch, first: r.first, next: r.next, lastDroppedAt: r.last_dropped_at ?? Number.NEGATIVE_INFINITY, count: c?.n ?? 0, frontT: c?.t ?? Number.POSITIVE_INFINITY, limits: undefined });
      if (c === undefined) this.idle.add(r.key);
    }
    const total = h.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, coalesce(max(t), 0) AS t FROM retained').get() as { n: number; bytes: number; t: number };
    this.messages = total.n;
    this.db.counts.retained = total.bytes;
    this.last = Math.max(this.last, total.t);
    if (this.heads.size > 0) this.startSweeping();
  }

  /** Drops what the head's rule no longer keeps: past its count, older than its age. */
  private trimHead(head: Head, t: number): void {
    const limits = head.limits;
    if (limits === undefined) return;
    if (head.next - head.first > limits.messages) this.dropBefore(head, head.next - limits.messages, 'count');
    if (head.frontT < t - limits.maxAge) {
      const kept = this.sql.firstAt.get(head.key, t - limits.maxAge) as { offset: number } | undefined;
      this.dropBefore(head, kept?.offset ?? head.next, 'age');
    }
  }

  private dropBefore(head: Head, offset: Offset, reason: 'count' | 'age'): void {
    const gone = this.sql.range.get(head.key, offset) as { n: number; bytes: number; t: number | null };
    if (gone.n > 0) {
      this.sql.deleteRange.run(head.key, offset);
      this.messages -= gone.n;
      this.db.counts.retained -= gone.bytes;
      this.dropped[reason] += gone.n;
      head.count -= gone.n;
      head.lastDroppedAt = Math.max(head.lastDroppedAt, gone.t!);
    }
    head.first = Math.max(head.first, offset);
    head.frontT = head.count === 0 ? Number.POSITIVE_INFINITY : (this.sql.front.get(head.key) as { t: number }).t;
    this.dirty.add(head);
    if (head.count === 0) this.emptied(head);
  }

  /** The byte budget: drops the globally oldest retained messages (append order), whatever their destination. */
  private dropOldest(): void {
    const { counts } = this.db;
    const max = this.db.options.maxBytes;
    for (const r of this.sql.oldest.all() as { seq: number; key: string; offset: number; t: number; size: number }[]) {
      if (!(counts.retained > this.budget || counts.retained + counts.queued > max)) return;
      this.sql.deleteSeq.run(r.seq);
      this.messages--;
      counts.retained -= r.size;
      this.dropped.bytes++;
      const head = this.heads.get(r.key);
      if (head === undefined) continue;
      head.count--;
      head.first = Math.max(head.first, r.offset + 1);
      head.lastDroppedAt = Math.max(head.lastDroppedAt, r.t);
      head.frontT = head.count === 0 ? Number.POSITIVE_INFINITY : (this.sql.front.get(head.key) as { t: number }).t;
      this.dirty.add(head);
      if (head.count === 0) this.emptied(head);
    }
  }

  private emptied(head: Head): void {
    this.idle.add(head.key);
    if (this.idle.size <= MAX_IDLE_HISTORIES) return;
    // Forgotten: a later append starts it again under a new epoch, never reusing offsets under the old one.
    const oldest = this.idle.values().next().value as HistoryKey;
    const forgotten = this.heads.get(oldest);
    this.idle.delete(oldest);
    this.heads.delete(oldest);
    if (forgotten !== undefined) this.dirty.delete(forgotten);
    this.sql.forget.run(oldest);
  }

  /** A row's MESSAGE with its stream headers: decoded once and shared by the readers that follow while the cache keeps it (epochs are unique to a history). */
  private rebuild(head: Head, r: Row): RetainedMessage {
    const message = this.replayCache.shared(head.epoch, r.offset, () => {
      const headers: HeaderPair[] = decodeHeaders(r.headers);
      headers.push(...streamHeaders(r.offset, head.epoch));
      return new BrokerMessage(head.destination, r.body, r.content_type ?? undefined, headers, r.id, r.text === 1);
    })!;
    return { offset: r.offset, timestamp: r.t, message };
  }

  /** Now, never going back (a clock step backwards, or a restart on a clock behind the file's, must not unorder a history). */
  private clock(): number {
    const t = this.now();
    if (t > this.last) this.last = t;
    return this.last;
  }

  private startSweeping(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      const t = this.clock();
      for (const head of this.heads.values()) {
        if (head.count > 0 && head.limits !== undefined && head.frontT < t - head.limits.maxAge) void this.db.write(() => this.trimHead(head, t));
      }
    }, SWEEP_INTERVAL);
    this.timer.unref();
  }
}

function headOf(head: Head): HistoryHead {
  return { epoch: head.epoch, first: head.first, next: head.next, lastDroppedAt: head.lastDroppedAt };
}
