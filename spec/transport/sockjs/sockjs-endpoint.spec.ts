/**
 * The SockJS endpoint speaks sockjs-protocol 0.3 as sockjs-client 1.6 needs it, checked with
 * raw HTTP requests and raw `ws` sockets: greeting, info, CORS preflights, every transport's
 * framing, heart-beats, the stream limit, the disconnect delay, the 2010 and Go-away close frames.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { closeClients } from '../../helpers/clients';
import { closeServers, startServer, type Running } from '../../helpers/server';
import { closeSockJsClients, CONNECT, SockJsPolling, SockJsSocket, sessionId, waitUntil } from '../../helpers/sockjs';
import { request } from '../../security/http';

afterEach(async () => {
  closeSockJsClients();
  await closeClients();
  await closeServers();
});

/** An open streaming response: what arrived so far, its status and headers. */
interface Stream {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ended: boolean;
  close(): void;
}

/** Opens a streaming request and resolves once its headers arrived; the body keeps growing. */
function stream(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const s: Stream = { status: res.statusCode ?? 0, headers: res.headers, body: '', ended: false, close: () => req.destroy() };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (s.body += chunk));
      res.on('end', () => (s.ended = true));
      res.on('error', () => (s.ended = true));
      resolve(s);
    });
    req.on('error', reject);
    req.end();
  });
}

let running: Running;

describe('dependencies', () => {
  it('serves SockJS with our own code: no broker file loads sockjs-node, and the package does not depend on it', () => {
    const root = path.join(__dirname, '../../../broker');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const loading = files.filter((f) => /from 'sockjs['/]|require\('sockjs['/]/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(loading).toEqual([]);
    const pkg = JSON.parse(readFileSync(path.join(root, '../package.json'), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })).not.toContain('sockjs');
    expect(pkg.dependencies['sockjs-client']).toBeDefined();
  });
});

