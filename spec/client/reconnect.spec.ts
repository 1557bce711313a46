import { StompServer } from '../../broker';
import { backoffDelay, type StateChange, type TransportMode } from '../../client';
import { closeTestClients, Inbox, nextEvent, testClient } from './support';

const servers = new Set<StompServer>();

/** A server on 127.0.0.1; port 0 picks a free one, a given port restarts "the same" server. */
async function serve(port = 0): Promise<{ server: StompServer; port: number }> {
  const server = new StompServer({ sockjs: { disconnectDelay: 200 } });
  servers.add(server);
  const address = await server.listen(port, '127.0.0.1');
  return { server, port: address.port };
}

afterEach(async () => {
  await closeTestClients();
  await Promise.all([...servers].map((s) => s.close()));
  servers.clear();
});

const TRANSPORTS: { name: string; transport: TransportMode; url: (port: number) => string; sockjsTransports?: string[] }[] = [
  { name: 'plain WebSocket', transport: 'websocket', url: (port) => `ws://127.0.0.1:${port}/stomp` },
  { name: 'SockJS xhr-streaming', transport: 'sockjs', url: (port) => `http://127.0.0.1:${port}/stomp`, sockjsTransports: ['xhr-streaming'] },
];

describe.each(TRANSPORTS)('reconnect over $name', (t) => {
  it('restores every subscription exactly once on the restarted server and messages flow again', async () => {
    const first = await serve();
    const client = testClient({ url: t.url(first.port), transport: t.transport, sockjsTransports: t.sockjsTransports, reconnect: { initialDelay: 20, maxDelay: 200 } });
    const states: StateChange[] = [];
    client.on('state', (s) => states.push(s));
    await client.connect();
    const news = new Inbox<string>();
    const sports = new Inbox<string>();
    await client.subscribe<string>('/topic/news', news.push).ready;
    await client.subscribe<string>('/topic/sports', sports.push).ready;
    first.server.template.convertAndSend('/topic/news', 'before');
    await news.wait(1);

    // Stop the server; the client keeps retrying with growing delays while nothing listens.
    const retries: StateChange[] = [];
    const threeRetries = new Promise<void>((resolve) => {
      const off = client.on('state', (s) => {
        if (s.state === 'reconnecting') retries.push(s);
        if (retries.length === 3) {
          off();
          resolve();
        }
      });
    });
    await first.server.close();
    await threeRetries;
    expect(retries.map((r) => r.failures)).toEqual([0, 1, 2]);
    expect(retries.every((r) => r.delay! <= 200)).toBe(true);

    const restored: string[] = [];
    client.on('subscribed', (s) => restored.push(s.destination));
    const allBack = new Promise<void>((resolve) => client.on('subscribed', () => restored.length === 3 && resolve()));
    const late = new Inbox<string>();
    client.subscribe<string>('/topic/late', late.push); // made while disconnected: issued once on connect
    const second = await serve(first.port);
    await nextEvent(client, 'state', (s) => s.state === 'connected');
    await allBack;
    expect(restored.sort()).toEqual(['/topic/late', '/topic/news', '/topic/sports']);
    const [session] = [...second.server.sessions.values()];
    expect(second.server.sessions.size).toBe(1);
    // Plus the client's own error queue, restored like the others.
    expect([...session.subscriptions.values()].map((s) => s.destination).sort()).toEqual(['/topic/late', '/topic/news', '/topic/sports', '/user/queue/errors']);

    second.server.template.convertAndSend('/topic/news', 'after');
    second.server.template.convertAndSend('/topic/sports', 'sentinel');
    await sports.wait(1);
    await client.publish('/topic/sports', 'from the client', {}, { receipt: true });
    await sports.wait(2);
    expect(news.items).toEqual(['before', 'after']);
    expect(sports.items).toEqual(['sentinel', 'from the client']);
    expect(states.filter((s) => s.state === 'connected')).toHaveLength(2);
  });
});

describe('backoffDelay', () => {
  const policy = { initialDelay: 100, maxDelay: 1000, factor: 2, jitter: 0.5 };

  it('doubles per failure and stops at maxDelay', () => {
    const middle = (): number => 0.5; // no spread
    expect([0, 1, 2, 3, 4, 10].map((f) => backoffDelay(f, policy, middle))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads each delay by ±jitter and never exceeds maxDelay', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(100);
    expect(backoffDelay(1, policy, () => 1)).toBe(300);
    expect(backoffDelay(5, policy, () => 1)).toBe(1000);
  });
});
