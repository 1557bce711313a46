/** Queues end to end over `ws` (SPEC §6.2): competing consumers, acks, redelivery, dead letters, prefetch, transactions. */
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
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

const numbered = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `m${from + i}`);

describe('competing consumers', () => {
  it('gives each of many messages to exactly one consumer, in equal shares', async () => {
    const consumers = await Promise.all([1, 2, 3].map(() => consumer(url, QUEUE, { ack: 'auto' })));
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(300));
    await totalAt(consumers, 300);
    await settle();
    const got = consumers.map((c) => messagesOf(c).map(bodyOf));
    expect(got.flat().sort()).toEqual(numbered(300).sort());
    expect(got.map((g) => g.length)).toEqual([100, 100, 100]);
    expect(messagesOf(producer)).toHaveLength(0);
  });

  it('hands each consumer its messages in the order they were sent', async () => {
    const [a, b] = await Promise.all([consumer(url, QUEUE, { ack: 'auto' }), consumer(url, QUEUE, { ack: 'auto' })]);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(50));
    await totalAt([a, b], 50);
    for (const c of [a, b]) {
      const seq = messagesOf(c).map((m) => Number(bodyOf(m).slice(1)));
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
    }
  });

  it('keeps messages until the first consumer subscribes, then delivers them all', async () => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(5));
    expect(running.server.stats().queues.byDestination[QUEUE].depth).toBe(5);
    const c = await consumer(url);
    expect((await messagesAt(c, 5)).map(bodyOf)).toEqual(numbered(5));
    expect(running.server.stats().queues.byDestination[QUEUE]).toMatchObject({ depth: 0, inFlight: 5 });
  });

  it('fans /queue out to every subscriber on a server without rules, as Spring does', async () => {
    const plain = await startServer({});
    const u = plain.ws('/stomp');
    const [a, b] = await Promise.all([consumer(u, QUEUE, { ack: 'client' }), consumer(u, QUEUE, { ack: 'client' })]);
    await sendAll(a, QUEUE, ['both']);
    await totalAt([a, b], 2);
    expect(plain.server.stats().queues.queues).toBe(0);
  });

  it('fans out a destination no rule makes a queue', async () => {
    const [a, b] = await Promise.all([consumer(url, '/topic/news', { ack: 'auto' }), consumer(url, '/topic/news', { ack: 'auto' })]);
    await sendAll(a, '/topic/news', ['hello']);
    await totalAt([a, b], 2);
  });
});

