/**
 * Identifiers a client sees and could use: CONNECTED `session` ids and 1.2 `ack` ids come from
 * the CSPRNG (broker/security/random-id.ts), so none is predictable from the others.
 */
import { randomId } from '../../broker/security/random-id';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * How often each bit position is set across `ids` (decoded from base64url), as a fraction.
 * Counters and timestamps leave high bits fixed; CSPRNG output sets every bit about half the
 * time. With 1,000 ids a fair bit lands in [0.4, 0.6] except with odds of about 1 in 10^9.
 */
function bitFrequencies(ids: readonly string[], bytes: number): number[] {
  const counts = new Array<number>(bytes * 8).fill(0);
  for (const id of ids) {
    const raw = Buffer.from(id, 'base64url');
    expect(raw.length).toBe(bytes);
    for (let bit = 0; bit < bytes * 8; bit++) if ((raw[bit >> 3] >> (7 - (bit & 7))) & 1) counts[bit]++;
  }
  return counts.map((n) => n / ids.length);
}

function expectRandom(ids: readonly string[], bytes: number): void {
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(BASE64URL);
  for (const f of bitFrequencies(ids, bytes)) {
    expect(f).toBeGreaterThan(0.4);
    expect(f).toBeLessThan(0.6);
  }
}

describe('randomId', () => {
  it('gives 16 random bytes as 22 base64url characters by default, and other sizes on request', () => {
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomId(12)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('never repeats and sets every bit about half the time, across pool refills', () => {
    const ids = Array.from({ length: 1000 }, () => randomId(16)); // 16 KB: four refills of the 4 KiB pool
    expectRandom(ids, 16);
  });
});

describe('session ids', () => {
  it('are unique across 1,000 sessions and carry 128 random bits each', async () => {
    const running = await startServer();
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connected(running.ws('/stomp'))));
      for (const c of clients) ids.push(header(c.frames[0], 'session')!);
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(ids).toHaveLength(1000);
    for (const id of ids) expect(id).toHaveLength(22);
    expectRandom(ids, 16);
  });
});

describe('1.2 ack ids', () => {
  it('are unique and carry 96 random bits each, so one does not give away the next', async () => {
    const running = await startServer();
    const c = await RawClient.connected(running.ws('/stomp'));
    c.send('SUBSCRIBE\nid:s\ndestination:/topic/acks\nack:client-individual\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    const publisher = await RawClient.connected(running.ws('/stomp'));
    publisher.send('SEND\ndestination:/topic/acks\n\nm\0'.repeat(1000));
    const messages = await c.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), 1000, 10000);
    expect(messages).toHaveLength(1000);
    const acks = c.frames.filter((f) => f.command === 'MESSAGE').map((f) => header(f, 'ack')!);
    for (const id of acks) expect(id).toHaveLength(16);
    expectRandom(acks, 12);
    // Each one still settles its message.
    c.send(`ACK\nid:${acks[500]}\nreceipt:a\n\n\0`);
    expect(header(await c.nextCommand('RECEIPT'), 'receipt-id')).toBe('a');
  });
});
