import { connect } from 'node:net';
import { silentLogger, StompError, StompServer, type StompServerConfig } from '../../../broker';
import { Bystander } from '../../helpers/bystander';
import { closeClients, stompClient } from '../../helpers/clients';
import { closeServers, startServer, type Running } from '../../helpers/server';
import { closeStreams, openSse, refusedSse } from '../../helpers/sse';

const base = (extra: StompServerConfig = {}): StompServerConfig => ({ brokerPrefixes: ['/topic', '/user'], endpoints: ['/stomp'], sse: true, ...extra });

async function start(extra: StompServerConfig = {}): Promise<Running> {
  return startServer(base(extra));
}

/** Publishes once the stream is subscribed (the head arrives after the SUBSCRIBE's receipt). */
const publish = (s: Running, destination: string, body: string, headers?: Record<string, string>): Promise<void> => s.server.template.convertAndSend(destination, body, headers);

afterEach(async () => {
  closeStreams();
  await closeClients();
  await closeServers();
});

describe('SSE stream', () => {
  it('answers text/event-stream and writes each message as one event: an id line, then data lines', async () => {
    const s = await start();
    const stream = await openSse(s.http('/sse?destination=/topic/a'));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
    await publish(s, '/topic/a', 'hello');
    await stream.nextEvents(1);
    // The bytes: retry first, then exactly one event with the default type.
    expect(stream.text).toMatch(/^retry: 3000\n\nid: [A-Za-z0-9_-]+-1\ndata: hello\n\n$/);
    expect(stream.events[0]).toMatchObject({ type: 'message', data: 'hello' });
  });

  it('on the wire: a chunked 200 whose chunks are whole events', async () => {
    const s = await start();
    const socket = connect(s.port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (raw += c));
    socket.write('GET /sse?destination=/topic/wire HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    const until = async (what: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !what.test(raw); i++) await new Promise((r) => setTimeout(r, 10));
      expect(raw).toMatch(what);
    };
    await until(/retry: 3000/);
    await publish(s, '/topic/wire', 'wire body');
    await until(/data: wire body/);
    socket.destroy();
    const end = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, end);
    const body = raw.slice(end + 4);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.toLowerCase()).toContain('content-type: text/event-stream; charset=utf-8');
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(head.toLowerCase()).toContain('x-accel-buffering: no');
    // Two chunks: the preamble, then the event, each with its length in hex.
    expect(body).toMatch(/^d\r\nretry: 3000\n\n\r\n[0-9a-f]+\r\nid: [A-Za-z0-9_-]+-1\ndata: wire body\n\n\r\n$/);
  });

  it('splits multi-line bodies into data lines so the client joins them again', async () => {
    const s = await start();
    const stream = await openSse(s.http('/sse?destination=/topic/lines'));
    const bodies = ['one\ntwo', 'crlf\r\nline', 'cr\rline', 'ends with a newline\n', '\nstarts with one', 'ünïcødé ✓ 😀'];
    for (const body of bodies) await publish(s, '/topic/lines', body);
    const events = await stream.nextEvents(bodies.length);
    expect(events.map((e) => e.data)).toEqual(['one\ntwo', 'crlf\nline', 'cr\nline', 'ends with a newline\n', '\nstarts with one', 'ünïcødé ✓ 😀']);
    expect(stream.text).toContain('data: one\ndata: two\n\n');
    expect(stream.text).toContain('data: crlf\ndata: line\n\n');
    expect(stream.text).not.toContain('\r');
  });

  it('gives every event its own id', async () => {
    const s = await start();
    const a = await openSse(s.http('/sse?destination=/topic/ids'));
    const b = await openSse(s.http('/sse?destination=/topic/ids'));
    for (let i = 0; i < 20; i++) await publish(s, '/topic/ids', `m${i}`);
    const ids = [...(await a.nextEvents(20)), ...(await b.nextEvents(20))].map((e) => e.lastEventId);
    expect(new Set(ids).size).toBe(40);
    expect(ids.every((id) => id !== '')).toBe(true);
  });

  it('streams every destination named (the parameter repeats), patterns included', async () => {
    const s = await start();
    const stream = await openSse(s.http(`/sse?destination=/topic/x&destination=${encodeURIComponent('/topic/rooms/*')}`));
    await publish(s, '/topic/x', 'from x');
    await publish(s, '/topic/rooms/lobby', 'from lobby');
    await publish(s, '/topic/other', 'not asked for');
    await publish(s, '/topic/x', 'last');
    expect((await stream.nextEvents(3)).map((e) => e.data)).toEqual(['from x', 'from lobby', 'last']);
  });

  it('with format=json writes {destination, headers, body}: user headers included, JSON bodies parsed', async () => {
    const s = await start();
    const stream = await openSse(s.http('/sse?destination=/topic/j&format=json'));
    await s.server.template.convertAndSend('/topic/j', { n: 1, list: ['a'] }, { 'x-trace': 't-1' });
    await s.server.template.convertAndSend('/topic/j', 'plain\ntext');
    const [json, text] = (await stream.nextEvents(2)).map((e) => JSON.parse(e.data));
    expect(json).toMatchObject({ destination: '/topic/j', body: { n: 1, list: ['a'] } });
    expect(json.headers).toMatchObject({ destination: '/topic/j', 'x-trace': 't-1', subscription: 'sse-0' });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof json.headers['message-id']).toBe('string');
    expect(text).toMatchObject({ destination: '/topic/j', body: 'plain\ntext' });
    // One line per event: the JSON's own line breaks are escaped.
    expect(stream.text.split('\n').filter((l) => l.startsWith('data: ')).length).toBe(2);
  });

  it('sends messages published from a STOMP client with their content type', async () => {
    const s = await start();
    const stream = await openSse(s.http('/sse?destination=/topic/ws&format=json'));
    const client = await stompClient(s.http('/stomp'), 'websocket');
    client.client.publish({ destination: '/topic/ws', body: '{"from":"ws"}', headers: { 'content-type': 'application/json', 'x-app': 'yes' } });
    const [event] = await stream.nextEvents(1);
    expect(JSON.parse(event.data)).toMatchObject({ body: { from: 'ws' }, headers: { 'x-app': 'yes', 'content-type': 'application/json' } });
  });

  it('writes heart-beat comments while no message comes', async () => {
    const s = await start({ sse: { heartbeat: 200 } });
    const stream = await openSse(s.http('/sse?destination=/topic/quiet'));
    await stream.until('two heart-beat comments', () => stream.comments.length >= 2);
    expect(stream.events).toEqual([]);
    expect(stream.text).toContain('\n:\n\n');
  });

  it('leaves a body that is not UTF-8 out (an event stream is text) and goes on', async () => {
    const s = await start();
    const stream = await openSse(s.http('/sse?destination=/topic/bin'));
    const client = await stompClient(s.http('/stomp'), 'websocket');
    client.client.publish({ destination: '/topic/bin', binaryBody: new Uint8Array([0xff, 0xfe, 0x00]) });
    client.client.publish({ destination: '/topic/bin', body: 'after' });
    const [event] = await stream.nextEvents(1);
    expect(event.data).toBe('after');
  });
});

