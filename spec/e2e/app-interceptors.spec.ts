/**
 * Interceptors and events end to end: inbound hooks modify, drop or reject frames before
 * routing; outbound hooks rewrite or drop MESSAGEs before they are written, in order even
 * when async; the typed events arrive once each, with `disconnect` exactly once per session.
 */
import { BrokerMessage, StompError, type Interceptor } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('inbound interceptors', () => {
  it('replace a frame before routing', async () => {
    const upper: Interceptor = {
      beforeHandle: async (frame) => {
        await tick();
        if (frame.command !== 'SEND') return;
        return { ...frame, body: new TextEncoder().encode(new TextDecoder().decode(frame.body).toUpperCase()) };
      },
    };
    const r = await startServer({ interceptors: [upper] });
    const c = await RawClient.connected(r.ws('/stomp'));
    c.send('SUBSCRIBE\nid:s\ndestination:/topic/a\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    c.send('SEND\ndestination:/topic/a\n\nquiet\0');
    expect((await c.nextCommand('MESSAGE')).body.toString()).toBe('QUIET');
  });

  it('drop a frame and still send the RECEIPT it asked for', async () => {
    const r = await startServer();
    r.server.intercept({ beforeHandle: (frame) => (frame.headers.get('drop') === 'yes' ? false : undefined) });
    const c = await RawClient.connected(r.ws('/stomp'));
    c.send('SUBSCRIBE\nid:s\ndestination:/topic/a\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    c.send('SEND\ndestination:/topic/a\ndrop:yes\nreceipt:dropped\n\nnever\0');
    c.send('SEND\ndestination:/topic/a\n\nkept\0');
    expect(header(await c.nextCommand('RECEIPT'), 'receipt-id')).toBe('dropped');
    expect((await c.nextCommand('MESSAGE')).body.toString()).toBe('kept');
    expect(c.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(1);
  });

  it('reject a frame with an ERROR and close: a StompError keeps its code, anything else is STOMP_ERR_FORBIDDEN', async () => {
    const r = await startServer({
      interceptors: [
        {
          beforeHandle: (frame) => {
            if (frame.headers.get('destination') === '/topic/limited') throw new StompError('STOMP_ERR_RATE_LIMITED', 'slow down');
            if (frame.headers.get('destination') === '/topic/secret') throw new Error('no secrets');
          },
        },
      ],
    });
    const a = await RawClient.connected(r.ws('/stomp'));
    a.send('SEND\ndestination:/topic/limited\nreceipt:x\n\nhi\0');
    const e1 = await a.nextCommand('ERROR');
    expect([header(e1, 'code'), header(e1, 'message'), header(e1, 'receipt-id')]).toEqual(['STOMP_ERR_RATE_LIMITED', 'slow down', 'x']);
    await a.closed;
    const b = await RawClient.connected(r.ws('/stomp'));
    b.send('SUBSCRIBE\nid:s\ndestination:/topic/secret\n\n\0');
    const e2 = await b.nextCommand('ERROR');
    expect(header(e2, 'code')).toBe('STOMP_ERR_FORBIDDEN');
    expect(header(e2, 'message')).toContain('no secrets');
    await b.closed;
  });

  it('cost nothing when none is registered: the server keeps no chain', async () => {
    const r = await startServer();
    expect(r.server.interceptors).toBeUndefined();
  });
});

describe('outbound interceptors', () => {
  it('rewrite or drop MESSAGEs per subscriber, keeping their order under async hooks', async () => {
    const r = await startServer();
    r.server.intercept({
      beforeSend: async (message, subscription, session) => {
        // Later messages finish their hook first; the order on the wire must not change.
        await new Promise((resolve) => setTimeout(resolve, message.body.length === 1 ? 20 : 1));
        if (session.user === 'mallory') return false;
        return new BrokerMessage(message.destination, message.body, message.contentType, [...message.headers, ['seen-by', `${session.user}/${subscription.id}`]]);
      },
    });
    const alice = await RawClient.connected(r.ws('/stomp'), { login: 'alice' });
    const mallory = await RawClient.connected(r.ws('/stomp'), { login: 'mallory' });
    for (const c of [alice, mallory]) {
      c.send('SUBSCRIBE\nid:s\ndestination:/topic/a\nreceipt:r\n\n\0');
      await c.nextCommand('RECEIPT');
    }
    for (const body of ['1', '22', '333']) alice.send(`SEND\ndestination:/topic/a\n\n${body}\0`);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await alice.nextCommand('MESSAGE'));
    expect(got.map((m) => m.body.toString())).toEqual(['1', '22', '333']);
    expect(got.map((m) => header(m, 'seen-by'))).toEqual(['alice/s', 'alice/s', 'alice/s']);
    alice.send('SEND\ndestination:/topic/a\nreceipt:end\n\nend\0');
    await alice.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString() === 'end', 'the last MESSAGE');
    expect(mallory.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });

  it('refuse an interceptor without hooks', async () => {
    const r = await startServer();
    expect(() => r.server.intercept({})).toThrow(/beforeHandle.*beforeSend/);
  });
});

describe('events', () => {
  it('report connect, connected, subscribe, unsubscribe and disconnect once each, in order', async () => {
    const r = await startServer();
    const seen: string[] = [];
    const names = ['connect', 'connected', 'subscribe', 'unsubscribe', 'disconnect'] as const;
    for (const name of names) r.server.on(name, (info) => seen.push(`${name}:${info.user}:${info.transport}`));
    let disconnected: { reason: string } | undefined;
    const gone = new Promise<void>((resolve) => r.server.once('disconnect', (info) => ((disconnected = info), resolve())));
    const subscribed = new Promise<{ id: string; destination: string }>((resolve) => r.server.once('subscribe', resolve));
    const c = await RawClient.connected(r.ws('/stomp'), { login: 'ann' });
    c.send('SUBSCRIBE\nid:s1\ndestination:/topic/a\n\n\0');
    expect(await subscribed).toMatchObject({ id: 's1', destination: '/topic/a', user: 'ann' });
    c.send('UNSUBSCRIBE\nid:s1\nreceipt:u\n\n\0');
    await c.nextCommand('RECEIPT');
    c.send('DISCONNECT\nreceipt:bye\n\n\0');
    await gone;
    await c.closed;
    expect(disconnected).toMatchObject({ reason: 'disconnect', user: 'ann' });
    expect(seen).toEqual(names.map((n) => `${n}:ann:websocket`));
  });

  it('report disconnect exactly once with its reason when the transport drops, and not for a refused CONNECT', async () => {
    const r = await startServer({ authenticate: ({ connectHeaders }) => connectHeaders.get('login') !== 'nobody' && undefined });
    const reasons: string[] = [];
    let connects = 0;
    r.server.on('connect', () => connects++);
    r.server.on('disconnect', (info) => reasons.push(info.reason));
    const refused = await RawClient.open(r.ws('/stomp'));
    refused.send('CONNECT\naccept-version:1.2\nlogin:nobody\n\n\0');
    expect(header(await refused.nextCommand('ERROR'), 'code')).toBe('STOMP_ERR_UNAUTHORIZED');
    await refused.closed;
    const gone = new Promise((resolve) => r.server.once('disconnect', resolve));
    const c = await RawClient.connected(r.ws('/stomp'));
    c.ws.terminate();
    await gone;
    await r.server.close();
    expect(connects).toBe(1);
    expect(reasons).toEqual(['transport-closed']);
  });
});
