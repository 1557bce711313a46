/**
 * Authorization end to end: per-destination rules for SEND and SUBSCRIBE (first match
 * decides, STOMP_ERR_FORBIDDEN then close), and the opt-in rule that `/user/<id>/**` is read
 * only by principal `<id>`.
 */
import { StompServer, type StompServerConfig } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function expectForbidden(c: RawClient, frame: string, receipt: string): Promise<void> {
  c.send(frame);
  const error = await c.nextCommand('ERROR');
  expect([header(error, 'code'), header(error, 'receipt-id')]).toEqual(['STOMP_ERR_FORBIDDEN', receipt]);
  await c.closed;
}

async function subscribed(c: RawClient, id: string, destination: string): Promise<void> {
  c.send(`SUBSCRIBE\nid:${id}\ndestination:${destination}\nreceipt:${id}\n\n\0`);
  expect(header(await c.nextCommand('RECEIPT'), 'receipt-id')).toBe(id);
}

const rules: StompServerConfig['authorization'] = {
  rules: [
    { destination: '/topic/admin/**', commands: ['SEND'], access: ({ user }) => user === 'root' },
    { destination: '/topic/private/**', access: 'authenticated' },
    { destination: '/topic/rooms/{room}', commands: ['SUBSCRIBE'], access: async ({ params, user }) => params.room === 'lobby' || params.room === user },
    { destination: '/topic/closed', access: 'none' },
  ],
  otherwise: 'all',
};

describe('destination rules', () => {
  it('let a SEND through when its rule allows it', async () => {
    const r = await startServer({ authorization: rules });
    const root = await RawClient.connected(r.ws('/stomp'), { login: 'root' });
    await subscribed(root, 'a', '/topic/admin/log');
    root.send('SEND\ndestination:/topic/admin/log\n\nreboot\0');
    expect((await root.nextCommand('MESSAGE')).body.toString()).toBe('reboot');
  });

  it('refuse a SEND with ERROR STOMP_ERR_FORBIDDEN and close', async () => {
    const r = await startServer({ authorization: rules });
    const ann = await RawClient.connected(r.ws('/stomp'), { login: 'ann' });
    await subscribed(ann, 'a', '/topic/admin/log'); // the rule covers SEND only
    await expectForbidden(ann, 'SEND\ndestination:/topic/admin/log\nreceipt:s1\n\nreboot\0', 's1');
  });

  it('refuse anonymous sessions where the rule asks for authentication', async () => {
    const r = await startServer({ authorization: rules });
    const anon = await RawClient.connected(r.ws('/stomp'));
    await expectForbidden(anon, 'SUBSCRIBE\nid:p\ndestination:/topic/private/x\nreceipt:p\n\n\0', 'p');
    const ann = await RawClient.connected(r.ws('/stomp'), { login: 'ann' });
    await subscribed(ann, 'p', '/topic/private/x');
  });

  it('pass destination variables to async predicates', async () => {
    const r = await startServer({ authorization: rules });
    const ann = await RawClient.connected(r.ws('/stomp'), { login: 'ann' });
    await subscribed(ann, 'l', '/topic/rooms/lobby');
    await subscribed(ann, 'o', '/topic/rooms/ann');
    await expectForbidden(ann, 'SUBSCRIBE\nid:b\ndestination:/topic/rooms/bob\nreceipt:b\n\n\0', 'b');
  });

  it('fall back to "otherwise" when no rule matches', async () => {
    const r = await startServer({ authorization: { rules: [], otherwise: 'authenticated' } });
    const anon = await RawClient.connected(r.ws('/stomp'));
    await expectForbidden(anon, 'SEND\ndestination:/topic/x\nreceipt:x\n\nhi\0', 'x');
  });

  it('refuse malformed rules, naming the option', () => {
    expect(() => new StompServer({ authorization: { rules: [{ destination: '/a', access: 'maybe' as never }] } })).toThrow(/"authorization\.rules\[0\]\.access"/);
    expect(() => new StompServer({ authorization: { rules: [{ access: 'all' } as never] } })).toThrow(/"authorization\.rules\[0\]"/);
  });
});

describe('userDestinationsOwnOnly', () => {
  const literal = { brokerPrefixes: ['/topic', '/user'] };

  it('delivers /user/<id>/** to principal <id> and to nobody else', async () => {
    const r = await startServer({ ...literal, authorization: { userDestinationsOwnOnly: true } });
    const zhangsan = await RawClient.connected(r.ws('/stomp'), { login: 'zhangsan' });
    const lisi = await RawClient.connected(r.ws('/stomp'), { login: 'lisi' });
    await subscribed(zhangsan, 'z', '/user/zhangsan/message');
    await subscribed(lisi, 'l', '/user/zhangsan/message');
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'for zhangsan');
    await r.server.template.convertAndSendToUser('lisi', '/other', 'unrelated');
    expect((await zhangsan.nextCommand('MESSAGE')).body.toString()).toBe('for zhangsan');
    await subscribed(lisi, 'sync', '/topic/sync');
    expect(lisi.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
    const anon = await RawClient.connected(r.ws('/stomp'));
    await expectForbidden(anon, 'SUBSCRIBE\nid:a\ndestination:/user/zhangsan/message\nreceipt:a\n\n\0', 'a');
  });

  it('is off by default: an anonymous session reads /user/zhangsan/message, as in Spring', async () => {
    const r = await startServer(literal);
    const anon = await RawClient.connected(r.ws('/stomp'));
    await subscribed(anon, 'a', '/user/zhangsan/message');
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'leaked');
    expect((await anon.nextCommand('MESSAGE')).body.toString()).toBe('leaked');
  });
});
