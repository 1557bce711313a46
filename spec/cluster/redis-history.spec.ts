import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { StompServerConfig } from '../../broker';
import { RedisBroker, type RedisBrokerOptions } from '../../broker/cluster/redis-broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startServer, type Running } from '../helpers/server';
import { recordSkip } from '../support/skips';
import { describeWith, eventually, hasCommand } from './services';
import { deleteKeys, freePort, redisCommand, spawnNode, startRedis } from './throwaway-redis';

// SPEC §6.1 "Cluster": with RedisBroker, history lives in Redis streams, so every node gives the
// same offsets and epochs and a client resumes on any node (issue 15, "Cluster").

const SHARED = 6379;
const describeRedis = describeWith('Redis', SHARED, 'install and start the Debian package redis-server');

interface Node {
  readonly running: Running;
  readonly broker: RedisBroker;
}

const RETAINED: Omit<StompServerConfig, 'broker'> = {
  endpoints: [],
  websocketEndpoints: ['/ws'],
  brokerPrefixes: ['/topic'],
  retention: [{ destinations: '/topic/**', messages: 1000, maxAge: 60_000 }],
};

let prefix = '';
const brokers: RedisBroker[] = [];
const ports = new Set<number>();

async function startNode(options: RedisBrokerOptions = {}, config: Omit<StompServerConfig, 'broker'> = RETAINED): Promise<Node> {
  const broker = new RedisBroker({ prefix, presenceTtl: 1000, ...options });
  brokers.push(broker);
  ports.add(options.redis?.port ?? SHARED);
  await broker.ready();
  return { running: await startServer({ ...config, broker }), broker };
}

const body = (f: PlainFrame): string => Buffer.from(f.body).toString();
const offsetOf = (f: PlainFrame): number => Number(header(f, 'x-stream-offset'));
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Subscribes with stream headers and a receipt; resolves with the RECEIPT (replayed MESSAGEs come before it). */
async function subscribe(client: RawClient, destination: string, headers: Record<string, string> = {}): Promise<PlainFrame> {
  const lines = Object.entries(headers).map(([n, v]) => `${n}:${v}\n`).join('');
  client.send(`SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:r\n${lines}\n\0`);
  const reply = await eventually('RECEIPT', () => client.frames.find((f) => f.command === 'RECEIPT' || f.command === 'ERROR'));
  expect(reply.command).toBe('RECEIPT');
  return reply;
}

const taken = new WeakMap<RawClient, number>();

/** The next `n` MESSAGEs the client received, in order. */
async function messages(client: RawClient, n: number, ms = 5000): Promise<PlainFrame[]> {
  const from = taken.get(client) ?? 0;
  const all = await eventually(`${n} more MESSAGEs`, () => {
    const got = client.frames.filter((f) => f.command === 'MESSAGE');
    return got.length >= from + n && got;
  }, ms);
  taken.set(client, from + n);
  return all.slice(from, from + n);
}

/** MESSAGEs received past those taken. */
function extra(client: RawClient): PlainFrame[] {
  return client.frames.filter((f) => f.command === 'MESSAGE').slice(taken.get(client) ?? 0);
}

async function publish(node: Node, destination: string, bodies: string[]): Promise<void> {
  for (const b of bodies) await node.running.server.template.convertAndSend(destination, b);
}

beforeEach(() => {
  prefix = `spec-history-${randomBytes(4).toString('hex')}:`;
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  if (ports.delete(SHARED)) await deleteKeys(SHARED, prefix);
  ports.clear();
});

