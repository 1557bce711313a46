/** SUBSCRIBE `selector` wired to topics and queues, end to end (SPEC §6.2, docs/selectors.md). */
import { Bystander } from '../helpers/bystander';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, type Running } from '../helpers/server';
import { bodyOf, consumer, header, messagesAt, messagesOf, QUEUE, queueServer, sendAll, settle, totalAt, withReceipt } from './support';

let running: Running;
let url: string;

beforeEach(async () => {
  ({ running, url } = await queueServer());
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

describe('on a topic', () => {
  it('delivers only the messages the selector is TRUE for; subscribers without one get all', async () => {
    const eu = await consumer(url, '/topic/orders', { ack: 'auto', selector: "region = 'eu' AND amount > 10" });
    const all = await consumer(url, '/topic/orders', { ack: 'auto' });
    const p = await RawClient.connected(url);
    const sends: [string, Record<string, string>][] = [
      ['a', { region: 'eu', amount: '50' }],
      ['b', { region: 'us', amount: '50' }],
      ['c', { region: 'eu', amount: '5' }],
      ['d', { region: 'eu' }],
      ['e', { region: 'eu', amount: '11.5' }],
    ];
    for (const [body, headers] of sends) await sendAll(p, '/topic/orders', [body], headers);
    await messagesAt(all, 5);
    await settle();
    expect(messagesOf(eu).map(bodyOf)).toEqual(['a', 'e']);
  });

  it('matches on destination and message-id headers too', async () => {
    const c = await consumer(url, '/topic/{x}', { ack: 'auto', selector: "destination LIKE '/topic/a%'" });
    const p = await RawClient.connected(url);
    await sendAll(p, '/topic/b', ['no']);
    await sendAll(p, '/topic/abc', ['yes']);
    expect((await messagesAt(c, 1)).map(bodyOf)).toEqual(['yes']);
  });
});

describe('on a queue', () => {
  it('gives a message only to a consumer whose selector matches', async () => {
    const red = await consumer(url, QUEUE, { ack: 'auto', selector: "color = 'red'" });
    const blue = await consumer(url, QUEUE, { ack: 'auto', selector: "color = 'blue'" });
    const p = await RawClient.connected(url);
    for (let i = 0; i < 6; i++) await sendAll(p, QUEUE, [`${i}`], { color: i % 2 === 0 ? 'red' : 'blue' });
    await totalAt([red, blue], 6);
    expect(messagesOf(red).map(bodyOf)).toEqual(['0', '2', '4']);
    expect(messagesOf(blue).map(bodyOf)).toEqual(['1', '3', '5']);
  });

  it('keeps a message nobody matches waiting, without holding back those behind it', async () => {
    const red = await consumer(url, QUEUE, { selector: "color = 'red'" });
    const p = await RawClient.connected(url);
    await sendAll(p, QUEUE, ['g'], { color: 'green' });
    await sendAll(p, QUEUE, ['r'], { color: 'red' });
    expect((await messagesAt(red, 1)).map(bodyOf)).toEqual(['r']);
    expect(running.server.stats().queues.byDestination[QUEUE].depth).toBe(1);
    const green = await consumer(url, QUEUE, { selector: "color IN ('green', 'yellow')" });
    expect((await messagesAt(green, 1)).map(bodyOf)).toEqual(['g']);
  });

  it('gives a consumer that gains credit the next message it matches, in order', async () => {
    const a = await consumer(url, QUEUE, { selector: 'n >= 2', 'prefetch-count': '1' });
    const p = await RawClient.connected(url);
    for (let n = 0; n < 5; n++) await sendAll(p, QUEUE, [`${n}`], { n: String(n) });
    const [first] = await messagesAt(a, 1);
    expect(bodyOf(first)).toBe('2');
    await withReceipt(a, `ACK\nid:${header(first, 'ack')}\n\n`);
    expect(bodyOf((await messagesAt(a, 2))[1])).toBe('3');
  });
});

describe('invalid selectors', () => {
  it('answers ERROR STOMP_ERR_INVALID_SELECTOR with the offset and what was expected, and closes; a bystander keeps working', async () => {
    const bystander = await Bystander.start(running.http('/stomp'));
    const c = await RawClient.connected(url);
    const r = await withReceipt(c, "SUBSCRIBE\nid:s\ndestination:/topic/x\nselector:region = 'eu' AND\n\n");
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_INVALID_SELECTOR');
    expect(header(r, 'message')).toMatch(/expected .* at offset 17, found end/);
    await c.closed;
    await bystander.more(5);
    const report = await bystander.stop();
    expect(report.alive).toBe(true);
    expect(report.inOrder).toBe(true);
  });

  it.each([
    ['longer than 4 KiB', `a = '${'x'.repeat(5000)}'`, /4096/],
    ['nested past 100 levels', `${'('.repeat(101)}a = 1${')'.repeat(101)}`, /100/],
  ])('refuses a selector %s quickly', async (_, selector, why) => {
    const c = await RawClient.connected(url, {});
    const started = Date.now();
    const r = await withReceipt(c, `SUBSCRIBE\nid:s\ndestination:/topic/x\nselector:${selector}\n\n`);
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_INVALID_SELECTOR');
    expect(header(r, 'message')).toMatch(why);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('counts selectors against maxSubscriptionBytes, and gives their bytes back on UNSUBSCRIBE', async () => {
    await closeServers();
    ({ running, url } = await queueServer({ maxSubscriptionBytes: 4096 }));
    const c = await RawClient.connected(url);
    const selector = `a = '${'x'.repeat(1500)}'`;
    for (const id of ['s1', 's2']) expect((await withReceipt(c, `SUBSCRIBE\nid:${id}\ndestination:/topic/x\nselector:${selector}\n\n`)).command).toBe('RECEIPT');
    expect((await withReceipt(c, 'UNSUBSCRIBE\nid:s1\n\n')).command).toBe('RECEIPT');
    expect((await withReceipt(c, `SUBSCRIBE\nid:s3\ndestination:/topic/x\nselector:${selector}\n\n`)).command).toBe('RECEIPT');
    const refused = await withReceipt(c, `SUBSCRIBE\nid:s4\ndestination:/topic/x\nselector:${selector}\n\n`);
    expect(refused.command).toBe('ERROR');
    expect(header(refused, 'code')).toBe('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS');
  });

  it('accepts 10 levels of nesting', async () => {
    const c = await consumer(url, '/topic/deep', { ack: 'auto', selector: `${'('.repeat(10)}a = 1${')'.repeat(10)}` });
    await sendAll(c, '/topic/deep', ['one'], { a: '1' });
    expect((await messagesAt(c, 1)).map(bodyOf)).toEqual(['one']);
  });
});
