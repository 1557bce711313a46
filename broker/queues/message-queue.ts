import type { BrokerMessage } from '../messaging/broker-message';
import type { Subscription } from '../messaging/message-broker';
import type { CompiledSelector } from '../selectors/compile-selector';
import { EntryList, type HeldEntry } from './entry-list';
import type { QueuePolicy } from './queue-rules';
import type { QueueKey } from './queue-store';

/** Counts of one queue since it was created (docs/queues.md "Metrics"). */
export interface QueueCounts {
  /** Messages waiting for a consumer. */
  depth: number;
  /** Messages delivered to a client-ack consumer and not settled yet. */
  inFlight: number;
  consumers: number;
  enqueued: number;
  /** Deliveries, redeliveries included. */
  delivered: number;
  /** Deliveries after the first (`redelivered:true`). */
  redelivered: number;
  /** Messages settled: ACKed, or delivered under `ack:auto`. */
  acked: number;
  deadLettered: number;
  expired: number;
  /** Dropped: the oldest of a full queue, past the redelivery limit without a dead-letter destination, expired with `expired: 'drop'`. */
  dropped: number;
}

/** One subscription of a queue: what it may still take, and what it holds unacknowledged. */
export class Consumer {
  /** Messages it holds unacknowledged, by message id. */
  readonly inFlight = new Map<string, HeldEntry>();
  readonly auto: boolean;
  readonly limit: number;
  readonly selector: CompiledSelector | undefined;

  constructor(
    readonly subscription: Subscription,
    readonly queue: MessageQueue,
    defaultPrefetch: number,
  ) {
    this.auto = subscription.ack === 'auto';
    // ack:auto settles on write: nothing stays in flight, so prefetch has nothing to cap.
    this.limit = this.auto ? Number.POSITIVE_INFINITY : (subscription.prefetch ?? defaultPrefetch);
    this.selector = subscription.selector;
  }

  /** Room under its prefetch and in its session's send buffer. */
  get hasCredit(): boolean {
    return this.inFlight.size < this.limit && !this.backedUp;
  }

  /** Its session's send buffer is filling (Subscriber.backedUp): it takes nothing until it drains. */
  get backedUp(): boolean {
    return this.subscription.subscriber.backedUp?.() === true;
  }

  /** Would take more but for its send buffer: the engine retries it once the buffer drains. */
  get waitsForDrain(): boolean {
    return this.inFlight.size < this.limit && this.backedUp;
  }

  accepts(message: BrokerMessage): boolean {
    return this.selector === undefined || this.selector.matches(message);
  }
}

/**
 * One queue: the messages waiting, oldest first, and its consumers in round-robin order.
 * Dispatch keeps one invariant: after every step, no waiting message could go to a consumer
 * with credit (none has credit, or none whose selector accepts it). So a new message is only
 * offered to the consumers, never compared with what waits, and a consumer that gains credit
 * (an ACK, a NACK, a SUBSCRIBE) only looks for what it can take, in order. Unmatched
 * messages wait without blocking those behind them.
 */
export class MessageQueue {
  readonly waiting = new EntryList();
  readonly consumers: Consumer[] = [];
  readonly counts: QueueCounts = { depth: 0, inFlight: 0, consumers: 0, enqueued: 0, delivered: 0, redelivered: 0, acked: 0, deadLettered: 0, expired: 0, dropped: 0 };
  /** True while some waiting message may expire (the sweep looks only at such queues). */
  expiring = false;
  /** True while its own cost counts against `queueBytes` (it is not idle; see QueueTable). */
  charged = false;
  private turn = 0;

  constructor(
    readonly key: QueueKey,
    readonly destination: string,
    readonly user: string | undefined,
    readonly policy: QueuePolicy,
  ) {}

  /** True when nothing waits, nothing is in flight and nobody consumes: the engine may forget it. */
  get idle(): boolean {
    return this.waiting.length === 0 && this.counts.inFlight === 0 && this.consumers.length === 0;
  }

  add(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.counts.consumers++;
  }

  remove(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i === -1) return;
    this.consumers.splice(i, 1);
    this.counts.consumers--;
    if (this.turn > i) this.turn--;
    if (this.turn >= this.consumers.length) this.turn = 0;
  }

  /** The next consumer in round-robin order with credit whose selector accepts `entry`; `except` is passed over. */
  taker(entry: HeldEntry, except?: Consumer): Consumer | undefined {
    const list = this.consumers;
    const n = list.length;
    for (let k = 0; k < n; k++) {
      const i = (this.turn + k) % n;
      const c = list[i];
      if (c === except || !c.hasCredit || !c.accepts(entry.message)) continue;
      this.turn = (i + 1) % n;
      return c;
    }
    return undefined;
  }

  /** Takes the waiting messages expired at `now` off the list, each to `expire`. */
  sweep(now: number, expire: (e: HeldEntry) => void): void {
    let still = false;
    for (let e = this.waiting.head; e !== undefined; ) {
      const next = e.next;
      if (e.expiresAt <= now) {
        this.waiting.remove(e);
        expire(e);
      } else if (e.expiresAt !== Number.POSITIVE_INFINITY) still = true;
      e = next;
    }
    this.expiring = still;
    this.counts.depth = this.waiting.length;
  }

  /** Waiting messages `consumer` can take, in order, as many as its credit: each handed to `give`, expired ones to `expire`. */
  pull(consumer: Consumer, now: number, give: (c: Consumer, e: HeldEntry) => void, expire: (e: HeldEntry) => void): void {
    let e = this.waiting.head;
    while (e !== undefined && consumer.hasCredit) {
      const next = e.next;
      if (e.expiresAt <= now) {
        this.waiting.remove(e);
        expire(e);
      } else if (consumer.accepts(e.message)) {
        this.waiting.remove(e);
        give(consumer, e);
      }
      e = next;
    }
    this.counts.depth = this.waiting.length;
  }
}
