/**
 * Queues of a cluster (docs/queues.md "Cluster"): with a RedisBroker, each queue is one Redis
 * stream with a consumer group, so consumers on every node compete for its messages. Real
 * Redis at 127.0.0.1:6379 under a key prefix of its own per test (deleted afterwards), two
 * StompServer + RedisBroker nodes in this process, and a child-process node for the SIGKILL.
 */
import { randomBytes } from 'node:crypto';
import type { IMessage } from '@stomp/stompjs';
import type { StompServerConfig } from '../../broker';
import { RedisBroker, type RedisBrokerOptions } from '../../broker/cluster/redis-broker';
import { silentLogger } from '../../broker/logger';
import { killChildBrokers, startChildBroker } from '../helpers/child-broker';
import { closeClients, stompClient, type StompClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { recordSkip } from '../support/skips';
import { describeWith, eventually, hasCommand } from './services';
import { deleteKeys, freePort, startRedis } from './throwaway-redis';

const REDIS_PORT = 6379;
const describeRedis = describeWith('Redis', REDIS_PORT, 'install and start the Debian package redis-server');

const QUEUES: StompServerConfig['queues'] = [
  { destinations: '/queue/capped', maxMessages: 2, overflow: 'reject' },
  { destinations: '/queue/short', maxMessages: 2 },
  { destinations: '/queue/**', maxRedeliveries: 2, deadLetter: '/queue/DLQ.{name}' },
  { destinations: '/user/queue/**' },
];

let prefix = '';
const brokers: RedisBroker[] = [];

async function startNode(options: RedisBrokerOptions = {}): Promise<string> {
  const broker = new RedisBroker({ prefix, presenceTtl: 1000, logger: silentLogger, reconnectDelay: [100, 200], ...options });
  brokers.push(broker);
  await broker.ready();
  const running = await startServer({ broker, queues: QUEUES, logger: silentLogger });
  return running.http('/stomp');
}

/** A consumer that records what it gets and settles each message with `settle` (ack, nack, or nothing). */
function consume(c: StompClient, destination: string, settle: 'ack' | 'nack' | 'none', prefetch = 10): IMessage[] {
  const got: IMessage[] = [];
  c.client.subscribe(
    destination,
    (m) => {
      got.push(m);
      if (settle === 'ack') m.ack();
      else if (settle === 'nack') m.nack();
    },
    { ack: 'client-individual', 'prefetch-count': String(prefetch) },
  );
  return got;
}

/** Resolves once the client's SUBSCRIBEs and SENDs so far reached the server (a RECEIPT orders after them). */
async function flushed(c: StompClient): Promise<void> {
  const id = `f-${randomBytes(3).toString('hex')}`;
  const r = c.receipt(id);
  c.client.publish({ destination: '/topic/flush', headers: { receipt: id } });
  await r;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  prefix = `spec-q-${randomBytes(4).toString('hex')}:`;
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  await killChildBrokers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  await deleteKeys(REDIS_PORT, prefix);
});

/** Sends with a receipt; resolves with the receipt id, or the ERROR frame's `code` when the server refused it. */
async function sendReceipted(c: StompClient, destination: string, body: string): Promise<string> {
  const id = `s-${randomBytes(3).toString('hex')}`;
  const refused = new Promise<string>((resolve) => (c.client.onStompError = (f) => resolve(`ERROR ${f.headers.code}`)));
  c.client.publish({ destination, body, headers: { receipt: id } });
  return Promise.race([c.receipt(id).then(() => id), refused]);
}

