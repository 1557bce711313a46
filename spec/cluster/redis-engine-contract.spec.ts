/** RedisBroker runs the engine contract (spec/messaging/engine-contract.ts) on one node and on two, against the local Redis. */
import { randomBytes } from 'node:crypto';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { silentLogger } from '../../broker/logger';
import { engineContract } from '../messaging/engine-contract';
import { describeWith } from './services';

const describeRedis = describeWith('Redis', 6379, 'install and start the Debian package redis-server');

async function redisNodes(count: number) {
  const prefix = `contract-${randomBytes(4).toString('hex')}:`;
  const nodes = Array.from({ length: count }, () => new RedisBroker({ prefix, presenceTtl: 1000, logger: silentLogger }));
  await Promise.all(nodes.map((n) => n.ready()));
  return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
}

engineContract(describeRedis, 'RedisBroker on one node', () => redisNodes(1));
engineContract(describeRedis, 'RedisBroker on two nodes', () => redisNodes(2));
