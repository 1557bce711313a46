/**
 * Chaos on a real server: 200 sessions at once, some sending garbage, some vanishing without a
 * close (WebSocket destroyed, or a SockJS session that never polls again), some never reading,
 * some behaving. A bystander subscriber must receive every message, in order, and once
 * everyone is gone nothing may be left behind: no sessions, no heart-beat or flow-control
 * timers, no subscriptions.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { SimpleBroker } from '../../broker';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { eventually, nextTurn } from '../hardening/helpers';

const SESSIONS = 200;
const MESSAGES = 2000;
const SOCKJS = 20; // of the sessions, SockJS ones that vanish
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await closeClients();
  await closeServers();
});

/** A small seeded generator, so a failure replays the same garbage. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const CONNECT = 'CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0';

function garbage(rand: () => number, n: number): (string | Buffer)[] {
  const bytes = Buffer.alloc(1 + Math.floor(rand() * 2048));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  const kinds: (string | Buffer)[][] = [
    [bytes],
    [CONNECT, bytes],
    [CONNECT, 'SEND\ndestination:/topic/chaos\ncontent-length:99999\n\nshort\0'],
    [CONNECT, `SEND\ndestination:/topic/x\n${'h:v\n'.repeat(500)}\n\0`],
    [CONNECT, `SUBSCRIBE\nid:0\ndestination:/topic/chaos\nbad:\\q\n\n\0`],
    [CONNECT, `SEND\n${'x'.repeat(20000)}:y\n\n\0`],
    ['\0\0\0NOT-A-COMMAND\n\n\0'],
    [CONNECT, CONNECT],
  ];
  return kinds[n % kinds.length];
}

function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

function open(running: Running): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(running.ws('/stomp'), ['v12.stomp']);
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', () => reject(new Error('handshake refused')));
  });
}

function closedOf(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve())));
}

/** One chaotic session, by role: 0 garbage, 1 vanishes, 2 never reads, 3 behaves. */
async function actor(running: Running, n: number, rand: () => number): Promise<void> {
  const ws = await open(running);
  const role = n % 4;
  if (role === 0) {
    for (const part of garbage(rand, n)) ws.send(part);
    await closedOf(ws); // the broker answers ERROR and closes
    return;
  }
  ws.send(n % 8 === 1 ? 'CONNECT\naccept-version:1.2\nheart-beat:500,500\n\n\0' : CONNECT);
  ws.send('SUBSCRIBE\nid:0\ndestination:/topic/chaos\n\n\0');
  ws.send(`SUBSCRIBE\nid:1\ndestination:/topic/chaos/${n}/**\n\n\0`);
  if (role === 1) {
    await new Promise((resolve) => setTimeout(resolve, rand() * 200));
    socketOf(ws).destroy(); // no close frame, no FIN handshake from the application
    return;
  }
  if (role === 2) {
    if (n % 40 === 2) ws.send('SUBSCRIBE\nid:2\ndestination:/topic/heavy\n\n\0'); // a few get enough to overflow the kernel's buffers
    socketOf(ws).pause();
    sockets.push(socketOf(ws));
    return; // the send buffer limit ends it, or the test's cleanup does
  }
  for (let i = 0; i < 5; i++) ws.send(`SEND\ndestination:/topic/chaos/${n}/echo\n\nhello ${i}\0`);
  await new Promise((resolve) => setTimeout(resolve, rand() * 300));
  ws.send('DISCONNECT\nreceipt:bye\n\n\0');
  await closedOf(ws);
}

/**
 * A SockJS xhr-polling session that connects, subscribes and then vanishes: it never polls
 * again, so the server only learns of it when `sockjs.disconnectDelay` passes.
 */
async function sockjsVanisher(running: Running, n: number): Promise<void> {
  const base = running.http(`/stomp/000/chaos${n}`);
  const post = (path: string, body?: string): Promise<Response> => fetch(`${base}/${path}`, { method: 'POST', body });
  await (await post('xhr')).text();
  const frames = [CONNECT, `SUBSCRIBE\nid:0\ndestination:/topic/chaos/sockjs/${n}\n\n\0`];
  await (await post('xhr_send', JSON.stringify(frames))).text();
}

describe('chaos', () => {
  it(`keeps a bystander whole through ${SESSIONS} misbehaving sessions and leaves nothing behind`, async () => {
    const running = await startServer({
      sendBufferLimit: 32 * 1024,
      heartbeat: [500, 500],
      connectTimeout: 2000,
      sockjs: { disconnectDelay: 500 },
    });
    const broker = running.server.broker as SimpleBroker;
    const bystander = await RawClient.connected(running.ws('/stomp'));
    bystander.send('SUBSCRIBE\nid:0\ndestination:/topic/chaos\nreceipt:r\n\n\0');
    await bystander.nextCommand('RECEIPT');

    const rand = random(0x5eed);
    const actors = Promise.all([
      ...Array.from({ length: SESSIONS - SOCKJS }, (_, n) => actor(running, n, rand)),
      ...Array.from({ length: SOCKJS }, (_, n) => sockjsVanisher(running, n)),
    ]);
    const body = 'y'.repeat(512);
    for (let i = 0; i < MESSAGES; i++) {
      await running.server.template.convertAndSend('/topic/chaos', `${i} ${body}`);
      if (i % 20 === 19) await nextTurn();
    }
    await actors;
    const heavy = 'z'.repeat(64 * 1024);
    for (let i = 0; i < 160; i++) {
      await running.server.template.convertAndSend('/topic/heavy', heavy);
      if (i % 4 === 3) await nextTurn();
    }
    // However much was sent, the broker holds at most the limit (and a frame) per non-reader.
    expect(running.server.stats().backpressure.bufferedBytes).toBeLessThanOrEqual((SESSIONS / 4 + SOCKJS) * (32 * 1024 + 66 * 1024));

    const messages = await bystander.messagesMatching((m) => m.data.subarray(0, 7).toString() === 'MESSAGE', MESSAGES, 20000);
    expect(messages).toHaveLength(MESSAGES);
    const numbers = bystander.frames.filter((f) => f.command === 'MESSAGE').map((f) => Number(f.body.toString().split(' ', 1)[0]));
    expect(numbers).toEqual([...Array(MESSAGES).keys()]);
    expect(bystander.closeCode).toBeUndefined();

    const stats = running.server.stats();
    expect(stats.sessions.total).toBe(SESSIONS + 1);
    expect(stats.frames.out.ERROR).toBeGreaterThanOrEqual((SESSIONS - SOCKJS) / 4);
    expect(stats.backpressure.bufferBreaches).toBe(5); // the heavy non-readers were cut off

    for (const socket of sockets.splice(0)) socket.destroy();
    await bystander.close();
    await eventually('every session to end', () => running.server.stats().sessions.open === 0, 10000);
    expect(running.server.sessions.size).toBe(0);
    expect(running.server.heartbeats.size).toBe(0);
    expect(running.server.flow.active).toBe(false);
    expect(running.server.flow.sessions.size).toBe(0);
    expect(broker.localStats()).toEqual({ subscriptions: 0, destinations: 0, users: 0 });
    expect(running.server.stats().backpressure.bufferedBytes).toBe(0);
    expect(running.server.stats().sessions.closed['slow-consumer']).toBe(5);
    expect(running.server.stats().sessions.closed['transport-closed']).toBeGreaterThanOrEqual(SOCKJS);
  }, 60000);
});