describeRedis('RedisBroker history in Redis streams', () => {
  it('gives one sequence of consecutive offsets and one epoch, whichever node publishes, seen alike from every node', async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const client = await RawClient.connected(c.running.ws('/ws'));
    await subscribe(client, '/topic/shared');
    const sends = range(0, 30).map((i) => [a, b, c][i % 3].running.server.template.convertAndSend('/topic/shared', `m${i}`));
    await Promise.all(sends);
    const got = await messages(client, 30);
    expect(got.map(offsetOf)).toEqual(range(0, 30));
    const epoch = header(got[0], 'x-stream-epoch');
    expect(new Set(got.map((f) => header(f, 'x-stream-epoch')))).toEqual(new Set([epoch]));
    for (const node of [a, b, c]) {
      const read = await node.running.server.retention.read('/topic/shared', { offset: 0 });
      expect(read.epoch).toBe(epoch);
      expect([read.first, read.next]).toEqual([0, 30]);
      expect(read.messages.map((m) => m.offset)).toEqual(range(0, 30));
      expect(read.messages.map((m) => Buffer.from(m.message.body).toString())).toEqual(got.map(body));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(extra(client)).toHaveLength(0);
  });

  it('resumes a client that moves from node B to node C while node A publishes: nothing missing, nothing twice', async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const total = 300;
    let sent = 0;
    const publisher = (async () => {
      for (; sent < total; sent++) {
        await a.running.server.template.convertAndSend('/topic/moving', `m${sent}`);
        if (sent % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const first = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(first, '/topic/moving', { 'x-stream-offset': 'first' });
    const before = await messages(first, 40);
    await first.close();
    const last = before[before.length - 1];
    const second = await RawClient.connected(c.running.ws('/ws'));
    const receipt = await subscribe(second, '/topic/moving', { 'x-stream-offset': `offset=${offsetOf(last) + 1}`, 'x-stream-epoch': header(last, 'x-stream-epoch')! });
    expect(header(receipt, 'x-stream-recovered')).toBe('true');
    await publisher;
    const after = await messages(second, total - before.length, 10000);
    const all = [...before, ...after];
    expect(all.map(offsetOf)).toEqual(range(0, total));
    expect(all.map(body)).toEqual(range(0, total).map((i) => `m${i}`));
    expect(new Set(all.map((f) => header(f, 'x-stream-epoch'))).size).toBe(1);
  });

  it('answers a SEND receipt with the offset Redis assigned, and replays first/last/timestamp from any node', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const sender = await RawClient.connected(a.running.ws('/ws'));
    for (let i = 0; i < 3; i++) {
      sender.send(`SEND\ndestination:/topic/r\nreceipt:p${i}\n\nx${i}\0`);
      const receipt = await sender.nextCommand('RECEIPT');
      expect([header(receipt, 'receipt-id'), header(receipt, 'x-stream-offset')]).toEqual([`p${i}`, String(i)]);
    }
    const lastOne = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(lastOne, '/topic/r', { 'x-stream-offset': 'last' });
    expect((await messages(lastOne, 1)).map(body)).toEqual(['x2']);
    const byTime = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(byTime, '/topic/r', { 'x-stream-offset': 'timestamp=1' });
    expect((await messages(byTime, 3)).map(offsetOf)).toEqual([0, 1, 2]);
    const future = await RawClient.connected(b.running.ws('/ws'));
    const receipt = await subscribe(future, '/topic/r', { 'x-stream-offset': `timestamp=${Math.floor(Date.now() / 1000) + 3600}` });
    expect(header(receipt, 'x-stream-recovered')).toBe('true');
    await publish(a, '/topic/r', ['x3']);
    expect((await messages(future, 1)).map(offsetOf)).toEqual([3]);
  });

  it('shares the decoded messages between the readers of one node, each node decoding its own', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    await publish(a, '/topic/shared', ['m0', 'm1', 'm2']);
    const limits = { messages: 1000, maxAge: 60_000 };
    const store = a.broker.createMessageStore();
    const first = (await store.read('/topic/shared', { offset: 0 }, limits)).messages;
    const second = (await store.read('/topic/shared', { offset: 1 }, limits)).messages;
    expect(first.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(second[0].message).toBe(first[1].message);
    // Concurrent reads (a reconnect storm) share them too.
    const together = await Promise.all([0, 1].map(() => store.read('/topic/shared', { offset: 2 }, limits)));
    expect(together[0].messages[0].message).toBe(together[1].messages[0].message);
    const other = (await b.broker.createMessageStore().read('/topic/shared', { offset: 0 }, limits)).messages;
    expect(other.map((m) => Buffer.from(m.message.body).toString())).toEqual(['m0', 'm1', 'm2']);
    expect(other[1].message).not.toBe(first[1].message);
    expect(other[1].message.headers).toEqual(first[1].message.headers);
  });

  it('keeps exactly the rule’s newest messages and tells a resume from a trimmed offset that it is incomplete', async () => {
    const config = { ...RETAINED, retention: [{ destinations: '/topic/**', messages: 5 }] };
    const [a, b] = await Promise.all([startNode({}, config), startNode({}, config)]);
    await publish(a, '/topic/cap', range(0, 12).map(String));
    const client = await RawClient.connected(b.running.ws('/ws'));
    const receipt = await subscribe(client, '/topic/cap', { 'x-stream-offset': 'offset=2' });
    expect(header(receipt, 'x-stream-recovered')).toBe('false');
    expect((await messages(client, 5)).map(offsetOf)).toEqual([7, 8, 9, 10, 11]);
    await eventually('cluster-wide counts', async () => {
      const s = await b.broker.messageStore!.refreshStats();
      return s.messages === 5 && s.dropped.count === 7 && s.destinations === 1;
    });
  });

  it('applies retentionBytes to what every node retains together: past it the globally oldest messages go first, whatever their destination or node, counted', async () => {
    // Each message costs its envelope (~100 bytes here) and RECORD_OVERHEAD (200): about 12 fit in 4 KiB.
    const config = { ...RETAINED, retentionBytes: 4096, retention: [{ destinations: '/topic/**', messages: 1000 }] };
    const [a, b] = await Promise.all([startNode({}, config), startNode({}, config)]);
    await publish(a, '/topic/budget.old', ['o0', 'o1', 'o2', 'o3']);
    await publish(b, '/topic/budget.mid', ['m0', 'm1', 'm2', 'm3']);
    for (let i = 0; i < 10; i++) await publish(i % 2 === 0 ? a : b, '/topic/budget.new', [`n${i}`]);
    const stats = await a.broker.messageStore!.refreshStats();
    expect(stats.bytes).toBeLessThanOrEqual(4096);
    expect(stats.bytes).toBeGreaterThan(4096 - 400);
    expect(stats.budget).toBe(4096);
    expect(stats.dropped.bytes).toBeGreaterThan(0);
    expect(stats.messages + stats.dropped.bytes).toBe(18);
    // What went is exactly the oldest: all of /topic/budget.old before any of /topic/budget.mid, the newest kept whole.
    const heads = await Promise.all(['old', 'mid', 'new'].map((d) => b.running.server.retention.read(`/topic/budget.${d}`, { offset: 0 })));
    const gone = heads.map((h) => h.first);
    expect(gone[2]).toBe(0);
    expect(heads[2].messages.map((m) => Buffer.from(m.message.body).toString())).toEqual(range(0, 10).map((i) => `n${i}`));
    expect(gone[0] === 4 || gone[1] === 0).toBe(true);
    expect(gone[0] + gone[1]).toBe(stats.dropped.bytes);
    // A resume from a dropped offset is incomplete; the epoch is unchanged.
    const client = await RawClient.connected(a.running.ws('/ws'));
    const receipt = await subscribe(client, '/topic/budget.old', { 'x-stream-offset': 'offset=0', 'x-stream-epoch': heads[0].epoch });
    expect(header(receipt, 'x-stream-recovered')).toBe('false');
    // Metrics on either node say the same.
    await eventually('both nodes count the drops', async () => (await b.broker.messageStore!.refreshStats()).dropped.bytes === stats.dropped.bytes);
  });

  it('keeps the per-history shares of expired histories bounded: appends with an age take them out', async () => {
    const config = { ...RETAINED, retention: [{ destinations: '/topic/**', messages: 1000, maxAge: 300 }] };
    const a = await startNode({}, config);
    for (let i = 0; i < 40; i++) await publish(a, `/topic/brief/${i}`, ['x']);
    expect(await redisCommand(SHARED, 'HLEN', `${prefix}hb`)).toBe(40);
    await new Promise((r) => setTimeout(r, 700)); // all 40 expired whole
    for (let i = 0; i < 60; i++) await publish(a, '/topic/brief/live', [String(i)]);
    expect(await redisCommand(SHARED, 'HLEN', `${prefix}hb`)).toBe(1);
    const stats = await a.broker.messageStore!.refreshStats();
    expect([stats.destinations, stats.messages]).toEqual([1, 60]);
  });

  it('counts and logs (once a minute) appends that find their history kept under another node’s rule', async () => {
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }), info() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => logger };
    const a = await startNode({ logger: logger as never }, { ...RETAINED, retention: [{ destinations: '/topic/**', messages: 10 }] });
    const b = await startNode({}, { ...RETAINED, retention: [{ destinations: '/topic/**', messages: 20, maxAge: 60_000 }] });
    await publish(a, '/topic/rules', ['a0', 'a1']);
    expect(a.running.server.stats().retention.cluster?.ruleConflicts).toBe(0);
    await publish(b, '/topic/rules', ['b0']);
    await publish(a, '/topic/rules', ['a2']);
    await publish(b, '/topic/rules', ['b1']);
    await publish(a, '/topic/rules', ['a3']);
    expect(a.running.server.stats().retention.cluster?.ruleConflicts).toBe(2);
    expect(b.running.server.stats().retention.cluster?.ruleConflicts).toBe(2);
    const said = warnings.filter((w) => /another retention rule/.test(w.msg));
    expect(said).toHaveLength(1);
    expect(said[0].fields).toMatchObject({ destination: '/topic/rules', theirs: { messages: 20, maxAge: 60_000 }, ours: { messages: 10, maxAge: null } });
    // One rule on every node: nothing more is counted.
    await publish(a, '/topic/same', ['x']);
    await publish(a, '/topic/same', ['y']);
    expect(a.running.server.stats().retention.cluster?.ruleConflicts).toBe(2);
  });

  it('takes a history whose keys expired with its age out of the counts, so the budget does not drop others for it', async () => {
    const config = { ...RETAINED, retentionBytes: 4096, retention: [{ destinations: '/topic/brief/**', messages: 1000, maxAge: 300 }, { destinations: '/topic/**', messages: 1000 }] };
    const [a] = await Promise.all([startNode({}, config)]);
    await publish(a, '/topic/brief/x', range(0, 8).map(String));
    expect((await a.broker.messageStore!.refreshStats()).messages).toBe(8);
    await new Promise((r) => setTimeout(r, 700)); // Redis expires the idle history's keys
    // Each append samples one member and the budget checks those it meets: the expired history leaves the counts.
    await publish(a, '/topic/kept', range(0, 10).map(String));
    const stats = await a.broker.messageStore!.refreshStats();
    expect(stats.messages).toBe(10);
    expect(stats.destinations).toBe(1);
    expect(stats.dropped.bytes).toBe(0);
    expect((await a.running.server.retention.read('/topic/kept', { offset: 0 })).messages).toHaveLength(10);
  });
});

