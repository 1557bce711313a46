import type { MessageBroker } from './messaging/message-broker';
import { SimpleBroker } from './messaging/simple-broker';
import type { ResolvedOptions } from './options';
import { QueueBroker } from './queues/queue-broker';
import type { QueueBackend, QueueBackendProvider } from './queues/queue-backend';
import { QueueEngine, type QueueEngineOptions } from './queues/queue-engine';
import { QueueRules } from './queues/queue-rules';
import type { QueueStore } from './queues/queue-store';
import type { MessageStore, StoreProvider } from './retention/message-store';
import { Retention } from './retention/retention';
import { RetentionRules } from './retention/retention-rules';
import type { FrameRelay } from './session/session-host';
import { openStores } from './store/open-stores';
import type { SqliteDatabase } from './store/sqlite-database';

/** The parts of a server's configuration the messaging stack is built from. */
export interface MessagingParts {
  readonly broker?: MessageBroker;
  readonly relay?: FrameRelay;
  readonly messageStore?: MessageStore;
  readonly queueStore?: QueueStore;
}

/** A server's brokers and stores, from the engine that routes to the wrappers publishers see. */
export interface MessagingStack {
  /** The message broker: the one given, the relay's, or a new {@link SimpleBroker}. */
  readonly broker: MessageBroker;
  readonly retention: Retention;
  readonly queueStore: QueueStore;
  /** The queue engine; undefined when no `queues` rule exists. */
  readonly queues: QueueBackend | undefined;
  /** The broker as publishers use it: queues first (when rules make some), retaining what the rules retain, then `broker`. */
  readonly publisher: MessageBroker;
  /** What hears ACK and NACK (the publisher when there are queues). */
  readonly acknowledger: MessageBroker | undefined;
  /** The SQLite file behind the stores, when the `store` option names one. */
  readonly database: SqliteDatabase | undefined;
}

/**
 * Builds the messaging stack of a server: the broker, the stores (a cluster broker's own first,
 * then the `store` option's), retention around the broker and queues around that. A cluster
 * broker (RedisBroker) keeps history and queues itself unless a store is given.
 * @throws StompError `STOMP_ERR_STORE_UNAVAILABLE` when the `store` file cannot be used
 */
export function buildMessagingStack(o: ResolvedOptions, parts: MessagingParts): MessagingStack {
  const broker = parts.broker ?? parts.relay?.broker ?? new SimpleBroker();
  const rules = new RetentionRules(o.retention);
  const provided = rules.active && parts.messageStore === undefined ? (broker as Partial<StoreProvider>).createMessageStore?.(o.retentionBytes) : undefined;
  const stores = openStores(o.store, o.logger, o.retentionBytes, { messageStore: parts.messageStore ?? provided, queueStore: parts.queueStore });
  const retention = new Retention(rules, stores.messageStore);
  const retaining = rules.active ? retention.wrap(broker) : broker;
  const queueRules = new QueueRules(o.queues);
  const queueOptions: QueueEngineOptions = {
    rules: queueRules,
    store: stores.queueStore,
    budget: o.queueBytes,
    defaultPrefetch: o.maxPendingAcks,
    logger: o.logger,
    publishElsewhere: (user, m) => void (user === undefined ? retaining.publish(m) : retaining.publishToUser(user, m)),
  };
  const queueProvider = parts.queueStore === undefined ? (broker as Partial<QueueBackendProvider>).createQueueBackend : undefined;
  const queues = !queueRules.active ? undefined : queueProvider !== undefined ? queueProvider.call(broker, queueOptions) : new QueueEngine(queueOptions);
  // A store that fails to load fails listen(); nobody else need hear of it.
  queues?.ready.catch(() => undefined);
  const publisher = queues === undefined ? retaining : new QueueBroker(retaining, queues);
  return { broker, retention, queueStore: stores.queueStore, queues, publisher, acknowledger: queues === undefined ? undefined : publisher, database: stores.database };
}
