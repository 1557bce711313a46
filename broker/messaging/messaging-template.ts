import type { MessageBroker } from './message-broker';
import { toMessage, type Payload } from './message-converter';
import type { DestinationRouter } from './destination-router';

/**
 * Publishing from server code (Spring's SimpMessagingTemplate). Both methods resolve once
 * the broker accepted the message (at once for the in-memory broker).
 *
 * @example
 * await server.template.convertAndSend('/topic/news', { title: 'hello' });
 * await server.template.convertAndSendToUser('zhangsan', '/message', 'hi');
 */
export class MessagingTemplate {
  constructor(
    private readonly broker: MessageBroker,
    private readonly router: DestinationRouter,
  ) {}

  /** Sends to a broker destination; a `/user/<name>/...` destination goes to that user. */
  convertAndSend(destination: string, payload: Payload, headers?: Record<string, string>): Promise<void> {
    const target = this.router.userTarget(destination);
    if (target !== undefined) return this.convertAndSendToUser(target.user, target.destination.slice(this.router.userPrefix.length), payload, headers);
    return settle(this.broker.publish(toMessage(destination, payload, headers)));
  }

  /**
   * Sends to every session of `user`: their principal-based subscriptions to
   * `/user<destination>` and, when the user prefix is also a broker prefix (the literal
   * form), the subscribers of `/user/<user><destination>`.
   */
  convertAndSendToUser(user: string, destination: string, payload: Payload, headers?: Record<string, string>): Promise<void> {
    const message = toMessage(`${this.router.userPrefix}${destination}`, payload, headers);
    const toUser = this.broker.publishToUser(user, message);
    const literal = this.router.literalUserDestinations
      ? this.broker.publish(message.withDestination(this.router.literalUserDestination(user, destination)))
      : undefined;
    return settle(toUser, literal);
  }
}

function settle(...results: (Promise<void> | void)[]): Promise<void> {
  const pending = results.filter((r): r is Promise<void> => r !== undefined);
  return pending.length === 0 ? Promise.resolve() : Promise.all(pending).then(() => undefined);
}
