/** Queues in `stats()` and `/metrics` (docs/queues.md "Metrics"). */
import { StompServer } from '../../broker';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers } from '../helpers/server';
import { consumer, header, messagesAt, QUEUE, queueServer, sendAll, withReceipt } from './support';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('queue stats and metrics', () => {
  it('count depth, in flight, redelivered, dead-lettered, expired and dropped per queue, and serve them as metrics', async () => {
    const { running, url } = await queueServer({ metrics: true, queues: [{ destinations: '/queue/**', maxRedeliveries: 0, deadLetter: '/queue/DLQ.{name}', maxMessages: 3 }] });
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, ['a', 'b', 'c', 'd']); // one dropped: maxMessages 3
    await sendAll(producer, QUEUE, ['e'], { expires: String(Date.now() - 1) }); // expired on arrival
    const c = await consumer(url, QUEUE, { 'prefetch-count': '2' });
    const [first] = await messagesAt(c, 2);
    await withReceipt(c, `NACK\nid:${header(first, 'ack')}\n\n`); // maxRedeliveries 0: dead-lettered at once
    const q = running.server.stats().queues;
    expect(q.byDestination[QUEUE]).toMatchObject({ depth: 0, inFlight: 2, consumers: 1, enqueued: 5, delivered: 3, redelivered: 0, deadLettered: 1, expired: 1, dropped: 1, acked: 0 });
    expect(q.byDestination['/queue/DLQ.jobs']).toMatchObject({ depth: 1, enqueued: 1 });
    expect(q).toMatchObject({ queues: 2, depth: 1, inFlight: 2, budget: 64 * 1024 * 1024, store: { messages: 0, bytes: 0 } });
    expect(q.bytes).toBeGreaterThan(0);
    const text = await (await fetch(running.http('/metrics'))).text();
    expect(sample(text, `stompbox_queue_in_flight{destination="${QUEUE}"}`)).toBe(2);
    expect(sample(text, 'stompbox_queue_depth{destination="/queue/DLQ.jobs"}')).toBe(1);
    expect(sample(text, `stompbox_queue_dead_lettered_total{destination="${QUEUE}"}`)).toBe(1);
    expect(sample(text, `stompbox_queue_expired_total{destination="${QUEUE}"}`)).toBe(1);
    expect(sample(text, `stompbox_queue_dropped_total{destination="${QUEUE}"}`)).toBe(1);
    expect(sample(text, 'stompbox_queue_bytes')).toBe(q.bytes);
    expect(sample(text, 'stompbox_queue_store_messages')).toBe(0);
  });

  it('reports zeros without queue rules', () => {
    const server = new StompServer({ endpoints: [] });
    expect(server.stats().queues).toMatchObject({ queues: 0, depth: 0, inFlight: 0, byDestination: {} });
    void server.close();
  });
});
