import { StompError } from '../errors';
import type { BrokerMessage } from '../messaging/broker-message';

const DIGITS = /^[0-9]{1,16}$/;

/**
 * When a message sent to a queue expires, epoch ms (SPEC §6.2): `expires:<epoch ms>`
 * (ActiveMQ's header; 0 means never) or `expiration:<ms from now>` (RabbitMQ's per-message
 * TTL); the earlier wins when both are given. `Infinity` when neither is.
 * @throws StompError `STOMP_ERR_INVALID_HEADER` when either is not a non-negative integer
 */
export function expiryOf(message: BrokerMessage, now: () => number = Date.now): number {
  let at = Number.POSITIVE_INFINITY;
  let seenExpires = false;
  let seenExpiration = false;
  // STOMP 1.2: repeated header entries, first wins.
  for (const [name, value] of message.headers) {
    if (name === 'expires' && !seenExpires) {
      seenExpires = true;
      const ms = parse(name, value);
      if (ms > 0) at = Math.min(at, ms);
    } else if (name === 'expiration' && !seenExpiration) {
      seenExpiration = true;
      at = Math.min(at, now() + parse(name, value));
    }
  }
  return at;
}

function parse(name: string, value: string): number {
  if (!DIGITS.test(value)) {
    const what = name === 'expires' ? 'epoch milliseconds' : 'milliseconds from now';
    throw new StompError('STOMP_ERR_INVALID_HEADER', `Header ${name} "${value.slice(0, 32)}" is not a non-negative integer (${what})`);
  }
  return Number(value);
}
