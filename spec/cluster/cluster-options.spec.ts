import { BROKER_RELAY_DEFAULTS, BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT, StompBrokerRelay, type StompBrokerRelayOptions } from '../../broker/cluster/broker-relay';
import { REDIS_BROKER_DEFAULTS, RedisBroker, type RedisBrokerOptions } from '../../broker/cluster/redis-broker';
import { silentLogger } from '../../broker/logger';
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
    invalid(() => new RedisBroker({ queueClaimTimeout: 50 }), 'queueClaimTimeout');
    invalid(() => new RedisBroker({ queueClaimTimeout: Number.NaN }), 'queueClaimTimeout');
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

  it('refuses an unknown RedisBroker option before it connects, naming it and the nearest known name', () => {
    invalid(() => new RedisBroker({ prefx: 'a:' } as RedisBrokerOptions), 'Unknown RedisBroker option "prefx"; did you mean "prefix"?');
    invalid(() => new RedisBroker({ presenceTTL: 1000 } as RedisBrokerOptions), 'did you mean "presenceTtl"?');
  });

  it('refuses an unknown StompBrokerRelay option, naming it and the nearest known name', () => {
    invalid(() => new StompBrokerRelay({ virtualhost: '/' } as StompBrokerRelayOptions), 'Unknown StompBrokerRelay option "virtualhost"; did you mean "virtualHost"?');
    invalid(() => new StompBrokerRelay({ login: 'guest' } as StompBrokerRelayOptions), 'Unknown StompBrokerRelay option "login"');
  });

  it('accepts every StompBrokerRelay option by name', () => {
    const every = { ...BROKER_RELAY_DEFAULTS, logger: silentLogger } as StompBrokerRelayOptions;
    expect(Object.keys(every).sort()).toEqual([...Object.keys(BROKER_RELAY_DEFAULTS), ...BROKER_RELAY_OPTIONS_WITHOUT_DEFAULT].sort());
    expect(() => new StompBrokerRelay(every)).not.toThrow();
  });

  it('freezes the defaults of both engines, arrays included', () => {
    for (const defaults of [REDIS_BROKER_DEFAULTS, BROKER_RELAY_DEFAULTS]) {
      expect(Object.isFrozen(defaults)).toBe(true);
      for (const value of Object.values(defaults)) if (typeof value === 'object') expect(Object.isFrozen(value)).toBe(true);
    }
    expect(REDIS_BROKER_DEFAULTS).toEqual({ prefix: 'stompbox:', presenceTtl: 15000, maxBuffered: 10000, reconnectDelay: [100, 5000], queueClaimTimeout: 30000 });
    expect(BROKER_RELAY_DEFAULTS).toMatchObject({ host: '127.0.0.1', port: 61613, virtualHost: '/', heartbeat: [10000, 10000], connectTimeout: 5000 });
  });
});
