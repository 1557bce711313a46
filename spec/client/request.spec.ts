import { closeServers, startServer } from '../helpers/server';
import { closeTestClients, nextEvent, testClient } from './support';

afterEach(async () => {
  await closeTestClients();
  await closeServers();
});

/** A server with request handlers; sessions log in so `/user/queue/...` is theirs. */
async function serverWithHandlers() {
  const running = await startServer({ sockjs: { disconnectDelay: 200 } });
  const { server } = running;
  server.onMessage<{ a: number; b: number }>('/add', (p, ctx) => ctx.reply(p.a + p.b));
  server.onMessage<{ ms: number; tag: string }>('/slow-echo', async (p, ctx) => {
    await new Promise((r) => setTimeout(r, p.ms));
    ctx.reply({ tag: p.tag }, { 'correlation-id': ctx.headers.get('correlation-id') ?? '' });
  });
  server.onMessage<{ ms: number; tag: string }>('/slow-reply', async (p, ctx) => {
    await new Promise((r) => setTimeout(r, p.ms));
    ctx.reply({ tag: p.tag }); // no correlation-id given: the server copies the request's
  });
  server.onMessage('/explode', () => {
    throw new Error('kaboom');
  });
  server.onMessage('/silent', () => undefined);
  server.onSubscribe('/config', () => ({ theme: 'dark', version: 3 }));
  return running;
}

describe('StompboxClient.request', () => {
  it('resolves with the reply a handler sends through ctx.reply()', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect();
    await expect(client.request<number>('/add', { a: 2, b: 3 })).resolves.toBe(5);
    await expect(client.request<number>('/add', { a: 10, b: -1 })).resolves.toBe(9);
  });

  it('matches concurrent replies to their requests by correlation-id', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect();
    // The first request is answered last: only correlation-id can pair them up.
    const replies = await Promise.all([
      client.request('/slow-echo', { ms: 150, tag: 'first' }),
      client.request('/slow-echo', { ms: 10, tag: 'second' }),
    ]);
    expect(replies).toEqual([{ tag: 'first' }, { tag: 'second' }]);
  });

  it('gets the request\'s correlation-id on a reply whose handler did not set one', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect();
    const reply = new Promise<{ body: unknown; correlation: string | undefined }>((resolve) => {
      const sub = client.subscribe('/user/queue/reply', (body, message) => resolve({ body, correlation: message.headers['correlation-id'] }));
      void sub.ready.then(() => client.publish('/slow-reply', { ms: 1, tag: 'x' }, { 'correlation-id': 'c-42' }));
    });
    await expect(reply).resolves.toEqual({ body: { tag: 'x' }, correlation: 'c-42' });
  });

  it('rejects with CLIENT_ERR_REQUEST_FAILED when the handler throws', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect();
    await expect(client.request('/explode', {})).rejects.toMatchObject({ code: 'CLIENT_ERR_REQUEST_FAILED', stompCode: 'STOMP_ERR_HANDLER_FAILED', detail: 'kaboom' });
    expect(client.state).toBe('connected');
  });

  it('rejects with CLIENT_ERR_TIMEOUT when no reply comes', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect();
    await expect(client.request('/silent', {}, { timeout: 200 })).rejects.toMatchObject({ code: 'CLIENT_ERR_TIMEOUT' });
  });

  it('rejects with the ERROR frame when no handler maps the destination', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' }, reconnect: false });
    await client.connect();
    await expect(client.request('/unmapped', {})).rejects.toMatchObject({ code: 'CLIENT_ERR_STOMP_ERROR', stompCode: 'STOMP_ERR_INVALID_DESTINATION' });
  });

  it('resolves with what an onSubscribe handler returns when asked to request by subscribing', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.http('/stomp'), transport: 'sockjs', sockjsTransports: ['xhr-polling'] });
    await client.connect();
    await expect(client.request('/config', undefined, { via: 'subscribe' })).resolves.toEqual({ theme: 'dark', version: 3 });
    // The one-shot subscription is gone: after a later frame's receipt, the session holds only the error queue's.
    await client.publish('/topic/sync', 'x', {}, { receipt: true });
    const [session] = server.server.sessions.values();
    expect([...session.subscriptions.values()].map((s) => s.destination)).toEqual(['/user/queue/errors']);
  });

  it('reports failures of fire-and-forget SENDs as error events from the first connection on', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), connectHeaders: { login: 'alice' } });
    await client.connect(); // the error queue's SUBSCRIBE goes out before the SEND below
    const error = nextEvent(client, 'error');
    await client.publish('/explode', {});
    expect(await error).toMatchObject({ code: 'CLIENT_ERR_REQUEST_FAILED', detail: 'kaboom' });
  });

  it('reports a failing handler to an anonymous session that never called request()', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp') });
    await client.connect();
    const error = nextEvent(client, 'error');
    await client.publish('/explode', {});
    expect(await error).toMatchObject({ code: 'CLIENT_ERR_REQUEST_FAILED', detail: 'kaboom' });
  });

  it('does not subscribe to an error queue when errorQueue is ""', async () => {
    const server = await serverWithHandlers();
    const client = testClient({ url: server.ws('/stomp'), errorQueue: '' });
    await client.connect();
    await client.publish('/topic/sync', 'x', {}, { receipt: true });
    const [session] = server.server.sessions.values();
    expect(session.subscriptions.size).toBe(0);
  });

  it('uses the reply queue of the literal /user broker prefix for anonymous sessions', async () => {
    const server = await startServer({ brokerPrefixes: ['/topic', '/user'], endpoints: ['/webServer'] });
    server.server.onMessage<string>('/shout', (p, ctx) => ctx.reply(p.toUpperCase()));
    const client = testClient({ url: server.ws('/webServer') });
    await client.connect();
    await expect(client.request('/shout', 'hello')).resolves.toBe('HELLO');
  });
});
