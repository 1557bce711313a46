import { randomBytes } from 'node:crypto';
import type { StompServerConfig } from '../../broker';
import { RedisBroker } from '../../broker/cluster/redis-broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startServer, type Running } from '../helpers/server';
import { describeWith, eventually } from './services';
import { deleteKeys } from './throwaway-redis';

// A client that pipelines SENDs through a cluster node: neither the Redis append of a retained
// message nor the presence lookup of a user message holds its session for a round trip each
// (issue 15: "presence must not serialize a session's frames").

const describeRedis = describeWith('Redis', 6379, 'install and start the Debian package redis-server');

let prefix = '';
const brokers: RedisBroker[] = [];

const CONFIG: Omit<StompServerConfig, 'broker'> = {
  endpoints: [],
  websocketEndpoints: ['/ws'],
  brokerPrefixes: ['/topic', '/user'],
  // Generous send buffers: the burst is on trial at the publisher, not at the subscriber.
  sendBufferLimit: 64 << 20,
  retention: [
    { destinations: '/topic/kept/**', messages: 5000 },
    { destinations: '/user/queue/kept', messages: 5000 },
  ],
};

async function node(): Promise<Running> {
  const broker = new RedisBroker({ prefix });
  brokers.push(broker);
  await broker.ready();
  return startServer({ ...CONFIG, broker });
}

async function subscribed(running: Running, destination: string, login: string, headers = ''): Promise<RawClient> {
  const client = await RawClient.connected(running.ws('/ws'), { login });
  client.send(`SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:r\n${headers}\n\0`);
  await client.nextCommand('RECEIPT');
  return client;
}

function received(client: RawClient, n: number): Promise<PlainFrame[]> {
  return eventually(`${n} MESSAGEs`, () => {
    const got = client.frames.filter((f) => f.command === 'MESSAGE');
    return got.length >= n && got;
  }, 20000);
}

/** Sends `n` SENDs in one go (no waiting in between), the last with a receipt. */
function flood(client: RawClient, destination: string, n: number): void {
  const frames: string[] = [];
  for (let i = 0; i < n; i++) frames.push(`SEND\ndestination:${destination}\n${i === n - 1 ? 'receipt:last\n' : ''}\nm${i}\0`);
  client.send(frames.join(''));
}

beforeEach(() => {
  prefix = `spec-pipe-${randomBytes(4).toString('hex')}:`;
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  await deleteKeys(6379, prefix);
});

describeRedis('a client pipelining SENDs through a RedisBroker node', () => {
  const N = 3000;

  it('keeps its session for 3,000 retained SENDs sent at once; every node delivers them once, in offset order', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const local = await subscribed(a, '/topic/kept/burst', 'x');
    const remote = await subscribed(b, '/topic/kept/burst', 'y');
    const publisher = await RawClient.connected(a.ws('/ws'), { login: 'p' });
    flood(publisher, '/topic/kept/burst', N);
    const receipt = await publisher.nextCommand('RECEIPT', 20000);
    expect(header(receipt, 'x-stream-offset')).toBe(String(N - 1));
    for (const client of [local, remote]) {
      const got = await received(client, N);
      expect(got.map((f) => Number(header(f, 'x-stream-offset')))).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(got.map((f) => Buffer.from(f.body).toString())).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    }
    expect(publisher.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
  });

  it('keeps its session for 3,000 user-destination SENDs sent at once; the user on another node gets them in order', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const zhangsan = await subscribed(b, '/user/queue/inbox', 'zhangsan');
    await eventually('zhangsan in presence', async () => (await brokers[0].userSessionCount('zhangsan')) === 1);
    const publisher = await RawClient.connected(a.ws('/ws'), { login: 'lisi' });
    flood(publisher, '/user/zhangsan/queue/inbox', N);
    await publisher.nextCommand('RECEIPT', 20000);
    const got = await received(zhangsan, N);
    expect(got.map((f) => Buffer.from(f.body).toString())).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(publisher.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
  });

  it('keeps a user history in Redis: sent on node A while the user is offline, read from node B from first', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    for (let i = 0; i < 5; i++) await a.server.template.convertAndSendToUser('zhangsan', '/queue/kept', `while away ${i}`);
    const zhangsan = await subscribed(b, '/user/queue/kept', 'zhangsan', 'x-stream-offset:first\n');
    const got = await received(zhangsan, 5);
    expect(got.map((f) => Buffer.from(f.body).toString())).toEqual([0, 1, 2, 3, 4].map((i) => `while away ${i}`));
    expect(got.map((f) => header(f, 'x-stream-offset'))).toEqual(['0', '1', '2', '3', '4']);
    // Another user's subscription reads its own history, empty.
    const lisi = await subscribed(b, '/user/queue/kept', 'lisi', 'x-stream-offset:first\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(lisi.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });
});