// Specs that flush, cut or kill a Redis run their own throwaway redis-server (never the shared one).
const describeThrowaway = hasCommand('redis-server') ? describeRedis : skipOrFail('redis-server is not on PATH (Debian package redis-server)');

function skipOrFail(reason: string): jest.Describe {
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  recordSkip('the Redis history specs with a throwaway redis-server', reason);
  return describe.skip;
}

describeThrowaway('RedisBroker history when Redis loses data or a node loses its subscription', () => {
  let redis: ChildProcess | undefined;
  let port = 0;
  beforeEach(async () => {
    port = await freePort();
    redis = await startRedis(port);
  });
  afterEach(() => {
    redis?.kill('SIGKILL');
    redis = undefined;
  });

  it('starts a new epoch after FLUSHALL, never reusing offsets under the old one; an old position is not recovered', async () => {
    const [a, b] = await Promise.all([startNode({ redis: { port } }), startNode({ redis: { port } })]);
    const live = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(live, '/topic/lost');
    await publish(a, '/topic/lost', ['a', 'b', 'c']);
    const old = await messages(live, 3);
    const oldEpoch = header(old[0], 'x-stream-epoch')!;
    await redisCommand(port, 'FLUSHALL');
    await publish(a, '/topic/lost', ['d', 'e']);
    const fresh = await messages(live, 2);
    expect(fresh.map(offsetOf)).toEqual([0, 1]);
    const newEpoch = header(fresh[0], 'x-stream-epoch');
    expect(newEpoch).not.toBe(oldEpoch);
    const resumer = await RawClient.connected(b.running.ws('/ws'));
    const receipt = await subscribe(resumer, '/topic/lost', { 'x-stream-offset': 'offset=3', 'x-stream-epoch': oldEpoch });
    expect(header(receipt, 'x-stream-recovered')).toBe('false');
    const replayed = await messages(resumer, 2);
    expect(replayed.map(body)).toEqual(['d', 'e']);
    expect(replayed.map((f) => header(f, 'x-stream-epoch'))).toEqual([newEpoch, newEpoch]);
  });

  it('catches a node up from the stream after Redis cut its subscriber connection (CLIENT KILL TYPE pubsub)', async () => {
    const a = await startNode({ redis: { port } });
    const b = await startNode({ redis: { port }, reconnectDelay: [400, 400] });
    const client = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(client, '/topic/cut');
    await publish(a, '/topic/cut', range(0, 10).map(String));
    await messages(client, 10);
    await redisCommand(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
    await eventually('node B to lose its subscription', () => !b.broker.connected);
    await publish(a, '/topic/cut', range(10, 30).map(String)); // B hears none of these live
    const rest = await messages(client, 20);
    expect(rest.map(offsetOf)).toEqual(range(10, 30));
    expect(b.running.server.stats().retention.cluster).toEqual({ caughtUp: 20, lost: 0, failed: 0, ruleConflicts: 0 });
    await publish(a, '/topic/cut', ['30']);
    expect((await messages(client, 1)).map(offsetOf)).toEqual([30]);
    expect(extra(client)).toHaveLength(0);
  });

  it('catches up a node stopped (SIGSTOP) until Redis cut its subscriber at the pub/sub output-buffer limit', async () => {
    await redisCommand(port, 'CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 256kb 128kb 1');
    const retention = [{ destinations: '/topic/**', messages: 5000 }];
    const a = await startNode({ redis: { port } }, { ...RETAINED, retention });
    // The burst is the client's too: its send buffer may hold it, so only the cluster's catch-up is on trial.
    const { child, port: nodePort } = await spawnNode({ redisPort: port, prefix, presenceTtl: 5000, retention, sendBufferLimit: 64 << 20 });
    try {
      const client = await RawClient.connected(`ws://127.0.0.1:${nodePort}/stomp`);
      await subscribe(client, '/topic/stall');
      const big = 'x'.repeat(4096);
      await publish(a, '/topic/stall', range(0, 10).map((i) => `${i} ${big}`));
      await messages(client, 10);
      const pubsubClients = async (): Promise<number> => String(await redisCommand(port, 'CLIENT', 'LIST', 'TYPE', 'pubsub')).trim().split('\n').length;
      const before = await pubsubClients();
      child.kill('SIGSTOP');
      // 12 MB for a stopped reader: past what the sockets absorb, Redis drops its subscriber connection at 256 kB.
      await publish(a, '/topic/stall', range(10, 3010).map((i) => `${i} ${big}`));
      await eventually('Redis to cut the stopped node', async () => (await pubsubClients()) < before, 5000);
      child.kill('SIGCONT');
      await publish(a, '/topic/stall', range(3010, 3020).map((i) => `${i} ${big}`));
      const rest = await messages(client, 3010, 20000).catch((err: Error) => {
        const got = client.frames.filter((f) => f.command === 'MESSAGE').map(offsetOf);
        const runs: string[] = [];
        for (let i = 0; i < got.length; i++) if (i === 0 || got[i] !== got[i - 1] + 1) runs.push(`${got[i]}..`);
        throw new Error(`${err.message}; got ${got.length} (runs ${runs.join(' ')}; last ${got.at(-1)}), other frames ${client.frames.filter((f) => f.command !== 'MESSAGE').map((f) => `${f.command} ${header(f, 'message')}`)}`);
      });
      expect(rest.map(offsetOf)).toEqual(range(10, 3020));
      expect(rest.map((f) => body(f).split(' ')[0])).toEqual(range(10, 3020).map(String));
      const metrics = await (await fetch(`http://127.0.0.1:${nodePort}/metrics`)).text();
      expect(Number(/^stompbox_retained_caught_up_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(/^stompbox_retained_lost_total (\d+)$/m.exec(metrics)?.[1]).toBe('0');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('counts and logs what the stream no longer held when the node caught up', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, msg: string) => warnings.push(msg), info() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => logger };
    const config = { ...RETAINED, retention: [{ destinations: '/topic/**', messages: 5 }] };
    const a = await startNode({ redis: { port } }, config);
    const b = await startNode({ redis: { port }, reconnectDelay: [400, 400], logger: logger as never }, config);
    const client = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(client, '/topic/short');
    await publish(a, '/topic/short', ['0', '1', '2']);
    await messages(client, 3);
    await redisCommand(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
    await eventually('node B to lose its subscription', () => !b.broker.connected);
    await publish(a, '/topic/short', range(3, 23).map(String));
    expect((await messages(client, 5)).map(offsetOf)).toEqual([18, 19, 20, 21, 22]);
    expect(b.running.server.stats().retention.cluster).toEqual({ caughtUp: 5, lost: 15, failed: 0, ruleConflicts: 0 });
    expect(warnings.some((w) => w.includes('missed by this node'))).toBe(true);
  });

  it('holds retained publishes during a Redis outage and delivers them on every node once Redis is back', async () => {
    const a = await startNode({ redis: { port }, reconnectDelay: [20, 100] });
    const b = await startNode({ redis: { port }, reconnectDelay: [20, 100] });
    const local = await RawClient.connected(a.running.ws('/ws'));
    const remote = await RawClient.connected(b.running.ws('/ws'));
    await subscribe(local, '/topic/outage');
    await subscribe(remote, '/topic/outage');
    await publish(a, '/topic/outage', ['before']);
    await messages(remote, 1);
    await messages(local, 1);
    redis!.kill('SIGKILL');
    await eventually('node A to notice the outage', () => !a.broker.connected);
    const held = range(0, 20).map((i) => a.running.server.template.convertAndSend('/topic/outage', `during-${i}`));
    redis = await startRedis(port);
    await Promise.all(held);
    for (const client of [local, remote]) {
      const got = await messages(client, 20, 10000);
      expect(got.map(body)).toEqual(range(0, 20).map((i) => `during-${i}`));
      // Redis restarted empty: the history starts again under a new epoch.
      expect(got.map(offsetOf)).toEqual(range(0, 20));
    }
  });
});
