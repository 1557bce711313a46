import type { CompiledSelector } from '../selectors/compile-selector';
import type { BrokerMessage } from './broker-message';

/** How a subscription acknowledges messages (STOMP 1.2 §SUBSCRIBE "ack"). */
export type AckMode = 'auto' | 'client' | 'client-individual';

/** Identifies a session across the broker; unique per process. */
export type SessionId = string;

/** The receiving end of subscriptions: one STOMP session. `messaging/` never sees its socket. */
export interface Subscriber {
  readonly sessionId: SessionId;
  /** The authenticated principal's name, if any. */
  readonly user: string | undefined;
  /** Writes one MESSAGE for `subscription`. Must not throw. */
  deliver(subscription: Subscription, message: BrokerMessage): void;
  /**
   * Optional: true while this subscriber's send buffer is filling (its client reads slower than
   * it is sent to), so a queue keeps its messages waiting for it, or gives them to another
   * consumer, instead of writing them into a buffer that would pass its limit. Must not throw.
   */
  backedUp?(): boolean;
}

/** One SUBSCRIBE of one session. */
export interface Subscription {
  /** The client's subscription id, unique within its session. */
  readonly id: string;
  /** The destination as the client wrote it (may be a pattern: `*`, `**`, `{var}`). */
  readonly destination: string;
  readonly ack: AckMode;
  readonly subscriber: Subscriber;
  /**
   * Set on principal-based user subscriptions (`/user/queue/x` by a session of user `u`):
   * such a subscription is reached only through `publishToUser(u, …)`, never by a broadcast.
   */
  readonly user?: string;
  /**
   * The SUBSCRIBE `selector` compiled once (SPEC §6.2): only messages it is TRUE for reach this
   * subscription. Brokers filter among the subscriptions a destination already matched.
   */
  readonly selector?: CompiledSelector;
  /** SUBSCRIBE `prefetch-count` (RabbitMQ's header): most unacknowledged messages a queue hands this subscription. */
  readonly prefetch?: number;
}

/**
 * The seam between sessions and message distribution (socket.io's Adapter, Spring's
 * SimpleBrokerMessageHandler). The in-memory {@link SimpleBroker} is the default; cluster
 * brokers (Redis backplane, relay) implement the same interface. Methods may be async: a
 * session awaits `subscribe()` before it sends the RECEIPT of a SUBSCRIBE, so "subscribe with
 * receipt, then send" never loses the first message, whatever the engine.
 */
export interface MessageBroker {
  /** Adds a subscription; resolved once messages published afterwards reach it. */
  subscribe(subscription: Subscription): Promise<void> | void;
  /** Removes a subscription; unknown subscriptions are ignored. */
  unsubscribe(subscription: Subscription): Promise<void> | void;
  /** Delivers to every broadcast subscription matching `message.destination`, on every node. */
  publish(message: BrokerMessage): Promise<void> | void;
  /**
   * Delivers to the principal-based subscriptions of `user` whose destination equals
   * `message.destination` (`/user/queue/x`), on every node, and to nobody else.
   */
  publishToUser(user: string, message: BrokerMessage): Promise<void> | void;
  /** A session connected (presence for user routing). */
  addSession(subscriber: Subscriber): Promise<void> | void;
  /** A session ended: forget it and every subscription it held. */
  removeSession(subscriber: Subscriber): Promise<void> | void;
  /** Number of sessions of `user` known to this broker (cluster-wide for cluster brokers). */
  userSessionCount(user: string): Promise<number> | number;
  /** Releases resources (connections to a backplane). */
  close(): Promise<void> | void;
  /**
   * A client ACKed messages of one of its client-ack subscriptions (STOMP 1.2 §ACK; in `client`
   * mode every earlier pending message of the subscription with it): `messageIds` in delivery
   * order. Optional: a broker without it treats acknowledgement as the session's own business
   * (the simple broker); a queue engine settles its deliveries here. The RECEIPT waits for it.
   */
  ack?(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void;
  /** A client NACKed messages (STOMP 1.2 §NACK), as {@link ack}: the engine may redeliver them elsewhere. */
  nack?(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void;
}
