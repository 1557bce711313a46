import { StompServer } from '../../broker';
import type { ReceivedMessage, ResumeInfo, TransportMode } from '../../client';
import { closeTestClients, Inbox, nextEvent, testClient } from './support';

// The client resumes retained subscriptions by itself (SPEC §6.1): after a reconnect it
// re-subscribes from its last offset + 1 with its epoch and says whether that was complete.

const servers = new Set<StompServer>();
const RULES = { retention: [{ destinations: '/topic/**', messages: 1000 }], sockjs: { disconnectDelay: 200 } };

async function serve(port = 0): Promise<{ server: StompServer; port: number }> {
  const server = new StompServer(RULES);
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
  { name: 'SockJS xhr-polling', transport: 'sockjs', url: (port) => `http://127.0.0.1:${port}/stomp`, sockjsTransports: ['xhr-polling'] },
  { name: 'SockJS eventsource', transport: 'sockjs', url: (port) => `http://127.0.0.1:${port}/stomp`, sockjsTransports: ['eventsource'] },
];

const publishAll = async (server: StompServer, from: number, to: number): Promise<void> => {
  for (let i = from; i < to; i++) await server.template.convertAndSend('/topic/feed', `m${i}`);
};
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe.each(TRANSPORTS)('resume over $name', (t) => {
  it('after a dropped socket gets exactly the messages it missed, and is told the resume was complete', async () => {
    const { server, port } = await serve();
    const client = testClient({ url: t.url(port), transport: t.transport, sockjsTransports: t.sockjsTransports, reconnect: { initialDelay: 20, maxDelay: 100 } });
    await client.connect();
    const inbox = new Inbox<string>();
    const sub = client.subscribe<string>('/topic/feed', inbox.push);
    await sub.ready;
    await publishAll(server, 0, 5);
    await inbox.wait(5);
    const resumed = nextEvent(client, 'resumed');
    const lost = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    // The connection drops without a STOMP goodbye. The client hears of it at once, not from a
    // missed heart-beat 10 s later (SockJS over HTTP: the response ends with c[3000], and the
    // session id answers it to the next request).
    const dropped = Date.now();
    for (const session of server.sessions.values()) session.connection.terminate();
    await lost;
    expect(Date.now() - dropped).toBeLessThan(3000);
    await publishAll(server, 5, 12); // while the client is away
    const info: ResumeInfo = await resumed;
    expect(info).toMatchObject({ destination: '/topic/feed', recovered: true, reconnect: true, from: { offset: 4 } });
    await publishAll(server, 12, 15);
    await inbox.wait(15);
    expect(inbox.items).toEqual(range(0, 15));
    expect(sub.position()).toEqual({ offset: 14, epoch: info.from!.epoch });
  });

  it('after a server restart (in memory: a new epoch) is told the resume was incomplete, then gets the new history', async () => {
    const first = await serve();
    const client = testClient({ url: t.url(first.port), transport: t.transport, sockjsTransports: t.sockjsTransports, reconnect: { initialDelay: 20, maxDelay: 100 } });
    await client.connect();
    const inbox = new Inbox<string>();
    await client.subscribe<string>('/topic/feed', inbox.push).ready;
    await publishAll(first.server, 0, 3);
    await inbox.wait(3);
    await first.server.close();
    const second = await serve(first.port);
    await publishAll(second.server, 100, 102); // the restarted server's own history: offsets 0 and 1 again, another epoch
    const info = await nextEvent(client, 'resumed');
    expect(info).toMatchObject({ recovered: false, reconnect: true });
    await inbox.wait(5);
    expect(inbox.items).toEqual([...range(0, 3), 'm100', 'm101']);
  });
});

describe('a subscription started from a stored position', () => {
  it('resumes after it across clients (a page load), and from first, last or an offset', async () => {
    const { server, port } = await serve();
    await publishAll(server, 0, 10);
    const url = `ws://127.0.0.1:${port}/stomp`;
    const one = testClient({ url, transport: 'websocket' });
    await one.connect();
    const seen: ReceivedMessage<string>[] = [];
    const sub = one.subscribe<string>('/topic/feed', (_, m) => seen.push(m), { from: 'first' });
    await sub.ready;
    await new Promise<void>((resolve) => {
      const poll = (): void => void (seen.length >= 10 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    const stored = JSON.parse(JSON.stringify(sub.position()));
    await one.close();
    await publishAll(server, 10, 13);

    const two = testClient({ url, transport: 'websocket' });
    await two.connect();
    const later = new Inbox<string>();
    const infos: ResumeInfo[] = [];
    await two.subscribe<string>('/topic/feed', later.push, { from: { after: stored }, onResume: (i) => infos.push(i) }).ready;
    await later.wait(3);
    expect(later.items).toEqual(range(10, 13));
    expect(infos).toEqual([expect.objectContaining({ recovered: true, reconnect: false })]);

    const last = new Inbox<string>();
    await two.subscribe<string>('/topic/feed', last.push, { from: 'last' }).ready;
    const at = new Inbox<string>();
    await two.subscribe<string>('/topic/feed', at.push, { from: 11 }).ready;
    await last.wait(1);
    await at.wait(2);
    expect(last.items).toEqual(['m12']);
    expect(at.items).toEqual(['m11', 'm12']);
  });
});

describe('a retained subscription receiving offsets out of order', () => {
  it('delivers a late message (skipped, then after a newer one) and drops a repeat; its position is the newest', async () => {
    // A bare WebSocket STOMP server sends what a cluster can: offsets 0, 1, 3, 2, then 3 again.
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'v12.stomp' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const frame = data.toString();
        if (frame.startsWith('CONNECT')) ws.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
        const receipt = /\nreceipt:([^\n]*)/.exec(frame)?.[1];
        if (!frame.startsWith('SUBSCRIBE')) {
          if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\n\n\0`);
          return;
        }
        const id = /\nid:([^\n]*)/.exec(frame)![1];
        ws.send(`RECEIPT\nreceipt-id:${receipt}\nx-stream-recovered:true\n\n\0`);
        for (const [offset, body] of [[0, 'm0'], [1, 'm1'], [3, 'm3'], [2, 'm2'], [3, 'm3 again'], [4, 'm4']] as const) {
          ws.send(`MESSAGE\nsubscription:${id}\nmessage-id:${offset}-${body.length}\ndestination:/user/queue/q\ncontent-type:text/plain\nx-stream-offset:${offset}\nx-stream-epoch:e1\n\n${body}\0`);
        }
      });
    });
    try {
      const { port } = wss.address() as { port: number };
      const client = testClient({ url: `ws://127.0.0.1:${port}/`, transport: 'websocket', reconnect: false });
      await client.connect();
      const inbox = new Inbox<string>();
      const sub = client.subscribe<string>('/user/queue/q', inbox.push, { from: 'first' });
      await sub.ready;
      await inbox.wait(5);
      await new Promise((r) => setTimeout(r, 100));
      expect(inbox.items).toEqual(['m0', 'm1', 'm3', 'm2', 'm4']);
      expect(sub.position()).toEqual({ offset: 4, epoch: 'e1' });
      await client.close();
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
