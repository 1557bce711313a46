/**
 * The relay when RabbitMQ's link freezes (TCP peer stopped, not closed), with the relay's
 * default heart-beats: how long until the system connection and the client sessions are
 * closed, and how many receipt-less SENDs went into the frozen links meanwhile. Standalone,
 * needs RabbitMQ's STOMP on 127.0.0.1:61613: `npx tsc -p bench/tsconfig.json`, then
 * `node dist/bench/relay-freeze.js`. Env SESSIONS (3), SEND_EVERY_MS (10), HEARTBEAT_MS (10000).
 */
import { connect, type Socket } from 'node:net';
import { StompBrokerRelay, StompServer } from '../broker';
import { silentLogger } from '../broker/logger';
import { FrozenProxy } from '../spec/cluster/frozen-proxy';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SESSIONS = env('SESSIONS', 3);
const SEND_EVERY_MS = env('SEND_EVERY_MS', 10);
const HEARTBEAT_MS = env('HEARTBEAT_MS', 10000);

function stompSession(port: number): Promise<{ socket: Socket; error: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0'));
    let text = '';
    let onError: (at: number) => void = () => undefined;
    const error = new Promise<number>((r) => (onError = r));
    socket.on('error', () => undefined);
    socket.on('close', () => onError(Date.now()));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.startsWith('CONNECTED')) resolve({ socket, error });
      else if (text.startsWith('ERROR')) reject(new Error(text));
    });
  });
}

async function main(): Promise<void> {
  const proxy = await FrozenProxy.start(61613);
  const relay = new StompBrokerRelay({ port: proxy.port, heartbeat: [HEARTBEAT_MS, HEARTBEAT_MS], logger: silentLogger });
  await relay.start();
  const server = new StompServer({ relay, tcp: { port: 0, host: '127.0.0.1' }, logger: silentLogger });
  await server.listen(0, '127.0.0.1');
  const tcpPort = server.tcpAddress!.port;
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => stompSession(tcpPort)));
  await new Promise((r) => setTimeout(r, 1000));
  const systemLink = proxy.links[0];
  proxy.freeze();
  const t0 = proxy.frozenAt;
  let systemClosed = 0;
  const watch = setInterval(() => {
    if (systemClosed === 0 && !relay.available) systemClosed = Date.now();
  }, 10);
  let sent = 0;
  const publisher = sessions[0];
  let publishing = true;
  void publisher.error.then(() => (publishing = false));
  const pump = setInterval(() => {
    if (publishing) publisher.socket.write(`SEND\ndestination:/topic/stompbox.freeze\n\n${sent++}\0`);
  }, SEND_EVERY_MS);
  const closed = await Promise.all(sessions.map((s) => s.error));
  clearInterval(pump);
  while (systemClosed === 0) await new Promise((r) => setTimeout(r, 10));
  clearInterval(watch);
  const written = proxy.links.slice(1).reduce((n, l) => n + l.heldUp.reduce((k, c) => k + (c.data.toString('latin1').match(/SEND\n/g)?.length ?? 0), 0), 0);
  const report = {
    heartbeatMs: HEARTBEAT_MS,
    rabbitLastHeardBeforeFreezeMs: t0 - systemLink.lastDown,
    systemClosedAfterFreezeMs: systemClosed - t0,
    sessionsClosedAfterFreezeMs: closed.map((t) => t - t0),
    sendsAfterFreeze: sent,
    sendsWrittenIntoFrozenLinks: written,
  };
  console.log(JSON.stringify(report));
  await server.close();
  await relay.close();
  await proxy.close();
}

void main();
