import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { StompError, StompServer, silentLogger, type StompServerConfig } from '../../../broker';
import { closeClients, stompClient } from '../../helpers/clients';
import { rawRequest } from '../../helpers/raw-http';
import { closeServers, startServer, type Running } from '../../helpers/server';

const TOKEN = 'publish-token-1234';

async function start(extra: StompServerConfig = {}): Promise<Running> {
  return startServer({ brokerPrefixes: ['/topic', '/user'], endpoints: ['/stomp'], httpPublish: { token: TOKEN }, ...extra });
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One POST (or any method) over node:http. */
function post(s: Running, path: string, body: string | Buffer = 'hello', headers: Record<string, string> = {}, method = 'POST', agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(s.http(path), { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain', ...headers }, agent: agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.once('error', reject);
    // Node's client frames no body for GET and DELETE (no Content-Length): send none there.
    req.end(method === 'GET' || method === 'DELETE' ? undefined : body);
  });
}

/** A client that writes its whole request before it reads a byte of the answer (as simple HTTP clients do). */
export function writeThenRead(port: number, head: string, body: Buffer): Promise<{ text: string; error: string | undefined }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    let error: string | undefined;
    let text = '';
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.write(`${head}\r\n\r\n`);
    socket.write(body, () => {
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.resume();
    });
    const timer = setTimeout(() => socket.destroy(), 8000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, error });
    });
  });
}

afterEach(async () => {
  await closeClients();
  await closeServers();
});

describe('HTTP publish', () => {
  it('answers 202 and delivers the body to a WebSocket subscriber with its content type', async () => {
    const s = await start();
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/news');
    const answer = await post(s, '/publish?destination=/topic/news', '{"title":"hi"}', { 'content-type': 'application/json; charset=utf-8' });
    expect(answer.status).toBe(202);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({});
    const [message] = await inbox.wait(1);
    expect(message.body).toBe('{"title":"hi"}');
    expect(message.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(message.headers.destination).toBe('/topic/news');
  });

  it('answers {"offset": n} when a retention rule keeps the destination, {} otherwise', async () => {
    const s = await start({ retention: [{ destinations: '/topic/kept/**', messages: 10 }] });
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/kept/a');
    const answers = [];
    for (const body of ['one', 'two', 'three']) answers.push(JSON.parse((await post(s, '/publish?destination=/topic/kept/a', body)).body));
    expect(answers).toEqual([{ offset: 0 }, { offset: 1 }, { offset: 2 }]);
    const messages = await inbox.wait(3);
    expect(messages.map((m) => m.headers['x-stream-offset'])).toEqual(['0', '1', '2']);
    expect(JSON.parse((await post(s, '/publish?destination=/topic/other')).body)).toEqual({});
  });

  it('gives a STOMP SEND to a retained destination the offset and epoch on its RECEIPT', async () => {
    const s = await start({ retention: [{ destinations: '/topic/**', messages: 10 }] });
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/r');
    client.client.publish({ destination: '/topic/r', body: 'x', headers: { receipt: 'send-1' } });
    const receipt = await client.receipt('send-1');
    const [message] = await inbox.wait(1);
    expect(receipt.headers['x-stream-offset']).toBe('0');
    expect(receipt.headers['x-stream-epoch']).toBe(message.headers['x-stream-epoch']);
  });

  it('keeps a binary body byte for byte', async () => {
    const s = await start();
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/bin');
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0]);
    expect((await post(s, '/publish?destination=/topic/bin', bytes, { 'content-type': 'application/octet-stream' })).status).toBe(202);
    const [message] = await inbox.wait(1);
    expect(Buffer.from(message.binaryBody)).toEqual(bytes);
    expect(message.headers['content-type']).toBe('application/octet-stream');
  });

  it('routes like a SEND: an application destination reaches its handler', async () => {
    const s = await start({ brokerPrefixes: ['/topic'], applicationPrefixes: ['/app'] });
    const got: unknown[] = [];
    s.server.onMessage('/orders', (payload) => void got.push(payload));
    expect((await post(s, '/publish?destination=/app/orders', '{"id":7}', { 'content-type': 'application/json' })).status).toBe(202);
    expect(got).toEqual([{ id: 7 }]);
  });

  it('answers 404 for an application destination no handler maps', async () => {
    const s = await start({ brokerPrefixes: ['/topic'], applicationPrefixes: ['/app'] });
    const answer = await post(s, '/publish?destination=/app/nothing');
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('STOMP_ERR_NO_HANDLER');
  });

  it('delivers 200 concurrent POSTs exactly once each', async () => {
    const s = await start();
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/many');
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(s, '/publish?destination=/topic/many', `m-${i}`, {}, 'POST', agent)));
    agent.destroy();
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const messages = await inbox.wait(200);
    const bodies = messages.map((m) => m.body).sort();
    expect(bodies).toEqual(Array.from({ length: 200 }, (_, i) => `m-${i}`).sort());
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
    expect(inbox.messages.length).toBe(200);
  });

  it('is a short session of transport http-publish', async () => {
    const s = await start();
    const transports: string[] = [];
    s.server.on('connect', (info) => transports.push(info.transport));
    await post(s, '/publish?destination=/topic/a');
    expect(transports).toEqual(['http-publish']);
    expect(s.server.stats().sessions.open).toBe(0);
  });
});

