/** The reference app's queues (SPEC §6.2) driven by @stomp/stompjs over WebSocket and SockJS. */
import type { IMessage } from '@stomp/stompjs';
import { closeClients, stompClient, type Inbox, type StompClient } from '../helpers/clients';
import { closeServers, startReferenceApp, type Running } from '../helpers/server';

let running: Running;

beforeEach(async () => {
  running = await startReferenceApp({ interval: 10 });
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** Subscribes with an ack mode and acknowledges (or refuses) each message as it arrives. */
async function worker(c: StompClient, destination: string, settle: (m: IMessage) => void, headers: Record<string, string> = {}): Promise<Inbox> {
  const inbox = await c.subscribe(destination, { ack: 'client-individual', ...headers });
  const seen = new Set<IMessage>();
  const tick = setInterval(() => {
    for (const m of inbox.messages) {
      if (seen.has(m)) continue;
      seen.add(m);
      settle(m);
    }
  }, 2);
  closers.push(() => clearInterval(tick));
  return inbox;
}

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((f) => f()));

const bodies = (inbox: Inbox): string[] => inbox.messages.map((m) => m.body);

describe('/queue/** of the reference app', () => {
  it('shares 200 messages between a WebSocket and a SockJS consumer, each exactly once, acknowledged', async () => {
    const ws = await stompClient(running.http('/queueServer'), 'websocket');
    const sockjs = await stompClient(running.http('/queueServer'), 'sockjs-websocket');
    const inboxes = [await worker(ws, '/queue/work', (m) => m.ack(), { 'prefetch-count': '10' }), await worker(sockjs, '/queue/work', (m) => m.ack(), { 'prefetch-count': '10' })];
    const producer = await stompClient(running.http('/webServer'), 'websocket');
    for (let i = 0; i < 200; i++) producer.client.publish({ destination: '/queue/work', body: `job ${i}` });
    producer.client.publish({ destination: '/queue/work', body: 'last', headers: { receipt: 'sent' } });
    await producer.receipt('sent');
    const deadline = Date.now() + 10_000;
    while (inboxes[0].messages.length + inboxes[1].messages.length < 201 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const all = [...bodies(inboxes[0]), ...bodies(inboxes[1])];
    expect(all).toHaveLength(201);
    expect(new Set(all).size).toBe(201);
    expect(Math.min(inboxes[0].messages.length, inboxes[1].messages.length)).toBeGreaterThan(50);
    await new Promise((r) => setTimeout(r, 100));
    expect(running.server.stats().queues.byDestination['/queue/work']).toMatchObject({ depth: 0, inFlight: 0, acked: 201, redelivered: 0 });
  });

  it('moves a message NACKed on its fourth delivery to /queue/DLQ.<name>', async () => {
    const c = await stompClient(running.http('/queueServer'), 'sockjs-websocket');
    const dlq = await c.subscribe('/queue/DLQ.orders');
    const inbox = await worker(c, '/queue/orders', (m) => m.nack());
    c.client.publish({ destination: '/queue/orders', body: 'broken order' });
    const [dead] = await dlq.wait(1);
    expect(dead.body).toBe('broken order');
    expect(dead.headers['x-original-destination']).toBe('/queue/orders');
    expect(dead.headers['x-dead-letter-reason']).toBe('max-redeliveries');
    expect(inbox.messages.map((m) => m.headers.redelivered)).toEqual([undefined, 'true', 'true', 'true']);
  });

  it('still routes a SEND to the exact destination /queue to its handler', async () => {
    const zhangsan = await stompClient(running.http('/queueServer'), 'websocket', { login: 'zhangsan' });
    const own = await zhangsan.subscribe('/user/zhangsan/message');
    zhangsan.client.publish({ destination: '/queue', body: JSON.stringify({ name: 'hello' }) });
    expect((await own.wait(20)).length).toBe(20);
  });
});
