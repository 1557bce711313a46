import { randomBytes } from 'node:crypto';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import { HistoryLog } from './history-log';
import { RecordArena } from './record-arena';
import { ReplayCache } from './replay-cache';
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
import { streamHeaders } from './message-store';

/**
 * What the budget counts for one retained message besides its body and header characters: a
 * fixed charge, the same in every store (the SQLite store counts alike). The in-memory store
 * holds less: its record (a 20-byte head, the id, content type and headers with their
 * lengths, the body), 20 bytes of index and 16 of append order, all outside the JavaScript
 * heap (spec/retention/memory.spec.ts measures it: about 225 bytes for a 128-byte body).
 */
export const RECORD_OVERHEAD = 200;
/** Emptied histories kept (with their offsets and epoch) before the least recently emptied is forgotten. */
export const MAX_IDLE_HISTORIES = 10_000;
/** How often histories are swept for messages past their rule's age, ms. */
const SWEEP_INTERVAL = 1000;

/** One destination's history: its log of records, its epoch, and the rule it is kept under. */
class History {
  lastDroppedAt = Number.NEGATIVE_INFINITY;
  readonly log: HistoryLog;
  constructor(
    readonly id: number,
    readonly key: HistoryKey,
    readonly destination: string,
    readonly epoch: string,
    public limits: RetentionLimits,
    arena: RecordArena,
  ) {
    this.log = new HistoryLog(arena, id);
  }

  get size(): number {
    return this.log.size;
  }
}

type DropReason = 'count' | 'age' | 'bytes';

