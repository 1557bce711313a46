import type { BrokerMessage } from '../messaging/broker-message';
import { redelivered } from '../queues/letters';
import type { Subscription } from '../messaging/message-broker';
import type { CompiledSelector } from '../selectors/compile-selector';
import type { QueueCounts } from '../queues/message-queue';
import type { QueuePolicy } from '../queues/queue-rules';
import { MAX_IDLE_QUEUES } from '../queues/queue-table';
import type { QueueEntry, QueueKey } from '../queues/queue-store';

/** Most entries one TAKE asks Redis for, and the credit an `ack:auto` consumer counts for. */
export const TAKE_BATCH = 64;

/** Entries of a queue a node holds that none of its consumers' selectors accept, at most. */
export const MAX_HELD = 256;

/** Give-backs a queue remembers the consumer of (entries another node took are forgotten oldest first). */
const MAX_REMEMBERED_RETURNS = 1000;

/** One entry of a Redis queue as a node holds it: taken from the stream, not settled yet. */
export class StreamEntry implements QueueEntry {
  constructor(
    /** The stream entry id. */
    readonly streamId: string,
    readonly queue: QueueKey,
    readonly destination: string,
    readonly user: string | undefined,
    readonly message: BrokerMessage,
    readonly expiresAt: number,
    /** The delivery count Redis keeps for it, this delivery included. */
    public deliveries: number,
  ) {}

  get id(): number {
    return Number(this.streamId.slice(0, this.streamId.indexOf('-')));
  }
}

/** A subscription of a Redis queue on this node. */
export class StreamConsumer {
  readonly inFlight = new Map<string, StreamEntry>();
  readonly auto: boolean;
  readonly limit: number;
  readonly selector: CompiledSelector | undefined;

  constructor(
    readonly subscription: Subscription,
    readonly queue: LocalQueue,
    defaultPrefetch: number,
  ) {
    this.auto = subscription.ack === 'auto';
    this.limit = this.auto ? Number.POSITIVE_INFINITY : (subscription.prefetch ?? defaultPrefetch);
    this.selector = subscription.selector;
  }

  /** What it may take now: nothing while its session's send buffer is filling (Subscriber.backedUp). */
  get credit(): number {
    if (this.backedUp) return 0;
    return this.auto ? TAKE_BATCH : Math.max(0, this.limit - this.inFlight.size);
  }

  get hasCredit(): boolean {
    return this.inFlight.size < this.limit && !this.backedUp;
  }

  get backedUp(): boolean {
    return this.subscription.subscriber.backedUp?.() === true;
  }

  accepts(message: BrokerMessage): boolean {
    return this.selector === undefined || this.selector.matches(message);
  }
}

/**
 * What this node knows of one Redis queue: its local consumers in round-robin order, the
 * entries it took that no local consumer could take yet (`held`: a selector matched none), and
 * its counts (this node's share of the queue's traffic).
 */
export class LocalQueue {
  readonly consumers: StreamConsumer[] = [];
  readonly held: StreamEntry[] = [];
  readonly counts: QueueCounts = { depth: 0, inFlight: 0, consumers: 0, enqueued: 0, delivered: 0, redelivered: 0, acked: 0, deadLettered: 0, expired: 0, dropped: 0 };
  /** True once this node saw an entry of it that may expire (sent or taken here): the expiry sweep looks at it. */
  expiring = false;
  private turn = 0;
  /** Who gave back which entry (NACK, UNSUBSCRIBE, session end), the latest MAX_REMEMBERED_RETURNS. */
  private readonly returnedBy = new Map<string, StreamConsumer>();

  constructor(
    readonly key: QueueKey,
    readonly stream: string,
    readonly destination: string,
    readonly user: string | undefined,
    readonly policy: QueuePolicy,
  ) {}

  /**
   * Entries to ask Redis for: the local consumers' credit, at most a batch; none once
   * MAX_HELD entries no local selector accepts are held (so a consumer that matches few messages
   * still gets those behind the many it does not).
   */
  get credit(): number {
    if (this.held.length >= MAX_HELD) return 0;
    let sum = 0;
    for (const c of this.consumers) sum += c.credit;
    return Math.min(TAKE_BATCH, sum);
  }

