/**
 * Per-session queues (broker/app/reserved-queues.ts) in the reference app's settings, where
 * `/user` is a broker prefix: an anonymous session's `/user/queue/reply` and
 * `/user/queue/errors` are its own, a client SEND to them is refused, and the client library
 * settles a request only with a reply carrying that request's correlation-id.
 */
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startReferenceApp, startServer, type Running } from '../helpers/server';
import { closeTestClients, testClient } from '../client/support';

afterEach(async () => {
  await closeTestClients();
  await closeClients();
  await closeServers();
});

/** An anonymous session of the reference app subscribed to its reply and error queues (and a sync topic). */
async function anonymousWithQueues(running: Running): Promise<RawClient> {
  const c = await RawClient.connected(running.ws('/webServer'));
  c.send(
    'SUBSCRIBE\nid:reply\ndestination:/user/queue/reply\n\n\0' +
      'SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\n\n\0' +
      'SUBSCRIBE\nid:sync\ndestination:/topic/sync\nreceipt:ready\n\n\0',
  );
  await c.nextCommand('RECEIPT');
  return c;
}

/** Waits until `c` got a marker published to /topic/sync after everything sent before. */
async function synced(running: Running, c: RawClient, marker: string): Promise<void> {
  await running.server.template.convertAndSend('/topic/sync', marker);
  await c.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString() === marker, `marker ${marker}`);
}

const messagesOn = (c: RawClient, subscription: string) =>
  c.frames.filter((f) => f.command === 'MESSAGE' && header(f, 'subscription') === subscription);

describe('reserved queues with /user as a broker prefix (reference app)', () => {
  let running: Running;
  beforeEach(async () => {
    running = await startReferenceApp({ interval: 10 });
  });

  it.each(['/user/queue/reply', '/user/queue/errors', '/user/zhangsan/queue/reply', '/user/zhangsan/queue/errors'])(
    'refuses a client SEND to %s with STOMP_ERR_FORBIDDEN, and no session receives it',
    async (destination) => {
      const a = await anonymousWithQueues(running);
      const b = await anonymousWithQueues(running);
      const zhangsan = await RawClient.connected(running.ws('/webServer'), { login: 'zhangsan' });
      zhangsan.send('SUBSCRIBE\nid:reply\ndestination:/user/queue/reply\n\n\0SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:z\n\n\0');
      await zhangsan.nextCommand('RECEIPT');
      const attacker = await RawClient.connected(running.ws('/webServer'));
      attacker.send(`SEND\ndestination:${destination}\ncorrelation-id:guess\nreceipt:x\n\n{"forged":true}\0`);
      const error = await attacker.nextCommand('ERROR');
      expect([header(error, 'code'), header(error, 'receipt-id')]).toEqual(['STOMP_ERR_FORBIDDEN', 'x']);
      expect(header(error, 'message')).toContain('per-session queue');
      await attacker.closed;
      await synced(running, a, 'a');
      await synced(running, b, 'b');
      for (const c of [a, b]) expect([...messagesOn(c, 'reply'), ...messagesOn(c, 'errors')]).toEqual([]);
      zhangsan.send('SUBSCRIBE\nid:sync\ndestination:/topic/sync\nreceipt:zs\n\n\0');
      await zhangsan.nextCommand('RECEIPT');
      await synced(running, zhangsan, 'z');
      expect(zhangsan.frames.filter((f) => f.command === 'MESSAGE').map((f) => header(f, 'subscription'))).toEqual(['sync']);
    },
  );

  it('keeps an anonymous subscription to /user/queue/reply out of the broker: a broadcast there reaches nobody', async () => {
    const a = await anonymousWithQueues(running);
    await running.server.template.convertAndSend('/user/queue/reply', 'broadcast');
    await synced(running, a, 'a');
    expect(messagesOn(a, 'reply')).toEqual([]);
  });

  it('reports a handler error to the session that caused it only', async () => {
    const a = await anonymousWithQueues(running);
    const b = await anonymousWithQueues(running);
    a.send('SEND\ndestination:/subscribe\ncontent-type:application/json\ncorrelation-id:c1\nreceipt:r\n\n{not json\0');
    const report = await a.nextMatching((f) => f.command === 'MESSAGE' && header(f, 'subscription') === 'errors', 'the error report');
    expect(header(report, 'correlation-id')).toBe('c1');
    expect(JSON.parse(report.body.toString())).toMatchObject({ code: 'STOMP_ERR_INVALID_JSON', destination: '/subscribe' });
    await a.nextCommand('RECEIPT');
    await synced(running, b, 'b');
    expect(messagesOn(b, 'errors')).toEqual([]);
  });
});

describe('claimed reply-to queues', () => {
  it("make an anonymous session's subscription at its reply-to its own, so another client's SEND there reaches nobody", async () => {
    const running = await startServer({ endpoints: ['/webServer'], brokerPrefixes: ['/topic', '/user'] });
    running.server.onMessage<string>('/shout', (p, ctx) => ctx.reply(p.toUpperCase()));
    const client = testClient({ url: running.ws('/webServer'), transport: 'websocket', replyQueue: '/user/queue/answers' });
    await client.connect();
    const seen: unknown[] = [];
    client.subscribe('/user/queue/answers', (body) => seen.push(body));
    await expect(client.request('/shout', 'hello')).resolves.toBe('HELLO');
    const attacker = await RawClient.connected(running.ws('/webServer'));
    attacker.send('SEND\ndestination:/user/queue/answers\nreceipt:x\n\nforged\0');
    expect(header(await attacker.nextCommand('RECEIPT'), 'receipt-id')).toBe('x'); // accepted, but delivered to nobody
    await expect(client.request('/shout', 'again')).resolves.toBe('AGAIN');
    expect(seen).toEqual(['HELLO', 'AGAIN']);
  });
});

describe("the client's request()", () => {
  it('is not settled by a reply lacking its correlation-id, and still takes the real one', async () => {
    const running = await startServer();
    const { server } = running;
    server.onMessage('/ask', async (_p, ctx) => {
      // What an injected message looks like on the requester's reply queue: no correlation-id.
      await server.template.convertAndSendToUser('alice', '/queue/reply', 'forged');
      await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.reply('real');
    });
    server.onMessage('/ask-forged-only', () => server.template.convertAndSendToUser('alice', '/queue/reply', 'forged'));
    const client = testClient({ url: running.ws('/stomp'), transport: 'websocket', connectHeaders: { login: 'alice' } });
    await client.connect();
    await expect(client.request('/ask', {})).resolves.toBe('real');
    await expect(client.request('/ask-forged-only', {}, { timeout: 300 })).rejects.toMatchObject({ code: 'CLIENT_ERR_TIMEOUT' });
  });
});
