/** Expiry (`expires`, `expiration`) and overflow (`drop-oldest`, `reject`) of queues, end to end (SPEC §6.2). */
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, type Running } from '../helpers/server';
import { bodyOf, consumer, header, messagesAt, messagesOf, QUEUE, queueServer, sendAll, settle, withReceipt } from './support';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const stats = (r: Running, d = QUEUE) => r.server.stats().queues.byDestination[d];

describe('expiry', () => {
  let running: Running;
  let url: string;

  beforeEach(async () => {
    ({ running, url } = await queueServer());
  });

  it('never delivers a message whose expires (epoch ms) passed while it waited', async () => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['stale'], { expires: String(Date.now() + 150) });
    await sendAll(producer, QUEUE, ['fresh'], { expires: String(Date.now() + 60_000) });
    await settle(300);
    const c = await consumer(url);
    expect((await messagesAt(c, 1)).map(bodyOf)).toEqual(['fresh']);
    await settle();
    expect(messagesOf(c)).toHaveLength(1);
    expect(stats(running)).toMatchObject({ expired: 1 });
  });

  it('never delivers a message whose expiration (ms from now) passed while it waited', async () => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['stale'], { expiration: '100' });
    await sendAll(producer, QUEUE, ['kept'], { expiration: '60000' });
    await settle(250);
    const c = await consumer(url);
    expect((await messagesAt(c, 1)).map(bodyOf)).toEqual(['kept']);
    expect(stats(running).expired).toBe(1);
  });

  it('counts a message that comes already expired, and treats expires:0 as never', async () => {
    const c = await consumer(url, QUEUE, { ack: 'auto' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['past'], { expires: String(Date.now() - 1000) });
    await sendAll(producer, QUEUE, ['forever'], { expires: '0' });
    expect((await messagesAt(c, 1)).map(bodyOf)).toEqual(['forever']);
    expect(stats(running).expired).toBe(1);
  });

  it('counts expired messages that wait unconsumed, without a delivery attempt', async () => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['a', 'b'], { expiration: '50' });
    const deadline = Date.now() + 3000;
    while (stats(running).expired < 2 && Date.now() < deadline) await settle(50);
    expect(stats(running)).toMatchObject({ expired: 2, depth: 0 });
  });

  it.each([
    ['expires', 'soon'],
    ['expiration', '-5'],
    ['expiration', '1.5'],
  ])('refuses %s:%s with STOMP_ERR_INVALID_HEADER', async (name, value) => {
    const producer = await RawClient.connected(url);
    const r = await withReceipt(producer, `SEND\ndestination:${QUEUE}\n${name}:${value}\n\nx`);
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_INVALID_HEADER');
  });

  it('dead-letters expired messages when the rule says so', async () => {
    await closeServers();
    ({ running, url } = await queueServer({ queues: [{ destinations: '/queue/**', deadLetter: '/queue/DLQ.{name}', expired: 'dead-letter' }] }));
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['late'], { expiration: '50' });
    await settle(150);
    const dlq = await consumer(url, '/queue/DLQ.jobs');
    const [dead] = await messagesAt(dlq, 1);
    expect(bodyOf(dead)).toBe('late');
    expect(header(dead, 'x-dead-letter-reason')).toBe('expired');
    expect(header(dead, 'x-original-destination')).toBe(QUEUE);
  });
});

describe('overflow', () => {
  it('drops the oldest waiting message past maxMessages, counted', async () => {
    const { running, url } = await queueServer({ queues: [{ destinations: '/queue/**', maxMessages: 3 }] });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(stats(running)).toMatchObject({ depth: 3, dropped: 2 });
    const c = await consumer(url);
    expect((await messagesAt(c, 3)).map(bodyOf)).toEqual(['m2', 'm3', 'm4']);
  });

  it("refuses a SEND to a full queue with ERROR STOMP_ERR_QUEUE_FULL under overflow: 'reject', and keeps what waits", async () => {
    const { running, url } = await queueServer({ queues: [{ destinations: '/queue/**', maxMessages: 2, overflow: 'reject' }] });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['m0', 'm1']);
    const r = await withReceipt(producer, `SEND\ndestination:${QUEUE}\n\nm2`);
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_QUEUE_FULL');
    expect(header(r, 'message')).toContain('maxMessages (2)');
    await producer.closed;
    const c = await consumer(url);
    expect((await messagesAt(c, 2)).map(bodyOf)).toEqual(['m0', 'm1']);
    expect(stats(running)).toMatchObject({ dropped: 0, enqueued: 2 });
  });

  it('bounds every queue together by queueBytes', async () => {
    const { running, url } = await queueServer({ queueBytes: 4096, queues: [{ destinations: '/queue/**', overflow: 'reject' }] });
    const producer = await RawClient.connected(url);
    const body = 'x'.repeat(1000);
    let refused: string | undefined;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const r = await withReceipt(producer, `SEND\ndestination:/queue/q${i}\n\n${body}`);
      if (r.command === 'ERROR') refused = header(r, 'code');
    }
    expect(refused).toBe('STOMP_ERR_QUEUE_FULL');
    expect(running.server.stats().queues.bytes).toBeLessThanOrEqual(4096);
  });
});
