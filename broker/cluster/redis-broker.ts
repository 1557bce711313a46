import { randomBytes } from 'node:crypto';
import type { Buffer } from 'node:buffer';
import { invalidOption, refuseUnknown } from '../option-kit';
import { createStderrLogger, type Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { Subscriber, Subscription } from '../messaging/message-broker';
import { SimpleBroker } from '../messaging/simple-broker';
import { isPattern } from '../destinations/segments';
import type { MessageStore, StoreProvider } from '../retention/message-store';
import { stamped } from '../retention/memory-store';
import { decodeEnvelope, decodeRetained, encodeEnvelope, patternGlob, RETAINED_MARK, type NodeId } from './cluster-message';
import { OutageLog } from './outage-log';
import { createRedis, type RedisLike } from './redis-types';
import { HeldPublishes } from './held-publishes';
import { REDIS_BROKER_DEFAULTS, REDIS_BROKER_OPTION_NAMES, type RedisBrokerOptions, type RedisBrokerStats } from './redis-broker-options';
import { RedisMessageStore } from './redis-message-store';
import { RedisQueues } from './redis-queues';
import type { QueueBackend } from '../queues/queue-backend';
import type { QueueEngineOptions } from '../queues/queue-engine';
import { StreamCursors } from './stream-cursors';
import { UserRegistry } from './user-registry';

/** Ms a node's own returned queue messages (NACK, UNSUBSCRIBE, session end) are left to other nodes' consumers first. */
const RETURN_GRACE_MS = 500;

export { REDIS_BROKER_DEFAULTS, REDIS_BROKER_OPTIONS_WITHOUT_DEFAULT, type RedisBrokerOptions, type RedisBrokerStats } from './redis-broker-options';

/**
 * A cluster broker over Redis pub/sub. Every node holds its own subscriptions (the
 * {@link SimpleBroker} base) and:
 * - delivers its own publishes locally at once, and PUBLISHes them on the channel
 *   `<prefix>d:<destination>`; other nodes deliver what arrives from Redis, and a node skips
 *   envelopes of its own origin, so each subscriber gets each message once, and local
 *   traffic keeps flowing while Redis is down;
 * - SUBSCRIBEs to `<prefix>d:<destination>` only for destinations it has subscribers for,
 *   and PSUBSCRIBEs a glob for each pattern subscription (see {@link patternGlob}); so a
 *   message crosses the network once per node that wants it, never nodes × destinations;
 * - routes user messages through the user registry to `<prefix>to:<node>` of only the
 *   nodes that hold the user.
 * Order: one publisher connection per node, so Redis keeps each node's publish order; a
 * per-origin sequence number drops the second copy a node gets when an exact and a pattern
 * channel both match. With retention rules the server takes {@link createMessageStore}:
 * retained messages are appended to Redis streams and reach every node, this one too, back
 * from Redis in offset order (docs/cluster.md#history-in-redis-streams).
 */
export class RedisBroker extends SimpleBroker implements StoreProvider {
  readonly nodeId: NodeId;
  readonly stats: RedisBrokerStats = { published: 0, buffered: 0, dropped: 0, failed: 0, received: 0, reconnects: 0 };
  private readonly pub: RedisLike;
  private readonly sub: RedisLike;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly maxBuffered: number;
  private readonly outbox: HeldPublishes;
  private readonly claimTimeout: number;
  private readonly presence: UserRegistry;
  /** Channel or glob → number of local subscriptions needing it. */
  private readonly channels = new Map<string, number>();
  private readonly patterns = new Map<string, number>();
  private readonly lastSeq = new Map<NodeId, number>();
  private seq = 0;
  private subReady = false;
  private closed = false;
  private readonly readyPromise: Promise<void>;
  /** The history store, once a server with retention rules asked for it (docs/cluster.md#history-in-redis-streams). */
  private store: RedisMessageStore | undefined;
  private cursors: StreamCursors | undefined;

  /** @throws StompError `STOMP_ERR_INVALID_OPTION` naming the option out of range, or ioredis missing */
  constructor(options: RedisBrokerOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) invalidOption('options', 'an object', options, 'RedisBroker');
    refuseUnknown(options, REDIS_BROKER_OPTION_NAMES, 'RedisBroker');
    const [first, cap] = options.reconnectDelay ?? REDIS_BROKER_DEFAULTS.reconnectDelay;
    const ttl = options.presenceTtl ?? REDIS_BROKER_DEFAULTS.presenceTtl;
    this.maxBuffered = options.maxBuffered ?? REDIS_BROKER_DEFAULTS.maxBuffered;
    const flushDelay = options.flushDelay ?? cap;
    invalidUnless(Number.isFinite(flushDelay) && flushDelay >= 0, 'flushDelay', 'a number of ms >= 0', options.flushDelay);
    invalidUnless(Number.isFinite(ttl) && ttl >= 150, 'presenceTtl', 'a number of ms >= 150', ttl);
    invalidUnless(Number.isInteger(this.maxBuffered) && this.maxBuffered >= 0, 'maxBuffered', 'an integer >= 0', this.maxBuffered);
    invalidUnless(first > 0 && cap >= first, 'reconnectDelay', '[first > 0, cap >= first] in ms', options.reconnectDelay);
    this.claimTimeout = options.queueClaimTimeout ?? REDIS_BROKER_DEFAULTS.queueClaimTimeout;
    invalidUnless(Number.isFinite(this.claimTimeout) && this.claimTimeout >= 100, 'queueClaimTimeout', 'a number of ms >= 100', options.queueClaimTimeout);
    this.nodeId = options.nodeId ?? randomBytes(6).toString('base64url');
    this.prefix = options.prefix ?? REDIS_BROKER_DEFAULTS.prefix;
    this.logger = options.logger ?? createStderrLogger();
    const retry = (attempt: number): number | null => (this.closed ? null : Math.min(cap, first * 2 ** Math.min(attempt - 1, 16)));
    this.pub = options.client ?? createRedis(options.redis ?? {}, retry as (n: number) => number);
    this.sub = options.client !== undefined ? options.client.duplicate() : createRedis(options.redis ?? {}, retry as (n: number) => number);
    this.outbox = new HeldPublishes(this.pub, this.stats, this.maxBuffered, flushDelay, this.logger, this.nodeId);
    const onError = (err: unknown): void => this.logger.warn({ err: String(err), node: this.nodeId }, 'Redis command failed');
    this.presence = new UserRegistry(this.pub, this.prefix, this.nodeId, ttl, onError);
    // ioredis emits 'error' for every failed attempt; the outage log says it once per outage.
    const target = options.client !== undefined ? 'the given client' : `${options.redis?.host ?? '127.0.0.1'}:${options.redis?.port ?? 6379}`;
    const outage = new OutageLog(this.logger, 'Redis', { redis: target, node: this.nodeId });
    this.pub.on('error', (err: unknown) => outage.failed(err));
    this.sub.on('error', (err: unknown) => outage.failed(err));
    this.pub.on('ready', () => {
      if (this.sub.status === 'ready') outage.restored();
    });
    this.sub.on('ready', () => {
      if (this.pub.status === 'ready') outage.restored();
    });
    this.pub.on('ready', () => this.publisherReady());
    this.sub.on('close', () => (this.subReady = false));
    this.sub.on('messageBuffer', (_channel: Buffer, data: Buffer) => this.fromRedis(data));
    this.sub.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, data: Buffer) => this.fromRedis(data));
    this.readyPromise = new Promise((resolve) => {
      this.sub.on('ready', () => {
        this.subscriberReady().then(resolve, (err: unknown) => this.logger.warn({ err: String(err) }, 'Restoring Redis subscriptions failed'));
      });
    });
  }

  /**
   * The message store of a cluster (the server takes it when retention rules are set): every
   * history in a Redis stream, offsets and epochs the same on every node. Retained messages
   * then reach every node, this one included, through Redis in offset order, and a node whose
   * subscriber connection missed some reads them back from the stream.
   */
  createMessageStore(budget = 0): MessageStore {
    if (this.store !== undefined) return this.store;
    const store = new RedisMessageStore({ redis: this.pub, prefix: this.prefix, nodeId: this.nodeId, logger: this.logger, maxBuffered: this.maxBuffered }, budget);
    this.store = store;
    if (this.pub.status === 'ready') store.loadScripts();
    this.cursors = new StreamCursors((d, from, n) => store.range(d, from, n), (m) => this.deliverLocal(m), store.counts, this.logger, this.maxBuffered);
    return store;
  }

  /**
   * User messages are routed in the order they were published, whether or not the publisher
   * waits for each (one connection carries every presence lookup): so a session may handle its
   * next frame before a user SEND's lookup answered; only its RECEIPT waits (session.ts `markOrdered`).
   */
  readonly orderedUserRouting = true;

  /**
   * The queues of a cluster (the server takes them when queue rules are set): one Redis stream
   * per queue with a consumer group, consumed by every node (broker/cluster/redis-queues.ts).
   */
  createQueueBackend(options: QueueEngineOptions): QueueBackend {
    return new RedisQueues(options, { redis: this.pub, prefix: this.prefix, nodeId: this.nodeId, logger: this.logger, claimTimeout: this.claimTimeout, returnGrace: RETURN_GRACE_MS });
  }

  /** The Redis message store, when one was created. */
  get messageStore(): RedisMessageStore | undefined {
    return this.store;
  }

  /** True while no catch-up from a stream runs on this node. */
  get caughtUp(): boolean {
    return this.cursors?.idle ?? true;
  }

  /** Resolves once this node listens on Redis (first connection). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** True while both Redis connections are up, the channels subscribed, and nothing is held back. */
  get connected(): boolean {
    return this.subReady && this.pub.status === 'ready' && this.outbox.size === 0;
  }

  /** Both Redis connections up (presence readable), whether or not held messages are flushed yet. */
  private get online(): boolean {
    return this.subReady && this.pub.status === 'ready';
  }

  // ---- MessageBroker ----

  override subscribe(subscription: Subscription): Promise<void> | void {
    this.addLocal(subscription);
    if (subscription.user !== undefined) return; // reached through this node's channel
    return this.listen(subscription.destination);
  }

  override unsubscribe(subscription: Subscription): Promise<void> | void {
    if (this.removeLocal(subscription) && subscription.user === undefined) return this.unlisten(subscription.destination);
  }

  override publish(message: BrokerMessage): Promise<void> | void {
    // Appended by the store, whose script PUBLISHed it: delivered here too when Redis echoes it, in offset order.
    if (this.store?.takeAppended(message)) return;
    this.deliverLocal(message);
    this.send(`${this.prefix}d:${message.destination}`, encodeEnvelope(this.nodeId, ++this.seq, message));
  }

  override publishToUser(user: string, message: BrokerMessage): Promise<void> | void {
    this.deliverLocalToUser(user, message);
    if (!this.online) return; // presence unknown: only local sessions are reachable
    // Resolves once the message is handed to Redis for every node holding the user. Lookups go
    // out on one connection and answer in order, so a session need not wait for one before its
    // next frame (see orderedUserRouting): the sends keep the publish order all the same.
    return this.presence.nodesOf(user).then(
      (nodes) => {
        for (const node of nodes.keys()) {
          if (node !== this.nodeId) this.send(`${this.prefix}to:${node}`, encodeEnvelope(this.nodeId, 0, message, user));
        }
      },
      (err: unknown) => this.logger.warn({ err: String(err) }, 'User lookup failed; message reached local sessions only'),
    );
  }

  override addSession(subscriber: Subscriber): Promise<void> | void {
    this.addLocalSession(subscriber);
    return this.writePresence(subscriber.user);
  }

  override removeSession(subscriber: Subscriber): Promise<void> | void {
    const removed = this.removeLocalSession(subscriber);
    const unlistened = removed.filter((s) => s.user === undefined).map((s) => this.unlisten(s.destination));
    return Promise.all([...unlistened, this.writePresence(subscriber.user)]).then(() => undefined);
  }

  /** Sessions of `user` on every live node (this node only while Redis is unreachable). */
  override userSessionCount(user: string): Promise<number> | number {
    const local = this.userSessions.get(user)?.size ?? 0;
    if (!this.online) return local;
    return this.presence.nodesOf(user).then(
      (nodes) => {
        nodes.set(this.nodeId, local);
        let n = 0;
        for (const c of nodes.values()) n += c;
        return n;
      },
      () => local,
    );
  }

  /** True when `user` has a session on any live node. */
  async isUserOnline(user: string): Promise<boolean> {
    return (await this.userSessionCount(user)) > 0;
  }

  /** The live nodes holding `user`, with its session count on each. */
  async userNodes(user: string): Promise<Map<NodeId, number>> {
    const nodes = this.online ? await this.presence.nodesOf(user) : new Map<NodeId, number>();
    const local = this.userSessions.get(user)?.size ?? 0;
    if (local > 0) nodes.set(this.nodeId, local);
    else nodes.delete(this.nodeId);
    return nodes;
  }

  /** Leaves the user registry, then closes both Redis connections. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.outbox.close(); // held messages die with the node
    this.store?.close();
    if (this.pub.status === 'ready') await this.presence.stop(this.userSessions.keys()).catch(() => undefined);
    await Promise.all([this.pub.quit().catch(() => this.pub.disconnect()), this.sub.quit().catch(() => this.sub.disconnect())]);
  }

  // ---- Redis side ----

  private writePresence(user: string | undefined): Promise<void> | void {
    if (user === undefined || this.pub.status !== 'ready') return; // restored on reconnect
    return this.presence.setCount(user, this.userSessions.get(user)?.size ?? 0).catch((err: unknown) => {
      this.logger.warn({ err: String(err) }, 'Presence update failed; it is rewritten on reconnect');
    });
  }

  private listen(destination: string): Promise<void> | void {
    const pattern = isPattern(destination);
    const table = pattern ? this.patterns : this.channels;
    const key = pattern ? `${this.prefix}d:${patternGlob(destination)}` : `${this.prefix}d:${destination}`;
    const n = table.get(key) ?? 0;
    table.set(key, n + 1);
    if (n > 0 || !this.subReady) return; // already listening, or restored on reconnect
    const done = pattern ? this.sub.psubscribe(key) : this.sub.subscribe(key);
    return done.then(
      () => (pattern ? undefined : this.baseline(destination)),
      (err: unknown) => this.logger.warn({ err: String(err), channel: key }, 'Redis SUBSCRIBE failed; retried on reconnect'),
    );
  }

  private unlisten(destination: string): Promise<void> | void {
    const pattern = isPattern(destination);
    const table = pattern ? this.patterns : this.channels;
    const key = pattern ? `${this.prefix}d:${patternGlob(destination)}` : `${this.prefix}d:${destination}`;
    const n = table.get(key) ?? 0;
    if (n > 1) return void table.set(key, n - 1);
    table.delete(key);
    if (!pattern) this.cursors?.forget(destination);
    if (n === 0 || !this.subReady) return;
    const done = pattern ? this.sub.punsubscribe(key) : this.sub.unsubscribe(key);
    return done.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * The subscriber connection is (again) up: listen on this node's channel and every channel
   * and glob it needs. Subscriptions added while this runs are picked up by the next round.
   */
  private async subscriberReady(): Promise<void> {
    await this.sub.subscribe(`${this.prefix}to:${this.nodeId}`);
    const channels = new Set<string>();
    const globs = new Set<string>();
    for (;;) {
      const todo = [...this.channels.keys()].filter((c) => !channels.has(c));
      const todoGlobs = [...this.patterns.keys()].filter((g) => !globs.has(g));
      if (todo.length === 0 && todoGlobs.length === 0) break;
      if (todo.length > 0) await this.sub.subscribe(...todo);
      if (todoGlobs.length > 0) await this.sub.psubscribe(...todoGlobs);
      for (const c of todo) channels.add(c);
      for (const g of todoGlobs) globs.add(g);
    }
    this.cursors?.catchUpAll(); // what the channels carried while this connection was cut is in the streams
    if (this.subReady) return;
    this.subReady = true;
    this.stats.reconnects++;
    this.logger.info({ node: this.nodeId, channels: channels.size, patterns: globs.size }, 'Listening on Redis');
  }

  /** The publisher connection is (again) up: register presence, then send what was buffered, in order. */
  private publisherReady(): void {
    if (this.closed) return;
    const counts = new Map<string, number>();
    for (const [user, ids] of this.userSessions) counts.set(user, ids.size);
    this.presence.start();
    this.presence.restore(counts).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'Restoring presence failed'));
    // Held appends go at once: a node not yet re-subscribed reads them from the stream when it is.
    this.store?.loadScripts();
    this.store?.flush();
    this.outbox.connected();
  }

  private send(channel: string, data: Buffer): void {
    this.outbox.send(channel, data);
  }

  /** Where a retained destination's history stands as this node starts listening to it, so a cut connection catches up from there. */
  private baseline(destination: string): Promise<void> | void {
    const store = this.store;
    if (store === undefined) return;
    return store.head(destination).then(
      (head) => this.cursors?.baseline(destination, head),
      () => undefined,
    );
  }

  private fromRedis(data: Buffer): void {
    if (data[0] === RETAINED_MARK) return this.fromStream(data);
    const env = decodeEnvelope(data);
    if (env === undefined || env.origin === this.nodeId) return; // own messages were delivered at publish
    if (env.user !== undefined) {
      // One copy only (this node's own channel); no sequence check: the lookup before it is async.
      this.stats.received++;
      this.deliverLocalToUser(env.user, env.message);
      return;
    }
    const last = this.lastSeq.get(env.origin);
    if (last !== undefined && env.seq <= last) return; // second copy (exact and pattern channel)
    this.lastSeq.set(env.origin, env.seq);
    this.stats.received++;
    this.deliverLocal(env.message);
  }

  /** A retained message: every node delivers it on its way back from Redis (the publishing one too), in offset order. */
  private fromStream(data: Buffer): void {
    const r = decodeRetained(data);
    if (r === undefined) return;
    const message = stamped(r.envelope.message, r.offset, r.epoch);
    if (r.envelope.origin !== this.nodeId) this.stats.received++;
    if (this.cursors !== undefined) this.cursors.receive(message.destination, r.offset, r.epoch, message);
    else if (r.envelope.origin !== this.nodeId) this.deliverLocal(message); // a node without retention: plain pub/sub
  }
}

function invalidUnless(ok: boolean, option: string, expected: string, received: unknown): void {
  if (!ok) invalidOption(option, expected, received, 'RedisBroker');
}
