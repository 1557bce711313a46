import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StompServer } from '../../broker';
import { closeClients, header, RawClient, stompClient, type Transport } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

let running: Running;

beforeEach(async () => {
  // A short SockJS disconnect delay: polling sessions end soon after their client goes.
  running = await startServer({ endpoints: ['/stomp'], sockjs: { disconnectDelay: 500 } });
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const TRANSPORTS: Transport[] = ['websocket', 'sockjs-websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'];

describe.each(TRANSPORTS)('@stomp/stompjs over %s', (transport) => {
  it('connects with STOMP 1.2 and heart-beats on both sides', async () => {
    const c = await stompClient(running.http('/stomp'), transport);
    expect(c.connected.headers.version).toBe('1.2');
    expect(c.connected.headers['heart-beat']).toBe('10000,10000');
    expect(c.connected.headers.server).toMatch(/^stompbox\//);
    expect(c.connected.headers.session).toEqual(expect.any(String));
    const [info] = [...running.server.sessions.values()];
    expect(info.connection.transport).toBe(transport);
  });

  it('delivers a published message with its headers after a SUBSCRIBE receipt', async () => {
    const c = await stompClient(running.http('/stomp'), transport);
    const inbox = await c.subscribe('/topic/greetings');
    const body = 'héllo ✓ wörld';
    c.client.publish({ destination: '/topic/greetings', body, headers: { 'content-type': 'text/plain;charset=UTF-8', custom: 'kept' } });
    const [message] = await inbox.wait(1);
    expect(message.body).toBe(body);
    expect(message.headers.subscription).toBe(inbox.id);
    expect(message.headers['message-id']).toEqual(expect.any(String));
    expect(message.headers.destination).toBe('/topic/greetings');
    expect(message.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(message.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(message.headers.custom).toBe('kept');
  });

  it('stops delivering to a subscription after UNSUBSCRIBE', async () => {
    const c = await stompClient(running.http('/stomp'), transport);
    const dropped = await c.subscribe('/topic/news');
    const kept = await c.subscribe('/topic/news');
    dropped.unsubscribe({ receipt: 'unsub-1' });
    await c.receipt('unsub-1');
    c.client.publish({ destination: '/topic/news', body: 'after' });
    await kept.wait(1);
    expect(kept.messages.map((m) => m.body)).toEqual(['after']);
    expect(dropped.messages).toEqual([]);
  });

  it('answers DISCONNECT with its RECEIPT and ends the session', async () => {
    const c = await stompClient(running.http('/stomp'), transport);
    expect(running.server.sessions.size).toBe(1);
    const gone = new Promise((resolve) => running.server.once('disconnect', resolve));
    const receipt = await c.disconnect();
    expect(receipt.command).toBe('RECEIPT');
    expect(receipt.headers['receipt-id']).toMatch(/^d-/);
    expect(await gone).toMatchObject({ reason: 'disconnect' });
    expect(running.server.sessions.size).toBe(0);
  });

  it('carries messages between two clients', async () => {
    const receiver = await stompClient(running.http('/stomp'), transport);
    const sender = await stompClient(running.http('/stomp'), transport);
    const inbox = await receiver.subscribe('/queue/work');
    for (let i = 0; i < 5; i++) sender.client.publish({ destination: '/queue/work', body: `job ${i}` });
    await inbox.wait(5);
    expect(inbox.messages.map((m) => m.body)).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
  });
});

describe('plain WebSocket subprotocols', () => {
  it('chooses v12.stomp when the client offers every STOMP subprotocol', async () => {
    const c = await RawClient.open(running.ws('/stomp'), ['v10.stomp', 'v11.stomp', 'v12.stomp']);
    expect(c.ws.protocol).toBe('v12.stomp');
  });

  it('chooses the only STOMP subprotocol a client offers', async () => {
    const c = await RawClient.open(running.ws('/stomp'), ['v10.stomp']);
    expect(c.ws.protocol).toBe('v10.stomp');
  });

  it('accepts a client that offers no subprotocol', async () => {
    const c = await RawClient.open(running.ws('/stomp'), []);
    expect(c.ws.protocol).toBe('');
    c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
    const connected = await c.next();
    expect(connected.command).toBe('CONNECTED');
    expect(header(connected, 'version')).toBe('1.2');
  });

  it('serves plain WebSocket at <endpoint>/websocket with subprotocol negotiation', async () => {
    const c = await RawClient.open(running.ws('/stomp/websocket'), ['v12.stomp']);
    expect(c.ws.protocol).toBe('v12.stomp');
    c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
    expect((await c.next()).command).toBe('CONNECTED');
  });

  it('serves plain WebSocket at a websocketEndpoints path', async () => {
    await closeServers();
    running = await startServer({ endpoints: [], websocketEndpoints: ['/ws'] });
    const c = await RawClient.connected(running.ws('/ws'));
    expect(c.ws.protocol).toBe('v12.stomp');
    expect(running.server.sessions.size).toBe(1);
  });
});

describe('non-UTF-8 bodies', () => {
  const binary = (): Buffer =>
    Buffer.concat([Buffer.from('SEND\ndestination:/topic/bin\ncontent-type:application/octet-stream\ncontent-length:3\n\n'), Buffer.from([0xff, 0x00, 0xfe]), Buffer.from([0])]);

  it('reach a plain WebSocket subscriber intact, as binary messages', async () => {
    const c = await stompClient(running.http('/stomp'), 'websocket');
    const inbox = await c.subscribe('/topic/bin');
    const publisher = await RawClient.connected(running.ws('/stomp'));
    publisher.send(binary());
    const [m] = await inbox.wait(1);
    expect(Buffer.from(m.binaryBody)).toEqual(Buffer.from([0xff, 0x00, 0xfe]));
    expect(m.headers['content-length']).toBe('3');
  });

  it.each(['sockjs-websocket', 'xhr-streaming'] as const)('are skipped for a %s subscriber, which keeps receiving what follows', async (transport) => {
    const c = await stompClient(running.http('/stomp'), transport);
    const inbox = await c.subscribe('/topic/bin');
    const publisher = await RawClient.connected(running.ws('/stomp'));
    publisher.send(binary());
    publisher.send('SEND\ndestination:/topic/bin\n\nafter\0');
    await inbox.wait(1);
    c.client.publish({ destination: '/topic/bin', body: 'last' });
    await inbox.wait(2);
    expect(inbox.messages.map((m) => m.body)).toEqual(['after', 'last']);
  });
});

describe('attach to an existing HTTP server', () => {
  let http: Server;
  let stomp: StompServer;
  let base: string;

  beforeEach(async () => {
    // The application answers its own paths only, as listeners sharing a server do (our paths are
    // ours; spec/transport/attach-citizen.spec.ts has frameworks that answer every path).
    http = createServer((req, res) => {
      if (!req.url!.startsWith('/stomp')) res.end(`user route ${req.url}`);
    });
    http.on('upgrade', (req, socket) => {
      if (!req.url!.startsWith('/stomp')) socket.end(`HTTP/1.1 418 I'm a teapot\r\nX-Path: ${req.url}\r\nConnection: close\r\n\r\n`);
    });
    stomp = new StompServer({ endpoints: ['/stomp'], sockjs: { disconnectDelay: 500 } }).attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await closeClients();
    await stomp.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  const fetchText = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      get(`http://${base}${path}`, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });

  it('leaves the application its own routes', async () => {
    expect(await fetchText('/hello')).toEqual({ status: 200, body: 'user route /hello' });
  });

  it('serves the SockJS info of its endpoint', async () => {
    const info = await fetchText('/stomp/info');
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ websocket: true });
  });

  it('serves STOMP over plain WebSocket on its endpoint', async () => {
    const c = await RawClient.connected(`ws://${base}/stomp`);
    expect(c.ws.protocol).toBe('v12.stomp');
    expect(stomp.sessions.size).toBe(1);
  });

  it('serves STOMP over SockJS on its endpoint', async () => {
    const c = await stompClient(`http://${base}/stomp`, 'xhr-polling');
    expect(c.connected.headers.version).toBe('1.2');
  });

  it('hands upgrades for other paths to the application', async () => {
    await expect(RawClient.open(`ws://${base}/elsewhere`)).rejects.toThrow(/418/);
  });

  it('refuses to attach twice', () => {
    expect(() => stomp.attach(createServer())).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });
});

describe('SockJS websocket fan-out', () => {
  // A turn's frames leave as one a[...] WebSocket frame, built once and shared by every session
  // that queued the same frames (broker/transport/sockjs/websocket-receiver.ts).
  it('delivers every message of a burst once, in order, to sessions sharing frames and to one that does not', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => stompClient(running.http('/stomp'), 'sockjs-websocket')));
    await c.subscribe('/topic/other'); // c's next subscription gets another id, so frames of its own
    const inboxes = [await a.subscribe('/topic/burst'), await b.subscribe('/topic/burst'), await c.subscribe('/topic/burst')];
    expect(inboxes[0].id).toBe(inboxes[1].id);
    expect(inboxes[2].id).not.toBe(inboxes[0].id);
    const count = 300;
    for (let i = 0; i < count; i++) void running.server.template.convertAndSend('/topic/burst', `m${i}`); // one turn
    for (const inbox of inboxes) {
      const messages = await inbox.wait(count);
      expect(messages.map((m) => m.body)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
      expect(new Set(messages.map((m) => m.headers.subscription))).toEqual(new Set([inbox.id]));
      expect(new Set(messages.map((m) => m.headers['message-id'])).size).toBe(count);
    }
    void running.server.template.convertAndSend('/topic/burst', 'after');
    for (const inbox of inboxes) expect((await inbox.wait(count + 1)).at(-1)!.body).toBe('after');
  });
});