describe('endpoint resources', () => {
  beforeEach(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
  });

  it('greets at <prefix> and <prefix>/', async () => {
    for (const path of ['/stomp', '/stomp/']) {
      const reply = await request(running.port, 'GET', path);
      expect([reply.status, reply.headers['content-type'], reply.body]).toEqual([200, 'text/plain; charset=UTF-8', 'Welcome to SockJS!\n']);
    }
    expect((await request(running.port, 'POST', '/stomp')).status).toBe(405);
  });

  it('serves /info uncached, with websocket, cookie_needed, origins and fresh entropy', async () => {
    const first = await request(running.port, 'GET', '/stomp/info');
    const second = await request(running.port, 'GET', '/stomp/info');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(first.headers['cache-control']).toBe('no-store, no-cache, no-transform, must-revalidate, max-age=0');
    expect(first.headers['access-control-allow-origin']).toBe('*');
    const info = JSON.parse(first.body);
    expect(info).toEqual({ websocket: true, origins: [], cookie_needed: true, entropy: expect.any(Number) });
    expect(Number.isInteger(info.entropy)).toBe(true);
    expect(JSON.parse(second.body).entropy).not.toBe(info.entropy);
  });

  it('echoes an allowed Origin with credentials on /info and states the enforced origins', async () => {
    const origin = `http://127.0.0.1:${running.port}`;
    const reply = await request(running.port, 'GET', '/stomp/info', { origin });
    expect(reply.headers['access-control-allow-origin']).toBe(origin);
    expect(reply.headers['access-control-allow-credentials']).toBe('true');
    expect(reply.headers.vary).toBe('Origin');
    await closeServers();
    for (const [allowedOrigins, origins] of [
      [['*'], ['*:*']],
      [['https://app.test', 'https://*.example.com'], ['https://app.test', 'https://*.example.com']],
    ]) {
      const r = await startServer({ allowedOrigins });
      expect(JSON.parse((await request(r.port, 'GET', '/stomp/info')).body).origins).toEqual(origins);
    }
  });

  it.each([
    ['/stomp/info', 'OPTIONS, GET'],
    [`/stomp/000/${sessionId()}/xhr`, 'OPTIONS, POST'],
    [`/stomp/000/${sessionId()}/xhr_send`, 'OPTIONS, POST'],
    [`/stomp/000/${sessionId()}/xhr_streaming`, 'OPTIONS, POST'],
  ])('answers the CORS preflight of %s, cached for a year, opening nothing', async (path, methods) => {
    const origin = `http://127.0.0.1:${running.port}`;
    const reply = await request(running.port, 'OPTIONS', path, { origin, 'access-control-request-headers': 'content-type, x-custom' });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-methods']).toBe(methods);
    expect(reply.headers['access-control-allow-origin']).toBe(origin);
    expect(reply.headers['access-control-allow-headers']).toBe('content-type, x-custom');
    expect(reply.headers['access-control-max-age']).toBe('31536000');
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000');
    expect(running.server.stats().sessions.total).toBe(0);
  });

  it('does not echo a requested header list that is not one', async () => {
    const reply = await request(running.port, 'OPTIONS', '/stomp/info', { 'access-control-request-headers': 'a:b' });
    expect(reply.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('answers 400 to a GET of a websocket URL without an upgrade', async () => {
    for (const path of ['/stomp/websocket', `/stomp/000/${sessionId()}/websocket`]) {
      const reply = await request(running.port, 'GET', path);
      expect([reply.status, reply.body]).toEqual([400, 'Can "Upgrade" only to "WebSocket".']);
    }
    expect((await request(running.port, 'POST', `/stomp/000/${sessionId()}/websocket`)).status).toBe(405);
  });
});

describe('transport framing', () => {
  beforeEach(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
  });

  it('streams over xhr_streaming: 2 KiB prelude, then one frame per line', async () => {
    const base = `/stomp/000/${sessionId()}`;
    const s = await stream(running.port, 'POST', `${base}/xhr_streaming`);
    expect(s.headers['content-type']).toBe('application/javascript; charset=UTF-8');
    expect(s.headers['cache-control']).toContain('no-store');
    await waitUntil('the open frame', () => s.body.endsWith('o\n'));
    expect(s.body).toBe(`${'h'.repeat(2048)}\no\n`);
    const send = await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT]));
    expect([send.status, send.headers['content-type']]).toEqual([204, 'text/plain; charset=UTF-8']);
    await waitUntil('CONNECTED', () => s.body.includes('a["CONNECTED\\n'));
    expect(s.body.split('\n').at(-1)).toBe('');
    s.close();
  });

  it('streams over eventsource: one event per frame, % and line breaks escaped', async () => {
    const base = `/stomp/000/${sessionId()}`;
    const s = await stream(running.port, 'GET', `${base}/eventsource`);
    expect(s.headers['content-type']).toBe('text/event-stream');
    await waitUntil('the open event', () => s.body === '\r\ndata: o\r\n\r\n');
    await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT, 'SUBSCRIBE\nid:0\ndestination:/topic/e\nreceipt:r\n\n\0']));
    await waitUntil('the RECEIPT', () => s.body.includes('RECEIPT'));
    void running.server.template.convertAndSend('/topic/e', '100% sure\r\n');
    await waitUntil('the MESSAGE', () => s.body.includes('MESSAGE'));
    const event = s.body.split('\r\n\r\n').find((e) => e.includes('MESSAGE'))!;
    expect(event).toMatch(/^data: a\[/);
    expect(event).not.toMatch(/[\r\n]/);
    // sockjs-client hands event data through decodeURI.
    expect(JSON.parse(decodeURI(event.slice('data: '.length)).slice(1))[0]).toContain('100% sure\r\n');
    s.close();
  });

  it('streams over htmlfile: a page calling the callback, past 1 KiB, that a body cannot break out of', async () => {
    const base = `/stomp/000/${sessionId()}`;
    const s = await stream(running.port, 'GET', `${base}/htmlfile?c=_jp.abc123`);
    expect(s.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(s.headers['x-frame-options']).toBe('SAMEORIGIN');
    await waitUntil('the open frame', () => s.body.includes('p("o")'));
    const prelude = s.body.slice(0, s.body.indexOf('<script>\np("o")'));
    expect(prelude).toContain('var c = parent._jp.abc123;');
    expect(prelude.length).toBeGreaterThan(1024);
    await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT, 'SUBSCRIBE\nid:0\ndestination:/topic/h\nreceipt:r\n\n\0']));
    await waitUntil('the RECEIPT', () => s.body.includes('RECEIPT'));
    void running.server.template.convertAndSend('/topic/h', '</script><script>alert(1)</script>');
    await waitUntil('the MESSAGE', () => s.body.includes('MESSAGE'));
    const scripts = s.body.slice(prelude.length).split('</script>\r\n').filter((p) => p !== '');
    expect(scripts.every((p) => p.startsWith('<script>\np(') && !p.slice(8).includes('<'))).toBe(true);
    s.close();
  });

  it('polls over jsonp and takes jsonp_send as a form or as text', async () => {
    const base = `/stomp/000/${sessionId()}`;
    const opened = await request(running.port, 'GET', `${base}/jsonp?c=cb.x`);
    expect([opened.body, opened.headers['content-type'], opened.headers['x-content-type-options']]).toEqual([
      '/**/cb.x("o");\r\n',
      'application/javascript; charset=UTF-8',
      'nosniff',
    ]);
    const form = await request(running.port, 'POST', `${base}/jsonp_send`, { 'content-type': 'application/x-www-form-urlencoded' }, `d=${encodeURIComponent(JSON.stringify([CONNECT]))}`);
    expect([form.status, form.body]).toEqual([200, 'ok']);
    const reply = await request(running.port, 'GET', `${base}/jsonp?c=cb.x`);
    expect(reply.body).toMatch(/^\/\*\*\/cb\.x\("a\[\\"CONNECTED\\\\n/);
    const text = await request(running.port, 'POST', `${base}/jsonp_send`, { 'content-type': 'text/plain' }, JSON.stringify(['DISCONNECT\nreceipt:d\n\n\0']));
    expect(text.body).toBe('ok');
    expect((await request(running.port, 'GET', `${base}/jsonp?c=cb.x`)).body).toContain('RECEIPT');
  });

  it('refuses jsonp and htmlfile without a valid callback, as sockjs does', async () => {
    const base = `/stomp/000/${sessionId()}`;
    for (const t of ['jsonp', 'htmlfile']) {
      expect(await request(running.port, 'GET', `${base}/${t}`)).toMatchObject({ status: 500, body: '"callback" parameter required' });
      expect(await request(running.port, 'GET', `${base}/${t}?c=a(b)`)).toMatchObject({ status: 500, body: 'invalid "callback" parameter' });
      expect(await request(running.port, 'GET', `${base}/${t}?c=${'a'.repeat(33)}`)).toMatchObject({ status: 500 });
    }
    expect(running.server.stats().sessions.total).toBe(0);
  });

  it('names the transport that opened each session', async () => {
    const seen: string[] = [];
    running.server.on('connect', ({ transport }) => seen.push(transport));
    const open = async (t: string, query = ''): Promise<void> => {
      const base = `/stomp/000/${sessionId()}`;
      const s = await stream(running.port, t === 'xhr_streaming' || t === 'xhr' ? 'POST' : 'GET', `${base}/${t}${query}`);
      await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT]));
      await waitUntil(`a session over ${t}`, () => seen.length > 0);
      s.close();
    };
    const names: string[] = [];
    for (const [t, q] of [['xhr', ''], ['xhr_streaming', ''], ['eventsource', ''], ['htmlfile', '?c=cb'], ['jsonp', '?c=cb']]) {
      await open(t, q);
      names.push(seen.pop()!);
    }
    const ws = await SockJsSocket.connected(running.http('/stomp'));
    expect(ws.stomp[0].command).toBe('CONNECTED');
    await waitUntil('the websocket session', () => seen.length > 0);
    names.push(seen.pop()!);
    expect(names).toEqual(['xhr-polling', 'xhr-streaming', 'eventsource', 'htmlfile', 'jsonp-polling', 'sockjs-websocket']);
  });
});

