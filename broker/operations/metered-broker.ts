import type { BrokerMessage } from '../messaging/broker-message';
import type { MessageBroker, Subscriber, Subscription } from '../messaging/message-broker';
import type { Counters } from './counters';

/**
 * The broker as the messaging template sees it: every publish counted (one integer increment),
 * everything else passed through. Client SENDs are counted by the server where it routes them.
 */
export function countingPublishes(broker: MessageBroker, counters: Counters): MessageBroker {
  return {
    subscribe: (subscription: Subscription) => broker.subscribe(subscription),
    unsubscribe: (subscription: Subscription) => broker.unsubscribe(subscription),
    publish(message: BrokerMessage) {
      counters.messagesPublished++;
      return broker.publish(message);
    },
    publishToUser(user: string, message: BrokerMessage) {
      counters.messagesPublished++;
      return broker.publishToUser(user, message);
    },
    addSession: (subscriber: Subscriber) => broker.addSession(subscriber),
    removeSession: (subscriber: Subscriber) => broker.removeSession(subscriber),
    userSessionCount: (user: string) => broker.userSessionCount(user),
    close: () => broker.close(),
  };
}
