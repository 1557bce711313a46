/**
 * The one-node queue specs (spec/queues/queues.spec.ts, expiry-overflow.spec.ts, selectors.spec.ts) run again with its server on a
 * RedisBroker, so the queues live in Redis streams (docs/queues.md "Cluster"): the same
 * competing consumers, acks, redelivery, dead letters, prefetch, transactions and user queues,
 * on one node. Only the spec's server helper changes (a RedisBroker with a key prefix of its own
 * per test, its keys deleted afterwards); every assertion is the one-node spec's, but for the
 * cases listed in DIFFERENT, where docs/queues.md "Cluster" says the cluster behaves otherwise.
 */
import { randomBytes } from 'node:crypto';
import type { StompServerConfig } from '../../broker';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { silentLogger } from '../../broker/logger';
import { describeWith } from './services';
import { deleteKeys } from './throwaway-redis';

const REDIS_PORT = 6379;
const describeRedis = describeWith('Redis', REDIS_PORT, 'install and start the Debian package redis-server');
const brokers: { broker: RedisBroker; prefix: string }[] = [];

jest.mock('../queues/support', () => {
  const actual = jest.requireActual('../queues/support');
  return {
    ...actual,
    queueServer: async (config: StompServerConfig = {}) => {
      const prefix = `spec-qp-${randomBytes(4).toString('hex')}:`;
      const broker = new RedisBroker({ prefix, presenceTtl: 1000, logger: silentLogger });
      brokers.push({ broker, prefix });
      await broker.ready();
      return actual.queueServer({ broker, ...config });
    },
  };
});

afterEach(async () => {
  // After the one-node spec's own afterEach (servers closed): the brokers, then their keys.
  for (const { broker, prefix } of brokers.splice(0)) {
    await broker.close();
    await deleteKeys(REDIS_PORT, prefix);
  }
});

/** One-node cases the cluster answers differently, each with the documented reason. */
const DIFFERENT: ReadonlyMap<string, string> = new Map([
  // docs/queues.md "Cluster": stats().queues depth counts what the node holds; what waits is in Redis (XLEN).
  ['keeps messages until the first consumer subscribes, then delivers them all', 'depth of messages waiting in Redis'],
  ['drops the oldest waiting message past maxMessages, counted', 'depth of messages waiting in Redis'],
  // docs/queues.md "Cluster": queueBytes is not applied to cluster queues (Redis holds them).
  ['bounds every queue together by queueBytes', 'queueBytes'],
]);

describeRedis('the one-node queue specs on a RedisBroker', () => {
  const original = global.it;
  // A case of DIFFERENT is not registered here (its one-node run stays in spec/queues); the
  // others run with every assertion of the one-node spec.
  const only = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) => {
    if (!DIFFERENT.has(name)) original(name, fn, timeout);
  }) as jest.It;
  global.it = Object.assign(only, original);
  try {
    describe('queues.spec', () => {
      require('../queues/queues.spec');
    });
    describe('expiry-overflow.spec', () => {
      require('../queues/expiry-overflow.spec');
    });
    describe('selectors.spec', () => {
      require('../queues/selectors.spec');
    });
  } finally {
    global.it = original;
  }
});
