import { BrokerMessage, StompServer } from '../../broker';
import { RetentionRules } from '../../broker/retention/retention-rules';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

// What other parts (SSE resume, HTTP publish, operators) use: server.publish's offset,
// server.retention.read / epoch, stats() and /metrics.

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const config = { endpoints: [], websocketEndpoints: ['/ws'], retention: [{ destinations: '/topic/kept/**', messages: 3 }] };
const text = (destination: string, body: string): BrokerMessage => new BrokerMessage(destination, Buffer.from(body), 'text/plain', [], undefined, true);

function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('server.publish', () => {
  it('answers the offset and epoch a retained destination assigned, and subscribers get the same', async () => {
    const running = await startServer(config);
    const client = await RawClient.connected(running.ws('/ws'));
    client.send('SUBSCRIBE\nid:s\ndestination:/topic/kept/a\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    const first = await running.server.publish(text('/topic/kept/a', 'one'));
    const second = await running.server.publish(text('/topic/kept/a', 'two'));
    expect(first?.offset).toBe(0);
    expect(second).toEqual({ offset: 1, epoch: first!.epoch });
    const m = await client.nextCommand('MESSAGE');
    expect([header(m, 'x-stream-offset'), header(m, 'x-stream-epoch')]).toEqual(['0', first!.epoch]);
    expect(running.server.stats().messages.published).toBe(2);
  });

  it('answers undefined for a destination no rule retains, and still delivers', async () => {
    const running = await startServer(config);
    const client = await RawClient.connected(running.ws('/ws'));
    client.send('SUBSCRIBE\nid:s\ndestination:/topic/plain\nreceipt:r\n\n\0');
    await client.nextCommand('RECEIPT');
    expect(await running.server.publish(text('/topic/plain', 'x'))).toBeUndefined();
    expect(Buffer.from((await client.nextCommand('MESSAGE')).body).toString()).toBe('x');
  });
});

describe('server.retention', () => {
  it('reads a destination from an offset and gives its epoch', async () => {
    const running = await startServer(config);
    for (const b of ['a', 'b', 'c', 'd']) await running.server.template.convertAndSend('/topic/kept/r', b);
    const read = await running.server.retention.read('/topic/kept/r', { offset: 2 });
    expect(read).toMatchObject({ first: 1, next: 4 });
    expect(read.messages.map((m) => [m.offset, Buffer.from(m.message.body).toString()])).toEqual([
      [2, 'c'],
      [3, 'd'],
    ]);
    expect(await running.server.retention.epoch('/topic/kept/r')).toBe(read.epoch);
    expect(await running.server.retention.epoch('/topic/kept/none')).toBeUndefined();
    expect((await running.server.retention.read('/topic/plain', { offset: 0 })).messages).toEqual([]);
  });
});

describe('retention in stats() and /metrics', () => {
  it('counts retained messages, their bytes against the budget and what was dropped', async () => {
    const running = await startServer({ ...config, metrics: true, retentionBytes: 4096 });
    for (let i = 0; i < 5; i++) await running.server.template.convertAndSend('/topic/kept/m', `m${i}`);
    const stats = running.server.stats().retention;
    expect(stats).toMatchObject({ destinations: 1, messages: 3, budget: 4096, dropped: { count: 2, age: 0, bytes: 0 } });
    expect(stats.bytes).toBeGreaterThan(0);
    const text = await (await fetch(running.http('/metrics'))).text();
    expect(sample(text, 'stompbox_retained_messages')).toBe(3);
    expect(sample(text, 'stompbox_retained_bytes')).toBe(stats.bytes);
    expect(sample(text, 'stompbox_retained_dropped_total{reason="count"}')).toBe(2);
  });

  it('reports zeros without rules', () => {
    const server = new StompServer({ endpoints: [] });
    expect(server.stats().retention).toMatchObject({ messages: 0, bytes: 0, budget: 64 * 1024 * 1024 });
    void server.close();
  });
});

describe('RetentionRules', () => {
  it('applies the first matching rule and remembers the answer per destination', () => {
    const rules = new RetentionRules([
      { destinations: '/topic/fast/*', messages: 1, maxAge: 10 },
      { destinations: '/topic/**', messages: 100 },
    ]);
    expect(rules.limitsFor('/topic/fast/x')).toEqual({ messages: 1, maxAge: 10 });
    expect(rules.limitsFor('/topic/slow/x')).toEqual({ messages: 100, maxAge: Number.POSITIVE_INFINITY });
    expect(rules.limitsFor('/queue/x')).toBeUndefined();
    // A second lookup does not match patterns again: same object from the memo.
    expect(rules.limitsFor('/topic/fast/x')).toBe(rules.limitsFor('/topic/fast/x'));
  });
});
