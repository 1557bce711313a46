/**
 * One client pipelining SENDs through a cluster node (issue 15: "presence must not serialize a
 * session's frames"): two RedisBroker nodes on the local Redis in this process, a subscriber on
 * node B, a publisher on node A sending N (20,000) SENDs at once; prints deliveries per second
 * at the subscriber for a topic, a user destination, and both retained. Env N, CASES
 * (pt,rt,pu,ru). Standalone: `npx tsc -p bench/tsconfig.json && node dist/bench/cluster-pipelining.js`.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { silentLogger, StompServer } from '../broker';
import { RedisBroker } from '../broker/cluster/redis-broker';

const N = Number(process.env.N ?? 20000);
async function node(retain: boolean, prefix: string) {
  const broker = new RedisBroker({ prefix });
  await broker.ready();
  const server = new StompServer({ broker, endpoints: [], websocketEndpoints: ['/ws'], brokerPrefixes: ['/topic', '/user'], heartbeat: [0, 0], sendBufferLimit: 256 << 20, retention: retain ? [{ destinations: '/topic/**', messages: 1000 }, { destinations: '/user/**', messages: 1000 }] : [], logger: silentLogger });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}
const receipts = new WeakMap<WebSocket, () => void>();

function client(port: number, login: string, onMsg: () => void): Promise<WebSocket> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']);
    ws.on('open', () => ws.send(`CONNECT\naccept-version:1.2\nlogin:${login}\nheart-beat:0,0\n\n\0`));
    ws.on('message', (d) => {
      const s = d.toString();
      if (s.startsWith('CONNECTED')) resolve(ws);
      else if (s.startsWith('MESSAGE')) onMsg();
      else if (s.startsWith('RECEIPT')) receipts.get(ws)?.();
      else if (s.startsWith('ERROR')) console.log(s);
    });
  });
}
async function run(retain: boolean, dest: string, subDest: string) {
  const prefix = `bench-${randomBytes(3).toString('hex')}:`;
  const a = await node(retain, prefix), b = await node(retain, prefix);
  let got = 0; let done!: () => void; const all = new Promise<void>((r) => (done = r));
  const sub = await client(b.port, 'zhangsan', () => { if (++got === N) done(); });
  await new Promise<void>((r) => { receipts.set(sub, r); sub.send(`SUBSCRIBE\nid:s\ndestination:${subDest}\nreceipt:r\n\n\0`); });
  await new Promise((r) => setTimeout(r, 300));
  const pub = await client(a.port, 'lisi', () => {});
  const t0 = Date.now();
  for (let i = 0; i < N; i++) pub.send(`SEND\ndestination:${dest}\n\nhello ${i}\0`);
  await all;
  const ms = Date.now() - t0;
  console.log(`${retain ? 'retained' : 'plain   '} ${dest}: ${N} in ${ms} ms = ${Math.round(N / ms * 1000)}/s`);
  pub.close(); sub.close();
  await Promise.all([a.server.close(), b.server.close()]);
}
(async () => {
  const cases = (process.env.CASES ?? 'pt,rt,pu,ru').split(',');
  if (cases.includes('pt')) await run(false, '/topic/x', '/topic/x');
  if (cases.includes('rt')) await run(true, '/topic/x', '/topic/x');
  if (cases.includes('pu')) await run(false, '/user/zhangsan/queue/q', '/user/queue/q');
  if (cases.includes('ru')) await run(true, '/user/zhangsan/queue/q', '/user/queue/q');
  process.exit(0);
})().catch((e) => { console.error('FAILED', e); process.exit(1); });
