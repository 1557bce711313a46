/** The reference app's SSE and HTTP publish settings (shared/SPEC.md §6.3). */
import { closeClients, stompClient } from '../helpers/clients';
import { closeServers, startReferenceApp } from '../helpers/server';
import { closeStreams, openSse } from '../helpers/sse';

afterEach(async () => {
  closeStreams();
  await closeClients();
  await closeServers();
});

describe('the reference app over SSE', () => {
  it('streams /topic/getResponse at /sse: the 20 messages a /subscribe starts', async () => {
    const app = await startReferenceApp({ interval: 5 });
    const stream = await openSse(app.http('/sse?destination=/topic/getResponse'));
    expect(stream.status).toBe(200);
    const client = await stompClient(app.http('/webServer'), 'websocket');
    client.client.publish({ destination: '/subscribe', body: JSON.stringify({ name: 'sse' }), headers: { 'content-type': 'application/json' } });
    const events = await stream.nextEvents(20);
    expect(events.every((e) => /^sse-\d+$/.test(e.data))).toBe(true);
  });

  it('has no /publish without a token', async () => {
    const app = await startReferenceApp();
    const res = await fetch(app.http('/publish?destination=/topic/getResponse'), { method: 'POST', body: 'x' });
    expect(res.status).toBe(404);
  });

  it('with a token, POST /publish reaches handlers too: /subscribe starts the broadcast', async () => {
    const app = await startReferenceApp({ interval: 5, count: 3, publishToken: 'reference-token' });
    const stream = await openSse(app.http('/sse?destination=/topic/getResponse'));
    const post = (destination: string, body: string, token = 'reference-token'): Promise<Response> =>
      fetch(app.http(`/publish?destination=${encodeURIComponent(destination)}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    expect((await post('/subscribe', '{"name":"backend"}', 'wrong-token')).status).toBe(401);
    expect((await post('/subscribe', '{"name":"backend"}')).status).toBe(202);
    const events = await stream.nextEvents(3);
    expect(events.every((e) => /^backend-\d+$/.test(e.data))).toBe(true);
    expect((await post('/topic/getResponse', '"direct"')).status).toBe(202);
    await stream.until('the direct message', () => stream.events.some((e) => e.data === '"direct"'));
  });
});