describeRedis('Redis queues across nodes', () => {
  it('gives each of N messages to exactly one of the competing consumers on two nodes, each a fair share', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const ca = await stompClient(a, 'websocket');
    const cb = await stompClient(b, 'websocket');
    const onA = consume(ca, '/queue/jobs', 'ack', 5);
    const onB = consume(cb, '/queue/jobs', 'ack', 5);
    await Promise.all([flushed(ca), flushed(cb)]);
    const n = 200;
    const producer = await stompClient(a, 'websocket');
    for (let i = 0; i < n; i++) producer.client.publish({ destination: '/queue/jobs', body: `m${i}` });
    await eventually(`${n} messages consumed`, () => onA.length + onB.length >= n, 15000);
    await wait(300);
    const bodies = [...onA, ...onB].map((m) => m.body);
    expect(bodies).toHaveLength(n);
    expect(new Set(bodies).size).toBe(n);
    expect(onA.length).toBeGreaterThanOrEqual(n / 5);
    expect(onB.length).toBeGreaterThanOrEqual(n / 5);
    expect([...onA, ...onB].every((m) => m.headers.redelivered === undefined)).toBe(true);
  });

  it('keeps messages sent before any consumer until the first one subscribes, on another node', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const producer = await stompClient(a, 'websocket');
    for (let i = 0; i < 3; i++) producer.client.publish({ destination: '/queue/later', body: `w${i}`, headers: { receipt: `w${i}` } });
    await producer.receipt('w2');
    const inbox = await (await stompClient(b, 'websocket')).subscribe('/queue/later');
    expect((await inbox.wait(3)).map((m) => m.body)).toEqual(['w0', 'w1', 'w2']);
  });

  it('hands a message NACKed on node A to the consumer on node B, with redelivered:true', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const ca = await stompClient(a, 'websocket');
    const onA = consume(ca, '/queue/work', 'none');
    await flushed(ca);
    ca.client.publish({ destination: '/queue/work', body: 'job-1' });
    await eventually('job-1 on A', () => onA.length === 1);
    const cb = await stompClient(b, 'websocket');
    const onB = consume(cb, '/queue/work', 'ack');
    await flushed(cb);
    onA[0].nack();
    await eventually('job-1 on B', () => onB.length === 1);
    expect(onB[0].body).toBe('job-1');
    expect(onB[0].headers.redelivered).toBe('true');
    expect(onB[0].headers['message-id']).toBe(onA[0].headers['message-id']);
    await wait(500);
    expect(onA).toHaveLength(1);
    expect(onB).toHaveLength(1);
  });

  it('moves a message NACKed on both nodes to its dead-letter queue after maxRedeliveries, with where it came from', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const ca = await stompClient(a, 'websocket');
    const cb = await stompClient(b, 'websocket');
    const onA = consume(ca, '/queue/flaky', 'nack');
    const onB = consume(cb, '/queue/flaky', 'nack');
    const dlq = await cb.subscribe('/queue/DLQ.flaky');
    await Promise.all([flushed(ca), flushed(cb)]);
    ca.client.publish({ destination: '/queue/flaky', body: 'poison', headers: { kind: 'x' } });
    const [letter] = await dlq.wait(1);
    expect(letter.body).toBe('poison');
    expect(letter.headers['x-original-destination']).toBe('/queue/flaky');
    expect(letter.headers['x-dead-letter-reason']).toBe('max-redeliveries');
    expect(letter.headers['x-delivery-count']).toBe('3');
    expect(letter.headers.kind).toBe('x');
    // maxRedeliveries 2: three deliveries in all, the NACKs sending it from node to node.
    expect(onA.length + onB.length).toBe(3);
    expect(onA.length).toBeGreaterThanOrEqual(1);
    expect(onB.length).toBeGreaterThanOrEqual(1);
    expect([...onA, ...onB].filter((m) => m.headers.redelivered === 'true')).toHaveLength(2);
    await wait(500);
    expect(onA.length + onB.length).toBe(3);
    expect(dlq.messages).toHaveLength(1);
  });

  it('redelivers the unacked messages of a SIGKILLed node on a live node after the claim timeout, with redelivered:true', async () => {
    const claim = 1500;
    const child = await startChildBroker({ redis: { port: REDIS_PORT, prefix, queueClaimTimeout: claim }, options: { queues: QUEUES } as never });
    const b = await startNode({ queueClaimTimeout: claim });
    const cc = await stompClient(child.http('/stomp'), 'websocket');
    const onChild = consume(cc, '/queue/crash', 'none');
    await flushed(cc);
    for (let i = 0; i < 5; i++) cc.client.publish({ destination: '/queue/crash', body: `c${i}` });
    await eventually('5 on the child node', () => onChild.length === 5);
    const cb = await stompClient(b, 'websocket');
    const onB = consume(cb, '/queue/crash', 'ack');
    await flushed(cb);
    // A live node keeps its in-flight messages: nothing is claimed past the timeout while it runs.
    await wait(claim * 2);
    expect(onB).toHaveLength(0);
    await child.kill();
    const killedAt = Date.now();
    await eventually('5 redelivered on B', () => onB.length === 5, claim * 8);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(claim / 2);
    expect(onB.map((m) => m.body).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(onB.every((m) => m.headers.redelivered === 'true')).toBe(true);
  }, 30000);

  it('bounds a queue across the cluster: overflow reject refuses the SEND on any node once maxMessages wait', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const pa = await stompClient(a, 'websocket');
    expect(await sendReceipted(pa, '/queue/capped', 'k1')).toMatch(/^s-/);
    expect(await sendReceipted(pa, '/queue/capped', 'k2')).toMatch(/^s-/);
    const pb = await stompClient(b, 'websocket');
    expect(await sendReceipted(pb, '/queue/capped', 'k3')).toBe('ERROR STOMP_ERR_QUEUE_FULL');
    const inbox = await (await stompClient(b, 'websocket')).subscribe('/queue/capped');
    expect((await inbox.wait(2)).map((m) => m.body)).toEqual(['k1', 'k2']);
    await wait(300);
    expect(inbox.messages).toHaveLength(2);
  });

  it('drops the oldest past maxMessages under drop-oldest, whichever node sent them', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const pa = await stompClient(a, 'websocket');
    const pb = await stompClient(b, 'websocket');
    await sendReceipted(pa, '/queue/short', 'd1');
    await sendReceipted(pb, '/queue/short', 'd2');
    await sendReceipted(pa, '/queue/short', 'd3');
    const inbox = await (await stompClient(b, 'websocket')).subscribe('/queue/short');
    expect((await inbox.wait(2)).map((m) => m.body)).toEqual(['d2', 'd3']);
    await wait(300);
    expect(inbox.messages).toHaveLength(2);
  });

  it('returns what an UNSUBSCRIBE on node A held to the consumer on node B, and routes by selector', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const ca = await stompClient(a, 'websocket');
    const heldOnA: IMessage[] = [];
    const subA = ca.client.subscribe('/queue/sel', (m) => heldOnA.push(m), { ack: 'client-individual' });
    await flushed(ca);
    for (const colour of ['red', 'blue', 'red']) ca.client.publish({ destination: '/queue/sel', body: colour, headers: { colour } });
    await eventually('3 on A', () => heldOnA.length === 3);
    const cb = await stompClient(b, 'websocket');
    const reds = await cb.subscribe('/queue/sel', { ack: 'auto', selector: "colour = 'red'" });
    subA.unsubscribe();
    await reds.wait(2);
    expect(reds.messages.map((m) => [m.body, m.headers.redelivered])).toEqual([
      ['red', 'true'],
      ['red', 'true'],
    ]);
    const blues = await cb.subscribe('/queue/sel', { ack: 'auto', selector: "colour = 'blue'" });
    expect((await blues.wait(1)).map((m) => m.body)).toEqual(['blue']);
    await wait(300);
    expect(reds.messages).toHaveLength(2);
  });
});

