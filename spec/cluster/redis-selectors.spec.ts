/** Selectors with the Redis backplane: every node applies its own subscriptions' selectors to what Redis carries. */
import { randomBytes } from 'node:crypto';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { closeClients, stompClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { describeWith } from './services';

const describeRedis = describeWith('Redis', 6379, 'install and start the Debian package redis-server');
const brokers: RedisBroker[] = [];

async function startNode(prefix: string): Promise<string> {
  const broker = new RedisBroker({ prefix, presenceTtl: 1000 });
  brokers.push(broker);
  await broker.ready();
  return (await startServer({ broker })).http('/stomp');
}

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

describeRedis('selectors across RedisBroker nodes', () => {
  it('deliver to a subscriber on another node only what its selector is TRUE for', async () => {
    const prefix = `spec-${randomBytes(4).toString('hex')}:`;
    const [a, b] = await Promise.all([startNode(prefix), startNode(prefix)]);
    const selective = await (await stompClient(b, 'websocket')).subscribe('/topic/prices', { selector: "symbol = 'ACME' AND price > 10" });
    const everything = await (await stompClient(b, 'websocket')).subscribe('/topic/prices');
    const publisher = await stompClient(a, 'websocket');
    const sends: [string, Record<string, string>][] = [
      ['acme 12', { symbol: 'ACME', price: '12' }],
      ['acme 5', { symbol: 'ACME', price: '5' }],
      ['other 50', { symbol: 'OTHER', price: '50' }],
      ['acme 30', { symbol: 'ACME', price: '30' }],
    ];
    for (const [body, headers] of sends) publisher.client.publish({ destination: '/topic/prices', body, headers });
    await everything.wait(4);
    await new Promise((r) => setTimeout(r, 50));
    expect(selective.messages.map((m) => m.body)).toEqual(['acme 12', 'acme 30']);
  });
});
