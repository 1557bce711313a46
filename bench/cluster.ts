/**
 * Cluster benchmark: fan-out of one topic with subscribers spread over N stompbox nodes that
 * share one Redis (RedisBroker), against one node. Reports delivered MESSAGEs per second
 * counted at the subscribers. Standalone: `node dist/bench/cluster.js` after compiling with
 * bench/tsconfig.json (`npx tsc -p bench/tsconfig.json`). 127.0.0.1 only; every process it starts is stopped by its handle.
 *
 * Env: SUBSCRIBERS (200), BENCH_SECONDS (5), WARMUP_SECONDS (1), REDIS_PORT (6379), LOADERS (2).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { StompServer } from '../broker';
import { RedisBroker } from '../broker/cluster/redis-broker';
import { SimpleBroker } from '../broker/messaging/simple-broker';
import { RawWebSocket } from './loadgen/raw-ws';
import { classifyStomp, connectFrame, fixedBody, newCounts, sendFrame, subscribeFrame } from './loadgen/stomp-frames';

type Engine = 'simple' | 'redis';
interface NodeArgs { engine: Engine; prefix: string; redisPort: number }
interface LoadArgs { ports: number[]; destination: string }
interface Scenario { name: string; engine: Engine; nodes: number }

const DESTINATION = '/topic/bench';
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

// ---- role: node ----

async function runNode(args: NodeArgs): Promise<void> {
  const broker = args.engine === 'redis' ? new RedisBroker({ redis: { port: args.redisPort }, prefix: args.prefix }) : new SimpleBroker();
  if (broker instanceof RedisBroker) await broker.ready();
  const server = new StompServer({ broker, heartbeat: [0, 0] });
  const { port } = await server.listen(0, '127.0.0.1');
  process.send!({ port });
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

// ---- role: load (subscribers) ----

async function runLoad(args: LoadArgs): Promise<void> {
  const counts = newCounts();
  const sockets: RawWebSocket[] = [];
  await Promise.all(
    args.ports.map(async (port, i) => {
      let subscribed!: () => void;
      const ready = new Promise<void>((r) => (subscribed = r));
      const before = newCounts();
      const ws = new RawWebSocket(port, '/stomp', (buf, s, e) => {
        classifyStomp(buf, s, e, counts);
        classifyStomp(buf, s, e, before);
        if (before.receipt > 0) subscribed();
      }, 'v12.stomp');
      sockets.push(ws);
      await ws.open();
      ws.sendText(connectFrame('0,0'));
      ws.sendText(subscribeFrame(`s${i}`, args.destination, 'sub'));
      await ready;
    }),
  );
  process.send!({ ready: true });
  process.on('message', () => process.send!({ messages: counts.message }));
}

// ---- role: main ----

function forkRole(role: string, args: object): ChildProcess {
  return fork(__filename, [role, JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function reply<T>(child: ChildProcess, ask?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`child exited (${code})`)));
    if (ask !== undefined) child.send(ask);
  });
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 2000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
}

/** One publisher on the first node: SENDs with a receipt every 50th, at most 4 receipts outstanding (200 messages in flight). */
async function publisher(port: number): Promise<{ sent: () => number; stop: () => void }> {
  const counts = newCounts();
  let sent = 0;
  let outstanding = 0;
  let running = true;
  const body = fixedBody();
  const plain = Buffer.from(sendFrame(DESTINATION, body));
  const batch = Buffer.concat(Array.from({ length: 49 }, () => plain));
  const receipted = Buffer.from(sendFrame(DESTINATION, body, 'p'));
  const pump = (): void => {
    while (running && outstanding < 4) {
      ws.sendText(Buffer.concat([batch, receipted]));
      sent += 50;
      outstanding++;
    }
  };
  let started = false;
  const ws = new RawWebSocket(port, '/stomp', (buf, s, e) => {
    const receipts = counts.receipt;
    classifyStomp(buf, s, e, counts);
    outstanding -= counts.receipt - receipts;
    if (counts.connected > 0) started = true;
    if (started) pump();
  }, 'v12.stomp');
  await ws.open();
  ws.sendText(connectFrame('0,0'));
  return { sent: () => sent, stop: () => { running = false; ws.destroy(); } };
}

async function runScenario(s: Scenario): Promise<{ delivered: number; published: number }> {
  const subscribers = env('SUBSCRIBERS', 200);
  const loaders = env('LOADERS', 2);
  const seconds = env('BENCH_SECONDS', 5);
  const warmup = env('WARMUP_SECONDS', 1);
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const nodes = Array.from({ length: s.nodes }, () => forkRole('node', { engine: s.engine, prefix, redisPort: env('REDIS_PORT', 6379) }));
  const children: ChildProcess[] = [...nodes];
  try {
    const ports = (await Promise.all(nodes.map((n) => reply<{ port: number }>(n)))).map((m) => m.port);
    const spread = Array.from({ length: loaders }, () => [] as number[]);
    for (let i = 0; i < subscribers; i++) spread[i % loaders].push(ports[i % ports.length]);
    const loads = spread.map((p) => forkRole('load', { ports: p, destination: DESTINATION }));
    children.push(...loads);
    await Promise.all(loads.map((l) => reply(l)));
    const pub = await publisher(ports[0]);
    const total = async (): Promise<number> => (await Promise.all(loads.map((l) => reply<{ messages: number }>(l, {})))).reduce((a, m) => a + m.messages, 0);
    await sleep(warmup * 1000);
    const [d0, p0, t0] = [await total(), pub.sent(), performance.now()];
    await sleep(seconds * 1000);
    const [d1, p1, t1] = [await total(), pub.sent(), performance.now()];
    pub.stop();
    const secs = (t1 - t0) / 1000;
    return { delivered: (d1 - d0) / secs, published: (p1 - p0) / secs };
  } finally {
    await stop(children);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const scenarios: Scenario[] = [
    { name: '1 node, SimpleBroker', engine: 'simple', nodes: 1 },
    { name: '1 node, RedisBroker', engine: 'redis', nodes: 1 },
    { name: '3 nodes, RedisBroker', engine: 'redis', nodes: 3 },
  ];
  const redis = await reachable(env('REDIS_PORT', 6379));
  if (!redis) process.stderr.write(`Redis is not reachable on 127.0.0.1:${env('REDIS_PORT', 6379)}: running the SimpleBroker scenario only\n`);
  process.stdout.write(`fan-out of ${DESTINATION}: ${env('SUBSCRIBERS', 200)} subscribers, ${env('BENCH_SECONDS', 5)} s per scenario, one publisher on the first node\n`);
  const results: Record<string, { delivered: number; published: number }> = {};
  for (const s of scenarios) {
    if (s.engine === 'redis' && !redis) continue;
    const r = await runScenario(s);
    results[s.name] = r;
    process.stdout.write(`${s.name.padEnd(24)} delivered ${Math.round(r.delivered).toLocaleString('en-US').padStart(12)} msg/s   published ${Math.round(r.published).toLocaleString('en-US').padStart(9)} msg/s\n`);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

const [role, json] = process.argv.slice(2);
const run = role === 'node' ? runNode(JSON.parse(json) as NodeArgs) : role === 'load' ? runLoad(JSON.parse(json) as LoadArgs) : main();
run.catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
