/**
 * `npm run soak` (not in CI): N minutes (env SOAK_MINUTES, default 10) of connection churn and
 * traffic against an in-process server on 127.0.0.1, printing heap, RSS, open handles and
 * sessions every 10 s. A leak shows as a line that keeps climbing while sessions stay flat.
 *
 * Churn: a pool of `ws` STOMP clients (SOAK_CLIENTS, default 200). Every 100 ms a few leave —
 * some with DISCONNECT, some by closing the socket, some by destroying it without a close —
 * and as many new ones connect, subscribe and send. A publisher sends to every topic in turn,
 * so every live client keeps receiving. Heap figures cover server and clients together (one
 * process); the figure to watch is the trend, not the level.
 */
import WebSocket from 'ws';
import { StompServer } from '../broker';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 200);
const TOPICS = 20;
const CHURN_EVERY = 100; // ms
const CHURN_COUNT = 4; // clients replaced per churn tick
const PUBLISH_EVERY = 5; // ms
const REPORT_EVERY = 10_000; // ms

interface Totals {
  opened: number;
  closedClean: number;
  destroyed: number;
  received: number;
  published: number;
  errors: number;
}

const totals: Totals = { opened: 0, closedClean: 0, destroyed: 0, received: 0, published: 0, errors: 0 };

function openClient(url: string, n: number): WebSocket {
  const ws = new WebSocket(url, ['v12.stomp']);
  const topic = `/topic/soak/${n % TOPICS}`;
  ws.on('open', () => {
    ws.send(`CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0`);
    ws.send(`SUBSCRIBE\nid:0\ndestination:${topic}\n\n\0`);
    ws.send(`SUBSCRIBE\nid:1\ndestination:/topic/soak/**\n\n\0`);
    ws.send(`SEND\ndestination:${topic}\ncontent-type:text/plain\n\nhello from ${n}\0`);
  });
  ws.on('message', (data: Buffer) => {
    if (data.length > 0 && data[0] === 0x4d /* 'M' */) totals.received++;
    else if (data.length > 0 && data[0] === 0x45 /* 'E' */) totals.errors++;
  });
  ws.on('error', () => undefined);
  totals.opened++;
  return ws;
}

/** Removes one client in one of three ways: DISCONNECT, a close handshake, or a dead socket. */
function leave(ws: WebSocket, n: number): void {
  if (ws.readyState !== WebSocket.OPEN) {
    ws.terminate();
    return;
  }
  switch (n % 3) {
    case 0:
      ws.send('DISCONNECT\nreceipt:bye\n\n\0');
      ws.close();
      totals.closedClean++;
      break;
    case 1:
      ws.close();
      totals.closedClean++;
      break;
    default:
      (ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
      totals.destroyed++;
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function report(server: StompServer, started: number): void {
  const m = process.memoryUsage();
  const handles = process.getActiveResourcesInfo().length;
  const local = server.broker as unknown as { localStats?(): { subscriptions: number } };
  const subs = local.localStats?.().subscriptions ?? -1;
  const stats = server.stats();
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stdout.write(
    `t=${t}s heap=${mb(m.heapUsed)}MB rss=${mb(m.rss)}MB ext=${mb(m.external)}MB handles=${handles} ` +
      `sessions=${server.sessions.size} subs=${subs} heartbeats=${server.heartbeats.size} buffered=${stats.backpressure.bufferedBytes} ` +
      `flowTimers=${server.flow.active ? 1 : 0} breaches=${stats.backpressure.bufferBreaches + stats.backpressure.timeBreaches} ` +
      `opened=${totals.opened} clean=${totals.closedClean} destroyed=${totals.destroyed} ` +
      `published=${totals.published} received=${totals.received} errors=${totals.errors}\n`,
  );
}

async function main(): Promise<void> {
  const server = new StompServer({ endpoints: ['/stomp'], heartbeat: [0, 0] });
  const { port } = await server.listen(0, '127.0.0.1');
  const url = `ws://127.0.0.1:${port}/stomp`;
  process.stdout.write(`soak: ${MINUTES} min, ${CLIENTS} clients, churn ${CHURN_COUNT}/${CHURN_EVERY} ms, node ${process.version}\n`);
  const clients: WebSocket[] = [];
  let next = 0;
  for (let i = 0; i < CLIENTS; i++) clients.push(openClient(url, next++));
  const started = Date.now();
  let topic = 0;
  const publisher = setInterval(() => {
    server.template.convertAndSend(`/topic/soak/${topic++ % TOPICS}`, `tick ${totals.published}`);
    totals.published++;
  }, PUBLISH_EVERY);
  const churn = setInterval(() => {
    for (let i = 0; i < CHURN_COUNT; i++) {
      const at = Math.floor(Math.random() * clients.length);
      leave(clients[at], next);
      clients[at] = openClient(url, next++);
    }
  }, CHURN_EVERY);
  report(server, started);
  const reporter = setInterval(() => report(server, started), REPORT_EVERY);
  await new Promise((resolve) => setTimeout(resolve, MINUTES * 60_000));
  clearInterval(publisher);
  clearInterval(churn);
  clearInterval(reporter);
  for (const ws of clients) ws.terminate();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write('after all clients left:\n');
  report(server, started);
  await server.close();
  process.stdout.write('server closed:\n');
  report(server, started);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
