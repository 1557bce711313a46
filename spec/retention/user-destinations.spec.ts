import { createReferenceApp } from '../../examples/reference/app';
import { closeClients, header, RawClient, stompClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startReferenceApp, startServer } from '../helpers/server';

// SPEC §6.1 "Offline users": both user-destination forms keep what they were sent.

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const body = (f: PlainFrame): string => Buffer.from(f.body).toString();

async function subscribe(client: RawClient, destination: string, headers: Record<string, string>, id = 's'): Promise<PlainFrame> {
  const lines = Object.entries(headers).map(([n, v]) => `${n}:${v}\n`).join('');
  client.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:r-${id}\n${lines}\n\0`);
  return client.nextMatching((f) => f.command === 'RECEIPT' || f.command === 'ERROR', `RECEIPT r-${id}`);
}

/** Waits until `check` holds, polling on the event loop (bounded). */
async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the reference app with nobody at /user/zhangsan/message', () => {
  it('keeps what the /queue handler sends to zhangsan; zhangsan subscribing later from first gets every message once', async () => {
    const running = await startReferenceApp({ interval: 5 });
    const sender = await stompClient(running.http('/queueServer'), 'websocket');
    sender.client.publish({ destination: '/queue', body: JSON.stringify({ name: 'jack' }) });
    await sender.disconnect();
    const retained = async (): Promise<number> => (await running.server.retention.read('/user/zhangsan/message', { offset: 0 })).messages.length;
    await until(async () => (await retained()) === 20);
    const zhangsan = await stompClient(running.http('/queueServer'), 'xhr-streaming');
    const inbox = await zhangsan.subscribe('/user/zhangsan/message', { 'x-stream-offset': 'first' });
    await inbox.wait(20);
    // Nothing more arrives: the push is over and nothing is delivered twice.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inbox.messages.map((m) => m.body)).toEqual(Array(20).fill('jack'));
    expect(inbox.messages.map((m) => Number(m.headers['x-stream-offset']))).toEqual([...Array(20).keys()]);
  });

  it('retains /topic/** and /user/** for 100 messages and 5 minutes', () => {
    expect(createdRules()).toEqual([
      { destinations: '/topic/**', messages: 100, maxAge: 300_000 },
      { destinations: '/user/**', messages: 100, maxAge: 300_000 },
    ]);
  });
});

function createdRules(): unknown {
  const app = createReferenceApp();
  const rules = app.options.retention;
  void app.close();
  return rules;
}

describe('principal-based user destinations', () => {
  const config = {
    endpoints: [],
    websocketEndpoints: ['/ws'],
    brokerPrefixes: ['/topic'],
    retention: [{ destinations: '/user/**', messages: 10 }],
  };

  it('keep a history per user, read only by that user’s sessions', async () => {
    const running = await startServer(config);
    const t = running.server.template;
    await t.convertAndSendToUser('ann', '/queue/x', 'ann-1');
    await t.convertAndSendToUser('bob', '/queue/x', 'bob-1');
    await t.convertAndSendToUser('ann', '/queue/x', 'ann-2');
    const ann = await RawClient.connected(running.ws('/ws'), { login: 'ann' });
    const bob = await RawClient.connected(running.ws('/ws'), { login: 'bob' });
    const anonymous = await RawClient.connected(running.ws('/ws'));
    expect(header(await subscribe(ann, '/user/queue/x', { 'x-stream-offset': 'first' }), 'x-stream-recovered')).toBe('true');
    expect(header(await subscribe(bob, '/user/queue/x', { 'x-stream-offset': 'first' }), 'x-stream-recovered')).toBe('true');
    // Guessing: bob names ann's literal destination; that is bob's own principal-based /user/ann/queue/x, empty.
    expect((await subscribe(bob, '/user/ann/queue/x', { 'x-stream-offset': 'first' }, 'guess')).command).toBe('RECEIPT');
    expect((await subscribe(anonymous, '/user/queue/x', { 'x-stream-offset': 'first' })).command).toBe('RECEIPT');
    const annGot = ann.frames.filter((f) => f.command === 'MESSAGE');
    expect(annGot.map(body)).toEqual(['ann-1', 'ann-2']);
    expect(annGot.map((f) => header(f, 'x-stream-offset'))).toEqual(['0', '1']);
    expect(bob.frames.filter((f) => f.command === 'MESSAGE').map(body)).toEqual(['bob-1']);
    expect(anonymous.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
    // Live, after the replay: still each to its own.
    await t.convertAndSendToUser('ann', '/queue/x', 'ann-3');
    const live = await ann.nextMatching((f) => f.command === 'MESSAGE' && body(f) === 'ann-3', 'ann-3');
    expect(header(live, 'x-stream-offset')).toBe('2');
    await t.convertAndSendToUser('bob', '/queue/x', 'bob-2');
    await bob.nextMatching((f) => f.command === 'MESSAGE' && body(f) === 'bob-2', 'bob-2');
    expect(ann.frames.filter((f) => f.command === 'MESSAGE').map(body)).toEqual(['ann-1', 'ann-2', 'ann-3']);
  });

  it('reach the user’s every session, each resuming on its own', async () => {
    const running = await startServer(config);
    const t = running.server.template;
    for (const b of ['a', 'b', 'c']) await t.convertAndSendToUser('ann', '/queue/x', b);
    const tab = await RawClient.connected(running.ws('/ws'), { login: 'ann' });
    await subscribe(tab, '/user/queue/x', { 'x-stream-offset': 'last' });
    const [m] = tab.frames.filter((f) => f.command === 'MESSAGE');
    expect(body(m)).toBe('c');
    const epoch = header(m, 'x-stream-epoch')!;
    const other = await RawClient.connected(running.ws('/ws'), { login: 'ann' });
    expect(header(await subscribe(other, '/user/queue/x', { 'x-stream-offset': 'offset=1', 'x-stream-epoch': epoch }), 'x-stream-recovered')).toBe('true');
    expect(other.frames.filter((f) => f.command === 'MESSAGE').map(body)).toEqual(['b', 'c']);
  });
});