describeRedis('Redis queues: prefetch and user queues across nodes', () => {
  it('holds prefetch-count:1 on each node: the second message goes to the other node until the first is acked', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const ca = await stompClient(a, 'websocket');
    const cb = await stompClient(b, 'websocket');
    const onA = consume(ca, '/queue/one', 'none', 1);
    const onB = consume(cb, '/queue/one', 'none', 1);
    await Promise.all([flushed(ca), flushed(cb)]);
    for (let i = 0; i < 3; i++) ca.client.publish({ destination: '/queue/one', body: `p${i}` });
    await eventually('one on each node', () => onA.length === 1 && onB.length === 1);
    await wait(400);
    expect(onA.length + onB.length).toBe(2);
    onA[0].ack();
    await eventually('the third on A', () => onA.length === 2);
    expect(onB).toHaveLength(1);
    expect(new Set([...onA, ...onB].map((m) => m.body))).toEqual(new Set(['p0', 'p1', 'p2']));
  });

  it("gives a user's queue message to one of that user's sessions, on whichever node she is, never to another user", async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const bob = await (await stompClient(a, 'websocket', { login: 'bob' })).subscribe('/user/queue/work');
    const ann = await (await stompClient(b, 'websocket', { login: 'ann' })).subscribe('/user/queue/work');
    const sender = await stompClient(a, 'websocket', { login: 'carl' });
    for (let i = 0; i < 3; i++) sender.client.publish({ destination: '/user/ann/queue/work', body: `u${i}` });
    expect((await ann.wait(3)).map((m) => m.body)).toEqual(['u0', 'u1', 'u2']);
    await wait(300);
    expect(bob.messages).toHaveLength(0);
  });
});

// The outage spec runs its own throwaway redis-server (never the shared one).
const describeOutage = hasCommand('redis-server') ? describeRedis : skipOrFail('redis-server is not on PATH (Debian package redis-server)');

function skipOrFail(reason: string): jest.Describe {
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  recordSkip('the Redis queue outage spec', reason);
  return describe.skip;
}

describeOutage('Redis queues while Redis is down', () => {
  it('refuses a SEND to a queue with STOMP_ERR_BROKER_UNAVAILABLE, and takes them again once Redis is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    try {
      const node = await startNode({ redis: { port } });
      const c = await stompClient(node, 'websocket');
      expect(await sendReceipted(c, '/queue/down', 'before')).toMatch(/^s-/);
      redis.kill('SIGKILL');
      await wait(200);
      const c2 = await stompClient(node, 'websocket');
      expect(await sendReceipted(c2, '/queue/down', 'during')).toBe('ERROR STOMP_ERR_BROKER_UNAVAILABLE');
      redis = await startRedis(port);
      // A refused SEND closes its session: each try on a new one.
      await eventually('a SEND taken again', async () => (await sendReceipted(await stompClient(node, 'websocket'), '/queue/down', 'after')).startsWith('s-') || undefined, 10000);
      const inbox = await (await stompClient(node, 'websocket')).subscribe('/queue/down');
      // The restarted Redis kept nothing (no persistence): only what was sent after it came back.
      expect((await inbox.wait(1))[0].body).toBe('after');
    } finally {
      redis.kill('SIGKILL');
    }
  }, 30000);
});
