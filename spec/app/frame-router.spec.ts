/**
 * The frame router (app/frame-router.ts) and the dispatcher (app/dispatcher.ts) over loopback
 * connections: where a SEND or SUBSCRIBE goes (handler, user, broker, nowhere), what refuses
 * it, and what a handler's return value, reply and failure become.
 */
import { StompServer, silentLogger, type StompServerConfig } from '../../broker';
import { header } from '../helpers/clients';
import { connected, type LoopbackConnection } from '../helpers/loopback';

const servers: StompServer[] = [];
const server = (config: StompServerConfig = {}): StompServer => {
  const s = new StompServer({ heartbeat: [0, 0], logger: silentLogger, ...config });
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function subscribe(c: LoopbackConnection, id: string, destination: string): Promise<void> {
  c.write(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:sub-${id}\n\n\0`);
  await c.next((f) => header(f, 'receipt-id') === `sub-${id}`);
}

async function refusal(c: LoopbackConnection, frame: string): Promise<string | undefined> {
  c.write(frame);
  return header(await c.next('ERROR'), 'code');
}

const messagesOf = (c: LoopbackConnection, id: string): string[] =>
  c.frames.filter((f) => f.command === 'MESSAGE' && header(f, 'subscription') === id).map((f) => f.body.toString());

describe('routing a SEND', () => {
  it('goes to the handler under an application prefix, matched without the prefix, {vars} bound', async () => {
    const s = server({ applicationPrefixes: ['/app'] });
    const seen: unknown[] = [];
    s.onMessage('/rooms/{room}', (payload, ctx) => void seen.push([payload, ctx.params.room, ctx.destination]));
    const c = await connected(s);
    c.write('SEND\ndestination:/app/rooms/lobby\ncontent-type:application/json\nreceipt:r\n\n{"text":"hi"}\0');
    await c.next('RECEIPT');
    expect(seen).toEqual([[{ text: 'hi' }, 'lobby', '/app/rooms/lobby']]);
  });

  it('goes to the broker under a broker prefix, carrying its own headers but not those the broker owns', async () => {
    const s = server();
    const c = await connected(s);
    await subscribe(c, '0', '/topic/news');
    c.write('SEND\ndestination:/topic/news\nx-mine:1\nmessage-id:forged\nsubscription:forged\n\nhello\0');
    const m = await c.next('MESSAGE');
    expect(header(m, 'x-mine')).toBe('1');
    expect(header(m, 'message-id')).not.toBe('forged');
    expect(header(m, 'subscription')).toBe('0');
  });

  it.each([
    ['under no prefix and mapped by no handler', {}, 'SEND\ndestination:/elsewhere/x\n\n\0', 'STOMP_ERR_INVALID_DESTINATION'],
    ['under an application prefix that no handler maps', { applicationPrefixes: ['/app'] }, 'SEND\ndestination:/app/none\n\n\0', 'STOMP_ERR_NO_HANDLER'],
    ['to the broker with allowClientSendToBroker false', { allowClientSendToBroker: false }, 'SEND\ndestination:/topic/x\n\n\0', 'STOMP_ERR_FORBIDDEN'],
    ['without a destination', {}, 'SEND\n\nbody\0', 'STOMP_ERR_MISSING_HEADER'],
    ['to a per-session queue', {}, 'SEND\ndestination:/user/queue/errors\n\n\0', 'STOMP_ERR_FORBIDDEN'],
  ] as [string, StompServerConfig, string, string][])('is refused %s', async (_, config, frame, code) => {
    const c = await connected(server({ brokerPrefixes: ['/topic', '/user'], ...config }));
    expect(await refusal(c, frame)).toBe(code);
  });

  it('is refused by an authorization rule, and another session keeps working', async () => {
    const s = server({ authorization: { rules: [{ destination: '/topic/admin/**', access: 'none' }] } });
    const bystander = await connected(s);
    await subscribe(bystander, '0', '/topic/open');
    const c = await connected(s);
    expect(await refusal(c, 'SEND\ndestination:/topic/admin/reset\n\n\0')).toBe('STOMP_ERR_FORBIDDEN');
    bystander.write('SEND\ndestination:/topic/open\n\nfine\0');
    await bystander.next('MESSAGE');
    expect(messagesOf(bystander, '0')).toEqual(['fine']);
  });
});

describe('routing a SUBSCRIBE', () => {
  it('refuses a pattern that can reach a destination a rule refuses, and allows one that cannot', async () => {
    const s = server({ authorization: { rules: [{ destination: '/topic/private/**', access: 'authenticated' }] } });
    const anonymous = await connected(s);
    await subscribe(anonymous, 'ok', '/topic/public/**');
    expect(await refusal(anonymous, 'SUBSCRIBE\nid:all\ndestination:/topic/**\n\n\0')).toBe('STOMP_ERR_FORBIDDEN');
  });

  it('runs a subscribe handler and sends its return value to the subscriber only', async () => {
    const s = server({ applicationPrefixes: ['/app'] });
    s.onSubscribe('/snapshot', () => ({ items: 3 }));
    const c = await connected(s);
    const other = await connected(s);
    await subscribe(other, 'w', '/topic/snapshot');
    c.write('SUBSCRIBE\nid:snap\ndestination:/app/snapshot\n\n\0');
    const m = await c.next('MESSAGE');
    expect(header(m, 'subscription')).toBe('snap');
    expect(JSON.parse(m.body.toString())).toEqual({ items: 3 });
    expect(header(m, 'content-type')).toBe('application/json');
    expect(other.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });

  it('gives an anonymous session its own /user/queue/... subscription, which a broadcast there does not reach', async () => {
    const s = server({ brokerPrefixes: ['/topic', '/user'] });
    const c = await connected(s);
    await subscribe(c, 'mine', '/user/queue/errors');
    await s.template.convertAndSend('/user/queue/errors', 'broadcast');
    c.write('SEND\ndestination:/topic/sync\nreceipt:sync\n\n\0');
    await c.next((f) => header(f, 'receipt-id') === 'sync');
    expect(messagesOf(c, 'mine')).toEqual([]);
  });
});

describe('the dispatcher', () => {
  it('sends a return value to /topic + the mapped destination, and @SendTo-style sendTo elsewhere', async () => {
    const s = server({ applicationPrefixes: ['/app'] });
    s.onMessage('/echo', (text: string) => text.toUpperCase());
    s.onMessage('/shout', (text: string) => `${text}!`, { sendTo: ['/topic/loud'] });
    const c = await connected(s);
    await subscribe(c, 'echo', '/topic/echo');
    await subscribe(c, 'loud', '/topic/loud');
    c.write('SEND\ndestination:/app/echo\ncontent-type:text/plain\n\nhi\0SEND\ndestination:/app/shout\ncontent-type:text/plain\n\nhey\0');
    await subscribe(c, 'shout', '/topic/shout');
    c.write('SEND\ndestination:/app/shout\ncontent-type:text/plain\n\nagain\0');
    await c.next((f) => header(f, 'subscription') === 'loud' && f.body.toString() === 'again!');
    expect(messagesOf(c, 'echo')).toEqual(['HI']);
    expect(messagesOf(c, 'shout')).toEqual([]); // sendTo replaces the default /topic/shout
    expect(messagesOf(c, 'loud')).toEqual(['hey!', 'again!']);
  });

  it('replies to the sender only, with the correlation-id of the request', async () => {
    const s = server({ applicationPrefixes: ['/app'], brokerPrefixes: ['/topic', '/user'] });
    s.onMessage('/ask', (q: string, ctx) => ctx.reply(`answer to ${q}`));
    const asker = await connected(s);
    const other = await connected(s);
    await subscribe(asker, 'r', '/user/queue/reply');
    await subscribe(other, 'r', '/user/queue/reply');
    asker.write('SEND\ndestination:/app/ask\ncontent-type:text/plain\ncorrelation-id:c-1\n\nwhy\0');
    const m = await asker.next('MESSAGE');
    expect([m.body.toString(), header(m, 'correlation-id')]).toEqual(['answer to why', 'c-1']);
    other.write('SEND\ndestination:/topic/sync\nreceipt:sync\n\n\0');
    await other.next('RECEIPT');
    expect(messagesOf(other, 'r')).toEqual([]);
  });

  it('reports a failing handler on /user/queue/errors with its code, keeps the session and still sends the RECEIPT', async () => {
    const s = server({ applicationPrefixes: ['/app'], brokerPrefixes: ['/topic', '/user'] });
    s.onMessage('/fail', () => {
      throw new Error('no luck');
    });
    s.onMessage('/json', () => 'unreached');
    const c = await connected(s);
    await subscribe(c, 'errors', '/user/queue/errors');
    c.write('SEND\ndestination:/app/fail\nreceipt:r1\n\n\0');
    const failed = JSON.parse((await c.next('MESSAGE')).body.toString());
    expect(failed).toMatchObject({ code: 'STOMP_ERR_HANDLER_FAILED', message: 'no luck', destination: '/app/fail' });
    await c.next((f) => header(f, 'receipt-id') === 'r1');
    c.write('SEND\ndestination:/app/json\ncontent-type:application/json\nreceipt:r2\n\n{broken\0');
    const invalid = JSON.parse((await c.next('MESSAGE')).body.toString());
    expect(invalid).toMatchObject({ code: 'STOMP_ERR_INVALID_JSON', destination: '/app/json' });
    await c.next((f) => header(f, 'receipt-id') === 'r2');
    expect(c.closedWith).toBeUndefined();
  });

  it('holds the session’s next frames until an async handler settles, so their effects keep order', async () => {
    const s = server({ applicationPrefixes: ['/app'] });
    let release!: () => void;
    const order: string[] = [];
    s.onMessage('/slow', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      order.push('slow done');
    });
    s.onMessage('/fast', () => void order.push('fast'));
    const c = await connected(s);
    c.write('SEND\ndestination:/app/slow\n\n\0SEND\ndestination:/app/fast\nreceipt:f\n\n\0');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    release();
    await c.next('RECEIPT');
    expect(order).toEqual(['slow done', 'fast']);
  });
});
