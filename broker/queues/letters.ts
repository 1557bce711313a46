import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import type { QueueEntry } from './queue-store';

/** Why a message went to its dead-letter destination (the `x-dead-letter-reason` header). */
export type DeadLetterReason = 'max-redeliveries' | 'expired';

/** Headers a dead-letter move adds, each replaced when the message moves again. */
const DEAD_LETTER_HEADERS = new Set(['x-original-destination', 'x-dead-letter-reason', 'x-delivery-count', 'redelivered']);

/** The message as a redelivery carries it: `redelivered:true` (RabbitMQ's header), same id and body. */
export function redelivered(m: BrokerMessage): BrokerMessage {
  const headers: HeaderPair[] = m.headers.filter(([k]) => k !== 'redelivered');
  headers.push(['redelivered', 'true']);
  return new BrokerMessage(m.destination, m.body, m.contentType, headers, m.messageId, !m.binary);
}

/**
 * `e` as a new message at its dead-letter destination `target`: body and headers kept, a new
 * `message-id`, and headers saying where it came from, why, and how often it was delivered.
 */
export function deadLetterOf(e: QueueEntry, target: string, reason: DeadLetterReason): BrokerMessage {
  const m = e.message;
  const headers: HeaderPair[] = m.headers.filter(([k]) => !DEAD_LETTER_HEADERS.has(k));
  headers.push(['x-original-destination', e.destination], ['x-dead-letter-reason', reason], ['x-delivery-count', String(e.deliveries)]);
  return new BrokerMessage(target, m.body, m.contentType, headers, undefined, !m.binary);
}
