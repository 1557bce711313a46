import type { Session } from '../../broker/session/session';
/**
 * Backpressure with real sockets: a `ws` client whose socket is paused stops reading, the
 * kernel buffers fill, and the broker must then hold no more than `sendBufferLimit` (plus the
 * frame in hand) for it, apply its policy, log and count the breach, and keep serving others.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { BrokerMessage, DEFAULTS, StompServer } from '../../broker';
import type { CloseReason } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { CapturingLogger, eventually, flood, held, sessionOf } from './helpers';

const LIMIT = 64 * 1024;
const SIZE = 4096; // body bytes per message; a frame is a little larger
const FRAME = SIZE + 512;

const paused = new Set<Socket>();

afterEach(async () => {
  // A paused socket never reads the close handshake: drop it outright.
  for (const socket of paused) socket.destroy();
  paused.clear();
  await closeClients();
  await closeServers();
});

function socketOf(client: RawClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

async function pausedSubscriber(running: Running, destination: string): Promise<RawClient> {
  const client = await RawClient.connected(running.ws('/stomp'));
  client.send(`SUBSCRIBE\nid:0\ndestination:${destination}\nreceipt:r0\n\n\0`);
  await client.nextCommand('RECEIPT');
  socketOf(client).pause();
  paused.add(socketOf(client));
  return client;
}

function disconnectReason(server: StompServer, sessionId: string): Promise<CloseReason> {
  return new Promise((resolve) => {
    server.on('disconnect', (info) => {
      if (info.sessionId === sessionId) resolve(info.reason);
    });
  });
}

/** Numbers of the MESSAGE bodies a client received, in arrival order. */
function numbers(client: RawClient): number[] {
  return client.frames.filter((f) => f.command === 'MESSAGE').map((f) => Number(f.body.toString().split(' ', 1)[0]));
}

describe('send buffer limit', () => {
  it('defaults to 512 KiB and 10 s with the terminate policy, as Spring', () => {
    expect(DEFAULTS.sendBufferLimit).toBe(512 * 1024);
    expect(DEFAULTS.sendTimeLimit).toBe(10000);
    expect(DEFAULTS.slowConsumerPolicy).toBe('terminate');
  });

  it('closes a client that stops reading with 4500 once its buffer passes the limit, holding no more than the limit', async () => {
    const logger = new CapturingLogger();
    const running = await startServer({ sendBufferLimit: LIMIT, logger });
    const slow = await pausedSubscriber(running, '/topic/flood');
    const session = sessionOf(running.server, slow);
    const reason = disconnectReason(running.server, session.sessionId);
    const { maxHeld, published } = await flood(running.server, session, '/topic/flood', 20000, SIZE);
    expect(published).toBeLessThan(20000);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    socketOf(slow).resume();
    expect(await reason).toBe('slow-consumer');
    expect((await slow.closed).code).toBe(4500);
    expect(slow.frames.at(-1)!.headers).toContainEqual(['code', 'STOMP_ERR_SLOW_CONSUMER']);
    expect(running.server.stats().backpressure.bufferBreaches).toBe(1);
    const warned = logger.at('warn').filter((e) => (e.obj as { breach?: string }).breach === 'buffer');
    expect(warned).toHaveLength(1);
    expect(warned[0].obj).toMatchObject({ sessionId: session.sessionId, policy: 'terminate' });
  });

  it('keeps serving a reading bystander while a slow consumer is closed', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT });
    const bystander = await RawClient.connected(running.ws('/stomp'));
    bystander.send('SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r0\n\n\0');
    await bystander.nextCommand('RECEIPT');
    const slow = await pausedSubscriber(running, '/topic/flood');
    const { published } = await flood(running.server, sessionOf(running.server, slow), '/topic/flood', 20000, SIZE);
    await bystander.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), published, 10000);
    expect(numbers(bystander)).toEqual([...Array(published).keys()]);
  });

  it('drop-newest drops what does not fit, counts every drop, logs the episode once, and resumes once the client reads', async () => {
    const logger = new CapturingLogger();
    const running = await startServer({ sendBufferLimit: LIMIT, slowConsumerPolicy: 'drop-newest', sendTimeLimit: 60000, logger });
    const slow = await pausedSubscriber(running, '/topic/flood');
    const session = sessionOf(running.server, slow);
    const { maxHeld, published } = await flood(running.server, session, '/topic/flood', 4000, SIZE);
    expect(published).toBe(4000);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    const stats = running.server.stats();
    expect(stats.messages.dropped).toBeGreaterThan(0);
    expect(stats.backpressure.bufferBreaches).toBe(1);
    expect(logger.at('warn').filter((e) => (e.obj as { policy?: string }).policy === 'drop-newest')).toHaveLength(1);
    socketOf(slow).resume();
    await eventually('the buffer to drain', () => session.connection.bufferedAmount === 0);
    running.server.flow.check(); // the next scan ends the episode
    running.server.broker.publish(new BrokerMessage('/topic/flood', Buffer.from('4000 last'), 'text/plain'));
    await slow.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString() === '4000 last', 'the message after the episode', 10000);
    const got = numbers(slow);
    expect(got).toEqual([...got].sort((a, b) => a - b)); // a prefix in order, never reordered
    expect(got.length).toBe(4001 - stats.messages.dropped);
    expect(session.state).toBe('connected');
  });

  it('drop-oldest keeps a queue of its own in front of the socket and delivers the newest messages', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT, slowConsumerPolicy: 'drop-oldest', sendTimeLimit: 60000 });
    const slow = await pausedSubscriber(running, '/topic/flood');
    const session = sessionOf(running.server, slow);
    const { maxHeld, published } = await flood(running.server, session, '/topic/flood', 4000, SIZE);
    expect(published).toBe(4000);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    expect(session.flow.outbox).toBeDefined();
    const dropped = running.server.stats().messages.dropped;
    expect(dropped).toBeGreaterThan(0);
    socketOf(slow).resume();
    await slow.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString().startsWith('3999 '), 'the newest message', 10000);
    const got = numbers(slow);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got.length).toBe(4000 - dropped);
    expect(session.flow.outbox).toBeUndefined();
    expect(session.state).toBe('connected');
  });
});

