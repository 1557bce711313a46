import { StompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { SessionId, Subscription } from '../messaging/message-broker';
import { userHistoryKey } from '../retention/message-store';
import { HeldEntry } from './entry-list';
import { deadLetterOf, redelivered, type DeadLetterReason } from './letters';
import { Consumer, type MessageQueue } from './message-queue';
import type { QueuePolicy, QueueRules } from './queue-rules';
import type { LoadedEntry, QueueStore, RemoveReason } from './queue-store';
import { queueStats, type QueueStats } from './queue-stats';
import { queueCost, QueueTable } from './queue-table';
import { andThen } from '../value-or-promise';
import type { QueueBackend } from './queue-backend';

export type { DeadLetterReason } from './letters';

/** How often waiting messages are checked for expiry, ms (delivery checks it too: an expired message is never delivered). */
const EXPIRY_SWEEP_MS = 1000;
/** How often consumers whose send buffer was filling are offered their queue's messages again, ms. */
const DRAIN_RETRY_MS = 5;

/** What the server gives its queue engine. */
export interface QueueEngineOptions {
  /** The compiled `queues` rules. */
  readonly rules: QueueRules;
  /** Where changes are recorded (the `queueStore` seam). */
  readonly store: QueueStore;
  /** Bytes all held queue messages (waiting and in flight) may cost together (`queueBytes`). */
  readonly budget: number;
  /** Prefetch of a client-ack consumer without `prefetch-count` (`maxPendingAcks`). */
  readonly defaultPrefetch: number;
  /** Where store failures and refused dead letters are reported. */
  readonly logger: Logger;
  /** Publishes a dead-lettered message whose destination is not a queue (to the broker's subscribers). */
  readonly publishElsewhere: (user: string | undefined, message: BrokerMessage) => void;
}

/**
 * The queue engine (SPEC §6.2): competing consumers, acknowledgements, redelivery, dead
 * letters, expiry and bounds, for every destination a `queues` rule matches. It keeps the
 * working state in memory and tells its {@link QueueStore} what happens, so a durable store
 * can restore it. Everything runs in the caller's turn; only the store's promises are awaited.
 */
export class QueueEngine implements QueueBackend {
  readonly queues = new QueueTable();
  private readonly consumers = new Map<Subscription, Consumer>();
  private readonly bySession = new Map<SessionId, Set<Consumer>>();
  private heldBytes = 0;
  private nextId = 1;
  /** Consumers that stopped taking because their send buffer was filling; retried every DRAIN_RETRY_MS. */
  private readonly draining = new Set<Consumer>();
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly sweep: ReturnType<typeof setInterval>;
  /** Resolved once the store's entries are back (at once for memory). */
  readonly ready: Promise<void>;
  loaded = false;

  constructor(private readonly o: QueueEngineOptions) {
    this.sweep = setInterval(() => this.expireWaiting(), EXPIRY_SWEEP_MS);
    this.sweep.unref();
    const loading = o.store.load();
    // A memory store restores in this turn; an asynchronous one when its load settles.
    this.ready = Promise.resolve(andThen(loading, (l) => this.restore(l)));
  }

  /** The policy of `destination` when a rule makes it a queue. */
  policyFor(destination: string): QueuePolicy | undefined {
    return this.o.rules.policyFor(destination);
  }

  /** True when `subscription` consumes a queue. */
  has(subscription: Subscription): boolean {
    return this.consumers.has(subscription);
  }

  /**
   * A message joins its queue: handed to a consumer at once when one has credit, else it waits.
   * Resolves when the store recorded it (the SEND's RECEIPT waits for that).
   * @throws StompError `STOMP_ERR_QUEUE_FULL` when the queue is full under `overflow: 'reject'` (or nothing can be dropped to make room)
   */
  enqueue(policy: QueuePolicy, user: string | undefined, message: BrokerMessage, expiresAt: number): void | Promise<void> {
    const key = user === undefined ? message.destination : userHistoryKey(user, message.destination);
    const q = this.queues.open(key, message.destination, user, policy);
    const entry = new HeldEntry(this.nextId++, key, message.destination, user, message, expiresAt);
    const now = expiresAt === Number.POSITIVE_INFINITY ? 0 : Date.now();
    if (expiresAt <= now) {
      // Expired on arrival: never delivered, and never recorded either.
      q.counts.expired++;
      q.counts.enqueued++;
      if (policy.expired === 'dead-letter') this.deadLetter(q, entry, 'expired', false);
      else this.release(q);
      return;
    }
    const taker = q.taker(entry);
    if (taker === undefined || !taker.auto) this.makeRoom(q, entry, taker === undefined);
    this.heldBytes += entry.size;
    q.counts.enqueued++;
    const recorded = this.o.store.enqueue(entry);
    if (taker !== undefined) this.give(taker, entry);
    else this.wait(q, entry);
    return recorded;
  }

  /** A subscription of a queue: takes what waits for it (up to its credit), then gets its share of what comes. */
  subscribe(subscription: Subscription, policy: QueuePolicy): void {
    const user = subscription.user;
    const key = user === undefined ? subscription.destination : userHistoryKey(user, subscription.destination);
    const q = this.queues.open(key, subscription.destination, user, policy);
    const c = new Consumer(subscription, q, this.o.defaultPrefetch);
    q.add(c);
    this.queues.busy(q);
    this.consumers.set(subscription, c);
    const sid = subscription.subscriber.sessionId;
    let own = this.bySession.get(sid);
    if (own === undefined) this.bySession.set(sid, (own = new Set()));
    own.add(c);
    this.pull(c);
  }

  /** UNSUBSCRIBE: what the subscription held unacknowledged goes back to the queue, redelivered. */
  unsubscribe(subscription: Subscription): void {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const own = this.bySession.get(subscription.subscriber.sessionId);
    own?.delete(c);
    if (own?.size === 0) this.bySession.delete(subscription.subscriber.sessionId);
    this.drop(c);
  }

  /** A session ended: every message its consumers held comes back (SPEC §6.2: "or lost"). */
  removeSession(sessionId: SessionId): void {
    const own = this.bySession.get(sessionId);
    if (own === undefined) return;
    this.bySession.delete(sessionId);
    for (const c of own) this.drop(c);
  }

  /** ACK: the messages are settled; resolves when the store recorded it (the ACK's RECEIPT waits). */
  ack(subscription: Subscription, messageIds: readonly string[]): void | Promise<void> {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const q = c.queue;
    let pending: Promise<void>[] | undefined;
    for (const id of messageIds) {
      const e = c.inFlight.get(id);
      if (e === undefined) continue;
      c.inFlight.delete(id);
      q.counts.inFlight--;
      q.counts.acked++;
      this.heldBytes -= e.size;
      const r = this.o.store.remove(e, 'acked');
      if (r !== undefined) (pending ??= []).push(r);
    }
    this.pull(c);
    this.release(q);
    if (pending !== undefined) return Promise.all(pending).then(() => undefined);
  }

  /** NACK: the messages go back, to another consumer when one can take them, or past the limit to the dead letters. */
  nack(subscription: Subscription, messageIds: readonly string[]): void {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const back: HeldEntry[] = [];
    for (const id of messageIds) {
      const e = c.inFlight.get(id);
      if (e === undefined) continue;
      c.inFlight.delete(id);
      back.push(e);
    }
    for (const e of back) this.giveBack(c.queue, e, c);
    this.pull(c);
  }

  stats(): QueueStats {
    return queueStats(this.queues.values(), this.heldBytes + this.queues.bytes, this.o.budget, this.o.store.stats());
  }

  close(): void | Promise<void> {
    clearInterval(this.sweep);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.draining.clear();
    return this.o.store.close();
  }

  // ---- dispatch ----

  private release(q: MessageQueue): void {
    this.queues.release(q);
  }

  /** Writes `e` to consumer `c` (ack:auto settles it at once). */
  private give = (c: Consumer, e: HeldEntry): void => {
    const q = c.queue;
    e.deliveries++;
    q.counts.delivered++;
    const again = e.deliveries > 1;
    if (again) q.counts.redelivered++;
    const message = again ? redelivered(e.message) : e.message;
    if (c.auto) {
      q.counts.acked++;
      this.heldBytes -= e.size;
      this.settleQuietly(e, 'acked');
    } else {
      c.inFlight.set(e.message.messageId, e);
      q.counts.inFlight++;
      this.quietly(this.o.store.delivered(e));
    }
    c.subscription.subscriber.deliver(c.subscription, message);
  };

  private pull(c: Consumer): void {
    if (c.queue.waiting.length === 0) return;
    if (c.hasCredit) c.queue.pull(c, Date.now(), this.give, this.expireEntry);
    if (c.queue.waiting.length > 0 && c.waitsForDrain) this.retryOnDrain(c);
  }

  private wait(q: MessageQueue, e: HeldEntry): void {
    if (e.deliveries === 0) q.waiting.push(e);
    else q.waiting.insertInOrder(e);
    if (e.expiresAt !== Number.POSITIVE_INFINITY) q.expiring = true;
    q.counts.depth = q.waiting.length;
    this.queues.busy(q);
    // A consumer passed over only because its send buffer was filling takes it once that drains.
    for (const c of q.consumers) if (c.waitsForDrain) this.retryOnDrain(c);
  }

  private retryOnDrain(c: Consumer): void {
    this.draining.add(c);
    if (this.drainTimer !== undefined) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      const retry = [...this.draining];
      this.draining.clear();
      for (const r of retry) if (this.consumers.get(r.subscription) === r) this.pull(r);
    }, DRAIN_RETRY_MS);
    this.drainTimer.unref();
  }

  /** A message came back from `from` (NACK, UNSUBSCRIBE, session end). */
  private giveBack(q: MessageQueue, e: HeldEntry, from: Consumer): void {
    q.counts.inFlight--;
    if (e.deliveries > q.policy.maxRedeliveries) {
      this.deadLetter(q, e, 'max-redeliveries', true);
      return;
    }
    this.quietly(this.o.store.requeued(e));
    if (e.expiresAt <= Date.now()) return this.expireEntry(e);
    const taker = q.taker(e, from);
    if (taker !== undefined) this.give(taker, e);
    else this.wait(q, e);
  }

  /** A consumer is gone: its in-flight messages come back in the order they were sent. */
  private drop(c: Consumer): void {
    this.consumers.delete(c.subscription);
    const q = c.queue;
    q.remove(c);
    const back = [...c.inFlight.values()].sort((a, b) => a.id - b.id);
    c.inFlight.clear();
    for (const e of back) this.giveBack(q, e, c);
    this.release(q);
  }

  // ---- bounds, expiry, dead letters ----

  /** Room for `e` in its queue (`maxMessages` when it is to wait) and in `queueBytes`: drops the oldest, or refuses. */
  private makeRoom(q: MessageQueue, e: HeldEntry, waits: boolean): void {
    // A queue that holds nothing yet also brings its own cost (QUEUE_OVERHEAD): made-up names count.
    const own = q.charged ? 0 : queueCost(q);
    const full = (): boolean => (waits && q.waiting.length >= q.policy.maxMessages) || this.heldBytes + this.queues.bytes + own + e.size > this.o.budget;
    if (!full()) return;
    if (q.policy.overflow === 'drop-oldest') {
      while (full()) {
        const old = q.waiting.shift();
        if (old === undefined) break;
        q.counts.dropped++;
        this.heldBytes -= old.size;
        this.settleQuietly(old, 'dropped');
      }
      q.counts.depth = q.waiting.length;
      if (!full()) return;
    }
    const why = waits && q.waiting.length >= q.policy.maxMessages ? `holds maxMessages (${q.policy.maxMessages}) waiting messages` : `would pass queueBytes (${this.o.budget} bytes held by all queues)`;
    throw new StompError('STOMP_ERR_QUEUE_FULL', `Queue "${q.destination}" ${why}`);
  }

  private expireEntry = (e: HeldEntry): void => {
    const q = this.queues.get(e.queue)!;
    q.counts.expired++;
    q.counts.depth = q.waiting.length;
    if (q.policy.expired === 'dead-letter') this.deadLetter(q, e, 'expired', true);
    else {
      this.heldBytes -= e.size;
      this.settleQuietly(e, 'expired');
      this.release(q);
    }
  };

  private expireWaiting(): void {
    const now = Date.now();
    for (const q of this.queues.values()) if (q.expiring) q.sweep(now, this.expireEntry);
  }

  /**
   * Moves `e` to its queue's dead-letter destination with headers saying where it came from and
   * why; without one (or when it would be the same queue, or it is full) the message is dropped.
   * @param held whether `e` was counted in `heldBytes` and recorded by the store
   */
  private deadLetter(q: MessageQueue, e: HeldEntry, reason: DeadLetterReason, held: boolean): void {
    if (held) this.heldBytes -= e.size;
    const target = q.policy.deadLetterOf(e.destination);
    let moved = false;
    if (target !== undefined && target !== e.destination) {
      const letter = deadLetterOf(e, target, reason);
      const policy = this.policyFor(target);
      try {
        if (policy === undefined) this.o.publishElsewhere(e.user, letter);
        else this.quietly(this.enqueue(policy, e.user, letter, Number.POSITIVE_INFINITY));
        moved = true;
      } catch (err) {
        this.o.logger.warn({ destination: e.destination, deadLetter: target, err }, 'Dead-letter destination refused a message; dropped');
      }
    }
    if (moved) q.counts.deadLettered++;
    else q.counts.dropped++;
    if (held) this.settleQuietly(e, moved ? 'dead-lettered' : 'dropped');
    this.release(q);
  }

  // ---- store ----

  private settleQuietly(e: HeldEntry, reason: RemoveReason): void {
    this.quietly(this.o.store.remove(e, reason));
  }

  private quietly(r: void | Promise<void>): void {
    if (r !== undefined) r.catch((err: unknown) => this.o.logger.error({ err }, 'Queue store failed to record a change'));
  }

  private restore(loaded: readonly LoadedEntry[]): void {
    for (const { entry, inFlight } of loaded) {
      this.nextId = Math.max(this.nextId, entry.id + 1);
      const policy = this.policyFor(entry.destination);
      const e = new HeldEntry(entry.id, entry.queue, entry.destination, entry.user, entry.message, entry.expiresAt);
      e.deliveries = entry.deliveries;
      if (policy === undefined) {
        // No rule makes it a queue any more: nobody can consume it.
        this.settleQuietly(e, 'dropped');
        continue;
      }
      const q = this.queues.open(entry.queue, entry.destination, entry.user, policy);
      if (inFlight && e.deliveries === 0) e.deliveries = 1;
      this.heldBytes += e.size;
      q.waiting.insertInOrder(e);
      if (e.expiresAt !== Number.POSITIVE_INFINITY) q.expiring = true;
      q.counts.depth = q.waiting.length;
      this.queues.busy(q);
      if (inFlight) this.quietly(this.o.store.requeued(e));
    }
    this.loaded = true;
  }
}