describe('acknowledgement and redelivery', () => {
  it('redelivers a NACKed message to another consumer with redelivered:true', async () => {
    const a = await consumer(url);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['job']);
    const [first] = await messagesAt(a, 1);
    expect(header(first, 'redelivered')).toBeUndefined();
    const b = await consumer(url);
    expect((await withReceipt(a, `NACK\nid:${header(first, 'ack')}\n\n`)).command).toBe('RECEIPT');
    const [again] = await messagesAt(b, 1);
    expect(bodyOf(again)).toBe('job');
    expect(header(again, 'redelivered')).toBe('true');
    expect(header(again, 'message-id')).toBe(header(first, 'message-id'));
    expect(running.server.stats().queues.byDestination[QUEUE].redelivered).toBe(1);
  });

  it('redelivers what a session held when it disconnects, to the remaining consumer', async () => {
    const a = await consumer(url);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(3));
    await messagesAt(a, 3);
    const b = await consumer(url);
    a.destroySocket();
    const got = await messagesAt(b, 3);
    expect(got.map(bodyOf)).toEqual(numbered(3));
    expect(got.every((m) => header(m, 'redelivered') === 'true')).toBe(true);
  });

  it('returns unacknowledged messages on UNSUBSCRIBE', async () => {
    const a = await consumer(url);
    const b = await consumer(url, QUEUE, { 'prefetch-count': '1' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(4));
    await totalAt([a, b], 4);
    const heldByA = messagesOf(a).map(bodyOf);
    expect(heldByA).toHaveLength(3);
    expect((await withReceipt(a, 'UNSUBSCRIBE\nid:s\n\n')).command).toBe('RECEIPT');
    const [fromB] = messagesOf(b);
    await withReceipt(b, `ACK\nid:${header(fromB, 'ack')}\n\n`);
    await messagesAt(b, 2);
    expect(header(messagesOf(b)[1], 'redelivered')).toBe('true');
    expect(bodyOf(messagesOf(b)[1])).toBe(heldByA[0]);
  });

  it('settles an ACKed message: no session end brings it back', async () => {
    const a = await consumer(url);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['once']);
    const [m] = await messagesAt(a, 1);
    expect((await withReceipt(a, `ACK\nid:${header(m, 'ack')}\n\n`)).command).toBe('RECEIPT');
    const b = await consumer(url);
    await a.close();
    await settle(200);
    expect(messagesOf(b)).toHaveLength(0);
    expect(running.server.stats().queues.byDestination[QUEUE]).toMatchObject({ depth: 0, inFlight: 0, acked: 1 });
  });

  it('settles every earlier message with one cumulative ACK in client mode', async () => {
    const a = await consumer(url, QUEUE, { ack: 'client' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(3));
    const got = await messagesAt(a, 3);
    await withReceipt(a, `ACK\nid:${header(got[2], 'ack')}\n\n`);
    expect(running.server.stats().queues.byDestination[QUEUE]).toMatchObject({ inFlight: 0, acked: 3 });
  });

  it('moves a message to its dead-letter queue on the fourth NACK, saying where from and why', async () => {
    const dlq = await consumer(url, '/queue/DLQ.jobs', { ack: 'auto' });
    const a = await consumer(url);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['poison'], { 'x-app': 'kept' });
    for (let delivery = 1; delivery <= 4; delivery++) {
      const m = (await messagesAt(a, delivery))[delivery - 1];
      expect(header(m, 'redelivered')).toBe(delivery === 1 ? undefined : 'true');
      await withReceipt(a, `NACK\nid:${header(m, 'ack')}\n\n`);
    }
    const [dead] = await messagesAt(dlq, 1);
    expect(bodyOf(dead)).toBe('poison');
    expect(header(dead, 'destination')).toBe('/queue/DLQ.jobs');
    expect(header(dead, 'x-original-destination')).toBe(QUEUE);
    expect(header(dead, 'x-dead-letter-reason')).toBe('max-redeliveries');
    expect(header(dead, 'x-delivery-count')).toBe('4');
    expect(header(dead, 'x-app')).toBe('kept');
    await settle();
    expect(messagesOf(a)).toHaveLength(4);
    expect(running.server.stats().queues.byDestination[QUEUE]).toMatchObject({ deadLettered: 1, depth: 0, inFlight: 0 });
  });

  it('counts a lost session as a failed delivery towards the dead-letter limit', async () => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['lost']);
    for (let i = 0; i < 4; i++) {
      const c = await consumer(url);
      await messagesAt(c, 1);
      c.destroySocket();
      await c.closed;
    }
    await settle(100);
    const dlq = await consumer(url, '/queue/DLQ.jobs');
    expect(bodyOf((await messagesAt(dlq, 1))[0])).toBe('lost');
  });
});