/**
 * The in-memory {@link MessageStore}: O(1) append, reads by offset in O(1) and by time in
 * O(log n), and one server-wide byte budget. Records live in one {@link RecordArena}, off
 * the JavaScript heap, indexed by each history's {@link HistoryLog}; every append is also noted in one global ring
 * in append order (history id and offset, typed arrays), so the budget drops the globally
 * oldest message first, whatever its destination. Entries whose record already left its
 * history (count or age) are skipped there and compacted away in amortized O(1).
 *
 * Nothing survives the process: a restart gives every destination a new epoch, so a client
 * that resumes with an old epoch is told its resume was incomplete.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly histories = new Map<HistoryKey, History>();
  private readonly byId = new Map<number, History>();
  /** Every history's records, outside the JavaScript heap. */
  private readonly arena = new RecordArena({
    holds: (id, offset, location) => {
      const log = this.byId.get(id)?.log;
      return log !== undefined && log.holds(offset) && log.locationAt(offset) === location;
    },
    moved: (id, offset, location) => this.byId.get(id)!.log.moved(offset, location),
  });
  private nextId = 0;
  /** Histories emptied by trimming, least recently emptied first (kept up to {@link MAX_IDLE_HISTORIES}). */
  private readonly idle = new Set<HistoryKey>();
  private readonly order = new AppendOrder();
  /** Entries of `order` whose record already left its history. */
  private stale = 0;
  private messages = 0;
  private bytes = 0;
  private readonly dropped = { count: 0, age: 0, bytes: 0 };
  /** Rebuilt messages shared by readers, under each history's epoch (unique to it in this store); a dropped offset's stays until evicted, never read again. */
  private readonly replayCache = new ReplayCache();
  /** Start of relative time: records keep `now - base`. */
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
      history = new History(this.nextId++, key, message.destination, `${this.epochPrefix}${(this.epochCounter++).toString(36)}`, limits, this.arena);
      this.histories.set(key, history);
      this.byId.set(history.id, history);
      this.startSweeping();
    } else {
      history.limits = limits;
      if (history.size === 0) this.idle.delete(key);
    }
    const t = this.clock();
    let size = RECORD_OVERHEAD + message.body.byteLength + message.messageId.length;
    for (const [name, value] of message.headers) size += name.length + value.length + 16;
    const offset = history.log.push(message, t, size);
    this.order.push(history.id, offset);
    this.messages++;
    this.bytes += size;
    this.trimHistory(history, t);
    while (this.bytes > this.budget && this.messages > 0 && this.dropOldest());
    return { offset, epoch: history.epoch, message: stamped(message, offset, history.epoch) };
  }

  read(key: HistoryKey, from: ReadFrom, limits: RetentionLimits, limit = Number.POSITIVE_INFINITY): HistoryRead {
    const history = this.histories.get(key);
    if (history === undefined) return { epoch: '', first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY, messages: [] };
    history.limits = limits;
    this.trimHistory(history, this.clock());
    const log = history.log;
    let start = 'offset' in from ? Math.max(from.offset, log.first) : this.firstAtOrAfter(log, from.timestamp - this.base);
    const end = Math.min(log.next, start + limit);
    const messages: RetainedMessage[] = [];
    for (; start < end; start++) messages.push({ offset: start, timestamp: log.timeAt(start) + this.base, message: this.rebuild(history, start) });
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
    while (history.size > 0 && history.log.timeAt(history.log.first) < oldest) this.dropFront(history, 'age');
  }

  private dropFront(history: History, reason: DropReason): void {
    const log = history.log;
    history.lastDroppedAt = log.timeAt(log.first) + this.base;
    this.bytes -= log.shift();
    this.messages--;
    this.dropped[reason]++;
    if (reason !== 'bytes') this.stale++;
    if (history.size === 0) this.emptied(history);
    // Past half stale (and more than a few), keep only the entries whose record is still held.
    if (this.stale > 1024 && this.stale * 2 > this.order.length) {
      this.order.retain((id, offset) => {
        const h = this.byId.get(id);
        return h !== undefined && offset >= h.log.first;
      });
      this.stale = 0;
    }
  }

  /** The byte budget: drops the globally oldest retained message, whatever its destination (false: none left to drop). */
  private dropOldest(): boolean {
    while (this.order.length > 0) {
      const id = this.order.frontId();
      const offset = this.order.frontOffset();
      this.order.shift();
      const history = this.byId.get(id);
      if (history === undefined || offset < history.log.first) {
        this.stale--;
        continue;
      }
      // Appends are in time order everywhere, so the global oldest is its history's front.
      this.dropFront(history, 'bytes');
      return true;
    }
    return false;
  }

  private emptied(history: History): void {
    this.idle.add(history.key);
    if (this.idle.size <= MAX_IDLE_HISTORIES) return;
    // Forgotten: a later append starts it again under a new epoch, never reusing offsets under the old one.
    const oldest = this.idle.values().next().value as HistoryKey;
    this.idle.delete(oldest);
    const gone = this.histories.get(oldest);
    this.histories.delete(oldest);
    if (gone !== undefined) this.byId.delete(gone.id);
  }

  private headOf(history: History): HistoryHead {
    return { epoch: history.epoch, first: history.log.first, next: history.log.next, lastDroppedAt: history.lastDroppedAt };
  }

  /** Offset of the first record appended at or after relative time `t` (binary search: appends are in time order). */
  private firstAtOrAfter(log: HistoryLog, t: number): Offset {
    let lo = log.first;
    let hi = log.next;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log.timeAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The MESSAGE of a record, with its stream headers: rebuilt once and shared while the cache keeps it. */
  private rebuild(history: History, offset: Offset): BrokerMessage {
    const rebuild = (): BrokerMessage => history.log.message(offset, history.destination, streamHeaders(offset, history.epoch));
    return this.replayCache.shared(history.epoch, offset, rebuild)!;
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

/**
 * Every append in order, as history id and offset in two typed-array rings: what the byte
 * budget drops first. Grows by doubling; {@link retain} keeps only the entries a predicate
 * accepts, in order.
 */
class AppendOrder {
  private ids = new Float64Array(1024);
  private offsets = new Float64Array(1024);
  private head = 0;
  length = 0;

  push(id: number, offset: Offset): void {
    if (this.length === this.ids.length) this.resize(this.ids.length * 2);
    const i = (this.head + this.length++) & (this.ids.length - 1);
    this.ids[i] = id;
    this.offsets[i] = offset;
  }

  frontId(): number {
    return this.ids[this.head];
  }

  frontOffset(): Offset {
    return this.offsets[this.head];
  }

  shift(): void {
    this.head = (this.head + 1) & (this.ids.length - 1);
    this.length--;
  }

  retain(keep: (id: number, offset: Offset) => boolean): void {
    const mask = this.ids.length - 1;
    let kept = 0;
    for (let n = 0; n < this.length; n++) {
      const i = (this.head + n) & mask;
      if (!keep(this.ids[i], this.offsets[i])) continue;
      const j = (this.head + kept++) & mask;
      this.ids[j] = this.ids[i];
      this.offsets[j] = this.offsets[i];
    }
    this.length = kept;
    let size = this.ids.length;
    while (size > 1024 && this.length * 4 < size) size /= 2;
    if (size !== this.ids.length) this.resize(size);
  }

  private resize(size: number): void {
    const ids = new Float64Array(size);
    const offsets = new Float64Array(size);
    const mask = this.ids.length - 1;
    for (let n = 0; n < this.length; n++) {
      ids[n] = this.ids[(this.head + n) & mask];
      offsets[n] = this.offsets[(this.head + n) & mask];
    }
    this.ids = ids;
    this.offsets = offsets;
    this.head = 0;
  }
}

/** The message with its stream headers, as live subscribers get it. */
export function stamped(message: BrokerMessage, offset: Offset, epoch: string): BrokerMessage {
  const stream = streamHeaders(offset, epoch);
  // Most published messages carry no headers of their own: theirs is then the pair alone.
  const headers: HeaderPair[] = message.headers.length === 0 ? stream : [...message.headers, ...stream];
  return new BrokerMessage(message.destination, message.body, message.contentType, headers, message.messageId, !message.binary);
}