  add(c: StreamConsumer): void {
    this.consumers.push(c);
    this.counts.consumers++;
  }

  remove(c: StreamConsumer): void {
    const i = this.consumers.indexOf(c);
    if (i === -1) return;
    this.consumers.splice(i, 1);
    this.counts.consumers--;
    if (this.turn > i) this.turn--;
    if (this.turn >= this.consumers.length) this.turn = 0;
  }

  /** Remembers that `c` gave `e` back, so that this node hands it to another of its consumers first when it takes it again. */
  returned(e: StreamEntry, c: StreamConsumer): void {
    this.returnedBy.set(e.streamId, c);
    if (this.returnedBy.size > MAX_REMEMBERED_RETURNS) this.returnedBy.delete(this.returnedBy.keys().next().value as string);
  }

  /** The consumer for `e`: the next local one in round-robin order with credit whose selector accepts it, another than the one that gave it back when there is one. */
  taker(e: StreamEntry): StreamConsumer | undefined {
    const from = this.returnedBy.get(e.streamId);
    if (from === undefined) return this.next(e, undefined);
    this.returnedBy.delete(e.streamId);
    return this.next(e, from) ?? this.next(e, undefined);
  }

  private next(e: StreamEntry, except: StreamConsumer | undefined): StreamConsumer | undefined {
    const n = this.consumers.length;
    for (let k = 0; k < n; k++) {
      const i = (this.turn + k) % n;
      const c = this.consumers[i];
      if (c === except || !c.hasCredit || !c.accepts(e.message)) continue;
      this.turn = (i + 1) % n;
      return c;
    }
    return undefined;
  }

  /** Writes `e` to `c` (`redelivered:true` past its first delivery); true when `ack:auto` settled it. */
  give(c: StreamConsumer, e: StreamEntry): boolean {
    this.counts.delivered++;
    const again = e.deliveries > 1;
    if (again) this.counts.redelivered++;
    const message = again ? redelivered(e.message) : e.message;
    if (c.auto) this.counts.acked++;
    else {
      c.inFlight.set(e.message.messageId, e);
      this.counts.inFlight++;
    }
    c.subscription.subscriber.deliver(c.subscription, message);
    return c.auto;
  }

  /** Hands held entries to local consumers that can take them now; returns the ids `ack:auto` settled. */
  pull(): string[] {
    const auto: string[] = [];
    for (let i = 0; i < this.held.length; ) {
      const c = this.taker(this.held[i]);
      if (c === undefined) {
        i++;
        continue;
      }
      const [e] = this.held.splice(i, 1);
      if (this.give(c, e)) auto.push(e.streamId);
    }
    return auto;
  }
}

/**
 * The Redis queues this node knows, by queue key. Once a queue holds nothing here and has no
 * local consumer it is idle; past {@link MAX_IDLE_QUEUES} idle ones the longest idle is
 * forgotten (with its counts), so made-up queue names cannot grow memory.
 */
export class LocalQueues {
  private readonly byKey = new Map<QueueKey, LocalQueue>();
  private readonly idle = new Set<LocalQueue>();

  constructor(private readonly streamOf: (key: QueueKey) => string) {}

  open(key: QueueKey, destination: string, user: string | undefined, policy: QueuePolicy): LocalQueue {
    let q = this.byKey.get(key);
    if (q === undefined) this.byKey.set(key, (q = new LocalQueue(key, this.streamOf(key), destination, user, policy)));
    this.idle.delete(q);
    return q;
  }

  /** Marks `q` idle when nothing of it is here; returns the queue forgotten to make room, if any. */
  release(q: LocalQueue): LocalQueue | undefined {
    if (q.consumers.length > 0 || q.held.length > 0 || q.counts.inFlight > 0) return undefined;
    this.idle.delete(q);
    this.idle.add(q);
    if (this.idle.size <= MAX_IDLE_QUEUES) return undefined;
    const oldest = this.idle.values().next().value as LocalQueue;
    this.idle.delete(oldest);
    this.byKey.delete(oldest.key);
    return oldest;
  }

  values(): IterableIterator<LocalQueue> {
    return this.byKey.values();
  }
}
