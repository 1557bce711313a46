import type { BrokerMessage } from '../messaging/broker-message';
import type { SessionId, Subscription } from '../messaging/message-broker';
import type { QueueEngineOptions } from './queue-engine';
import type { QueuePolicy } from './queue-rules';
import type { QueueStats } from './queue-stats';

/**
 * The queue backend seam: what the {@link QueueBroker} (and so every session) talks to for the
 * destinations a `queues` rule makes queues. Two implement it:
 * - the {@link QueueEngine} (broker/queues/queue-engine.ts): the queues live in this process,
 *   mirrored to its `QueueStore` (memory, or the SQLite `store`);
 * - the Redis queues of a `RedisBroker` (broker/cluster/redis-queues.ts): one Redis stream per
 *   queue with a consumer group, shared by every node (docs/queues.md "Cluster").
 * Both follow the same rules (docs/queues.md); sessions never know which one they talk to.
 */
export interface QueueBackend {
  /** Resolved once the backend can take sessions (a durable store loaded). */
  readonly ready: Promise<void>;
  /** True once `ready` resolved. */
  readonly loaded: boolean;
  policyFor(destination: string): QueuePolicy | undefined;
  has(subscription: Subscription): boolean;
  /**
   * A message joins its queue; resolves when it is recorded (the SEND's RECEIPT waits for that).
   * @throws StompError `STOMP_ERR_QUEUE_FULL` (or rejects with it) when the queue refuses it
   */
  enqueue(policy: QueuePolicy, user: string | undefined, message: BrokerMessage, expiresAt: number): void | Promise<void>;
  subscribe(subscription: Subscription, policy: QueuePolicy): void;
  unsubscribe(subscription: Subscription): void | Promise<void>;
  removeSession(sessionId: SessionId): void;
  ack(subscription: Subscription, messageIds: readonly string[]): void | Promise<void>;
  nack(subscription: Subscription, messageIds: readonly string[]): void | Promise<void>;
  stats(): QueueStats;
  close(): void | Promise<void>;
}

/** A message broker that keeps queues itself (RedisBroker): the server asks it before building a local engine. */
export interface QueueBackendProvider {
  createQueueBackend(options: QueueEngineOptions): QueueBackend;
}
