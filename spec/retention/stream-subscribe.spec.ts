import type { StompServerConfig } from '../../broker';
import { Bystander } from '../helpers/bystander';
import { closeClients, header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startServer, type Running } from '../helpers/server';

// SPEC §6.1 on the wire: x-stream-offset / x-stream-epoch on MESSAGE, the SUBSCRIBE modes,
// x-stream-recovered on the RECEIPT, and the refusals.

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const RETAINED: StompServerConfig = {
  endpoints: [],
  websocketEndpoints: ['/ws'],
  brokerPrefixes: ['/topic', '/user'],
  retention: [{ destinations: '/topic/kept/**', messages: 5, maxAge: 60_000 }],
};

const body = (f: PlainFrame): string => Buffer.from(f.body).toString();
const offsetOf = (f: PlainFrame): number => Number(header(f, 'x-stream-offset'));

async function publish(running: Running, destination: string, bodies: string[]): Promise<void> {
  for (const b of bodies) await running.server.template.convertAndSend(destination, b);
}

/** Subscribes with the given stream headers and a receipt; resolves with the RECEIPT. */
async function subscribe(client: RawClient, destination: string, headers: Record<string, string>, id = 's'): Promise<PlainFrame> {
  const lines = Object.entries(headers).map(([n, v]) => `${n}:${v}\n`).join('');
  client.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:r-${id}\n${lines}\n\0`);
  return client.nextMatching((f) => f.command === 'RECEIPT' || f.command === 'ERROR', `RECEIPT r-${id}`);
}

async function messages(client: RawClient, n: number): Promise<PlainFrame[]> {
  const got: PlainFrame[] = [];
  for (let i = 0; i < n; i++) got.push(await client.nextCommand('MESSAGE'));
  return got;
}

describe('MESSAGE from a retained destination', () => {
  it('carries consecutive x-stream-offset values from 0 and one x-stream-epoch', async () => {
    const running = await startServer(RETAINED);
    const client = await RawClient.connected(running.ws('/ws'));
    await subscribe(client, '/topic/kept/a', {});
    await publish(running, '/topic/kept/a', ['a', 'b', 'c']);
    const got = await messages(client, 3);
    expect(got.map(offsetOf)).toEqual([0, 1, 2]);
    const epoch = header(got[0], 'x-stream-epoch');
    expect(epoch).toMatch(/^\S+$/);
    expect(got.map((f) => header(f, 'x-stream-epoch'))).toEqual([epoch, epoch, epoch]);
  });

  it('carries no stream headers from a destination no rule retains', async () => {
    const running = await startServer(RETAINED);
    const client = await RawClient.connected(running.ws('/ws'));
    await subscribe(client, '/topic/other', {});
    await publish(running, '/topic/other', ['x']);
    const [m] = await messages(client, 1);
    expect(header(m, 'x-stream-offset')).toBeUndefined();
    expect(header(m, 'x-stream-epoch')).toBeUndefined();
  });

  it('numbers each destination on its own, client SENDs and template sends alike', async () => {
    const running = await startServer(RETAINED);
    const client = await RawClient.connected(running.ws('/ws'));
    await subscribe(client, '/topic/kept/a', {}, 'a');
    await subscribe(client, '/topic/kept/b', {}, 'b');
    client.send('SEND\ndestination:/topic/kept/a\n\none\0');
    client.send('SEND\ndestination:/topic/kept/b\n\ntwo\0');
    await messages(client, 2);
    await publish(running, '/topic/kept/a', ['three']);
    const [m] = await messages(client, 1);
    expect([body(m), offsetOf(m)]).toEqual(['three', 1]);
  });
});

describe('SUBSCRIBE x-stream-offset', () => {
  let running: Running;
  let epoch: string;
  beforeEach(async () => {
    running = await startServer(RETAINED);
    // Seven published, five kept: offsets 2..6 retained.
    const probe = await RawClient.connected(running.ws('/ws'));
    await subscribe(probe, '/topic/kept/h', {});
    await publish(running, '/topic/kept/h', ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    epoch = header((await messages(probe, 7))[6], 'x-stream-epoch')!;
    await probe.close();
  });

  async function replayed(headers: Record<string, string>, expected: number): Promise<{ receipt: PlainFrame; bodies: string[]; offsets: number[] }> {
    const client = await RawClient.connected(running.ws('/ws'));
    const receipt = await subscribe(client, '/topic/kept/h', headers);
    expect(receipt.command).toBe('RECEIPT');
    // The replay is queued before the RECEIPT: every replayed MESSAGE precedes it.
    const before = client.frames.slice(0, client.frames.indexOf(receipt)).filter((f) => f.command === 'MESSAGE');
    expect(before).toHaveLength(expected);
    await publish(running, '/topic/kept/h', ['live']);
    const live = await client.nextMatching((f) => f.command === 'MESSAGE' && body(f) === 'live', 'the live message');
    return { receipt, bodies: [...before.map(body), body(live)], offsets: [...before.map(offsetOf), offsetOf(live)] };
  }

  it('next: live messages only, recovered', async () => {
    const r = await replayed({ 'x-stream-offset': 'next' }, 0);
    expect(r.bodies).toEqual(['live']);
    expect(r.offsets).toEqual([7]);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('true');
  });

  it('first: everything retained in order, then live', async () => {
    const r = await replayed({ 'x-stream-offset': 'first' }, 5);
    expect(r.bodies).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'live']);
    expect(r.offsets).toEqual([2, 3, 4, 5, 6, 7]);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('true');
  });

  it('last: exactly the newest retained message, then live', async () => {
    const r = await replayed({ 'x-stream-offset': 'last' }, 1);
    expect(r.bodies).toEqual(['m6', 'live']);
  });

  it('offset=<n>: from n on, recovered with the current epoch', async () => {
    const r = await replayed({ 'x-stream-offset': 'offset=4', 'x-stream-epoch': epoch }, 3);
    expect(r.offsets).toEqual([4, 5, 6, 7]);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('true');
  });

  it('offset=<next>: nothing to replay, recovered', async () => {
    const r = await replayed({ 'x-stream-offset': 'offset=7', 'x-stream-epoch': epoch }, 0);
    expect(r.offsets).toEqual([7]);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('true');
  });

  it('offset older than the oldest retained: not recovered, delivery from the oldest retained', async () => {
    const r = await replayed({ 'x-stream-offset': 'offset=0', 'x-stream-epoch': epoch }, 5);
    expect(r.offsets).toEqual([2, 3, 4, 5, 6, 7]);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('false');
  });

  it('offset ahead of the next: not recovered, delivery from the oldest retained', async () => {
    const r = await replayed({ 'x-stream-offset': 'offset=99' }, 5);
    expect(r.offsets[0]).toBe(2);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('false');
  });

  it('a foreign epoch: not recovered, delivery from the oldest retained', async () => {
    const r = await replayed({ 'x-stream-offset': 'offset=5', 'x-stream-epoch': 'not-this-one' }, 5);
    expect(r.offsets[0]).toBe(2);
    expect(header(r.receipt, 'x-stream-recovered')).toBe('false');
  });

  it('timestamp=<s>: from the first message published at or after s, recovered when none of those was dropped', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const none = await replayed({ 'x-stream-offset': `timestamp=${future}` }, 0);
    expect(none.bodies).toEqual(['live']);
    expect(header(none.receipt, 'x-stream-recovered')).toBe('true');
    // m0..m2 were dropped (the live message above pushed m2 out): a start before them cannot be served in full.
    const past = await replayed({ 'x-stream-offset': 'timestamp=1' }, 5);
    expect(past.offsets).toEqual([3, 4, 5, 6, 7, 8]);
    expect(header(past.receipt, 'x-stream-recovered')).toBe('false');
  });

  it('answers x-stream-recovered on a destination no rule retains', async () => {
    const client = await RawClient.connected(running.ws('/ws'));
    expect(header(await subscribe(client, '/topic/plain', { 'x-stream-offset': 'first' }, 'a'), 'x-stream-recovered')).toBe('true');
    expect(header(await subscribe(client, '/topic/plain', { 'x-stream-offset': 'offset=3' }, 'b'), 'x-stream-recovered')).toBe('false');
  });

  it('takes next on a pattern subscription', async () => {
    const client = await RawClient.connected(running.ws('/ws'));
    const receipt = await subscribe(client, '/topic/kept/*', { 'x-stream-offset': 'next' });
    expect([receipt.command, header(receipt, 'x-stream-recovered')]).toEqual(['RECEIPT', 'true']);
  });
});

describe('SUBSCRIBE x-stream-offset refusals', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['offset=-1', { 'x-stream-offset': 'offset=-1' }, 'offset=-1'],
    ['offset=1.5', { 'x-stream-offset': 'offset=1.5' }, 'offset=1.5'],
    ['offset=', { 'x-stream-offset': 'offset=' }, 'offset='],
    ['timestamp=soon', { 'x-stream-offset': 'timestamp=soon' }, 'timestamp=soon'],
    ['an unknown mode', { 'x-stream-offset': 'middle' }, 'middle'],
    ['an empty epoch', { 'x-stream-offset': 'first', 'x-stream-epoch': '' }, 'x-stream-epoch'],
  ];
  it.each(cases)('%s is ERROR STOMP_ERR_INVALID_HEADER naming the header and value; the session closes, a bystander is untouched', async (_, headers, named) => {
    const running = await startServer({ ...RETAINED, endpoints: ['/stomp'] });
    const bystander = await Bystander.start(running.http('/stomp'), { interval: 10 });
    const client = await RawClient.connected(running.ws('/ws'));
    const error = await subscribe(client, '/topic/kept/a', headers);
    expect(error.command).toBe('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_INVALID_HEADER');
    expect(header(error, 'message')).toContain(named);
    expect(header(error, 'message')).toContain(headers['x-stream-epoch'] === '' ? 'x-stream-epoch' : 'x-stream-offset');
    await client.closed;
    await bystander.more(5);
    const report = await bystander.stop();
    expect(report.alive).toBe(true);
    expect(report.inOrder).toBe(true);
  });

  it.each(['first', 'last', 'offset=0', 'timestamp=0'])('history (%s) on a pattern subscription is ERROR STOMP_ERR_INVALID_HEADER', async (value) => {
    const running = await startServer(RETAINED);
    const client = await RawClient.connected(running.ws('/ws'));
    const error = await subscribe(client, '/topic/kept/**', { 'x-stream-offset': value });
    expect(error.command).toBe('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_INVALID_HEADER');
    expect(header(error, 'message')).toContain(value);
    expect(header(error, 'message')).toContain('/topic/kept/**');
    await client.closed;
  });
});

describe('the switch from replay to live', () => {
  it('has no gap and no duplicate while a publisher keeps sending', async () => {
    const running = await startServer({ ...RETAINED, retention: [{ destinations: '/topic/kept/**', messages: 10_000 }] });
    const publisher = await RawClient.connected(running.ws('/ws'));
    let sent = 0;
    let stop = false;
    // A publisher sending continuously from another connection, bounded in count.
    const pump = (async () => {
      while (!stop && sent < 3000) {
        for (let i = 0; i < 20; i++) publisher.send(`SEND\ndestination:/topic/kept/flow\n\n${sent++}\0`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    while (sent < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    const subscribers: RawClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.connected(running.ws('/ws'));
      expect((await subscribe(c, '/topic/kept/flow', { 'x-stream-offset': 'first' })).command).toBe('RECEIPT');
      subscribers.push(c);
    }
    stop = true;
    await pump;
    publisher.send('SEND\ndestination:/topic/kept/flow\nreceipt:done\n\nend\0');
    await publisher.nextCommand('RECEIPT');
    for (const c of subscribers) {
      const last = await c.nextMatching((f) => f.command === 'MESSAGE' && body(f) === 'end', 'the end message', 10_000);
      const got = c.frames.filter((f) => f.command === 'MESSAGE');
      expect(got[got.length - 1]).toBe(last);
      const offsets = got.map(offsetOf);
      expect(offsets).toEqual(offsets.map((_, i) => i)); // consecutive from the first: no gap, no duplicate
      expect(got.slice(0, -1).map(body)).toEqual(got.slice(0, -1).map((_, i) => String(i)));
    }
  });
});
