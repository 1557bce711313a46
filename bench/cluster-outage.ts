/**
 * What a Redis outage costs a cluster (issue 15, "Cluster"): two nodes on a throwaway
 * redis-server (port REDIS_PORT, default 6391, no persistence), a subscriber on node B, node A
 * publishing 2,000 messages/s of 4 KB for 8 s; Redis is SIGKILLed at 2 s and restarted empty at
 * 4 s. Prints what node B missed or got twice, what A dropped, and B's catch-up counts.
 * RETAINED=0 runs the same without retention (pub/sub only). Standalone:
 * `npx tsc -p bench/tsconfig.json && node dist/bench/cluster-outage.js` (needs redis-server on PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { silentLogger, StompServer } from '../broker';
import { RedisBroker } from '../broker/cluster/redis-broker';

const PORT = Number(process.env.REDIS_PORT ?? 6391);
const RATE = 2000, SECONDS = 8, DOWN_AT = 2000, UP_AT = 4000;
const retained = process.env.RETAINED !== '0';
const quiet = silentLogger;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function redis(): ChildProcess { return spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }); }
async function up(): Promise<void> { for (;;) { const ok = await new Promise<boolean>((r) => { const s = createConnection(PORT, '127.0.0.1'); s.on('connect', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); }); if (ok) return; await sleep(20); } }
async function node(prefix: string) {
  const broker = new RedisBroker({ prefix, redis: { port: PORT }, logger: quiet });
  await broker.ready();
  const server = new StompServer({ broker, endpoints: [], websocketEndpoints: ['/ws'], heartbeat: [0, 0], sendBufferLimit: 256 << 20, retention: retained ? [{ destinations: '/topic/**', messages: 100000 }] : [], logger: quiet });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, broker };
}
(async () => {
  let r = redis(); await up();
  const prefix = `outage-${randomBytes(3).toString('hex')}:`;
  const a = await node(prefix), b = await node(prefix);
  const seen = new Map<string, number>();
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/ws`, ['v12.stomp']);
    ws.on('open', () => ws.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0'));
    ws.on('message', (d) => {
      const s = d.toString();
      if (s.startsWith('CONNECTED')) ws.send('SUBSCRIBE\nid:s\ndestination:/topic/o\nreceipt:r\n\n\0');
      else if (s.startsWith('RECEIPT')) resolve();
      else if (s.startsWith('MESSAGE')) { const body = s.slice(s.indexOf('\n\n') + 2, s.indexOf(' ', s.indexOf('\n\n') + 2)); seen.set(body, (seen.get(body) ?? 0) + 1); }
    });
  });
  const pad = 'x'.repeat(4096);
  let sent = 0, refused = 0; const t0 = Date.now();
  const timer = setInterval(() => {
    const due = Math.min(RATE * SECONDS, Math.floor(((Date.now() - t0) / 1000) * RATE));
    for (; sent < due; sent++) a.server.template.convertAndSend('/topic/o', `m${sent} ${pad}`).catch(() => refused++);
  }, 5);
  await sleep(DOWN_AT); r.kill('SIGKILL');
  await sleep(UP_AT - DOWN_AT); r = redis(); await up();
  await sleep(SECONDS * 1000 - UP_AT + 200); clearInterval(timer);
  await sleep(6000);
  let missing = 0, dup = 0;
  for (let i = 0; i < sent; i++) { const n = seen.get(`m${i}`) ?? 0; if (n === 0) missing++; if (n > 1) dup += n - 1; }
  const cluster = b.server.stats().retention.cluster;
  console.log(`${retained ? 'retained' : 'plain'}: sent ${sent} at ${RATE}/s of 4 KB, Redis down ${UP_AT - DOWN_AT} ms: node B missed ${missing}, duplicated ${dup}, refused ${refused}; A dropped ${a.broker.stats.dropped}; B caught up ${cluster?.caughtUp ?? '-'}, lost ${cluster?.lost ?? '-'}`);
  await Promise.all([a.server.close(), b.server.close()]);
  r.kill('SIGKILL');
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
