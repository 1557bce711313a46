import { StompBrokerRelay } from '../../broker/cluster/broker-relay';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { StompError } from '../../broker/errors';

function invalid(make: () => unknown, option: string): void {
  let caught: unknown;
  try {
    make();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StompError);
  expect((caught as StompError).code).toBe('STOMP_ERR_INVALID_OPTION');
  expect((caught as StompError).message).toContain(option);
}

describe('cluster engine options', () => {
  it('refuses RedisBroker options out of range, naming the option', () => {
    invalid(() => new RedisBroker({ presenceTtl: 10 }), 'presenceTtl');
    invalid(() => new RedisBroker({ maxBuffered: -1 }), 'maxBuffered');
    invalid(() => new RedisBroker({ reconnectDelay: [0, 10] }), 'reconnectDelay');
  });

  it('refuses StompBrokerRelay options out of range, naming the option', () => {
    invalid(() => new StompBrokerRelay({ port: 70000 }), 'port');
    invalid(() => new StompBrokerRelay({ heartbeat: [-1, 0] }), 'heartbeat');
    invalid(() => new StompBrokerRelay({ reconnectDelay: [100, 10] }), 'reconnectDelay');
    invalid(() => new StompBrokerRelay({ connectTimeout: 0 }), 'connectTimeout');
    invalid(() => new StompBrokerRelay({ prefixes: ['topic'] }), 'prefixes');
    invalid(() => new StompBrokerRelay({ maxBufferedBytes: 0 }), 'maxBufferedBytes');
  });

  it("relays RabbitMQ's destination prefixes by default, on segment boundaries", () => {
    const relay = new StompBrokerRelay();
    for (const d of ['/topic/a.b', '/queue/q', '/exchange/amq.direct/k', '/amq/queue/q', '/temp-queue/r']) expect(relay.isRelayDestination(d)).toBe(true);
    for (const d of ['/user/queue/x', '/app/x', '/topics/x', '/amq/other']) expect(relay.isRelayDestination(d)).toBe(false);
  });
});
