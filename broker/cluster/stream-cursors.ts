import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { HistoryHead, HistoryRead, Offset } from '../retention/message-store';
import type { CatchUpCounts } from './redis-message-store';

/** Retained destinations whose position a node remembers; past it the least recently added goes. */
export const MAX_CURSORS = 10_000;
/** Messages a catch-up reads per round trip. */
const CATCH_UP_PAGE = 1000;

interface Live {
  readonly offset: Offset;
  readonly epoch: string;
  readonly message: BrokerMessage;
}

/** Where this node is in one retained destination's history. */
interface Cursor {
  /** The epoch of `next`; undefined while the destination had no history when this node started listening. */
  epoch: string | undefined;
  /** The offset this node delivers next. */
  next: Offset;
  /** True once a message was delivered at this position (before that, nothing can be a duplicate). */
  firm: boolean;
  /** Live messages waiting while a catch-up reads the stream; undefined when none runs. */
  held: Live[] | undefined;
}

/**
 * The cluster's catch-up: what keeps a node's subscribers of retained destinations gapless
 * when its Redis subscriber connection missed messages (cut by Redis's pub/sub output-buffer
 * limit while the node stalled, or during a Redis outage). Redis publishes a destination's
 * messages in offset order (the append script PUBLISHes them), so each node tracks the next
 * offset it expects per destination:
 * - the expected offset: delivered;
 * - a lower one: a duplicate (an exact and a pattern channel both matched), dropped;
 * - a higher one: a gap. The message waits, the missing range is read from the stream and
 *   delivered first, then what waited. What the stream no longer holds (trimmed by the rule
 *   before the node read it) is counted in `lost` and logged.
 * After the subscriber connection comes back, every remembered destination catches up at once,
 * so a node that missed the end of a burst does not wait for the next message to notice.
 */
export class StreamCursors {
  private readonly cursors = new Map<string, Cursor>();

  constructor(
    private readonly read: (destination: string, from: Offset, count: number) => Promise<HistoryRead>,
    private readonly deliver: (message: BrokerMessage) => void,
    private readonly counts: CatchUpCounts,
    private readonly logger: Logger,
    /** Live messages held per destination during a catch-up; past it the catch-up gives up on the oldest. */
    private readonly maxHeld: number,
  ) {}

  /** A message of a retained destination, as Redis published it. */
  receive(destination: string, offset: Offset, epoch: string, message: BrokerMessage): void {
    let cursor = this.cursors.get(destination);
    if (cursor === undefined) cursor = this.remember(destination, { epoch, next: offset, firm: false, held: undefined });
    if (cursor.held !== undefined) {
      cursor.held.push({ offset, epoch, message });
      if (cursor.held.length > this.maxHeld) this.lose(destination, cursor.held.shift()!.offset, 1, 'too many live messages waited behind a catch-up');
      return;
    }
    this.accept(destination, cursor, { offset, epoch, message }, true);
  }

  /** Where a destination's history stood when this node began listening to it (its first local subscriber). */
  baseline(destination: string, head: HistoryHead | undefined): void {
    if (this.cursors.has(destination)) return; // a message came first: it is the better position
    this.remember(destination, { epoch: head?.epoch, next: head?.next ?? 0, firm: false, held: undefined });
  }

  /** This node no longer listens to `destination`. */
  forget(destination: string): void {
    const cursor = this.cursors.get(destination);
    if (cursor !== undefined && cursor.held === undefined) this.cursors.delete(destination);
  }

  /** The subscriber connection is back: reads what every remembered destination missed meanwhile. */
  catchUpAll(): void {
    for (const [destination, cursor] of this.cursors) if (cursor.held === undefined) this.catchUp(destination, cursor, []);
  }

  /** True while no catch-up runs (for specs and shutdown). */
  get idle(): boolean {
    for (const cursor of this.cursors.values()) if (cursor.held !== undefined) return false;
    return true;
  }

  private remember(destination: string, cursor: Cursor): Cursor {
    if (this.cursors.size >= MAX_CURSORS) {
      for (const [d, c] of this.cursors) {
        if (c.held === undefined) {
          this.cursors.delete(d);
          break;
        }
      }
    }
    this.cursors.set(destination, cursor);
    return cursor;
  }

  private accept(destination: string, cursor: Cursor, live: Live, mayCatchUp: boolean): void {
    if (live.epoch !== cursor.epoch) {
      if (cursor.firm) {
        // The history restarted (Redis lost its data): this node heard the new epoch from its start on, if it kept listening.
        this.logger.warn({ destination, from: cursor.epoch, to: live.epoch }, 'Retained history restarted under a new epoch (Redis lost its data?)');
        cursor.epoch = live.epoch;
        cursor.next = 0;
      } else {
        cursor.epoch = live.epoch;
        cursor.next = live.offset;
      }
    }
    if (live.offset < cursor.next) {
      if (cursor.firm) return; // a second copy
      cursor.next = live.offset;
    }
    if (live.offset > cursor.next) {
      if (mayCatchUp) return this.catchUp(destination, cursor, [live]);
      this.lose(destination, cursor.next, live.offset - cursor.next, 'the catch-up read failed');
    }
    cursor.next = live.offset + 1;
    cursor.firm = true;
    this.deliver(live.message);
  }

  private catchUp(destination: string, cursor: Cursor, held: Live[]): void {
    cursor.held = held;
    this.readMissed(destination, cursor).then(
      () => this.release(destination, cursor, true),
      (err: unknown) => {
        this.logger.warn({ err: String(err), destination }, 'Catching up a retained destination from its Redis stream failed');
        this.release(destination, cursor, false);
      },
    );
  }

  /** Reads and delivers the stream from the cursor on, page by page, up to its end. */
  private async readMissed(destination: string, cursor: Cursor): Promise<void> {
    for (;;) {
      const read = await this.read(destination, cursor.next, CATCH_UP_PAGE);
      if (read.epoch === '') return; // no history (yet, or forgotten): nothing to read
      if (read.epoch !== cursor.epoch) {
        if (cursor.epoch !== undefined && cursor.firm) this.logger.warn({ destination, from: cursor.epoch, to: read.epoch }, 'Retained history restarted under a new epoch (Redis lost its data?)');
        cursor.epoch = read.epoch;
        cursor.next = read.first;
        if (read.first > 0 && cursor.firm) this.lose(destination, 0, read.first, 'trimmed from the new epoch before this node read it');
        continue;
      }
      if (read.first > cursor.next) {
        this.lose(destination, cursor.next, read.first - cursor.next, 'trimmed by its rule before this node could read it');
        cursor.next = read.first;
      }
      for (const r of read.messages) {
        if (r.offset < cursor.next) continue;
        cursor.next = r.offset + 1;
        cursor.firm = true;
        this.counts.caughtUp++;
        this.deliver(r.message);
      }
      if (read.messages.length < CATCH_UP_PAGE) return;
    }
  }

  /** Delivers what waited behind the catch-up, in order; a gap still there starts another round. */
  private release(destination: string, cursor: Cursor, mayCatchUp: boolean): void {
    const held = cursor.held ?? [];
    cursor.held = undefined;
    for (let i = 0; i < held.length; i++) {
      if (cursor.held !== undefined) {
        (cursor.held as Live[]).push(...held.slice(i));
        return;
      }
      this.accept(destination, cursor, held[i], mayCatchUp);
    }
  }

  private lose(destination: string, from: Offset, n: number, why: string): void {
    this.counts.lost += n;
    this.logger.warn({ destination, from, messages: n, lost: this.counts.lost }, `Retained messages missed by this node's subscribers: ${why}`);
  }
}
