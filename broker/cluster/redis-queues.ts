import { StompError } from '../errors';
import type { BrokerMessage } from '../messaging/broker-message';
import type { SessionId, Subscription } from '../messaging/message-broker';
import { userHistoryKey } from '../retention/message-store';
import type { QueueBackend } from '../queues/queue-backend';
import type { QueueEngineOptions } from '../queues/queue-engine';
import type { QueuePolicy } from '../queues/queue-rules';
import { queueStats, type QueueStats } from '../queues/queue-stats';
import { decodeEnvelope, encodeEnvelope } from './cluster-message';
import { POLL_MS, QueueStreams, sleep, type RedisQueueHost } from './queue-streams';

/** How often a node with credit looks at every queue it consumes for returned and claimable entries, ms. */
const SWEEP_MS = 200;
/** How often a node whose consumers' send buffers are filling looks again, ms. */
const DRAIN_RETRY_MS = 5;
/** How often waiting messages are checked for expiry, ms. */
const EXPIRY_SWEEP_MS = 1000;
import { LocalQueue, LocalQueues, StreamConsumer, StreamEntry } from './redis-queue-state';
import { RedisQueueLetters } from './redis-queue-letters';

export type { RedisQueueHost } from './queue-streams';

/**
 * Queues of a cluster (docs/queues.md "Cluster"): each queue is one Redis stream with a
 * consumer group, and every node with consumers of it takes entries as its own group consumer
 * (queue-scripts.ts), up to its local consumers' credit, and hands them out by the engine's
 * rules (round-robin with credit, prefetch, ack modes, selectors). The working state in Redis is
 * the stream and its pending entries; this node keeps only what it took.
 */
export class RedisQueues implements QueueBackend {
  readonly ready = Promise.resolve();
  readonly loaded = true;
  private readonly queues: LocalQueues;
  private readonly letters: RedisQueueLetters;
  private readonly consumers = new Map<Subscription, StreamConsumer>();
  private readonly bySession = new Map<SessionId, Set<StreamConsumer>>();
  private readonly redis: QueueStreams;
  /** Give-backs under way (session ends), awaited by close() so that Redis has them before the node goes. */
  private readonly returning = new Set<Promise<void>>();
  private closed = false;
  /** True while Redis fails the reads (logged once per outage). */
  private failing = false;
  private looping = false;
  private readonly toucher: ReturnType<typeof setInterval>;
  private readonly expirer: ReturnType<typeof setInterval>;

  constructor(
    private readonly o: QueueEngineOptions,
    host: RedisQueueHost,
  ) {
    this.redis = new QueueStreams(host);
    this.queues = new LocalQueues((key) => this.redis.streamOf(key));
    this.letters = new RedisQueueLetters(o, this.redis, (policy, user, message) => this.enqueue(policy, user, message, Number.POSITIVE_INFINITY));
    this.toucher = setInterval(() => this.touchAll(), Math.max(50, Math.floor(host.claimTimeout / 3)));
    this.toucher.unref();
    this.expirer = setInterval(() => void this.letters.expireWaiting(this.queues.values(), () => this.closed), EXPIRY_SWEEP_MS);
    this.expirer.unref();
  }

  policyFor(destination: string): QueuePolicy | undefined {
    return this.o.rules.policyFor(destination);
  }

  has(subscription: Subscription): boolean {
    return this.consumers.has(subscription);
  }

  /** XADD to the queue's stream (trimmed to maxMessages, or refused under 'reject'); the promise is the SEND's RECEIPT. */
  async enqueue(policy: QueuePolicy, user: string | undefined, message: BrokerMessage, expiresAt: number): Promise<void> {
    const q = this.open(user, message.destination, policy);
    try {
      await this.append(q, policy, user, message, expiresAt);
    } finally {
      this.release(q);
    }
  }

  private async append(q: LocalQueue, policy: QueuePolicy, user: string | undefined, message: BrokerMessage, expiresAt: number): Promise<void> {
    q.counts.enqueued++;
    if (expiresAt <= Date.now()) {
      q.counts.expired++;
      if (policy.expired === 'dead-letter') await this.letters.move(q, new StreamEntry('0-0', q.key, q.destination, user, message, expiresAt, 0), 'expired');
      return;
    }
    let trimmed: number;
    try {
      trimmed = await this.redis.append(q.stream, policy.maxMessages, policy.overflow === 'reject', encodeEnvelope(this.redis.host.nodeId, 0, message, user), expiresAt);
    } catch (err) {
      q.counts.enqueued--;
      throw err;
    }
    if (trimmed < 0) {
      q.counts.enqueued--;
      throw new StompError('STOMP_ERR_QUEUE_FULL', `Queue "${q.destination}" holds maxMessages (${policy.maxMessages}) messages, waiting and in flight, across the cluster`);
    }
    q.counts.dropped += trimmed;
    if (expiresAt !== Number.POSITIVE_INFINITY) q.expiring = true;
  }

