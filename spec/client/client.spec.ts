import type { Session } from '../../broker/session/session';
import WebSocket from 'ws';
import { StompboxClient, isClientError, type TransportMode } from '../../client';
import { closeServers, startServer, type Running } from '../helpers/server';
import { closeTestClients, Inbox, nextEvent, testClient } from './support';

/** SockJS sessions linger for disconnectDelay after a client leaves; server close waits for them. */
const FAST_SOCKJS = { sockjs: { disconnectDelay: 200 } };

afterEach(async () => {
  await closeTestClients();
  await closeServers();
});

interface TransportCase {
  name: string;
  transport: TransportMode;
  url: (s: Running) => string;
  sockjsTransports?: string[];
  expect: { transport: 'websocket' | 'sockjs'; protocol: string };
}

const CASES: TransportCase[] = [
  { name: 'websocket at ws://host/<endpoint>', transport: 'websocket', url: (s) => s.ws('/stomp'), expect: { transport: 'websocket', protocol: 'websocket' } },
  { name: 'websocket at ws://host/<endpoint>/websocket', transport: 'websocket', url: (s) => s.ws('/stomp/websocket'), expect: { transport: 'websocket', protocol: 'websocket' } },
  { name: 'sockjs over its websocket transport', transport: 'sockjs', url: (s) => s.http('/stomp'), sockjsTransports: ['websocket'], expect: { transport: 'sockjs', protocol: 'websocket' } },
  { name: 'sockjs over xhr-streaming', transport: 'sockjs', url: (s) => s.http('/stomp'), sockjsTransports: ['xhr-streaming'], expect: { transport: 'sockjs', protocol: 'xhr-streaming' } },
  { name: 'sockjs over xhr-polling', transport: 'sockjs', url: (s) => s.http('/stomp'), sockjsTransports: ['xhr-polling'], expect: { transport: 'sockjs', protocol: 'xhr-polling' } },
  { name: 'auto (plain WebSocket first)', transport: 'auto', url: (s) => s.http('/stomp'), expect: { transport: 'websocket', protocol: 'websocket' } },
];

describe.each(CASES)('StompboxClient over $name', (c) => {
  it('connects, subscribes and receives what another client publishes', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: c.url(server), transport: c.transport, sockjsTransports: c.sockjsTransports });
    const state = nextEvent(client, 'state', (s) => s.state === 'connected');
    await client.connect();
    expect(await state).toMatchObject({ state: 'connected', previous: 'connecting', ...c.expect });
    expect(client.transport).toEqual({ kind: c.expect.transport, protocol: c.expect.protocol });

    const inbox = new Inbox<{ n: number }>();
    const off = client.subscribe<{ n: number }>('/topic/numbers', inbox.push);
    await off.ready;
    const sender = testClient({ url: server.ws('/stomp'), transport: 'websocket' });
    await sender.connect();
    await sender.publish('/topic/numbers', { n: 1 });
    await sender.publish('/topic/numbers', { n: 2 }, {}, { receipt: true });
    expect(await inbox.wait(2)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('publishes text and JSON that arrive decoded by content type', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: c.url(server), transport: c.transport, sockjsTransports: c.sockjsTransports });
    await client.connect();
    const inbox = new Inbox<{ body: unknown; type: string | undefined }>();
    await client.subscribe('/topic/mixed', (body, m) => inbox.push({ body, type: m.contentType })).ready;
    await client.publish('/topic/mixed', 'héllo');
    await client.publish('/topic/mixed', { greeting: 'hi', list: [1, 2] });
    await client.publish('/topic/mixed', '{"raw":true}', { 'content-type': 'application/json' });
    expect(await inbox.wait(3)).toEqual([
      { body: 'héllo', type: 'text/plain;charset=UTF-8' },
      { body: { greeting: 'hi', list: [1, 2] }, type: 'application/json' },
      { body: { raw: true }, type: 'application/json' },
    ]);
  });
});

