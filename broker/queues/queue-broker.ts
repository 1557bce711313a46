import { StompError } from '../errors';
import type { BrokerMessage } from '../messaging/broker-message';
import type { MessageBroker, Subscriber, Subscription } from '../messaging/message-broker';
import { isPattern } from '../destinations/segments';
import type { PublishReceipt } from '../retention/retention';
import { expiryOf } from './expiry';
import type { QueueBackend } from './queue-backend';

/** A broker that can say where a publish landed (the retaining broker, and this one in front of it). */
interface ReceiptingBroker extends MessageBroker {
  publishRetained(message: BrokerMessage): Promise<PublishReceipt | undefined>;
}

const receipting = (b: MessageBroker): b is ReceiptingBroker => typeof (b as Partial<ReceiptingBroker>).publishRetained === 'function';

/**
 * The broker as sessions and publishers see it when `queues` rules exist: destinations a rule
 * makes queues go to the queue backend ({@link QueueBackend}: the local QueueEngine, or a RedisBroker's Redis queues) (one consumer per message, acknowledgements,
 * redelivery), everything else to the broker behind it, unchanged (topics fan out; a cluster
 * broker still carries them between nodes).
 */
export class QueueBroker implements MessageBroker {
  constructor(
    readonly inner: MessageBroker,
    readonly engine: QueueBackend,
  ) {}

  /** @throws StompError `STOMP_ERR_INVALID_DESTINATION` for a pattern over queues: a queue is consumed by its exact name */
  subscribe(subscription: Subscription): Promise<void> | void {
    const policy = this.engine.policyFor(subscription.destination);
    if (policy === undefined) return this.inner.subscribe(subscription);
    if (isPattern(subscription.destination)) {
      throw new StompError('STOMP_ERR_INVALID_DESTINATION', `"${subscription.destination}" is a pattern over queues; a queue is consumed by its exact name`);
    }
    if (!this.engine.loaded) return this.engine.ready.then(() => this.engine.subscribe(subscription, policy));
    this.engine.subscribe(subscription, policy);
  }

  unsubscribe(subscription: Subscription): Promise<void> | void {
    if (this.engine.has(subscription)) return this.engine.unsubscribe(subscription);
    return this.inner.unsubscribe(subscription);
  }

  publish(message: BrokerMessage): Promise<void> | void {
    const policy = this.engine.policyFor(message.destination);
    if (policy === undefined) return this.inner.publish(message);
    const expires = expiryOf(message);
    if (!this.engine.loaded) return this.engine.ready.then(() => this.engine.enqueue(policy, undefined, message, expires));
    return this.engine.enqueue(policy, undefined, message, expires);
  }

  /** As the retaining broker's: a queue's publish lands in no history (undefined). */
  publishRetained(message: BrokerMessage): Promise<PublishReceipt | undefined> {
    if (this.engine.policyFor(message.destination) === undefined && receipting(this.inner)) return this.inner.publishRetained(message);
    return Promise.resolve(this.publish(message)).then(() => undefined);
  }

  publishToUser(user: string, message: BrokerMessage): Promise<void> | void {
    const policy = this.engine.policyFor(message.destination);
    if (policy === undefined) return this.inner.publishToUser(user, message);
    const expires = expiryOf(message);
    if (!this.engine.loaded) return this.engine.ready.then(() => this.engine.enqueue(policy, user, message, expires));
    return this.engine.enqueue(policy, user, message, expires);
  }

  addSession(subscriber: Subscriber): Promise<void> | void {
    return this.inner.addSession(subscriber);
  }

  removeSession(subscriber: Subscriber): Promise<void> | void {
    this.engine.removeSession(subscriber.sessionId);
    return this.inner.removeSession(subscriber);
  }

  userSessionCount(user: string): Promise<number> | number {
    return this.inner.userSessionCount(user);
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.inner.close();
  }

  ack(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void {
    if (this.engine.has(subscription)) return this.engine.ack(subscription, messageIds);
    return this.inner.ack?.(subscription, messageIds);
  }

  nack(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void {
    if (this.engine.has(subscription)) return this.engine.nack(subscription, messageIds);
    return this.inner.nack?.(subscription, messageIds);
  }
}

/**
 * True when `b` can say where a publish to `destination` lands (`publishRetained`): a queue's
 * publish lands in no history, so in front of queues only a retaining broker behind counts,
 * and a SEND to a queue keeps its synchronous path.
 */
export function isReceipting(b: MessageBroker, destination: string): b is ReceiptingBroker {
  if (b instanceof QueueBroker) return b.engine.policyFor(destination) === undefined && receipting(b.inner);
  return receipting(b);
}