  subscribe(subscription: Subscription, policy: QueuePolicy): void {
    const q = this.open(subscription.user, subscription.destination, policy);
    const c = new StreamConsumer(subscription, q, this.o.defaultPrefetch);
    q.add(c);
    this.consumers.set(subscription, c);
    const sid = subscription.subscriber.sessionId;
    let own = this.bySession.get(sid);
    if (own === undefined) this.bySession.set(sid, (own = new Set()));
    own.add(c);
    this.pull(q);
    this.wake();
  }

  unsubscribe(subscription: Subscription): Promise<void> | void {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const own = this.bySession.get(subscription.subscriber.sessionId);
    own?.delete(c);
    if (own?.size === 0) this.bySession.delete(subscription.subscriber.sessionId);
    return this.drop(c);
  }

  removeSession(sessionId: SessionId): void {
    const own = this.bySession.get(sessionId);
    if (own === undefined) return;
    this.bySession.delete(sessionId);
    for (const c of own) {
      const p = this.drop(c);
      this.returning.add(p);
      void p.finally(() => this.returning.delete(p));
    }
  }

  /** ACK: XACK and XDEL; the promise is the ACK's RECEIPT. */
  async ack(subscription: Subscription, messageIds: readonly string[]): Promise<void> {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const q = c.queue;
    const ids: string[] = [];
    for (const id of messageIds) {
      const e = c.inFlight.get(id);
      if (e === undefined) continue;
      c.inFlight.delete(id);
      q.counts.inFlight--;
      q.counts.acked++;
      ids.push(e.streamId);
    }
    this.pull(q);
    this.wake();
    if (ids.length > 0) await this.settle(q, ids);
  }