describe('send time limit', () => {
  it('closes with 4500 a session whose send buffer does not drain in time, whatever the policy', async () => {
    const logger = new CapturingLogger();
    const running = await startServer({ sendBufferLimit: 64 * 1024 * 1024, slowConsumerPolicy: 'drop-newest', sendTimeLimit: 300, logger });
    const slow = await pausedSubscriber(running, '/topic/flood');
    const session = sessionOf(running.server, slow);
    const reason = disconnectReason(running.server, session.sessionId);
    // Fill the kernel's buffers until the broker itself holds bytes for the client.
    for (let i = 0; i < 200 && session.connection.bufferedAmount === 0; i++) await flood(running.server, session, '/topic/flood', 64, SIZE);
    expect(session.connection.bufferedAmount).toBeGreaterThan(0);
    const started = Date.now();
    socketOf(slow).resume(); // too late: the close frame is queued behind what it did not read
    socketOf(slow).pause();
    expect(await reason).toBe('slow-consumer');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(running.server.stats().backpressure.timeBreaches).toBe(1);
    expect(logger.at('warn').some((e) => (e.obj as { breach?: string }).breach === 'time')).toBe(true);
  });
});

describe('SockJS send buffer', () => {
  it('applies the limit to the SockJS session buffer of a client that stops polling', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT });
    const base = running.http('/stomp/000/hardening1');
    const poll = async (): Promise<string> => (await fetch(`${base}/xhr`, { method: 'POST' })).text();
    const send = async (frame: string): Promise<void> => {
      const res = await fetch(`${base}/xhr_send`, { method: 'POST', body: JSON.stringify([frame]) });
      expect(res.status).toBe(204);
    };
    expect(await poll()).toBe('o\n');
    await send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
    expect(await poll()).toContain('CONNECTED');
    await send('SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r0\n\n\0');
    expect(await poll()).toContain('RECEIPT');
    const [session] = running.server.sessions.values() as Iterable<Session>;
    expect(session.connection.transport).toBe('xhr-polling');
    const reason = disconnectReason(running.server, session.sessionId);
    // Nobody polls now: every MESSAGE waits in the SockJS session's send buffer.
    const { maxHeld } = await flood(running.server, session, '/topic/flood', 1000, SIZE);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    expect(await reason).toBe('slow-consumer');
  });
});

describe('SockJS websocket send buffer', () => {
  it('closes a SockJS websocket client that stops reading once its socket holds more than the limit', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT });
    const ws = new WebSocket(running.ws('/stomp/000/hardening2/websocket'));
    const received: string[] = [];
    ws.on('message', (data) => received.push(data.toString()));
    const next = async (): Promise<string> => {
      await eventually('a SockJS frame', () => received.length > 0);
      return received.shift()!;
    };
    await new Promise((resolve) => ws.once('open', resolve));
    expect(await next()).toBe('o');
    ws.send(JSON.stringify(['CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0']));
    expect(await next()).toContain('CONNECTED');
    ws.send(JSON.stringify(['SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r0\n\n\0']));
    expect(await next()).toContain('RECEIPT');
    const [session] = running.server.sessions.values() as Iterable<Session>;
    expect(session.connection.transport).toBe('sockjs-websocket');
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    paused.add(socket);
    const reason = disconnectReason(running.server, session.sessionId);
    const { maxHeld, published } = await flood(running.server, session, '/topic/flood', 20000, SIZE);
    expect(published).toBeLessThan(20000);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    expect(await reason).toBe('slow-consumer');
  });
});