describe('HTTP publish refusals', () => {
  it('answers 401 with WWW-Authenticate without the token or with a wrong one', async () => {
    const s = await start();
    for (const authorization of ['', 'Bearer wrong-token-xx', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const answer = await post(s, '/publish?destination=/topic/a', 'x', { authorization });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toContain('Bearer');
    }
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    const s = await start();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await post(s, '/publish?destination=/topic/a', 'x', {}, method);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
  });

  it('answers 400 without a destination, and for one the grammar refuses', async () => {
    const s = await start();
    expect((await post(s, '/publish')).status).toBe(400);
    expect((await post(s, '/publish?destination=')).status).toBe(400);
    const wild = await post(s, `/publish?destination=${encodeURIComponent(`/topic${'/a'.repeat(200)}`)}`);
    expect(wild.status).toBe(400);
    expect(wild.body).toContain('STOMP_ERR_INVALID_DESTINATION');
  });

  it('answers 403 for a destination authorization refuses, naming it', async () => {
    const s = await start({ authorization: { rules: [{ destination: '/topic/admin/**', access: 'none' }] } });
    const answer = await post(s, '/publish?destination=/topic/admin/x');
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('/topic/admin/x');
    expect((await post(s, '/publish?destination=/topic/open')).status).toBe(202);
  });

  it('answers 403 for broker destinations when allowClientSendToBroker is false', async () => {
    const s = await start({ allowClientSendToBroker: false });
    const answer = await post(s, '/publish?destination=/topic/a');
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('allowClientSendToBroker');
  });

  it('answers 403 to a foreign Origin', async () => {
    const s = await start();
    expect((await post(s, '/publish?destination=/topic/a', 'x', { origin: 'https://evil.test' })).status).toBe(403);
  });

  it('answers 413 past maxFrameSize by Content-Length before the body arrives, readable by the client', async () => {
    const s = await start({ maxFrameSize: 1024 });
    const head = `POST /publish?destination=/topic/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: 4000000`;
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 0x61));
    const r = await rawRequest(s.port, { head, body: chunks });
    expect(r.status).toBe(413);
    expect(r.text).toContain('maxFrameSize');
    expect(r.error).toBeUndefined();
  });

  it('answers 413 so that a client that writes its whole body before reading still reads it', async () => {
    const s = await start({ maxFrameSize: 1024 });
    const body = Buffer.alloc(12 * 1024 * 1024, 0x61);
    const head = `POST /publish?destination=/topic/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}`;
    const r = await writeThenRead(s.port, head, body);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toContain('maxFrameSize');
    expect(r.error).toBeUndefined();
  });

  it('answers 413 to a chunked body once it passes maxFrameSize, and no more is kept', async () => {
    const s = await start({ maxFrameSize: 1024 });
    const client = await stompClient(s.http('/stomp'), 'websocket');
    const inbox = await client.subscribe('/topic/a');
    const head = `POST /publish?destination=/topic/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked`;
    const chunk = (n: number): Buffer => Buffer.from(`${n.toString(16)}\r\n${'b'.repeat(n)}\r\n`);
    const r = await rawRequest(s.port, { head, body: [chunk(600), chunk(600), chunk(600), Buffer.from('0\r\n\r\n')], chunkDelayMs: 20 });
    expect(r.status).toBe(413);
    expect(r.error).toBeUndefined();
    expect((await post(s, '/publish?destination=/topic/a', 'small')).status).toBe(202);
    expect((await inbox.wait(1)).map((m) => m.body)).toEqual(['small']);
  });

  it('accepts a body of exactly maxFrameSize', async () => {
    const s = await start({ maxFrameSize: 1024 });
    expect((await post(s, '/publish?destination=/topic/a', 'c'.repeat(1024))).status).toBe(202);
    expect((await post(s, '/publish?destination=/topic/a', 'c'.repeat(1025))).status).toBe(413);
  });
});

describe('HTTP publish with the authenticate hook', () => {
  const authenticate: StompServerConfig['authenticate'] = ({ request }) => {
    if (request.headers.authorization === 'Bearer service-a') return 'service-a';
    throw new StompError('STOMP_ERR_UNAUTHORIZED', 'unknown service');
  };

  it('lets authenticate decide from the request when no token is set, and authorizes the principal', async () => {
    const s = await startServer({
      brokerPrefixes: ['/topic'],
      httpPublish: {},
      authenticate,
      authorization: { rules: [{ destination: '/topic/a-only/**', access: (req) => req.user === 'service-a' }] },
    });
    const ok = await post(s, '/publish?destination=/topic/a-only/x', 'x', { authorization: 'Bearer service-a' });
    expect(ok.status).toBe(202);
    const refused = await post(s, '/publish?destination=/topic/a-only/x', 'x', { authorization: 'Bearer nobody' });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('STOMP_ERR_UNAUTHORIZED');
  });

  it('refuses to start without a token and without authenticate', () => {
    expect(() => new StompServer({ httpPublish: {}, logger: silentLogger })).toThrow(/httpPublish\.token/);
  });
});
