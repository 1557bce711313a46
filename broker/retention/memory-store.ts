import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import type {
  Appended,
  HistoryHead,
  HistoryKey,
  HistoryRead,
  MessageStore,
  Offset,
  ReadFrom,
  RetainedMessage,
  RetentionLimits,
  StoreStats,
} from './message-store';

/**
 * What the budget counts for one retained message besides its body and header characters:
 * the record, its slots in two queues, its id and string headers (measured: about 200 bytes of
 * heap per record on Node 20; see spec/retention/memory.spec.ts).
 */
export const RECORD_OVERHEAD = 200;
/** Emptied histories kept (with their offsets and epoch) before the least recently emptied is forgotten. */
export const MAX_IDLE_HISTORIES = 10_000;
/** How often histories are swept for messages past their rule's age, ms. */
const SWEEP_INTERVAL = 1000;

/**
 * One retained message, compact: a text body as a string (one byte per ASCII character in
 * V8), a binary one as its own copy (never a view that would keep a transport's whole buffer
 * alive), its time relative to the store's start (a small integer), and no `x-stream-*`
 * headers: those are added when a read rebuilds the MESSAGE.
 */
class StoredRecord {
  constructor(
    public body: string | Uint8Array,
    readonly t: number,
    readonly id: string,
    readonly contentType: string | undefined,
    readonly headers: readonly HeaderPair[] | undefined,
    readonly size: number,
    /** The history holding it; unset once it left that history (then only the global queue still names it). */
    public history: History | undefined,
  ) {}
}

/** One destination's history: a queue of records with a moving head, offsets implicit. */
class History {
  records: StoredRecord[] = [];
  head = 0;
  /** Offset of records[head]. */
  first: Offset = 0;
  next: Offset = 0;
  lastDroppedAt = Number.NEGATIVE_INFINITY;
  constructor(
    readonly key: HistoryKey,
    readonly destination: string,
    readonly epoch: string,
    public limits: RetentionLimits,
  ) {}

  get size(): number {
    return this.next - this.first;
  }

  front(): StoredRecord | undefined {
    return this.records[this.head];
  }

