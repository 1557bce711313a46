import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { StompBrokerRelay } from '../../broker/cluster/broker-relay';
import { silentLogger, type Logger } from '../../broker/logger';
import { closeClients, stompClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { describeWith, eventually } from './services';

const STOMP_PORT = 61613;
const describeRabbit = describeWith('RabbitMQ STOMP', STOMP_PORT, 'install rabbitmq-server and run: rabbitmq-plugins enable rabbitmq_stomp');

const relays: StompBrokerRelay[] = [];

async function relayServer(port = STOMP_PORT, waitUntilUp = true): Promise<{ base: string; relay: StompBrokerRelay; template: import('../../broker').MessagingTemplate }> {
  const relay = new StompBrokerRelay({ port, reconnectDelay: [50, 200], connectTimeout: 2000, logger: silentLogger });
  relays.push(relay);
  const started = relay.start();
  if (waitUntilUp) await started;
  const running = await startServer({ relay, brokerPrefixes: ['/topic', '/queue', '/exchange', '/amq'] });
  return { base: running.http('/stomp'), relay, template: running.server.template };
}

afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describeRabbit('StompBrokerRelay to RabbitMQ', () => {
  const name = (): string => `stompbox.${randomBytes(4).toString('hex')}`;

  it('relays SEND and SUBSCRIBE so clients and server code publish through RabbitMQ', async () => {
    const { base, template } = await relayServer();
    const topic = `/topic/${name()}`;
    const sub = await stompClient(base, 'websocket');
    const inbox = await sub.subscribe(topic); // resolves on RabbitMQ's RECEIPT
    const pub = await stompClient(base, 'websocket');
    pub.client.publish({ destination: topic, body: 'from a client', headers: { 'content-type': 'text/plain' } });
    await template.convertAndSend(topic, 'from the server');
    const got = await inbox.wait(2);
    expect(got.map((m) => m.body).sort()).toEqual(['from a client', 'from the server']);
    expect(got[0].headers.destination).toBe(topic);
    expect(got[0].headers['message-id']).toMatch(/^T_/); // RabbitMQ's message ids
  });

  it('forwards RECEIPTs from RabbitMQ for SEND', async () => {
    const { base } = await relayServer();
    const c = await stompClient(base, 'websocket');
    c.client.publish({ destination: `/queue/${name()}`, body: 'x', headers: { receipt: 'send-1' } });
    const receipt = await c.receipt('send-1');
    expect(receipt.headers['receipt-id']).toBe('send-1');
  });

  it('redelivers a message after NACK and settles it with ACK (client-individual)', async () => {
    const { base, template } = await relayServer();
    const queue = `/queue/${name()}`;
    const c = await stompClient(base, 'websocket');
    const inbox = await c.subscribe(queue, { ack: 'client-individual' });
    await template.convertAndSend(queue, 'work');
    const [first] = await inbox.wait(1);
    expect(first.body).toBe('work');
    first.nack();
    const [, again] = await inbox.wait(2);
    expect(again.body).toBe('work');
    expect(again.headers.redelivered).toBe('true');
    again.ack({ receipt: 'ack-1' });
    await c.receipt('ack-1');
    // Settled: a new consumer of the queue gets nothing more.
    inbox.unsubscribe();
    const other = await stompClient(base, 'websocket');
    const after = await other.subscribe(queue, { ack: 'client-individual' });
    await template.convertAndSend(queue, 'next');
    expect((await after.wait(1)).map((m) => m.body)).toEqual(['next']);
  });

  it('keeps transactions at RabbitMQ: nothing is delivered before COMMIT, nothing after ABORT', async () => {
    const { base } = await relayServer();
    const topic = `/topic/${name()}`;
    const sub = await stompClient(base, 'websocket');
    const inbox = await sub.subscribe(topic);
    const pub = await stompClient(base, 'websocket');
    const aborted = pub.client.begin();
    pub.client.publish({ destination: topic, body: 'dropped', headers: { transaction: aborted.id } });
    aborted.abort();
    const tx = pub.client.begin();
    pub.client.publish({ destination: topic, body: 'committed', headers: { transaction: tx.id } });
    tx.commit();
    expect((await inbox.wait(1)).map((m) => m.body)).toEqual(['committed']);
    pub.client.publish({ destination: topic, body: 'marker', headers: { receipt: 'm' } });
    await pub.receipt('m');
    await inbox.wait(2);
    expect(inbox.messages.map((m) => m.body)).toEqual(['committed', 'marker']);
  });

  it('keeps destinations outside its prefixes in this process', async () => {
    const { base, template } = await relayServer();
    const c = await stompClient(base, 'websocket', { login: 'alice' });
    const inbox = await c.subscribe('/user/queue/inbox');
    await template.convertAndSendToUser('alice', '/queue/inbox', 'local');
    expect((await inbox.wait(1)).map((m) => m.body)).toEqual(['local']);
  });
});

describeRabbit('StompBrokerRelay and the server\'s checks', () => {
  it('applies destination authorization and allowClientSendToBroker to relayed frames', async () => {
    const relay = new StompBrokerRelay({ reconnectDelay: [50, 200], logger: silentLogger });
    relays.push(relay);
    await relay.start();
    const running = await startServer({
      relay,
      allowClientSendToBroker: false,
      authorization: { rules: [{ destination: '/queue/{name}', access: (req) => !req.destination.startsWith('/queue/secret') }] },
    });
    const base = running.http('/stomp');
    const reader = await stompClient(base, 'websocket');
    const denied = new Promise<string>((resolve) => {
      reader.client.onStompError = (f) => resolve(`${f.headers.code}`);
    });
    reader.client.subscribe('/queue/secret.plans', () => undefined);
    expect(await denied).toBe('STOMP_ERR_FORBIDDEN');
    const writer = await stompClient(base, 'websocket');
    const refused = new Promise<string>((resolve) => {
      writer.client.onStompError = (f) => resolve(`${f.headers.code} ${f.headers.message}`);
    });
    writer.client.publish({ destination: '/topic/stompbox.any', body: 'x' });
    expect(await refused).toMatch(/^STOMP_ERR_FORBIDDEN .*allowClientSendToBroker/);
  });
});

describeRabbit('StompBrokerRelay when the connection to RabbitMQ breaks', () => {
  it('sends an ERROR to relayed clients, reconnects with backoff, and serves new clients again', async () => {
    const proxy = await TcpProxy.start(STOMP_PORT);
    try {
      const { base, relay } = await relayServer(proxy.port);
      const c = await stompClient(base, 'websocket');
      const error = new Promise<string>((resolve) => {
        c.client.onStompError = (f) => resolve(f.headers.message);
      });
      proxy.cut();
      expect(await error).toMatch(/Broker relay connection lost/);
      await eventually('the relay to notice', () => !relay.available);
      await expect(stompClient(base, 'websocket')).rejects.toThrow(/Broker relay unavailable/);
      await proxy.restore();
      await eventually('the relay to reconnect', () => relay.available, 5000);
      const again = await stompClient(base, 'websocket');
      const topic = `/topic/stompbox.${randomBytes(4).toString('hex')}`;
      const inbox = await again.subscribe(topic);
      again.client.publish({ destination: topic, body: 'back' });
      expect((await inbox.wait(1)).map((m) => m.body)).toEqual(['back']);
    } finally {
      proxy.cut();
    }
  });
});

describe('StompBrokerRelay while the external broker is down', () => {
  it('answers CONNECT with an ERROR naming the relay', async () => {
    const port = await closedPort();
    const { base, relay } = await relayServer(port, false);
    expect(relay.available).toBe(false);
    await expect(stompClient(base, 'websocket')).rejects.toThrow(/Broker relay unavailable/);
    await expect(eventually('still down', () => !relay.available, 100)).resolves.toBe(true);
  });
});

describe('StompBrokerRelay.start()', () => {
  it('keeps retrying while the external broker is down, logs the outage once, and resolves when it answers', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const record = (level: string) => (obj: object, msg?: string): void => void lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const relay = new StompBrokerRelay({ port, reconnectDelay: [20, 40], connectTimeout: 1000, logger });
    relays.push(relay);
    let settled = false;
    const started = relay.start().then(() => (settled = true));
    expect(relay.start()).toBe(relay.start()); // one promise however often it is called
    await eventually('the outage to be logged', () => lines.some((l) => l.startsWith('error ')));
    // Several more attempts, each announced at debug level; still one error line for the outage.
    await eventually('three more attempts', () => lines.filter((l) => l.includes('retrying')).length >= 4);
    expect(settled).toBe(false);
    expect(lines.filter((l) => l.startsWith('error '))).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`unreachable.*"port":${port}`));
    const broker = fakeStompBroker(port);
    try {
      await started;
      expect(relay.available).toBe(true);
      expect(lines.some((l) => /^warn .*reachable again/.test(l))).toBe(true);
    } finally {
      await relay.close();
      await new Promise((r) => broker.close(r));
    }
  });

  it('rejects when close() comes before the external broker answered', async () => {
    const relay = new StompBrokerRelay({ port: await closedPort(), reconnectDelay: [20, 40], logger: silentLogger });
    const started = relay.start();
    await relay.close();
    await expect(started).rejects.toThrow(/closed before the external broker answered/);
  });
});

/** A STOMP server on 127.0.0.1:`port` that answers every CONNECT with CONNECTED (heart-beats off). */
function fakeStompBroker(port: number): Server {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'));
  });
  server.listen(port, '127.0.0.1');
  return server;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A TCP pass-through to the external broker that a spec can cut and restore, on one port. */
class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await closedPort(), target);
    await proxy.restore();
    return proxy;
  }

  restore(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(this.target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  cut(): void {
    this.server?.close();
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
  }
}
