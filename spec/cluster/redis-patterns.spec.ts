/**
 * Pattern subscriptions across RedisBroker nodes: the Redis glob a node listens on must match
 * every destination its pattern matches (`**` also matches zero segments), and what arrives is
 * filtered with the same bounded matcher as local publishes, so a pathological pattern on one
 * node cannot be made to stall it from another.
 */
import { randomBytes } from 'node:crypto';
import type { StompServerConfig } from '../../broker';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { closeClients, stompClient, type StompClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { describeWith, eventually } from './services';

const describeRedis = describeWith('Redis', 6379, 'install and start the Debian package redis-server');

interface Node {
  readonly running: Running;
  readonly broker: RedisBroker;
  readonly base: string;
}

let prefix = '';
const brokers: RedisBroker[] = [];

async function startNode(config: Omit<StompServerConfig, 'broker'> = {}): Promise<Node> {
  const broker = new RedisBroker({ prefix, presenceTtl: 1000 });
  brokers.push(broker);
  await broker.ready();
  const running = await startServer({ ...config, broker });
  return { running, broker, base: running.http('/stomp') };
}

let receipts = 0;
/** SEND with a receipt; resolves once the server answered it. */
async function sent(c: StompClient, destination: string, body: string): Promise<void> {
  const receipt = `s-${++receipts}`;
  c.client.publish({ destination, body, headers: { receipt } });
  await c.receipt(receipt);
}

beforeEach(() => {
  prefix = `spec-${randomBytes(4).toString('hex')}:`;
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

describeRedis('RedisBroker pattern subscriptions', () => {
  it.each([
    ['/topic/p/**', ['/topic/p', '/topic/p/q', '/topic/p/q/r'], ['/topic/px', '/topic/q']],
    ['/topic/a/**/z', ['/topic/a/z', '/topic/a/b/z', '/topic/a/b/c/z'], ['/topic/az', '/topic/a/z/y', '/topic/ab/z']],
    ['/topic/*/price/**', ['/topic/acme/price', '/topic/acme/price/eur'], ['/topic/price', '/topic/acme/pricey']],
  ])('delivers to %s on node B what node A publishes to each destination it matches, zero-segment ** included', async (pattern, matching, others) => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const subscriber = await stompClient(b.base, 'websocket');
    const inbox = await subscriber.subscribe(pattern);
    const publisher = await stompClient(a.base, 'websocket');
    const order = [...others, ...matching].sort(); // interleaved, so a wrong delivery would show among the right ones
    for (const destination of order) await sent(publisher, destination, destination);
    await inbox.wait(matching.length);
    await sent(publisher, matching[0], 'end'); // everything before it has arrived or never will (one publisher, ordered)
    await inbox.wait(matching.length + 1);
    expect(inbox.messages.map((m) => m.body)).toEqual([...order.filter((d) => matching.includes(d)), 'end']);
  });

  it('keeps a node responsive when another node publishes to a pathological pattern of its subscribers', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const victim = await stompClient(a.base, 'websocket');
    const run = await victim.subscribe('/topic/x/**/**/**/**/**/**/**/**/**/x');
    const separate = await victim.subscribe(`/topic/x${'/**/a'.repeat(10)}/**/x`); // 11 separate **: no collapsing helps here
    const bystander = await stompClient(a.base, 'websocket');
    const attacker = await stompClient(b.base, 'websocket');
    // 30 segments, each publish a new destination (no remembered match): an unbounded walk tries every split of 27 segments among the **.
    const thirty = (i: number): string => `/topic/x/a${i}${'/a'.repeat(26)}/x`;
    const before = a.broker.stats.received;
    const published = 5;
    for (let i = 0; i < published; i++) await sent(attacker, thirty(i), 'boom');
    let worst = 0;
    for (let probe = 0; probe < 200 && a.broker.stats.received < before + published; probe++) {
      const started = performance.now();
      await sent(bystander, '/topic/bystander', 'ping');
      worst = Math.max(worst, performance.now() - started);
    }
    await eventually('node A received the publishes', () => a.broker.stats.received >= before + published);
    const started = performance.now();
    await sent(bystander, '/topic/bystander', 'ping');
    worst = Math.max(worst, performance.now() - started);
    console.info(`bystander round trip on node A while node B published ${published} 30-segment destinations: worst ${worst.toFixed(1)} ms`);
    expect(worst).toBeLessThan(500);
    await run.wait(published);
    await separate.wait(published);
  });
});
