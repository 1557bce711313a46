/**
 * On a RedisBroker, as on one node (spec/queues/queue-backpressure.spec.ts), a queue never
 * writes more into a consumer's send buffer than it can carry: a 2 MB backlog reaches an
 * ack:auto consumer whole instead of ending its session as a slow consumer.
 */
import { randomBytes } from 'node:crypto';
import { RedisBroker, silentLogger } from '../../broker';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { bodyOf, consumer, messagesAt, QUEUE, REFERENCE_RULE, sendAll } from '../queues/support';
import { describeWith } from './services';

const REDIS_PORT = 6379;

const BODY = 'x'.repeat(4096);

afterEach(async () => {
  await closeClients();
  await closeServers();
});

describeWith('Redis', REDIS_PORT, 'install and start the Debian package redis-server')('cluster queue consumers and their send buffers', () => {
  it('hands a 2 MB backlog to an ack:auto consumer whole, in order, without cutting it off', async () => {
    const prefix = `stompbox-test:${randomBytes(4).toString('hex')}:`;
    const broker = new RedisBroker({ prefix, logger: silentLogger });
    await broker.ready(); // a queue SEND before Redis is connected is refused (STOMP_ERR_BROKER_UNAVAILABLE)
    const running = await startServer({ queues: [REFERENCE_RULE], sendBufferLimit: 128 * 1024, broker });
    const url = running.ws('/stomp');
    const producer = await RawClient.connected(url);
    await sendAll(producer, QUEUE, Array.from({ length: 500 }, (_, i) => `${i}:${BODY}`));
    const c = await consumer(url, QUEUE, { ack: 'auto' });
    const got = await messagesAt(c, 500, 20_000);
    expect(got.map((m) => Number(bodyOf(m).split(':')[0]))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(c.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
    expect(running.server.stats().sessions.closed['slow-consumer'] ?? 0).toBe(0);
  });
});