describe('StompboxClient', () => {
  it('sends and receives binary bodies over WebSocket', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.ws('/stomp'), transport: 'websocket' });
    await client.connect();
    const inbox = new Inbox<unknown>();
    await client.subscribe('/topic/bytes', inbox.push).ready;
    const bytes = new Uint8Array([0, 1, 2, 0, 255, 10]);
    await client.publish('/topic/bytes', bytes, {}, { receipt: true });
    const [got] = await inbox.wait(1);
    expect(got).toBeInstanceOf(Uint8Array);
    expect([...(got as Uint8Array)]).toEqual([...bytes]);
  });

  it('refuses binary bodies over SockJS, which carries text only', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.http('/stomp'), transport: 'sockjs', sockjsTransports: ['xhr-streaming'] });
    await client.connect();
    await expect(client.publish('/topic/bytes', new Uint8Array([1]))).rejects.toMatchObject({ code: 'CLIENT_ERR_UNSUPPORTED_BODY' });
  });

  it('falls back to SockJS in auto mode when plain WebSocket fails', async () => {
    const server = await startServer(FAST_SOCKJS);
    // A real `ws` socket aimed at a path that has no WebSocket endpoint: the upgrade gets a 404.
    class WrongPath extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url.replace('/stomp', '/nowhere'), protocols);
      }
    }
    const client = testClient({ url: server.http('/stomp'), transport: 'auto', sockjsTransports: ['xhr-streaming'], WebSocket: WrongPath });
    await client.connect();
    expect(client.transport).toEqual({ kind: 'sockjs', protocol: 'xhr-streaming' });
  });

  it('resolves a publish once its receipt arrives and rejects it with the ERROR frame the server sent', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.ws('/stomp'), reconnect: false });
    await client.connect();
    await expect(client.publish('/topic/ok', 'fine', {}, { receipt: true })).resolves.toBeUndefined();
    const error = nextEvent(client, 'error');
    const refused = client.publish('/nowhere', 'x', {}, { receipt: true });
    await expect(refused).rejects.toMatchObject({ code: 'CLIENT_ERR_STOMP_ERROR', stompCode: 'STOMP_ERR_INVALID_DESTINATION' });
    expect((await error).message).toContain('/nowhere');
    await nextEvent(client, 'state', (s) => s.state === 'idle');
  });

  it('rejects connect() with CLIENT_ERR_UNREACHABLE when nothing listens', async () => {
    const server = await startServer(FAST_SOCKJS);
    const url = server.ws('/stomp');
    await closeServers();
    const client = testClient({ url, transport: 'auto' });
    const err = await client.connect().catch((e: unknown) => e);
    expect(isClientError(err, 'CLIENT_ERR_UNREACHABLE')).toBe(true);
    expect(client.state).toBe('idle');
  });

  it('rejects connect() with the ERROR frame when the server refuses CONNECT', async () => {
    // The server's `authenticate` option: false refuses the CONNECT.
    const server = await startServer({ authenticate: ({ connectHeaders }) => (connectHeaders.get('passcode') === 'secret' ? connectHeaders.get('login') : false) });
    const port = server.port;
    const refused = testClient({ url: `ws://127.0.0.1:${port}/stomp`, connectHeaders: { login: 'alice', passcode: 'guess' } });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'CLIENT_ERR_STOMP_ERROR', stompCode: 'STOMP_ERR_UNAUTHORIZED' });
    expect(refused.state).toBe('idle');
    const admitted = testClient({ url: `ws://127.0.0.1:${port}/stomp`, connectHeaders: { login: 'alice', passcode: 'secret' } });
    await expect(admitted.connect()).resolves.toBeUndefined();
  });

  it('throws CLIENT_ERR_BAD_URL for a URL that does not parse or has another scheme', () => {
    expect(() => new StompboxClient({ url: 'not a url' })).toThrow(expect.objectContaining({ code: 'CLIENT_ERR_BAD_URL' }));
    expect(() => new StompboxClient({ url: 'ftp://127.0.0.1/stomp' })).toThrow(expect.objectContaining({ code: 'CLIENT_ERR_BAD_URL' }));
  });

  it('stops delivering after unsubscribe', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.ws('/stomp') });
    await client.connect();
    const inbox = new Inbox<string>();
    const off = client.subscribe<string>('/topic/x', inbox.push);
    const control = new Inbox<string>();
    await client.subscribe<string>('/topic/y', control.push).ready;
    await off.ready;
    await client.publish('/topic/x', 'one', {}, { receipt: true });
    await inbox.wait(1);
    off();
    await client.publish('/topic/x', 'two', {}, { receipt: true });
    await client.publish('/topic/y', 'done', {}, { receipt: true });
    await control.wait(1);
    expect(inbox.items).toEqual(['one']);
  });

  it('rejects publish and subscriptions once closed', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.ws('/stomp') });
    await client.connect();
    await client.close();
    expect(client.state).toBe('closed');
    await expect(client.publish('/topic/x', 'late')).rejects.toMatchObject({ code: 'CLIENT_ERR_CLOSED' });
    await expect(client.subscribe('/topic/x', () => undefined).ready).rejects.toMatchObject({ code: 'CLIENT_ERR_CLOSED' });
  });
});

describe('StompboxClient heart-beats', () => {
  it('asks for heart-beats both ways by default (10 s), which the server grants', async () => {
    const server = await startServer(FAST_SOCKJS);
    const client = testClient({ url: server.ws('/stomp') });
    await client.connect();
    const [session] = [...server.server.sessions.values()] as Session[];
    expect([session.sendInterval, session.receiveInterval]).toEqual([10000, 10000]);
  });
});