describe('rate and connection limits', () => {
  it('answers ERROR STOMP_ERR_RATE_LIMITED past maxFramesPerSecond', async () => {
    const running = await startServer({ maxFramesPerSecond: 20 });
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send('SEND\ndestination:/topic/a\n\nx\0'.repeat(40));
    const error = await client.nextCommand('ERROR');
    expect(error.headers).toContainEqual(['code', 'STOMP_ERR_RATE_LIMITED']);
    expect((await client.closed).code).toBe(1000);
    expect(running.server.stats().backpressure.rateLimited).toBe(1);
  });

  it('counts frames per one-second window, so a session under the rate keeps going', async () => {
    const running = await startServer({ maxFramesPerSecond: 20 });
    const client = await RawClient.connected(running.ws('/stomp'));
    for (let round = 0; round < 3; round++) {
      const epoch = running.server.flow.epoch;
      client.send('SEND\ndestination:/topic/a\n\nx\0'.repeat(14) + `SEND\ndestination:/topic/a\nreceipt:r${round}\n\nx\0`);
      const receipt = await client.nextCommand('RECEIPT');
      expect(header(receipt, 'receipt-id')).toBe(`r${round}`);
      await eventually('the next window', () => running.server.flow.epoch > epoch, 3000);
    }
    expect(running.server.stats().backpressure.rateLimited).toBe(0);
  });

  it('has no frame-rate limit and 10000 connections by default', () => {
    expect(DEFAULTS.maxFramesPerSecond).toBe(0);
    expect(DEFAULTS.maxConnections).toBe(10000);
  });

  it('refuses a WebSocket handshake past maxConnections with HTTP 503, and a SockJS session with ERROR', async () => {
    const running = await startServer({ maxConnections: 1, sockjs: { disconnectDelay: 200 } });
    await RawClient.connected(running.ws('/stomp'));
    const status = await RawClient.open(running.ws('/stomp')).then(
      () => 0,
      (err: Error) => Number(/(\d{3})/.exec(err.message)?.[1]),
    );
    expect(status).toBe(503);
    const base = running.http('/stomp/000/limit1');
    expect(await (await fetch(`${base}/xhr`, { method: 'POST' })).text()).toBe('o\n');
    const reply = await (await fetch(`${base}/xhr`, { method: 'POST' })).text();
    expect(reply).toContain('ERROR');
    expect(reply).toContain('code:STOMP_ERR_TOO_MANY_CONNECTIONS');
    expect(running.server.stats().sessions.refused).toBe(2);
    expect(running.server.stats().sessions.connected).toBe(1);
  });

  it("leaves the application's own WebSocket paths alone at maxConnections", async () => {
    const http = createServer();
    const own = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req, socket, head) => {
      if (req.url === '/own') own.handleUpgrade(req, socket, head, (ws) => ws.send('hi'));
    });
    const server = new StompServer({ maxConnections: 1 }).attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    try {
      await RawClient.connected(`ws://127.0.0.1:${port}/stomp`);
      const greeting = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/own`);
        ws.once('message', (data: Buffer) => {
          resolve(data.toString());
          ws.close();
        });
        ws.once('error', reject);
      });
      expect(greeting).toBe('hi');
    } finally {
      await closeClients();
      await server.close();
      own.close();
      await new Promise((resolve) => {
        http.close(resolve);
        http.closeAllConnections();
      });
    }
  });
});

describe.each([
  ['xhr_streaming', 'POST', 'xhr-streaming'],
  ['eventsource', 'GET', 'eventsource'],
  ['htmlfile?c=cb', 'GET', 'htmlfile'],
])('SockJS %s send buffer', (path, method, transport) => {
  it('closes a client that stops reading once its response holds more than the limit', async () => {
    // A stream limit far above the flood, so what the client does not read stays in the response.
    const running = await startServer({ sendBufferLimit: LIMIT, sockjs: { streamLimit: 64 * 1024 * 1024 } });
    const base = `/stomp/000/flood${transport.replace(/-/g, '')}`;
    let body = '';
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: running.port, method, path: `${base}/${path}` }, resolve);
      req.on('error', reject);
      req.end();
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    const send = (frame: string): Promise<Response> => fetch(running.http(`${base}/xhr_send`), { method: 'POST', body: JSON.stringify([frame]) });
    await send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
    await send('SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r0\n\n\0');
    await eventually('the RECEIPT', () => body.includes('RECEIPT'));
    const [session] = running.server.sessions.values() as Iterable<Session>;
    expect(session.connection.transport).toBe(transport);
    response.pause();
    paused.add(response.socket);
    const reason = disconnectReason(running.server, session.sessionId);
    const { maxHeld, published } = await flood(running.server, session, '/topic/flood', 20000, SIZE);
    expect(published).toBeLessThan(20000);
    expect(maxHeld).toBeLessThanOrEqual(LIMIT + FRAME);
    expect(await reason).toBe('slow-consumer');
  });
});