describe('session lifecycle', () => {
  it('answers a second receiving request with c[2010,"Another connection still open"] and keeps the first', async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
    const base = `/stomp/000/${sessionId()}`;
    const first = await stream(running.port, 'POST', `${base}/xhr_streaming`);
    await waitUntil('the open frame', () => first.body.endsWith('o\n'));
    const second = await request(running.port, 'POST', `${base}/xhr`);
    expect(second.body).toBe('c[2010,"Another connection still open"]\n');
    await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT]));
    await waitUntil('CONNECTED on the first', () => first.body.includes('CONNECTED'));
    first.close();
  });

  it('answers c[3000,"Go away!"] once the close frame was delivered', async () => {
    running = await startServer({ sockjs: { disconnectDelay: 1000 } });
    const client = await new SockJsPolling(running.port, '/stomp').connect();
    await client.send('DISCONNECT\nreceipt:bye\n\n\0');
    await client.until('the close frame', () => client.close);
    expect(client.close).toEqual([1000, 'DISCONNECT']);
    expect((await client.poll()).body).toBe('c[3000,"Go away!"]\n');
    expect((await client.send(CONNECT)).status).toBe(404);
  });

  it('recycles a streaming response past sockjs.streamLimit; the session goes on in the next one', async () => {
    running = await startServer({ sockjs: { streamLimit: 4096, disconnectDelay: 1000 } });
    const base = `/stomp/000/${sessionId()}`;
    const first = await stream(running.port, 'POST', `${base}/xhr_streaming`);
    await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT, 'SUBSCRIBE\nid:0\ndestination:/topic/s\nreceipt:r\n\n\0']));
    await waitUntil('the RECEIPT', () => first.body.includes('RECEIPT'));
    for (let i = 0; i < 8; i++) void running.server.template.convertAndSend('/topic/s', `${i} ${'x'.repeat(1000)}`);
    await waitUntil('the end of the first response', () => first.ended);
    const second = await stream(running.port, 'POST', `${base}/xhr_streaming`);
    void running.server.template.convertAndSend('/topic/s', 'after');
    await waitUntil('the next message on the second response', () => second.body.includes('after'));
    expect(second.body.slice(2049)).not.toMatch(/^o\n/); // no second open frame: same session
    expect(running.server.sessions.size).toBe(1);
    second.close();
  });

  it('sends h after sockjs.heartbeatDelay of silence, on polling and on the websocket', async () => {
    running = await startServer({ sockjs: { heartbeatDelay: 150, disconnectDelay: 1000 } });
    const client = await new SockJsPolling(running.port, '/stomp').connect();
    const started = Date.now();
    expect((await client.poll()).body).toBe('h\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const ws = await SockJsSocket.open(running.http('/stomp'));
    await waitUntil('a heart-beat frame', () => ws.raw.includes('h'), 3000);
    expect(ws.raw[0]).toBe('o');
  });

  it('ends a session after sockjs.disconnectDelay without a receiver; its id then opens a new one', async () => {
    running = await startServer({ sockjs: { disconnectDelay: 200 } });
    const client = await new SockJsPolling(running.port, '/stomp').connect();
    const gone = new Promise((resolve) => running.server.once('disconnect', resolve));
    expect(await gone).toMatchObject({ reason: 'transport-closed' });
    expect(running.server.stats().sessions.open).toBe(0);
    expect((await client.poll()).body).toBe('o\n');
  });

  it('ends a session whose client aborts its receiving request at once', async () => {
    running = await startServer({ sockjs: { disconnectDelay: 60000 } });
    const base = `/stomp/000/${sessionId()}`;
    const s = await stream(running.port, 'POST', `${base}/xhr_streaming`);
    await request(running.port, 'POST', `${base}/xhr_send`, {}, JSON.stringify([CONNECT]));
    await waitUntil('CONNECTED', () => s.body.includes('CONNECTED'));
    const gone = new Promise((resolve) => running.server.once('disconnect', resolve));
    s.close();
    expect(await gone).toMatchObject({ reason: 'transport-closed' });
  });
});
