/**
 * A queue never writes more into a consumer's send buffer than it can carry: a consumer whose
 * buffer is filling takes nothing until it drains (the messages wait, or go to another
 * consumer), so a backlog handed to an ack:auto subscriber, or to one with a huge
 * prefetch-count, arrives whole instead of ending the session as a slow consumer and losing
 * what the queue had already counted as delivered.
 */
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, type Running } from '../helpers/server';
import { bodyOf, consumer, messagesAt, messagesOf, QUEUE, queueServer, sendAll } from './support';

let running: Running;
let url: string;

const LIMIT = 128 * 1024;
const BODY = 'x'.repeat(4096);
const backlog = (n: number): string[] => Array.from({ length: n }, (_, i) => `${i}:${BODY}`);

beforeEach(async () => {
  // 500 waiting 4 KB messages are 2 MB: sixteen times what one session's buffer may hold.
  ({ running, url } = await queueServer({ sendBufferLimit: LIMIT }));
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const indexes = (c: RawClient): number[] => messagesOf(c).map((m) => Number(bodyOf(m).split(':')[0]));

describe('queue consumers and their send buffers', () => {
  it.each(['auto', 'client-individual'])('hands a 2 MB backlog to an ack:%s consumer whole, in order, without cutting it off', async (ack) => {
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, backlog(500));
    const headers: Record<string, string> = ack === 'auto' ? { ack } : { ack, 'prefetch-count': '65535' };
    const c = await consumer(url, QUEUE, headers);
    const got = await messagesAt(c, 500, 15_000);
    expect(got.map((m) => Number(bodyOf(m).split(':')[0]))).toEqual(backlog(500).map((_, i) => i));
    expect(c.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
    expect(running.server.stats().sessions.closed['slow-consumer'] ?? 0).toBe(0);
    const q = running.server.stats().queues.byDestination[QUEUE];
    expect(q.delivered).toBe(500);
    expect(q.depth).toBe(0);
  });

  it('gives what a consumer with a full buffer cannot take to the other consumer, and loses nothing', async () => {
    const a = await consumer(url, QUEUE, { ack: 'auto' });
    const b = await consumer(url, QUEUE, { ack: 'auto' });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, backlog(300));
    const deadline = Date.now() + 15_000;
    while (indexes(a).length + indexes(b).length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect([...indexes(a), ...indexes(b)].sort((x, y) => x - y)).toEqual(backlog(300).map((_, i) => i));
    expect(indexes(a).length).toBeGreaterThan(0);
    expect(indexes(b).length).toBeGreaterThan(0);
    expect(running.server.stats().sessions.closed['slow-consumer'] ?? 0).toBe(0);
  });
});