  shift(): StoredRecord {
    const rec = this.records[this.head];
    this.records[this.head++] = undefined as unknown as StoredRecord;
    this.first++;
    // Compact now and then: amortized O(1), the array never holds more than twice what is kept.
    if (this.head >= 1024 && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return rec;
  }

  at(offset: Offset): StoredRecord {
    return this.records[this.head + (offset - this.first)];
  }
}

type DropReason = 'count' | 'age' | 'bytes';

/**
 * The in-memory {@link MessageStore}: O(1) append, reads by offset in O(1) and by time in
 * O(log n), and one server-wide byte budget. Every record also sits in one global queue in
 * append order, so the budget drops the globally oldest message first, whatever its
 * destination; records that left their history earlier (count or age) stay there as empty
 * slots, released from the body at once and compacted away in amortized O(1).
 *
 * Nothing survives the process: a restart gives every destination a new epoch, so a client
 * that resumes with an old epoch is told its resume was incomplete.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly histories = new Map<HistoryKey, History>();
  /** Histories emptied by trimming, least recently emptied first (kept up to {@link MAX_IDLE_HISTORIES}). */
  private readonly idle = new Set<HistoryKey>();
  private all: StoredRecord[] = [];
  private allHead = 0;
  /** Slots of `all` whose record already left its history. */
  private stale = 0;
  private messages = 0;
  private bytes = 0;
  private readonly dropped = { count: 0, age: 0, bytes: 0 };
  /** Start of relative time: records keep `now - base`, a small integer. */
  private readonly base: number;
  private last = 0;
  /** Random per store, so epochs never repeat across restarts; a counter makes each history's own. */
  private readonly epochPrefix = randomBytes(6).toString('base64url');
  private epochCounter = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    /** The byte budget of every history together (`retentionBytes`). */
    readonly budget: number,
    private readonly now: () => number = Date.now,
  ) {
    this.base = now();
  }

  append(key: HistoryKey, message: BrokerMessage, limits: RetentionLimits): Appended {
    let history = this.histories.get(key);
    if (history === undefined) {
      history = new History(key, message.destination, `${this.epochPrefix}${(this.epochCounter++).toString(36)}`, limits);
      this.histories.set(key, history);
      this.startSweeping();
    } else {
      history.limits = limits;
      if (history.size === 0) this.idle.delete(key);
    }
    const t = this.clock();
    const body = compactBody(message);
    let size = RECORD_OVERHEAD + message.body.byteLength + message.messageId.length;
    for (const [name, value] of message.headers) size += name.length + value.length + 16;
    const rec = new StoredRecord(body, t, message.messageId, message.contentType, message.headers.length === 0 ? undefined : message.headers, size, history);
    const offset = history.next++;
    history.records.push(rec);
    this.all.push(rec);
    this.messages++;
    this.bytes += size;
    this.trimHistory(history, t);
    while (this.bytes > this.budget && this.messages > 0) this.dropOldest();
    return { offset, epoch: history.epoch, message: stamped(message, offset, history.epoch) };
  }

  read(key: HistoryKey, from: ReadFrom, limits: RetentionLimits, limit = Number.POSITIVE_INFINITY): HistoryRead {
    const history = this.histories.get(key);
    if (history === undefined) return { epoch: '', first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY, messages: [] };
    history.limits = limits;
    this.trimHistory(history, this.clock());
    let start = 'offset' in from ? Math.max(from.offset, history.first) : this.firstAtOrAfter(history, from.timestamp - this.base);
    const end = Math.min(history.next, start + limit);
    const messages: RetainedMessage[] = [];
    for (; start < end; start++) messages.push(this.rebuild(history, history.at(start), start));
    return { ...this.headOf(history), messages };
  }

  head(key: HistoryKey): HistoryHead | undefined {
    const history = this.histories.get(key);
    return history === undefined ? undefined : this.headOf(history);
  }

  trim(key: HistoryKey, limits: RetentionLimits): void {
    const history = this.histories.get(key);
    if (history === undefined) return;
    history.limits = limits;
    this.trimHistory(history, this.clock());
  }

  stats(): StoreStats {
    return { destinations: this.histories.size, messages: this.messages, bytes: this.bytes, budget: this.budget, dropped: { ...this.dropped } };
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Drops what the history's rule no longer keeps: past its count, older than its age. */
  private trimHistory(history: History, t: number): void {
    const { messages, maxAge } = history.limits;
    while (history.size > messages) this.dropFront(history, 'count');
    const oldest = t - maxAge;
    for (let rec = history.front(); rec !== undefined && rec.t < oldest; rec = history.front()) this.dropFront(history, 'age');
  }

  private dropFront(history: History, reason: DropReason): void {
    const rec = history.shift();
    rec.history = undefined;
    rec.body = ''; // the global queue may name it a while longer: let the body go now
    history.lastDroppedAt = rec.t + this.base;
    this.messages--;
    this.bytes -= rec.size;
    this.dropped[reason]++;
    if (reason !== 'bytes') this.stale++;
    if (history.size === 0) this.emptied(history);
    this.compactAll();
  }

  /** The byte budget: drops the globally oldest retained message, whatever its destination. */
  private dropOldest(): void {
    while (this.allHead < this.all.length) {
      const rec = this.all[this.allHead];
      this.all[this.allHead++] = undefined as unknown as StoredRecord;
      if (rec.history === undefined) {
        this.stale--;
        continue;
      }
      // Appends are in time order everywhere, so the global oldest is its history's front.
      this.dropFront(rec.history, 'bytes');
      return;
    }
  }

  private compactAll(): void {
    if (this.allHead >= 1024 && this.allHead * 2 >= this.all.length) {
      this.all = this.all.slice(this.allHead);
      this.allHead = 0;
    }
    if (this.stale > 1024 && this.stale * 2 > this.all.length - this.allHead) {
      this.all = this.all.slice(this.allHead).filter((r) => r.history !== undefined);
      this.allHead = 0;
      this.stale = 0;
    }
  }

  private emptied(history: History): void {
    this.idle.add(history.key);
    if (this.idle.size <= MAX_IDLE_HISTORIES) return;
    // Forgotten: a later append starts it again under a new epoch, never reusing offsets under the old one.
    const oldest = this.idle.values().next().value as HistoryKey;
    this.idle.delete(oldest);
    this.histories.delete(oldest);
  }

  private headOf(history: History): HistoryHead {
    return { epoch: history.epoch, first: history.first, next: history.next, lastDroppedAt: history.lastDroppedAt };
  }

  /** Offset of the first record appended at or after relative time `t` (binary search: appends are in time order). */
  private firstAtOrAfter(history: History, t: number): Offset {
    let lo = history.first;
    let hi = history.next;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (history.at(mid).t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private rebuild(history: History, rec: StoredRecord, offset: Offset): RetainedMessage {
    const text = typeof rec.body === 'string';
    const body = text ? Buffer.from(rec.body as string, 'utf8') : (rec.body as Uint8Array);
    const headers: HeaderPair[] = rec.headers === undefined ? [] : [...rec.headers];
    headers.push(['x-stream-offset', String(offset)], ['x-stream-epoch', history.epoch]);
    const message = new BrokerMessage(history.destination, body, rec.contentType, headers, rec.id, text);
    return { offset, timestamp: rec.t + this.base, message };
  }

  /** Relative now, never going back (a clock step backwards must not unorder a history). */
  private clock(): number {
    const t = this.now() - this.base;
    if (t > this.last) this.last = t;
    return this.last;
  }

  private startSweeping(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      const t = this.clock();
      for (const history of this.histories.values()) if (history.size > 0 && history.limits.maxAge !== Number.POSITIVE_INFINITY) this.trimHistory(history, t);
    }, SWEEP_INTERVAL);
    this.timer.unref();
  }
}

/** The message with its stream headers, as live subscribers get it. */
export function stamped(message: BrokerMessage, offset: Offset, epoch: string): BrokerMessage {
  const headers: HeaderPair[] = [...message.headers, ['x-stream-offset', String(offset)], ['x-stream-epoch', epoch]];
  return new BrokerMessage(message.destination, message.body, message.contentType, headers, message.messageId, !message.binary);
}

/** A body as the store keeps it: UTF-8 text as a string, anything else as a copy of its own. */
function compactBody(message: BrokerMessage): string | Uint8Array {
  const body = message.body;
  if (!message.binary) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return new Uint8Array(body);
}
