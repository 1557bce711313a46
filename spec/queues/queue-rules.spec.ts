/** The `queues` option: rules, their defaults, dead-letter names (broker/queues/queue-rules.ts). */
import { QUEUE_RULE_DEFAULTS, QueueRules, validateQueues } from '../../broker/queues/queue-rules';
import { BrokerMessage } from '../../broker/messaging/broker-message';
import { expiryOf } from '../../broker/queues/expiry';

describe('QueueRules', () => {
  it('applies the first rule whose pattern matches, and none to other destinations', () => {
    const rules = new QueueRules(validateQueues([{ destinations: '/queue/urgent', maxMessages: 5 }, { destinations: '/queue/**', maxMessages: 50 }]));
    expect(rules.policyFor('/queue/urgent')?.maxMessages).toBe(5);
    expect(rules.policyFor('/queue/other')?.maxMessages).toBe(50);
    expect(rules.policyFor('/topic/x')).toBeUndefined();
    expect(new QueueRules([]).active).toBe(false);
  });

  it('fills in the defaults: 10000 messages, 20 redeliveries, drop-oldest, expired dropped, no dead-letter destination', () => {
    const policy = new QueueRules(validateQueues([{ destinations: '/queue/**' }])).policyFor('/queue/a')!;
    expect(QUEUE_RULE_DEFAULTS).toEqual({ maxMessages: 10000, maxRedeliveries: 20, overflow: 'drop-oldest', expired: 'drop' });
    expect(policy).toMatchObject(QUEUE_RULE_DEFAULTS);
    expect(policy.deadLetterOf('/queue/a')).toBeUndefined();
  });

  it.each([
    ['/queue/**', '/queue/DLQ.{name}', '/queue/orders', '/queue/DLQ.orders'],
    ['/queue/**', '/queue/DLQ.{name}', '/queue/a/b', '/queue/DLQ.a/b'],
    ['/queue/{q}', '/dead/{q}', '/queue/mail', '/dead/mail'],
    ['/jobs/**', '/topic/dead{destination}', '/jobs/x', '/topic/dead/jobs/x'],
  ])('names the dead-letter destination of a %s queue from %s', (destinations, deadLetter, queue, expected) => {
    expect(new QueueRules(validateQueues([{ destinations, deadLetter }])).policyFor(queue)!.deadLetterOf(queue)).toBe(expected);
  });

  it('freezes the validated rules', () => {
    const rules = validateQueues([{ destinations: '/queue/**', maxRedeliveries: 3 }]);
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(rules[0])).toBe(true);
  });
});

describe('expiryOf', () => {
  const message = (headers: [string, string][]): BrokerMessage => new BrokerMessage('/queue/x', new Uint8Array(), undefined, headers);

  it('reads expires as epoch ms and expiration as ms from now, the earlier winning', () => {
    const now = (): number => 1_000_000;
    expect(expiryOf(message([]), now)).toBe(Number.POSITIVE_INFINITY);
    expect(expiryOf(message([['expires', '1500000']]), now)).toBe(1_500_000);
    expect(expiryOf(message([['expiration', '250']]), now)).toBe(1_000_250);
    expect(expiryOf(message([['expires', '1500000'], ['expiration', '250']]), now)).toBe(1_000_250);
    expect(expiryOf(message([['expires', '0']]), now)).toBe(Number.POSITIVE_INFINITY);
  });

  it('takes the first of repeated headers (STOMP 1.2)', () => {
    expect(expiryOf(message([['expires', '7'], ['expires', 'junk']]))).toBe(7);
  });

  it.each(['', 'soon', '-1', '1e3', '12345678901234567'])('refuses expiration "%s" with STOMP_ERR_INVALID_HEADER', (value) => {
    expect(() => expiryOf(message([['expiration', value]]))).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_HEADER' }));
  });
});