describe('prefetch-count', () => {
  it('holds one unacknowledged message at a time with prefetch-count:1', async () => {
    const a = await consumer(url, QUEUE, { 'prefetch-count': '1' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(3));
    for (let i = 0; i < 3; i++) {
      const got = await messagesAt(a, i + 1);
      await settle(50);
      expect(messagesOf(a)).toHaveLength(i + 1);
      expect(bodyOf(got[i])).toBe(`m${i}`);
      await withReceipt(a, `ACK\nid:${header(got[i], 'ack')}\n\n`);
    }
  });

  it('sends the rest to a consumer with credit while another is full', async () => {
    const slow = await consumer(url, QUEUE, { 'prefetch-count': '1' });
    const fast = await consumer(url, QUEUE, { 'prefetch-count': '100' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(10));
    await totalAt([slow, fast], 10);
    expect(messagesOf(slow)).toHaveLength(1);
    expect(messagesOf(fast)).toHaveLength(9);
  });

  it.each(['0', '-1', 'many', '1.5', '70000'])('refuses prefetch-count:%s with STOMP_ERR_INVALID_HEADER', async (value) => {
    const c = await RawClient.connected(url);
    const r = await withReceipt(c, `SUBSCRIBE\nid:s\ndestination:${QUEUE}\nack:client\nprefetch-count:${value}\n\n`);
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_INVALID_HEADER');
  });
});

describe('transactions', () => {
  it('applies an ACK inside a transaction at COMMIT, and drops it at ABORT', async () => {
    const a = await consumer(url);
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, numbered(2));
    const [m0, m1] = await messagesAt(a, 2);
    const inFlight = (): number => running.server.stats().queues.byDestination[QUEUE].inFlight;
    await withReceipt(a, 'BEGIN\ntransaction:t1\n\n');
    await withReceipt(a, `ACK\nid:${header(m0, 'ack')}\ntransaction:t1\n\n`);
    expect(inFlight()).toBe(2);
    await withReceipt(a, 'COMMIT\ntransaction:t1\n\n');
    expect(inFlight()).toBe(1);
    await withReceipt(a, 'BEGIN\ntransaction:t2\n\n');
    await withReceipt(a, `ACK\nid:${header(m1, 'ack')}\ntransaction:t2\n\n`);
    await withReceipt(a, 'ABORT\ntransaction:t2\n\n');
    expect(inFlight()).toBe(1);
  });

  it('enqueues SENDs of a transaction at COMMIT', async () => {
    const a = await consumer(url, QUEUE, { ack: 'auto' });
    const producer = await RawClient.connected(url);
    await withReceipt(producer, 'BEGIN\ntransaction:t\n\n');
    await withReceipt(producer, `SEND\ndestination:${QUEUE}\ntransaction:t\n\nheld`);
    await settle();
    expect(messagesOf(a)).toHaveLength(0);
    await withReceipt(producer, 'COMMIT\ntransaction:t\n\n');
    expect(bodyOf((await messagesAt(a, 1))[0])).toBe('held');
  });
});

describe('user queues', () => {
  it('keeps one queue per user at /user/queue/x under a /user/** rule', async () => {
    const userRunning = await queueServer({ queues: [{ destinations: '/user/queue/**' }], brokerPrefixes: ['/topic', '/user'] });
    const u = userRunning.url;
    const ann1 = await RawClient.connected(u, { login: 'ann' });
    const ann2 = await RawClient.connected(u, { login: 'ann' });
    const bob = await RawClient.connected(u, { login: 'bob' });
    for (const c of [ann1, ann2, bob]) await withReceipt(c, 'SUBSCRIBE\nid:s\ndestination:/user/queue/work\nack:auto\n\n');
    const producer = await RawClient.connected(u);
    await sendAll(producer, '/user/ann/queue/work', numbered(4));
    await totalAt([ann1, ann2], 4);
    await settle();
    expect(messagesOf(ann1)).toHaveLength(2);
    expect(messagesOf(ann2)).toHaveLength(2);
    expect(messagesOf(bob)).toHaveLength(0);
  });
});

describe('subscriptions', () => {
  it('refuses a pattern SUBSCRIBE over queues with STOMP_ERR_INVALID_DESTINATION', async () => {
    const c = await RawClient.connected(url);
    const r = await withReceipt(c, 'SUBSCRIBE\nid:s\ndestination:/queue/*\n\n');
    expect(r.command).toBe('ERROR');
    expect(header(r, 'code')).toBe('STOMP_ERR_INVALID_DESTINATION');
    expect(header(r, 'message')).toContain('exact name');
  });
});
