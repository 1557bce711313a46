/**
 * Ordered effects with the durable store (session.ts `markOrdered`): a client's pipelined
 * receipted SENDs do not wait one commit each. Their RECEIPTs still come after the commit, in
 * the order the SENDs were sent, DISCONNECT's RECEIPT last, and a SEND the store refuses ends
 * the session with its ERROR.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { tempDir } from './support';

let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  await closeClients();
  await closeServers();
  rmSync(dir, { recursive: true, force: true });
});

function durable(maxBytes = 1 << 30): Promise<Running> {
  return startServer({
    logger: silentLogger,
    queues: [{ destinations: '/queue/**' }],
    retention: [{ destinations: '/topic/**', messages: 1000 }],
    store: { sqlite: { file: join(dir, 'ordered.db'), maxBytes, synchronous: 'normal' } },
  });
}

const sends = (destination: string, n: number, persistent = true): string =>
  Array.from({ length: n }, (_, i) => `SEND\ndestination:${destination}\n${persistent ? 'persistent:true\n' : ''}receipt:r${i}\n\nm${i}\0`).join('');

async function receipts(client: RawClient, n: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < n) ids.push(header(await client.nextCommand('RECEIPT'), 'receipt-id')!);
  return ids;
}

describe('pipelined SENDs on the durable store', () => {
  it('share commits, and their RECEIPTs come in order once committed', async () => {
    const running = await durable();
    const client = await RawClient.connected(running.ws('/stomp'));
    const before = running.server.stats().store.commits;
    client.send(sends('/queue/work', 200));
    expect(await receipts(client, 200)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
    const commits = running.server.stats().store.commits - before;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(20); // not one per SEND
    expect(running.server.stats().queues.store.messages).toBe(200);
  });

  it('keeps the offsets of retained SENDs on their own RECEIPTs', async () => {
    const running = await durable();
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send(sends('/topic/t', 50, false));
    for (let i = 0; i < 50; i++) {
      const r = await client.nextCommand('RECEIPT');
      expect([header(r, 'receipt-id'), header(r, 'x-stream-offset')]).toEqual([`r${i}`, String(i)]);
    }
  });

  it('sends the RECEIPT of DISCONNECT after every pending one', async () => {
    const running = await durable();
    const client = await RawClient.connected(running.ws('/stomp'));
    client.send(`${sends('/queue/work', 100)}DISCONNECT\nreceipt:bye\n\n\0`);
    const ids = await receipts(client, 101);
    expect(ids.at(-1)).toBe('bye');
    expect(ids.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    await client.closed;
  });

  it('ends the session with STOMP_ERR_STORE_FULL when a persistent SEND does not fit', async () => {
    const running = await durable(65536);
    const client = await RawClient.connected(running.ws('/stomp'));
    const body = 'x'.repeat(30_000);
    client.send(`SEND\ndestination:/queue/big\npersistent:true\nreceipt:a\n\n${body}\0SEND\ndestination:/queue/big\npersistent:true\nreceipt:b\n\n${body}\0SEND\ndestination:/queue/big\npersistent:true\nreceipt:c\n\n${body}\0`);
    const error = await client.nextCommand('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_STORE_FULL');
    expect(header(error, 'message')).toMatch(/maxBytes \(65536\)/);
    await client.closed;
    const bystander = await RawClient.connected(running.ws('/stomp'));
    bystander.send('SEND\ndestination:/queue/small\npersistent:true\nreceipt:ok\n\nsmall\0');
    expect(header(await bystander.nextCommand('RECEIPT'), 'receipt-id')).toBe('ok');
  });
});

describe('store.sqlite.queues', () => {
  it("'all' keeps queue messages sent without persistent:true across a restart", async () => {
    const config = { logger: silentLogger, queues: [{ destinations: '/queue/**' }], store: { sqlite: { file: join(dir, 'all.db'), queues: 'all' as const } } };
    const first = await startServer(config);
    const producer = await RawClient.connected(first.ws('/stomp'));
    producer.send('SEND\ndestination:/queue/q\nreceipt:r\n\nplain\0');
    await producer.nextCommand('RECEIPT');
    await first.server.close();
    const second = await startServer(config);
    const consumer = await RawClient.connected(second.ws('/stomp'));
    consumer.send('SUBSCRIBE\nid:0\ndestination:/queue/q\n\n\0');
    const message = await consumer.nextCommand('MESSAGE');
    expect(message.body.toString()).toBe('plain');
  });
});
