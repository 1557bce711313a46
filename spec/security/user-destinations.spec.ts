/**
 * Literal user destinations (`/user/<name>/…`) and patterns: with `userDestinationsOwnOnly`,
 * no subscription reads another user's messages, whatever wildcards it uses, and a principal
 * named `*`, `**` or `{x}` has a literal destination of its own, not a pattern.
 */
import type { StompServerConfig } from '../../broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

let receipts = 0;
async function answer(c: RawClient, frame: string): Promise<{ command: string; code: string | undefined }> {
  const id = `r${++receipts}`;
  c.send(frame.replace('\n\n', `\nreceipt:${id}\n\n`));
  const f = await c.nextMatching((x) => (x.command === 'RECEIPT' && header(x, 'receipt-id') === id) || x.command === 'ERROR', `answer ${id}`);
  return { command: f.command, code: header(f, 'code') };
}

/** Subscribes as `user` (anonymous when undefined); resolves with the client and whether it was allowed. */
async function subscriber(r: Running, user: string | undefined, destination: string): Promise<{ c: RawClient; verdict: { command: string; code: string | undefined } }> {
  const c = await RawClient.connected(r.ws('/stomp'), user === undefined ? {} : { login: user });
  return { c, verdict: await answer(c, `SUBSCRIBE\nid:s\ndestination:${destination}\n\n\0`) };
}

/** Bodies of the MESSAGEs `c` received once a later RECEIPT came back (so everything sent before has arrived). */
async function bodies(c: RawClient): Promise<string[]> {
  expect((await answer(c, 'BEGIN\ntransaction:sync\n\n\0')).command).toBe('RECEIPT');
  return c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString());
}

const literal: StompServerConfig = { brokerPrefixes: ['/topic', '/user'], authorization: { userDestinationsOwnOnly: true } };

describe('userDestinationsOwnOnly with patterns', () => {
  it.each(['/user/*/message', '/user/**', '/user/{name}/message', '/user/*/**'])('refuses %s to an anonymous session', async (destination) => {
    const r = await startServer(literal);
    expect((await subscriber(r, undefined, destination)).verdict).toEqual({ command: 'ERROR', code: 'STOMP_ERR_FORBIDDEN' });
  });

  it.each(['/user/*/message', '/user/**', '/user/{name}/message', '/user/*/**'])('gives lisi nothing of zhangsan through %s', async (destination) => {
    const r = await startServer(literal);
    const lisi = await subscriber(r, 'lisi', destination);
    expect(lisi.verdict.command).toBe('RECEIPT');
    const zhangsan = await subscriber(r, 'zhangsan', '/user/zhangsan/message');
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'for zhangsan');
    expect(await bodies(zhangsan.c)).toEqual(['for zhangsan']);
    expect(await bodies(lisi.c)).toEqual([]);
  });

  it('lets a session use patterns under its own literal user destination', async () => {
    const r = await startServer(literal);
    const own = await subscriber(r, 'zhangsan', '/user/zhangsan/**');
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'mine');
    await r.server.template.convertAndSendToUser('lisi', '/message', 'not mine');
    expect(await bodies(own.c)).toEqual(['mine']);
  });

  it('refuses /** and /*/zhangsan/message to everyone when a broker prefix "/" reaches user destinations', async () => {
    const r = await startServer({ brokerPrefixes: ['/'], authorization: { userDestinationsOwnOnly: true } });
    for (const user of [undefined, 'lisi', 'zhangsan']) {
      for (const destination of ['/**', '/*/zhangsan/message', '/{p}/**']) {
        expect([user, destination, (await subscriber(r, user, destination)).verdict]).toEqual([user, destination, { command: 'ERROR', code: 'STOMP_ERR_FORBIDDEN' }]);
      }
    }
    expect((await subscriber(r, 'lisi', '/topic/**')).verdict.command).toBe('RECEIPT');
  });

  it('allows /** under a broker prefix "/" when the option is off, as Spring does', async () => {
    const r = await startServer({ brokerPrefixes: ['/'] });
    const any = await subscriber(r, undefined, '/**');
    expect(any.verdict.command).toBe('RECEIPT');
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'visible');
    expect(await bodies(any.c)).toEqual(['visible']);
  });
});

describe('principals whose names look like wildcards', () => {
  it.each(['*', '**', '{x}'])('give principal %s its own literal destination and no wildcard over others', async (name) => {
    const r = await startServer(literal);
    const encoded = encodeURIComponent(name).replace(/\*/g, '%2A');
    const own = await subscriber(r, name, `/user/${encoded}/message`);
    const textual = await subscriber(r, name, `/user/${name}/message`); // a pattern for * and {x}, a literal user "**" otherwise: never "own"
    expect([own.verdict.command, textual.verdict.command]).toEqual(['RECEIPT', 'RECEIPT']);
    await r.server.template.convertAndSendToUser('zhangsan', '/message', 'for zhangsan');
    await r.server.template.convertAndSendToUser(name, '/message', `for ${name}`);
    expect(await bodies(own.c)).toEqual([`for ${name}`]);
    expect(await bodies(textual.c)).not.toContain('for zhangsan');
  });

  it('writes the literal destination of such a principal percent-encoded', async () => {
    const r = await startServer({ brokerPrefixes: ['/topic', '/user'] });
    const watcher = await subscriber(r, undefined, '/user/%2A/message');
    await r.server.template.convertAndSendToUser('*', '/message', 'star');
    expect(await bodies(watcher.c)).toEqual(['star']);
    const [message] = watcher.c.frames.filter((f) => f.command === 'MESSAGE');
    expect(header(message, 'destination')).toBe('/user/%2A/message');
  });
});
