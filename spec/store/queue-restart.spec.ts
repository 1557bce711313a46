/**
 * Queue messages in the SQLite store across a `kill -9` (SPEC §6.2): a broker process
 * (fixtures/durable-broker.ts) is SIGKILLed in the middle of a stream of receipted persistent
 * SENDs, started again on the same file, and every receipted message is consumed; messages
 * delivered but not acked come again with `redelivered:true`, and an ACK whose RECEIPT came
 * before the kill stays acknowledged.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, IMessage } from '@stomp/stompjs';
import { connect, kill9, killApps, removeBundle, running, startBroker, subscribe, tempDir, until } from './support';

let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  await killApps();
  rmSync(dir, { recursive: true, force: true });
});

afterAll(removeBundle);

/** Sends `body` with a receipt and resolves with the RECEIPT. */
function sendReceipted(client: Client, destination: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const receipt = `r-${body}`;
  return new Promise((resolve) => {
    client.watchForReceipt(receipt, () => resolve());
    client.publish({ destination, body, headers: { ...headers, receipt } });
  });
}

describe('queue messages in the SQLite store', () => {
  it.each(['full', 'normal'])('loses no receipted persistent SEND to SIGKILL mid-stream (synchronous %s)', async (sync) => {
    const file = join(dir, 'queue.db');
    const app = running(await startBroker(file, { SYNC: sync }));
    const producer = await connect(app.url);
    const receipted = new Set<string>();
    let sent = 0;
    let outstanding = 0;
    const pump = (): void => {
      while (outstanding < 20 && sent < 20_000 && producer.connected) {
        const body = `m-${sent++}`;
        outstanding++;
        void sendReceipted(producer, '/queue/work', body, { persistent: 'true' }).then(() => {
          outstanding--;
          receipted.add(body);
          pump();
        });
      }
    };
    pump();
    await until('300 receipts', () => receipted.size >= 300, 20_000);
    await kill9(app);
    expect(receipted.size).toBeLessThan(sent); // killed with SENDs still unanswered

    const again = running(await startBroker(file, { SYNC: sync }));
    const consumer = await connect(again.url);
    const inbox: IMessage[] = [];
    await subscribe(consumer, '/queue/work', { ack: 'auto' }, inbox);
    await until('every receipted message', () => inbox.length >= receipted.size, 20_000);
    const bodies = inbox.map((m) => m.body);
    expect(new Set(bodies).size).toBe(bodies.length); // none twice
    for (const body of receipted) expect(bodies).toContain(body);
    // In the order they were sent.
    const order = bodies.map((b) => Number(b.slice(2)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }, 60_000);

  it('redelivers delivered-but-unacked messages with redelivered:true, and keeps receipted ACKs acknowledged', async () => {
    const file = join(dir, 'inflight.db');
    const app = running(await startBroker(file));
    const producer = await connect(app.url);
    for (let i = 0; i < 10; i++) await sendReceipted(producer, '/queue/jobs', `job-${i}`, { persistent: 'true' });
    const consumer = await connect(app.url);
    const inbox: IMessage[] = [];
    await subscribe(consumer, '/queue/jobs', { ack: 'client-individual' }, inbox);
    await until('10 deliveries', () => inbox.length === 10);
    expect(inbox.every((m) => m.headers.redelivered === undefined)).toBe(true);
    for (const m of inbox.slice(0, 4)) {
      await new Promise<void>((resolve) => {
        const receipt = `ack-${m.body}`;
        consumer.watchForReceipt(receipt, () => resolve());
        m.ack({ receipt });
      });
    }
    await kill9(app);

    const again = running(await startBroker(file));
    const next = await connect(again.url);
    const redelivered: IMessage[] = [];
    await subscribe(next, '/queue/jobs', { ack: 'client-individual' }, redelivered);
    await until('the 6 unacked jobs', () => redelivered.length >= 6);
    expect(redelivered.map((m) => m.body)).toEqual(['job-4', 'job-5', 'job-6', 'job-7', 'job-8', 'job-9']);
    expect(redelivered.every((m) => m.headers.redelivered === 'true')).toBe(true);
    // The acked four never come back: a marker sent after them arrives, and nothing before it.
    await sendReceipted(producer.connected ? producer : next, '/queue/jobs', 'marker', { persistent: 'true' });
    await until('the marker', () => redelivered.some((m) => m.body === 'marker'));
    expect(redelivered.map((m) => m.body)).toEqual(['job-4', 'job-5', 'job-6', 'job-7', 'job-8', 'job-9', 'marker']);
  }, 30_000);

  it('keeps only persistent:true messages (store.sqlite.queues "persistent", the default)', async () => {
    const file = join(dir, 'mixed.db');
    const app = running(await startBroker(file));
    const producer = await connect(app.url);
    await sendReceipted(producer, '/queue/mixed', 'transient');
    await sendReceipted(producer, '/queue/mixed', 'kept', { persistent: 'true' });
    await kill9(app);
    const again = running(await startBroker(file));
    const consumer = await connect(again.url);
    const inbox: IMessage[] = [];
    await subscribe(consumer, '/queue/mixed', { ack: 'auto' }, inbox);
    await sendReceipted(consumer, '/queue/mixed', 'marker');
    await until('the marker', () => inbox.some((m) => m.body === 'marker'));
    expect(inbox.map((m) => m.body)).toEqual(['kept', 'marker']);
  }, 30_000);
});
