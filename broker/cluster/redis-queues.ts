import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { StompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { SessionId, Subscription } from '../messaging/message-broker';
import { userHistoryKey } from '../retention/message-store';
import type { QueueBackend } from '../queues/queue-backend';
import type { QueueEngineOptions } from '../queues/queue-engine';
import { deadLetterOf, redelivered, type DeadLetterReason } from '../queues/letters';
import type { QueuePolicy } from '../queues/queue-rules';
import { queueStats, type QueueStats } from '../queues/queue-stats';
import { decodeEnvelope, encodeEnvelope, type NodeId } from './cluster-message';
import { ENQUEUE, GIVE_BACK, SETTLE, TAKE, TOUCH } from './queue-scripts';
import { LocalQueue, StreamConsumer, StreamEntry } from './redis-queue-state';
import type { RedisLike } from './redis-types';

const GROUP = 'stompbox';
/** How long a blocked read waits for new entries before the loop looks again (returned and claimable entries), ms. */
const POLL_MS = 100;

/** What the RedisBroker gives its queues. */
export interface RedisQueueHost {
  readonly redis: RedisLike;
  readonly prefix: string;
  readonly nodeId: NodeId;
  readonly logger: Logger;
  /** Ms an entry stays pending to a silent consumer before a live node claims it. */
  readonly claimTimeout: number;
  /** Ms a node's own returned entries are left to other nodes first. */
  readonly returnGrace: number;
}

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
  private readonly queues = new Map<string, LocalQueue>();
  private readonly consumers = new Map<Subscription, StreamConsumer>();
  private readonly bySession = new Map<SessionId, Set<StreamConsumer>>();
  private readonly sha = new Map<string, string>();
  private blocking: RedisLike | undefined;
  private closed = false;
  private looping = false;
  private readonly toucher: ReturnType<typeof setInterval>;

  constructor(
    private readonly o: QueueEngineOptions,
    private readonly host: RedisQueueHost,
  ) {
    this.toucher = setInterval(() => this.touchAll(), Math.max(50, Math.floor(host.claimTimeout / 3)));
    this.toucher.unref();
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
    q.counts.enqueued++;
    if (expiresAt <= Date.now()) {
      q.counts.expired++;
      if (policy.expired === 'dead-letter') await this.deadLetter(q, new StreamEntry('0-0', q.key, q.destination, user, message, expiresAt, 0), 'expired');
      return;
    }
    const x = expiresAt === Number.POSITIVE_INFINITY ? 'inf' : String(expiresAt);
    const reject = policy.overflow === 'reject' ? '1' : '0';
    let trimmed: number;
    try {
      trimmed = Number(await this.run(ENQUEUE, q.stream, [GROUP, String(policy.maxMessages), reject, encodeEnvelope(this.host.nodeId, 0, message, user), x]));
    } catch (err) {
      q.counts.enqueued--;
      throw new StompError('STOMP_ERR_STORE_UNAVAILABLE', `Redis did not take the queue message (${err instanceof Error ? err.message : String(err)}); it may or may not be queued`);
    }
    if (trimmed < 0) {
      q.counts.enqueued--;
      throw new StompError('STOMP_ERR_QUEUE_FULL', `Queue "${q.destination}" holds maxMessages (${policy.maxMessages}) messages, waiting and in flight, across the cluster`);
    }
    q.counts.dropped += trimmed;
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
    for (const c of own) void this.drop(c);
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
      back.push(e);
    }
    this.pull(c.queue);
    return this.giveBack(c.queue, back);
  }

  stats(): QueueStats {
    for (const q of this.queues.values()) q.counts.depth = q.held.length;
    return queueStats(this.queues.values(), 0, this.o.budget, { messages: 0, bytes: 0 });
  }

  /** Gives back everything this node holds (so other nodes take it at once), then stops reading. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.toucher);
    const gone = [...this.consumers.values()];
    await Promise.all(gone.map((c) => this.drop(c)));
    await Promise.all([...this.queues.values()].map((q) => this.giveBack(q, [], q.held.splice(0))));
    this.closed = true;
    this.blocking?.disconnect();
  }

  // ---- taking and handing out ----

  private open(user: string | undefined, destination: string, policy: QueuePolicy): LocalQueue {
    const key = user === undefined ? destination : userHistoryKey(user, destination);
    let q = this.queues.get(key);
    if (q === undefined) this.queues.set(key, (q = new LocalQueue(key, `${this.host.prefix}q:${key}`, destination, user, policy)));
    return q;
  }

  private wake(): void {
    if (this.looping || this.closed) return;
    this.looping = true;
    void this.loop().finally(() => (this.looping = false));
  }

  /** While some local queue has credit: take what Redis has for it, else wait (blocked) for new entries. */
  private async loop(): Promise<void> {
    while (!this.closed) {
      const hungry = [...this.queues.values()].filter((q) => q.credit > 0);
      if (hungry.length === 0) return;
      let took = 0;
      for (const q of hungry) {
        try {
          took += await this.take(q);
        } catch (err) {
          this.host.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue read failed; retrying');
          await sleep(POLL_MS);
        }
      }
      if (took === 0 && !this.closed) await this.waitForEntries(hungry);
    }
  }

  private async take(q: LocalQueue): Promise<number> {
    const want = q.credit;
    if (want <= 0) return 0;
    const args = [GROUP, this.host.nodeId, String(want), String(this.host.claimTimeout), String(this.host.returnGrace)];
    const flat = (await this.run(TAKE, q.stream, args)) as Buffer[];
    const now = Date.now();
    const auto: string[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const env = decodeEnvelope(flat[i + 1]);
      const streamId = flat[i].toString();
      if (env === undefined) {
        auto.push(streamId); // not ours to read: settled so it never comes again
        continue;
      }
      const x = flat[i + 2].toString();
      const e = new StreamEntry(streamId, q.key, q.destination, q.user, env.message, x === 'inf' ? Number.POSITIVE_INFINITY : Number(x), Number(flat[i + 3].toString()));
      if (e.expiresAt <= now) {
        q.counts.expired++;
        if (q.policy.expired === 'dead-letter') void this.deadLetter(q, e, 'expired').then(() => this.settle(q, [streamId]));
        else auto.push(streamId);
        continue;
      }
      if (e.deliveries > q.policy.maxRedeliveries + 1) {
        // Claimed once too often (a consumer or node died with it each time): dead letter, as a NACK past the limit.
        e.deliveries--;
        void this.deadLetter(q, e, 'max-redeliveries').then(() => this.settle(q, [streamId]));
        continue;
      }
      const c = q.taker(e);
      if (c === undefined) q.held.push(e);
      else if (this.give(c, e)) auto.push(streamId);
    }
    if (auto.length > 0) await this.settle(q, auto);
    return flat.length / 4;
  }

  /** Writes `e` to `c`; true when `ack:auto` settled it. */
  private give(c: StreamConsumer, e: StreamEntry): boolean {
    const q = c.queue;
    q.counts.delivered++;
    const again = e.deliveries > 1;
    if (again) q.counts.redelivered++;
    const message = again ? redelivered(e.message) : e.message;
    if (c.auto) q.counts.acked++;
    else {
      c.inFlight.set(e.message.messageId, e);
      q.counts.inFlight++;
    }
    c.subscription.subscriber.deliver(c.subscription, message);
    return c.auto;
  }

  /** Hands held entries to local consumers that gained credit. */
  private pull(q: LocalQueue): void {
    if (q.held.length === 0) return;
    const auto: string[] = [];
    for (let i = 0; i < q.held.length; ) {
      const c = q.taker(q.held[i]);
      if (c === undefined) {
        i++;
        continue;
      }
      const [e] = q.held.splice(i, 1);
      if (this.give(c, e)) auto.push(e.streamId);
    }
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
    return this.giveBack(q, back, q.held.splice(0));
  }

  /**
   * Returns `delivered` entries to the stream, or dead-letters those delivered more than
   * maxRedeliveries times; `held` ones (taken, never delivered) go back with their take uncounted.
   */
  private async giveBack(q: LocalQueue, delivered: readonly StreamEntry[], held: readonly StreamEntry[] = []): Promise<void> {
    const back: string[] = [];
    const dead: Promise<void>[] = [];
    for (const e of delivered) {
      if (e.deliveries > q.policy.maxRedeliveries) dead.push(this.deadLetter(q, e, 'max-redeliveries').then(() => this.settle(q, [e.streamId])).then(() => undefined));
      else back.push(e.streamId, String(e.deliveries));
    }
    for (const e of held) back.push(e.streamId, String(e.deliveries - 1));
    try {
      if (back.length > 0) await this.run(GIVE_BACK, q.stream, [GROUP, this.host.nodeId, ...back]);
      await Promise.all(dead);
    } catch (err) {
      // Left pending to this node: claimed by a live node after claimTimeout.
      this.host.logger.warn({ err: String(err), queue: q.destination }, 'Redis queue give-back failed; the entries come back after the claim timeout');
    }
  }

  private async deadLetter(q: LocalQueue, e: StreamEntry, reason: DeadLetterReason): Promise<void> {
    const target = q.policy.deadLetterOf(e.destination);
    if (target === undefined || target === e.destination) {
      q.counts.dropped++;
      return;
    }
    const letter = deadLetterOf(e, target, reason);
    const policy = this.policyFor(target);
    try {
      if (policy === undefined) this.o.publishElsewhere(e.user, letter);
      else await this.enqueue(policy, e.user, letter, Number.POSITIVE_INFINITY);
      q.counts.deadLettered++;
    } catch (err) {
      q.counts.dropped++;
      this.o.logger.warn({ destination: e.destination, deadLetter: target, err }, 'Dead-letter destination refused a message; dropped');
    }
  }

  // ---- Redis ----

  private settle(q: LocalQueue, ids: readonly string[]): Promise<unknown> {
    return this.run(SETTLE, q.stream, [GROUP, ...ids]);
  }

  /** Keeps this node's entries (in flight and held) from being claimed while it lives. */
  private touchAll(): void {
    for (const q of this.queues.values()) {
      const ids = q.held.map((e) => e.streamId);
      for (const c of q.consumers) for (const e of c.inFlight.values()) ids.push(e.streamId);
      if (ids.length > 0) this.run(TOUCH, q.stream, [GROUP, this.host.nodeId, ...ids]).catch(() => undefined);
    }
  }

  /** Blocks (on a connection of its own) until one of `queues` gets a new entry, or POLL_MS. */
  private async waitForEntries(queues: readonly LocalQueue[]): Promise<void> {
    if (this.blocking === undefined) {
      this.blocking = this.host.redis.duplicate();
      this.blocking.on('error', () => undefined); // the loop retries; RedisBroker reports the outage
    }
    if (this.blocking.status !== 'ready') return sleep(POLL_MS);
    const streams = queues.map((q) => q.stream);
    await this.blocking.callBuffer('XREAD', 'BLOCK', String(POLL_MS), 'STREAMS', ...streams, ...streams.map(() => '$')).catch(() => sleep(POLL_MS));
  }

  /** EVALSHA, or EVAL when Redis does not know the script yet. */
  private async run(script: string, key: string, argv: readonly (string | Buffer)[]): Promise<unknown> {
    let sha = this.sha.get(script);
    if (sha === undefined) this.sha.set(script, (sha = createHash('sha1').update(script).digest('hex')));
    try {
      return await this.host.redis.callBuffer('EVALSHA', sha, '1', key, ...argv);
    } catch (err) {
      if (!String(err).includes('NOSCRIPT')) throw err;
      return this.host.redis.callBuffer('EVAL', script, '1', key, ...argv);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
