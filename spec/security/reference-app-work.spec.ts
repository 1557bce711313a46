/**
 * The reference app bounds the work one session can start (examples/reference/sub-controller.ts):
 * each request starts one push schedule; past `maxPushesPerSession` for the session, or
 * `maxPushes` in all, a request starts nothing and its sender gets STOMP_ERR_RATE_LIMITED on
 * `/user/queue/errors`. Schedules outlive the session that started them, as in Spring's demo.
 */
import { createReferenceApp, REFERENCE_DEFAULTS } from '../../examples/reference/app';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startReferenceApp, type Running } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function tab(running: Running): Promise<RawClient> {
  const c = await RawClient.connected(running.ws('/webServer'));
  c.send('SUBSCRIBE\nid:topic\ndestination:/topic/getResponse\n\n\0SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:ready\n\n\0');
  await c.nextCommand('RECEIPT');
  return c;
}

const pushed = (c: RawClient, name: string) =>
  c.frames.filter((f) => f.command === 'MESSAGE' && header(f, 'subscription') === 'topic' && f.body.toString().startsWith(`${name}-`));

/** Sends a request and waits for its RECEIPT (sent after the handler ran). */
async function request(c: RawClient, name: string): Promise<void> {
  c.send(`SEND\ndestination:/subscribe\nreceipt:${name}\n\n{"name":"${name}"}\0`);
  await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === name, `RECEIPT ${name}`);
}

async function refused(c: RawClient, name: string, reason: RegExp): Promise<void> {
  c.send(`SEND\ndestination:/subscribe\nreceipt:${name}\n\n{"name":"${name}"}\0`);
  const report = await c.nextMatching((f) => f.command === 'MESSAGE' && header(f, 'subscription') === 'errors', `the report for ${name}`);
  expect(header(report, 'receipt-id')).toBe(name);
  const body = JSON.parse(report.body.toString()) as { code: string; message: string };
  expect(body.code).toBe('STOMP_ERR_RATE_LIMITED');
  expect(body.message).toMatch(reason);
  await c.nextMatching((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === name, `RECEIPT ${name}`);
  expect(c.closeCode).toBeUndefined(); // a handler error never closes the session
}

describe('reference app work bound', () => {
  it('defaults to 5 pushes per session and 200 in all, keeping the original 20 messages a second apart', () => {
    expect(REFERENCE_DEFAULTS).toEqual({ interval: 1000, count: 20, maxPushesPerSession: 5, maxPushes: 200 });
  });

  it('refuses a session its sixth running push, and starts nothing for it', async () => {
    const running = await startReferenceApp({ interval: 60000 });
    const a = await tab(running);
    for (let i = 0; i < 5; i++) await request(a, `n${i}`);
    await refused(a, 'n5', /already runs 5 pushes/);
    // Each running push sent its first message at once; the refused one sent none.
    await a.messagesMatching((m) => m.data.toString().includes('n4-'), 1);
    const b = await tab(running);
    await request(b, 'sync'); // another session still may; its first message follows anything n5 would have sent
    await a.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString().startsWith('sync-'), 'the sync push');
    expect(pushed(a, 'n5')).toEqual([]);
    for (let i = 0; i < 5; i++) expect(pushed(a, `n${i}`)).toHaveLength(1);
  });

  it('refuses any session past the total, and frees a slot when a push ends', async () => {
    const running = await startReferenceApp({ interval: 100, count: 2, maxPushes: 2 });
    const a = await tab(running);
    const b = await tab(running);
    await request(a, 'a1');
    await request(b, 'b1');
    await refused(b, 'b2', /server already runs 2 pushes/);
    // Both end with their second message: then a new push may start.
    await b.messagesMatching((m) => /^MESSAGE[\s\S]*\n\n(a1|b1)-/.test(m.data.toString()), 4);
    await request(b, 'b3');
    await b.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString().startsWith('b3-'), 'the first b3 push');
  });

  it('keeps a push running for other subscribers after the session that started it left', async () => {
    const running = await startReferenceApp({ interval: 30, count: 5 });
    const starter = await tab(running);
    const watcher = await tab(running);
    await request(starter, 'left');
    await starter.close();
    await watcher.nextMatching(() => pushed(watcher, 'left').length === 5, 'all 5 pushes');
  });

  it('refuses options that are not integers ≥ 1 with STOMP_ERR_INVALID_OPTION naming them', () => {
    expect(() => createReferenceApp({ maxPushes: 0 })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION', message: expect.stringContaining('"maxPushes"') }));
    expect(() => createReferenceApp({ maxPushesPerSession: 1.5 })).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });
});