describe('SSE requests it refuses', () => {
  it('answers 400 without a destination, and for an unknown format', async () => {
    const s = await start();
    const none = await refusedSse(s.http('/sse'));
    expect(none.status).toBe(400);
    expect(none.body).toContain('destination');
    expect((await refusedSse(s.http('/sse?destination='))).status).toBe(400);
    const format = await refusedSse(s.http('/sse?destination=/topic/a&format=xml'));
    expect(format.status).toBe(400);
    expect(format.body).toContain('format');
  });

  it('answers 400 naming a destination the grammar refuses', async () => {
    const s = await start();
    const r = await refusedSse(s.http(`/sse?destination=${encodeURIComponent(`/topic${'/a'.repeat(200)}`)}`));
    expect(r.status).toBe(400);
    expect(r.body).toContain('STOMP_ERR_INVALID_DESTINATION');
  });

  it('answers 400 to a destination with a line break or another control character', async () => {
    const s = await start();
    for (const d of ['/topic/a\nid: forged', '/topic/a\r', '/topic/\u0000']) {
      const r = await refusedSse(s.http(`/sse?destination=${encodeURIComponent(d)}`));
      expect(r.status).toBe(400);
      expect(r.body).toContain('STOMP_ERR_INVALID_DESTINATION');
    }
  });

  it('answers 405 with Allow: GET to other methods', async () => {
    const s = await start();
    const res = await fetch(s.http('/sse?destination=/topic/a'), { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('answers 403 to a foreign Origin, as SockJS does, and streams for its own origin and allowed ones', async () => {
    const s = await start({ allowedOrigins: ['https://*.example.com'] });
    const foreign = await refusedSse(s.http('/sse?destination=/topic/a'), { origin: 'https://evil.test' });
    expect(foreign.status).toBe(403);
    const sockjs = await fetch(s.http('/stomp/info'), { headers: { origin: 'https://evil.test' } });
    expect(sockjs.status).toBe(403);
    const own = await openSse(s.http('/sse?destination=/topic/a'), { origin: `http://127.0.0.1:${s.port}` });
    expect(own.status).toBe(200);
    const allowed = await openSse(s.http('/sse?destination=/topic/a'), { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
  });

  it('answers 403 with a body naming a destination that may not be read, and one a pattern could reach', async () => {
    const s = await start({ authorization: { rules: [{ destination: '/topic/secret/**', access: 'none' }] } });
    const exact = await refusedSse(s.http('/sse?destination=/topic/open&destination=/topic/secret/plans'));
    expect(exact.status).toBe(403);
    expect(exact.body).toContain('STOMP_ERR_FORBIDDEN');
    expect(exact.body).toContain('/topic/secret/plans');
    const pattern = await refusedSse(s.http(`/sse?destination=${encodeURIComponent('/topic/**')}`));
    expect(pattern.status).toBe(403);
    expect(pattern.body).toContain('/topic/**');
    expect(s.server.stats().sessions.open).toBe(0);
  });

  it('answers 400 past maxSubscriptionsPerSession, one SUBSCRIBE per destination', async () => {
    const s = await start({ maxSubscriptionsPerSession: 2 });
    const r = await refusedSse(s.http('/sse?destination=/topic/a&destination=/topic/b&destination=/topic/c'));
    expect(r.status).toBe(400);
    expect(r.body).toContain('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS');
    expect((await openSse(s.http('/sse?destination=/topic/a&destination=/topic/b'))).status).toBe(200);
  });

  it('answers 503 past maxConnections', async () => {
    const s = await start({ maxConnections: 1 });
    const first = await openSse(s.http('/sse?destination=/topic/a'));
    expect(first.status).toBe(200);
    const second = await refusedSse(s.http('/sse?destination=/topic/a'));
    expect(second.status).toBe(503);
    expect(second.body).toContain('STOMP_ERR_TOO_MANY_CONNECTIONS');
  });
});

describe('SSE authentication', () => {
  const authenticate: StompServerConfig['authenticate'] = ({ request }) => {
    const token = request.query.token ?? request.cookies.token ?? /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === 'alice-token') return 'alice';
    if (token === 'bob-token') return 'bob';
    throw new StompError('STOMP_ERR_UNAUTHORIZED', 'unknown token');
  };

  it('runs authenticate on the HTTP request: a query token, a cookie or Authorization', async () => {
    const s = await start({ authenticate });
    expect((await openSse(s.http('/sse?destination=/topic/a&token=alice-token'))).status).toBe(200);
    expect((await openSse(s.http('/sse?destination=/topic/a'), { cookie: 'token=alice-token' })).status).toBe(200);
    expect((await openSse(s.http('/sse?destination=/topic/a'), { authorization: 'Bearer bob-token' })).status).toBe(200);
    const refused = await refusedSse(s.http('/sse?destination=/topic/a&token=wrong'));
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('STOMP_ERR_UNAUTHORIZED');
  });

  it('answers 504 when authenticate does not answer within connectTimeout', async () => {
    const s = await start({ connectTimeout: 200, authenticate: () => new Promise(() => undefined) });
    const r = await refusedSse(s.http('/sse?destination=/topic/a'));
    expect(r.status).toBe(504);
    expect(r.body).toContain('STOMP_ERR_CONNECT_TIMEOUT');
  });

  it('delivers user destinations to the authenticated user only', async () => {
    const s = await start({ authenticate });
    const alice = await openSse(s.http('/sse?destination=/user/queue/inbox&token=alice-token'));
    const bob = await openSse(s.http('/sse?destination=/user/queue/inbox&token=bob-token'));
    await s.server.template.convertAndSendToUser('alice', '/queue/inbox', 'for alice');
    await s.server.template.convertAndSendToUser('bob', '/queue/inbox', 'for bob');
    expect((await alice.nextEvents(1))[0].data).toBe('for alice');
    expect((await bob.nextEvents(1))[0].data).toBe('for bob');
    await s.server.template.convertAndSendToUser('alice', '/queue/inbox', 'again');
    await alice.nextEvents(2);
    expect(bob.events.map((e) => e.data)).toEqual(['for bob']);
  });

  it('without authenticate, takes ?login= as the principal (as the CONNECT login header)', async () => {
    const s = await start();
    const carol = await openSse(s.http('/sse?destination=/user/queue/news&login=carol'));
    const anonymous = await openSse(s.http('/sse?destination=/user/queue/news'));
    await s.server.template.convertAndSendToUser('carol', '/queue/news', 'for carol');
    expect((await carol.nextEvents(1))[0].data).toBe('for carol');
    await s.server.template.convertAndSendToUser('carol', '/queue/news', 'again');
    await carol.nextEvents(2);
    expect(anonymous.events).toEqual([]);
  });

  it('is a session of transport sse for events and stats', async () => {
    const s = await start({ authenticate });
    const connects: { transport: string; user: string | undefined }[] = [];
    s.server.on('connect', (info) => connects.push({ transport: info.transport, user: info.user }));
    const stream = await openSse(s.http('/sse?destination=/topic/a&token=alice-token'));
    expect(connects).toEqual([{ transport: 'sse', user: 'alice' }]);
    expect(s.server.stats().sessions.open).toBe(1);
    stream.close();
    await new Promise<void>((resolve) => s.server.once('disconnect', () => resolve()));
    expect(s.server.stats().sessions.open).toBe(0);
  });
});

describe('SSE resume', () => {
  it('says in a comment that Last-Event-ID cannot be resumed without retention, and continues live', async () => {
    const s = await start();
    const first = await openSse(s.http('/sse?destination=/topic/r'));
    await publish(s, '/topic/r', 'before');
    const [seen] = await first.nextEvents(1);
    first.close();
    const again = await openSse(s.http('/sse?destination=/topic/r'), { 'last-event-id': seen.lastEventId });
    await again.until('the resume comment', () => again.comments.length > 0);
    expect(again.comments[0]).toContain('Last-Event-ID');
    await publish(s, '/topic/r', 'after');
    expect((await again.nextEvents(1))[0].data).toBe('after');
    const byQuery = await openSse(s.http(`/sse?destination=/topic/r&lastEventId=${encodeURIComponent(seen.lastEventId)}`));
    await byQuery.until('the resume comment', () => byQuery.comments.some((c) => c.includes('Last-Event-ID')));
  });
});

describe('SSE slow consumers and shutdown', () => {
  it('cuts off a client that stops reading, within sendBufferLimit, while a bystander is served', async () => {
    // 1 MiB: the steady stream, read in this process between publishes, stays well below it.
    const s = await start({ sendBufferLimit: 1024 * 1024, sendTimeLimit: 2000, logger: silentLogger });
    const bystander = await Bystander.start(s.http('/stomp'));
    const reader = await openSse(s.http('/sse?destination=/topic/flood'));
    const steady = await openSse(s.http('/sse?destination=/topic/flood'));
    // A raw client that reads the head, then nothing: its socket fills, then the server's buffer.
    const stuck = connect(s.port, '127.0.0.1');
    stuck.write(`GET /sse?destination=/topic/flood HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await new Promise<void>((resolve) => stuck.once('data', () => resolve()));
    stuck.pause();
    reader.close(); // and one that simply goes away
    const closedOne = new Promise<string>((resolve) => s.server.on('disconnect', (info) => info.reason === 'slow-consumer' && resolve(info.reason)));
    // 16 KiB events, up to 64 MiB: more than loopback's kernel buffers can absorb (they grow to
    // several MiB on an idle machine), so the server's own buffer must fill.
    const body = 'x'.repeat(16 * 1024);
    let maxHeld = 0;
    let slowClosed = false;
    void closedOne.then(() => (slowClosed = true));
    for (let i = 0; i < 4096 && !slowClosed; i++) {
      await publish(s, '/topic/flood', body);
      for (const session of s.server.sessions.values()) maxHeld = Math.max(maxHeld, session.connection.bufferedAmount);
      if (i % 4 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await closedOne).toBe('slow-consumer');
    // What the broker held for any stream stayed within the limit (plus the event that passed it).
    expect(maxHeld).toBeLessThanOrEqual(1024 * 1024 + 2 * (16 * 1024 + 100));
    await bystander.more(5);
    expect(bystander.alive).toBe(true);
    await publish(s, '/topic/flood', 'still here');
    await steady.until('the steady stream to get the last message', () => steady.events.some((e) => e.data === 'still here'));
    stuck.destroy();
    await bystander.stop();
  });

  it('under drop-oldest keeps a stream that stops reading within the limit, dropping its oldest events', async () => {
    const s = await start({ sendBufferLimit: 64 * 1024, sendTimeLimit: 60_000, slowConsumerPolicy: 'drop-oldest', logger: silentLogger });
    const stuck = connect(s.port, '127.0.0.1');
    stuck.write(`GET /sse?destination=/topic/flood HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await new Promise<void>((resolve) => stuck.once('data', () => resolve()));
    stuck.pause();
    const steady = await openSse(s.http('/sse?destination=/topic/flood'));
    const body = 'y'.repeat(1024);
    let maxHeld = 0;
    for (let i = 0; i < 3000; i++) {
      await publish(s, '/topic/flood', body);
      for (const session of s.server.sessions.values()) maxHeld = Math.max(maxHeld, session.connection.bufferedAmount + (session.flow.outbox?.bytes ?? 0));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(s.server.stats().messages.dropped).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(64 * 1024 + 2 * 1100);
    expect(s.server.stats().sessions.open).toBe(2);
    await publish(s, '/topic/flood', 'last');
    await steady.until('the steady stream to get the last message', () => steady.events.some((e) => e.data === 'last'), 10_000);
    stuck.destroy();
  });

  it('ends every stream at shutdown with a stomp-error event', async () => {
    const server = new StompServer({ ...base(), logger: silentLogger });
    const { port } = await server.listen(0, '127.0.0.1');
    const stream = await openSse(`http://127.0.0.1:${port}/sse?destination=/topic/a`);
    await server.close();
    await stream.closed();
    expect(stream.events.at(-1)).toMatchObject({ type: 'stomp-error' });
    expect(JSON.parse(stream.events.at(-1)!.data)).toMatchObject({ code: 'STOMP_ERR_SERVER_SHUTDOWN' });
  });
});