  /** NACK: back to the stream for any node (others first), or past maxRedeliveries to the dead letters. */
  nack(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void {
    const c = this.consumers.get(subscription);
    if (c === undefined) return;
    const back: StreamEntry[] = [];
    for (const id of messageIds) {
      const e = c.inFlight.get(id);
      if (e === undefined) continue;
      c.inFlight.delete(id);
      c.queue.counts.inFlight--;
      c.queue.returned(e, c);
      back.push(e);
    }
    this.pull(c.queue);
    return this.giveBack(c.queue, back).finally(() => this.wake());
  }

  stats(): QueueStats {
    for (const q of this.queues.values()) q.counts.depth = q.held.length;
    return queueStats(this.queues.values(), 0, this.o.budget, { messages: 0, bytes: 0 });
  }

  /** Gives back everything this node holds (so other nodes take it at once), then stops reading. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.toucher);
    clearInterval(this.expirer);
    this.closed = true;
    const gone = [...this.consumers.values()];
    await Promise.all([...this.returning, ...gone.map((c) => this.drop(c))]);
    await Promise.all([...this.queues.values()].map((q) => this.giveBack(q, [], q.held.splice(0))));
    this.redis.close();
  }

  // ---- taking and handing out ----

  private open(user: string | undefined, destination: string, policy: QueuePolicy): LocalQueue {
    return this.queues.open(user === undefined ? destination : userHistoryKey(user, destination), destination, user, policy);
  }

  private release(q: LocalQueue): void {
    const forgotten = this.queues.release(q);
    if (forgotten !== undefined) this.redis.forget(forgotten.stream);
  }

  private wake(): void {
    if (this.looping || this.closed) return;
    this.looping = true;
    void this.loop().finally(() => (this.looping = false));
  }

  /**
   * While some local queue has credit: take what Redis has for the queues that may have
   * something (new entries signalled, or something taken last time), all of them every
   * SWEEP_MS (returned and claimable entries signal nothing), else wait (blocked) for new entries.
   */
  private async loop(): Promise<void> {
    let due: Set<string> | undefined; // undefined: every hungry queue
    let swept = 0;
    while (!this.closed) {
      // Entries taken earlier and held (no local consumer could take them then) go first, in order.
      for (const q of this.queues.values()) if (q.held.length > 0) this.pull(q);
      const hungry = [...this.queues.values()].filter((q) => q.credit > 0);
      if (hungry.length === 0) {
        // A consumer whose send buffer is filling takes nothing until it drains: look again soon.
        if (![...this.queues.values()].some((q) => q.consumers.some((c) => c.backedUp))) return;
        await sleep(DRAIN_RETRY_MS);
        continue;
      }
      const now = Date.now();
      if (now - swept >= SWEEP_MS) due = undefined;
      if (due === undefined) swept = now;
      const busy = new Set<string>();
      for (const q of hungry) {
        if (due !== undefined && !due.has(q.stream)) continue;
        try {
          if ((await this.take(q)) > 0) busy.add(q.stream);
          if (this.failing) this.o.logger.warn({ queue: q.destination }, 'Redis queues readable again');
          this.failing = false;
        } catch (err) {
          if (!this.failing) this.o.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue read failed; retrying every 100 ms');
          this.failing = true;
          await sleep(POLL_MS);
        }
      }
      due = busy;
      if (busy.size === 0 && !this.closed) {
        const signalled = await this.redis.waitForEntries(hungry.map((q) => q.stream));
        for (const st of signalled) busy.add(st);
      }
    }
  }

  private async take(q: LocalQueue): Promise<number> {
    const want = q.credit;
    if (want <= 0) return 0;
    const taken = await this.redis.take(q.stream, want);
    const now = Date.now();
    const auto: string[] = [];
    for (const t of taken) {
      const env = decodeEnvelope(t.envelope);
      const streamId = t.streamId;
      if (env === undefined) {
        auto.push(streamId); // not ours to read: settled so it never comes again
        continue;
      }
      const e = new StreamEntry(streamId, q.key, q.destination, q.user, env.message, t.expiresAt, t.deliveries);
      if (e.expiresAt !== Number.POSITIVE_INFINITY) q.expiring = true;
      if (e.expiresAt <= now) {
        q.counts.expired++;
        if (q.policy.expired === 'dead-letter') this.letters.moveAndSettle(q, e, 'expired');
        else auto.push(streamId);
        continue;
      }
      if (e.deliveries > q.policy.maxRedeliveries + 1) {
        // Claimed once too often (a consumer or node died with it each time): dead letter, as a NACK past the limit.
        e.deliveries--;
        this.letters.moveAndSettle(q, e, 'max-redeliveries');
        continue;
      }
      const c = q.taker(e);
      if (c === undefined) q.held.push(e);
      else if (q.give(c, e)) auto.push(streamId);
    }
    if (auto.length > 0) await this.settle(q, auto);
    return taken.length;
  }

  /** Hands held entries to local consumers that gained credit. */
  private pull(q: LocalQueue): void {
    const auto = q.pull();
    if (auto.length > 0) void this.settle(q, auto).catch(() => undefined);
  }

  /** A consumer is gone: its in-flight entries go back to the stream (and held ones too when it was the last). */
  private drop(c: StreamConsumer): Promise<void> {
    this.consumers.delete(c.subscription);
    const q = c.queue;
    q.remove(c);
    const back = [...c.inFlight.values()];
    c.inFlight.clear();
    q.counts.inFlight -= back.length;
    if (q.consumers.length > 0) {
      this.pull(q);
      return this.giveBack(q, back);
    }
    const held = q.held.splice(0);
    this.release(q);
    return this.giveBack(q, back, held);
  }

  /**
   * Returns `delivered` entries to the stream, or dead-letters those delivered more than
   * maxRedeliveries times; `held` ones (taken, never delivered) go back with their take uncounted.
   */
  private async giveBack(q: LocalQueue, delivered: readonly StreamEntry[], held: readonly StreamEntry[] = []): Promise<void> {
    const back: string[] = [];
    const dead: Promise<void>[] = [];
    for (const e of delivered) {
      if (e.deliveries > q.policy.maxRedeliveries) dead.push(this.letters.move(q, e, 'max-redeliveries').then(() => this.settle(q, [e.streamId])).then(() => undefined));
      else back.push(e.streamId, String(e.deliveries));
    }
    for (const e of held) back.push(e.streamId, String(e.deliveries - 1));
    try {
      if (back.length > 0) await this.redis.giveBack(q.stream, back);
      await Promise.all(dead);
    } catch (err) {
      // Left pending to this node: claimed by a live node after claimTimeout.
      this.o.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue give-back failed; the entries come back after the claim timeout');
    }
  }

  // ---- Redis ----

  private settle(q: LocalQueue, ids: readonly string[]): Promise<unknown> {
    return this.redis.settle(q.stream, ids);
  }

  /** Keeps this node's entries (in flight and held) from being claimed while it lives. */
  private touchAll(): void {
    for (const q of this.queues.values()) {
      const ids = q.held.map((e) => e.streamId);
      for (const c of q.consumers) for (const e of c.inFlight.values()) ids.push(e.streamId);
      if (ids.length > 0) this.redis.touch(q.stream, ids).catch(() => undefined);
    }
  }
}
