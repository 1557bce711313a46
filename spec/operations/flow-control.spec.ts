/**
 * Flow control (operations/flow-control.ts, session-flow.ts) over loopback connections: the
 * connection's `bufferedAmount` is set by the spec, so a slow client needs no socket that
 * stops reading. Each slow consumer policy, the time limit and the inbound rate limit.
 */
import { StompServer, silentLogger, type StompServerConfig } from '../../broker';
import { header } from '../helpers/clients';
import { connected, type LoopbackConnection } from '../helpers/loopback';

const LIMIT = 4096;
const servers: StompServer[] = [];
const server = (config: StompServerConfig): StompServer => {
  const s = new StompServer({ heartbeat: [0, 0], logger: silentLogger, sendBufferLimit: LIMIT, ...config });
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function subscriber(s: StompServer, destination = '/topic/flow'): Promise<LoopbackConnection> {
  const c = await connected(s);
  c.write(`SUBSCRIBE\nid:0\ndestination:${destination}\nreceipt:sub\n\n\0`);
  await c.next('RECEIPT');
  return c;
}

const bodies = (c: LoopbackConnection): string[] => c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString());

/** Resolves once `check()` holds, polling every 10 ms; rejects after `ms`. */
async function eventually(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('slowConsumerPolicy terminate', () => {
  it('ends a client past sendBufferLimit with ERROR STOMP_ERR_SLOW_CONSUMER and close 4500, and counts the breach', async () => {
    const s = server({ slowConsumerPolicy: 'terminate' });
    const slow = await subscriber(s);
    const fast = await subscriber(s);
    slow.bufferedAmount = LIMIT + 1;
    await s.template.convertAndSend('/topic/flow', 'one');
    expect(header(await slow.next('ERROR'), 'code')).toBe('STOMP_ERR_SLOW_CONSUMER');
    expect((await slow.whenClosed()).code).toBe(4500);
    expect(bodies(slow)).toEqual([]);
    expect(bodies(fast)).toEqual(['one']);
    expect(s.stats().backpressure.bufferBreaches).toBe(1);
  });

  it('lets a client at the limit (not past it) keep its messages', async () => {
    const s = server({ slowConsumerPolicy: 'terminate' });
    const c = await subscriber(s);
    c.bufferedAmount = LIMIT;
    await s.template.convertAndSend('/topic/flow', 'kept');
    expect(bodies(c)).toEqual(['kept']);
    expect(c.closedWith).toBeUndefined();
  });
});

describe('slowConsumerPolicy drop-newest', () => {
  it('drops what finds the buffer full, pauses reading, and delivers and reads again once it drains', async () => {
    const s = server({ slowConsumerPolicy: 'drop-newest' });
    const c = await subscriber(s);
    c.bufferedAmount = LIMIT + 1;
    await s.template.convertAndSend('/topic/flow', 'dropped 1');
    await s.template.convertAndSend('/topic/flow', 'dropped 2');
    expect(bodies(c)).toEqual([]);
    expect(c.paused).toBe(true);
    expect(s.stats().messages.dropped).toBe(2);
    c.bufferedAmount = 0;
    await eventually('reading resumed', () => !c.paused);
    await s.template.convertAndSend('/topic/flow', 'after');
    expect(bodies(c)).toEqual(['after']);
    expect(c.closedWith).toBeUndefined();
  });
});

describe('slowConsumerPolicy drop-oldest', () => {
  it('queues behind the socket, drops the oldest past half the limit, and flushes the rest in order once it drains', async () => {
    const s = server({ slowConsumerPolicy: 'drop-oldest' });
    const c = await subscriber(s);
    c.bufferedAmount = LIMIT; // past half of it: the threshold of drop-oldest
    const body = (i: number): string => `${String(i).padStart(3, '0')}:${'x'.repeat(500)}`;
    for (let i = 0; i < 20; i++) await s.template.convertAndSend('/topic/flow', body(i));
    expect(bodies(c)).toEqual([]);
    c.bufferedAmount = 0;
    await eventually('the queue flushed', () => bodies(c).length > 0);
    const got = bodies(c).map((b) => Number(b.slice(0, 3)));
    // The newest survive, in order, and together fit in half the limit.
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(20);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got.at(-1)).toBe(19);
    expect(s.stats().messages.dropped).toBe(20 - got.length);
  });

  it('still ends the session when frames that may not be dropped alone pass the limit', async () => {
    const s = server({ slowConsumerPolicy: 'drop-oldest' });
    const c = await subscriber(s);
    c.bufferedAmount = LIMIT;
    // RECEIPTs are never dropped: a client asking for them and never reading fills the queue with them.
    for (let i = 0; i < 200 && c.closedWith === undefined; i++) c.write(`SEND\ndestination:/queue/none\nreceipt:${'r'.repeat(40)}${i}\n\n\0`);
    c.bufferedAmount = 0;
    expect(header(await c.next('ERROR'), 'code')).toBe('STOMP_ERR_SLOW_CONSUMER');
  });
});

describe('sendTimeLimit', () => {
  it('ends a session whose buffer does not drain for sendTimeLimit, whatever the policy', async () => {
    const s = server({ slowConsumerPolicy: 'drop-newest', sendTimeLimit: 200 });
    const c = await subscriber(s);
    c.bufferedAmount = 10; // under the limit, but never draining
    const started = Date.now();
    expect(header(await c.next('ERROR', 3000), 'code')).toBe('STOMP_ERR_SLOW_CONSUMER');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await c.whenClosed()).code).toBe(4500);
  });
});

describe('maxFramesPerSecond', () => {
  it('refuses the frame past the limit with STOMP_ERR_RATE_LIMITED; other sessions go on', async () => {
    const s = server({ maxFramesPerSecond: 5 });
    const noisy = await connected(s);
    const calm = await subscriber(s);
    for (let i = 0; i < 10 && noisy.closedWith === undefined; i++) noisy.write(`SEND\ndestination:/topic/other\n\n${i}\0`);
    expect(header(await noisy.next('ERROR'), 'code')).toBe('STOMP_ERR_RATE_LIMITED');
    calm.write('SEND\ndestination:/topic/flow\n\nstill here\0');
    await calm.next('MESSAGE');
    expect(bodies(calm)).toEqual(['still here']);
  });
});
