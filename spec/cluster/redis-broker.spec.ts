import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { StompServerConfig } from '../../broker';
import { RedisBroker, type RedisBrokerOptions } from '../../broker/cluster/redis-broker';
import { closeClients, stompClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { recordSkip } from '../support/skips';
import { describeWith, eventually, hasCommand } from './services';
import { spawnNode } from './throwaway-redis';

const REDIS_PORT = 6379;
const describeRedis = describeWith('Redis', REDIS_PORT, 'install and start the Debian package redis-server');

interface Node {
  readonly running: Running;
  readonly broker: RedisBroker;
  readonly base: string;
}

let prefix = '';
const brokers: RedisBroker[] = [];

async function startNode(options: RedisBrokerOptions = {}, config: Omit<StompServerConfig, 'broker'> = {}): Promise<Node> {
  const broker = new RedisBroker({ prefix, presenceTtl: 1000, ...options });
  brokers.push(broker);
  await broker.ready();
  const running = await startServer({ ...config, broker });
  return { running, broker, base: running.http('/stomp') };
}

function bodies(messages: { body: string }[]): string[] {
  return messages.map((m) => m.body);
}

beforeEach(() => {
  prefix = `spec-${randomBytes(4).toString('hex')}:`;
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

describeRedis('RedisBroker across three nodes', () => {
  it('fans a message out to every subscriber on every node exactly once, in publish order', async () => {
    const nodes = await Promise.all([startNode(), startNode(), startNode()]);
    const inboxes = [];
    for (const node of nodes) {
      const c = await stompClient(node.base, 'websocket');
      inboxes.push(await c.subscribe('/topic/news'));
    }
    // A node holding an exact and a pattern subscription receives both copies from Redis; it delivers once per subscription.
    const pc = await stompClient(nodes[2].base, 'websocket');
    const pattern = await pc.subscribe('/topic/*');
    const publisher = await stompClient(nodes[0].base, 'websocket');
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const body of sent) publisher.client.publish({ destination: '/topic/news', body });
    for (const inbox of [...inboxes, pattern]) await inbox.wait(50);
    await nodes[1].running.server.template.convertAndSend('/topic/news', 'end');
    for (const inbox of [...inboxes, pattern]) {
      await inbox.wait(51);
      expect(bodies(inbox.messages.slice(0, 50))).toEqual(sent);
    }
    // Nothing arrives twice: one more message is the only one after the first 51.
    await nodes[1].running.server.template.convertAndSend('/topic/news', 'last');
    for (const inbox of [...inboxes, pattern]) {
      await inbox.wait(52);
      expect(inbox.messages.map((m) => m.body).slice(50)).toEqual(['end', 'last']);
    }
    expect(nodes[2].broker.stats.received).toBe(51 + 1);
  });

  it('sends a node only the messages of destinations it has subscribers for', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const c = await stompClient(b.base, 'websocket');
    const inbox = await c.subscribe('/topic/wanted');
    await a.running.server.template.convertAndSend('/topic/unwanted', 'x');
    await a.running.server.template.convertAndSend('/topic/wanted', 'y');
    await inbox.wait(1);
    expect(b.broker.stats.received).toBe(1);
  });

  it('delivers convertAndSendToUser to every session of the user on every node, through only the nodes holding the user', async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const aliceA = await stompClient(a.base, 'websocket', { login: 'alice' });
    const aliceC = await stompClient(c.base, 'websocket', { login: 'alice' });
    const bob = await stompClient(b.base, 'websocket', { login: 'bob' });
    const inboxes = [await aliceA.subscribe('/user/queue/inbox'), await aliceC.subscribe('/user/queue/inbox')];
    const bobInbox = await bob.subscribe('/user/queue/inbox');
    await b.running.server.template.convertAndSendToUser('alice', '/queue/inbox', 'for alice');
    for (const inbox of inboxes) expect(bodies(await inbox.wait(1))).toEqual(['for alice']);
    expect(a.broker.stats.received).toBe(1);
    expect(c.broker.stats.received).toBe(1);
    await a.running.server.template.convertAndSendToUser('bob', '/queue/inbox', 'for bob');
    expect(bodies(await bobInbox.wait(1))).toEqual(['for bob']);
    expect(inboxes[0].messages).toHaveLength(1);
    expect(c.broker.stats.received).toBe(1); // bob's message never went to node C
  });

  it('reaches literal /user/<name>/... subscribers on other nodes (the reference app form)', async () => {
    const start = (): Promise<Node> => startNode({}, { brokerPrefixes: ['/topic', '/user'] });
    const [a, b] = await Promise.all([start(), start()]);
    const zhangsan = await (await stompClient(b.base, 'websocket')).subscribe('/user/zhangsan/message');
    const lisi = await (await stompClient(b.base, 'websocket')).subscribe('/user/lisi/message');
    await a.running.server.template.convertAndSendToUser('zhangsan', '/message', 'hello');
    expect(bodies(await zhangsan.wait(1))).toEqual(['hello']);
    await a.running.server.template.convertAndSendToUser('lisi', '/message', 'marker');
    await lisi.wait(1);
    expect(bodies(lisi.messages)).toEqual(['marker']);
    expect(zhangsan.messages).toHaveLength(1);
  });

  it('answers presence queries cluster-wide after connect and disconnect', async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    expect(await b.broker.isUserOnline('alice')).toBe(false);
    const one = await stompClient(a.base, 'websocket', { login: 'alice' });
    const two = await stompClient(c.base, 'websocket', { login: 'alice' });
    const three = await stompClient(c.base, 'websocket', { login: 'alice' });
    expect(await b.broker.userSessionCount('alice')).toBe(3);
    expect(await b.broker.userNodes('alice')).toEqual(new Map([[a.broker.nodeId, 1], [c.broker.nodeId, 2]]));
    await two.disconnect();
    await eventually('alice at 2 sessions', async () => (await b.broker.userSessionCount('alice')) === 2);
    await one.disconnect();
    await three.disconnect();
    await eventually('alice offline', async () => !(await b.broker.isUserOnline('alice')));
  });

  it('forgets the users of a node that leaves cleanly', async () => {
    const [a, b] = await Promise.all([startNode({ presenceTtl: 60000 }), startNode({ presenceTtl: 60000 })]);
    await stompClient(a.base, 'websocket', { login: 'dave' });
    expect(await b.broker.isUserOnline('dave')).toBe(true);
    await a.running.server.close();
    await a.broker.close();
    expect(await b.broker.isUserOnline('dave')).toBe(false);
  });

  it('forgets the users of a SIGKILLed node within presenceTtl', async () => {
    const ttl = 600;
    const b = await startNode({ presenceTtl: ttl });
    const { child, port } = await spawnNode({ redisPort: REDIS_PORT, prefix, presenceTtl: ttl });
    try {
      const carol = await stompClient(`http://127.0.0.1:${port}/stomp`, 'websocket', { login: 'carol' });
      expect(carol.connected.headers['user-name']).toBe('carol');
      expect(await b.broker.userSessionCount('carol')).toBe(1);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await eventually('carol forgotten', async () => !(await b.broker.isUserOnline('carol')), ttl * 3);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(ttl + 200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

// The restart spec runs its own throwaway redis-server (never the shared one).
const describeRestart = hasCommand('redis-server') ? describeRedis : skipOrFail('redis-server is not on PATH (Debian package redis-server)');

function skipOrFail(reason: string): jest.Describe {
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  recordSkip('the Redis restart spec', reason);
  return describe.skip;
}

describeRestart('RedisBroker during a Redis outage', () => {
  let redis: ChildProcess | undefined;
  afterEach(() => {
    redis?.kill('SIGKILL');
    redis = undefined;
  });

  it('keeps local traffic, buffers up to maxBuffered, drops and counts the rest, and resumes after Redis restarts', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const maxBuffered = 20;
    // flushDelay: A holds its buffer until B (reconnecting every <= 100 ms) has re-subscribed.
    const a = await startNode({ redis: { port }, maxBuffered, reconnectDelay: [20, 100], flushDelay: 600 });
    const b = await startNode({ redis: { port }, reconnectDelay: [20, 100] });
    const local = await (await stompClient(a.base, 'websocket')).subscribe('/topic/t');
    const remote = await (await stompClient(b.base, 'websocket')).subscribe('/topic/t');
    const send = (body: string): Promise<void> => a.running.server.template.convertAndSend('/topic/t', body);

    for (let i = 0; i < 10; i++) await send(`before-${i}`);
    await remote.wait(10);

    redis.kill('SIGKILL');
    await eventually('node A to notice the outage', () => !a.broker.connected);
    const during = Array.from({ length: 50 }, (_, i) => `during-${i}`);
    for (const body of during) await send(body);
    await local.wait(60); // local subscribers lose nothing
    expect(a.broker.stats.dropped).toBe(during.length - maxBuffered);

    redis = await startRedis(port);
    await eventually('both nodes back on Redis', () => a.broker.connected && b.broker.connected, 10000);
    for (let i = 0; i < 10; i++) await send(`after-${i}`);
    await remote.wait(10 + 10 + 0, 10000);
    await eventually('the after-messages at node B', () => remote.messages.some((m) => m.body === 'after-9'));

    const got = bodies(remote.messages);
    // What node B lost is exactly what A dropped and counted: the messages past maxBuffered.
    expect(got.filter((b) => b.startsWith('during-'))).toEqual(during.slice(0, maxBuffered));
    expect(got.filter((b) => b.startsWith('before-'))).toHaveLength(10);
    expect(got.filter((b) => b.startsWith('after-'))).toEqual(Array.from({ length: 10 }, (_, i) => `after-${i}`));
    expect(new Set(got).size).toBe(got.length); // nothing twice
    await local.wait(70);
    expect(bodies(local.messages)).toEqual([...Array.from({ length: 10 }, (_, i) => `before-${i}`), ...during, ...Array.from({ length: 10 }, (_, i) => `after-${i}`)]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const { listening } = await import('./services');
  await eventually(`redis-server on ${port}`, () => listening(port), 5000);
  return child;
}
