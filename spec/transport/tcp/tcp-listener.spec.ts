/**
 * STOMP over TCP and TLS end to end: real `node:net`/`node:tls` sockets against a real server
 * (port 0), for what the protocol specs (spec/e2e/protocol*.spec.ts, which run over TCP too)
 * do not cover: the listener's life, wrong ports, TLS, admission, backpressure, limits.
 */
import { createServer as createHttpServer, get as httpGet, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { StompServer, type Logger, type StompServerConfig } from '../../../broker';
import type { Session } from '../../../broker/session/session';
import { closeClients, header, RawClient } from '../../helpers/clients';
import { closeServers, startServer, type Running } from '../../helpers/server';
import { selfSignedCertificate, type SelfSigned } from '../../helpers/tls';
import { tcpUrl } from '../../helpers/transports';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

const TCP = { port: 0, host: '127.0.0.1' };

function startTcp(config: StompServerConfig = {}): Promise<Running> {
  return startServer({ tcp: TCP, ...config });
}

/** A logger that keeps what it is given. */
function recordingLogger(): Logger & { lines: { level: string; msg: string; obj: unknown }[] } {
  const lines: { level: string; msg: string; obj: unknown }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, msg: msg ?? String(obj), obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger & { lines: typeof lines };
}

/** Writes `data` on a fresh socket and collects everything until the server closes it. */
function exchange(port: number, data: string, ms = 5000): Promise<{ text: string; elapsed: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${ms} ms; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, ms);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString(), elapsed: Date.now() - started });
    });
  });
}

describe('the TCP listener', () => {
  it('starts with listen() and reports its address', async () => {
    const running = await startTcp();
    const address = running.server.tcpAddress!;
    expect(address.port).toBeGreaterThan(0);
    expect(address.port).not.toBe(running.port);
    expect(await running.server.tcpReady()).toEqual(address);
  });

  it('starts with attach() too, beside an application HTTP server', async () => {
    const http = createHttpServer((_req, res) => res.end('app'));
    const server = new StompServer({ tcp: TCP, logger: recordingLogger() });
    server.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = await server.tcpReady();
    try {
      const c = await RawClient.connected(`tcp://127.0.0.1:${address!.port}`);
      expect(header(c.frames[0], 'version')).toBe('1.2');
      await c.close();
    } finally {
      await server.close();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('has no address and no listener without the tcp option', async () => {
    const running = await startServer();
    expect(running.server.tcpAddress).toBeUndefined();
    expect(await running.server.tcpReady()).toBeUndefined();
  });

  it('logs one error naming a port in use, and the HTTP side still serves', async () => {
    const squatter = createNetServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    const logger = recordingLogger();
    try {
      const running = await startServer({ tcp: { port: taken, host: '127.0.0.1' }, logger });
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0].msg).toContain(`port ${taken} is already in use`);
      expect(running.server.tcpAddress).toBeUndefined();
      const health = await fetch(running.http('/health'));
      expect(health.status).toBe(200);
      const c = await RawClient.connected(running.ws('/stomp'));
      expect(c.frames[0].command).toBe('CONNECTED');
    } finally {
      squatter.close();
    }
  });

  it('counts TCP sessions under transport tcp, and the remote address reaches authenticate', async () => {
    const seen: { url: string; remoteAddress: string | undefined; login: string | undefined }[] = [];
    const running = await startTcp({
      authenticate: ({ request, connectHeaders }) => {
        seen.push({ url: request.url, remoteAddress: request.remoteAddress, login: connectHeaders.get('login') });
        return connectHeaders.get('passcode') === 'right' ? { name: connectHeaders.get('login')! } : false;
      },
    });
    const c = await RawClient.connected(tcpUrl(running), { login: 'alice', passcode: 'right' });
    expect(header(c.frames[0], 'user-name')).toBe('alice');
    expect(seen).toEqual([{ url: 'tcp://', remoteAddress: '127.0.0.1', login: 'alice' }]);
    expect(running.server.stats().sessions.byTransport).toEqual({ tcp: 1 });
    const refused = await RawClient.open(tcpUrl(running));
    refused.send('CONNECT\naccept-version:1.2\nlogin:alice\npasscode:wrong\n\n\0');
    const error = await refused.next();
    expect(header(error, 'code')).toBe('STOMP_ERR_UNAUTHORIZED');
    expect((await refused.closed).code).toBe(1000);
  });

  it('labels TCP sessions transport="tcp" in the Prometheus metrics', async () => {
    const running = await startTcp({ metrics: true });
    await RawClient.connected(tcpUrl(running));
    const metrics = await (await fetch(running.http('/metrics'))).text();
    expect(metrics).toMatch(/^stompbox_sessions\{transport="tcp"\} 1$/m);
  });

  it('authorizes TCP subscriptions like any other, by what a pattern can match', async () => {
    const running = await startTcp({ authorization: { rules: [{ destination: '/topic/secret/**', access: 'none' }] } });
    const c = await RawClient.connected(tcpUrl(running));
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/*/x\nreceipt:r\n\n\0');
    const error = await c.next();
    expect(error.command).toBe('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_FORBIDDEN');
  });

  it('refuses a connection over maxConnections with an ERROR, and serves again below it', async () => {
    const running = await startTcp({ maxConnections: 1 });
    const first = await RawClient.connected(tcpUrl(running));
    const second = await RawClient.open(tcpUrl(running));
    const refused = await second.next();
    expect(header(refused, 'code')).toBe('STOMP_ERR_TOO_MANY_CONNECTIONS');
    await second.closed;
    await first.close();
    await waitUntil(() => running.server.stats().sessions.open === 0);
    const third = await RawClient.connected(tcpUrl(running));
    expect(third.frames[0].command).toBe('CONNECTED');
  });

  it('ends TCP sessions with the shutdown ERROR on close(), then stops listening', async () => {
    const running = await startTcp();
    const port = running.server.tcpAddress!.port;
    const c = await RawClient.connected(tcpUrl(running));
    const closing = running.server.close();
    const error = await c.next();
    expect(header(error, 'code')).toBe('STOMP_ERR_SERVER_SHUTDOWN');
    expect((await c.closed).code).toBe(1000);
    await closing;
    await expect(
      new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s.destroy()));
        s.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('closes a socket that never sends CONNECT after connectTimeout', async () => {
    const running = await startTcp({ connectTimeout: 150 });
    const c = await RawClient.open(tcpUrl(running));
    const error = await c.next(2000);
    expect(header(error, 'code')).toBe('STOMP_ERR_CONNECT_TIMEOUT');
    await c.closed;
    await waitUntil(() => running.server.stats().sessions.open === 0);
  });

  it('releases a half-open socket: a client that sends part of a frame and FIN', async () => {
    const running = await startTcp();
    const c = await RawClient.open(tcpUrl(running));
    c.send('CONNECT\naccept-');
    c.socket.end();
    await c.closed;
    await waitUntil(() => running.server.stats().sessions.open === 0);
  });

  it('answers garbage with an ERROR and a close, and other TCP sessions keep working', async () => {
    const running = await startTcp({ maxHeaderLength: 64 });
    const bystander = await RawClient.connected(tcpUrl(running));
    bystander.send('SUBSCRIBE\nid:1\ndestination:/topic/b\nreceipt:r\n\n\0');
    await bystander.nextCommand('RECEIPT');
    const hostile = await RawClient.open(tcpUrl(running));
    hostile.send(Buffer.alloc(200, 0xff));
    const error = await hostile.next();
    expect(error.command).toBe('ERROR');
    expect(header(error, 'code')).toMatch(/^STOMP_ERR_/);
    expect(header(error, 'message')).toBeTruthy();
    await hostile.closed;
    bystander.send('SEND\ndestination:/topic/b\n\nstill here\0');
    expect((await bystander.nextCommand('MESSAGE')).body.toString()).toBe('still here');
  });

  it('stops reading a TCP client whose frames back up behind an async effect, and reads again once they drain', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = await startTcp({
      interceptors: [{ beforeHandle: (frame) => (frame.command === 'SEND' ? gate : undefined) }],
    });
    const c = await RawClient.connected(tcpUrl(running));
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/held\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    const session = [...running.server.sessions.values()][0] as Session;
    // 600 frames of 1 KiB, in one write: more than twice maxBacklogBytes (256 KiB). Reading stops
    // past half of it, so the kernel and the client hold the rest instead of the session.
    const pad = 'x'.repeat(1024);
    const frames = Array.from({ length: 600 }, (_, i) => `SEND\ndestination:/topic/held\n\n${i} ${pad}\0`).join('');
    c.send(frames);
    await waitUntil(() => session.inputPaused);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(session.backlog.bytes).toBeLessThanOrEqual(running.server.options.maxBacklogBytes);
    expect(session.backlog.frames).toBeLessThan(600);
    release();
    await c.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), 600, 10000);
    const bodies = c.frames.filter((f) => f.command === 'MESSAGE').map((f) => Number(f.body.toString().split(' ')[0]));
    expect(bodies).toEqual([...Array(600).keys()]);
    expect(session.inputPaused).toBe(false);
    expect(c.frames.some((f) => f.command === 'ERROR')).toBe(false);
  });

  it('sends server heart-beats on time: no gap longer than the negotiated interval', async () => {
    const running = await startTcp({ heartbeat: [200, 0] });
    const c = await RawClient.connected(tcpUrl(running), { 'heart-beat': '0,200' });
    const times: number[] = [];
    c.socket.on('data', () => times.push(Date.now()));
    await c.messagesMatching((m) => m.data.toString() === '\n', 7, 4000);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Beats leave one scheduler tick (50 ms) early, about every 150 ms; a missed one makes a gap
    // of about 300 ms. The bound is the interval plus slack for a shared machine's timers.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(260);
    expect(times.length).toBeGreaterThanOrEqual(6);
  });

  it('terminates a TCP client that stops reading once its send buffer passes sendBufferLimit', async () => {
    const running = await startTcp({ sendBufferLimit: 64 * 1024, sendTimeLimit: 1000 });
    const slow = await RawClient.connected(tcpUrl(running));
    slow.send('SUBSCRIBE\nid:1\ndestination:/topic/flood\nreceipt:r\n\n\0');
    await slow.nextCommand('RECEIPT');
    slow.socket.pause();
    const gone = new Promise<{ reason: string }>((resolve) => running.server.once('disconnect', resolve));
    const body = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && running.server.sessions.size > 0; i++) {
      await running.server.template.convertAndSend('/topic/flood', body);
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await gone).reason).toBe('slow-consumer');
    expect(running.server.stats().backpressure.bufferBreaches + running.server.stats().backpressure.timeBreaches).toBeGreaterThan(0);
    slow.socket.resume();
  });
});

describe('wrong ports', () => {
  it('answers an HTTP request on the TCP port with HTTP 400 and a close within 5 s', async () => {
    const running = await startTcp();
    const { text, elapsed } = await exchange(running.server.tcpAddress!.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('This port speaks STOMP over TCP');
    expect(elapsed).toBeLessThan(5000);
    await waitUntil(() => running.server.stats().sessions.open === 0);
  });

  it('gives a real HTTP client a 400 status from the TCP port', async () => {
    const running = await startTcp();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: running.server.tcpAddress!.port, path: '/health' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(400);
  });

  it('still takes STOMP whose first bytes arrive one at a time (CONNECT is no HTTP CONNECT)', async () => {
    const running = await startTcp();
    const c = await RawClient.open(tcpUrl(running));
    for (const ch of 'CONNECT\naccept-version:1.2\n\n\0') {
      c.send(ch);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect((await c.next()).command).toBe('CONNECTED');
  });

  it('answers a STOMP frame on the HTTP port with HTTP 400 naming the TCP port, and a close', async () => {
    const running = await startTcp();
    for (const frame of ['CONNECT\naccept-version:1.2\n\n\0', 'STOMP\r\n\r\n\0']) {
      const { text } = await exchange(running.port, frame);
      expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(text).toContain(`STOMP over TCP is served on port ${running.server.tcpAddress!.port}`);
    }
  });

  it('answers other malformed HTTP as Node does (400, 431)', async () => {
    const running = await startServer();
    expect((await exchange(running.port, 'BREW / HTCPCP/1.0\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const huge = `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20000)}\r\n\r\n`;
    expect((await exchange(running.port, huge)).text).toMatch(/^HTTP\/1\.1 431 /);
  });

  describe('on an attached HTTP server', () => {
    let http: HttpServer;
    let server: StompServer;

    afterEach(async () => {
      await server.close();
      await new Promise((resolve) => http.close(resolve));
    });

    async function attached(appListener?: (err: Error, socket: Socket) => void): Promise<number> {
      http = createHttpServer((_req, res) => res.end('app'));
      if (appListener !== undefined) http.on('clientError', appListener);
      server = new StompServer({ logger: recordingLogger() });
      server.attach(http);
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      return (http.address() as AddressInfo).port;
    }

    it('keeps the answer of the application’s own clientError listener', async () => {
      const port = await attached((_err, socket) => socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n'));
      const { text } = await exchange(port, 'CONNECT\n\n\0');
      expect(text).toBe('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
    });

    it('answers when the application’s listener only looks, and says TCP is off', async () => {
      const looked: string[] = [];
      const port = await attached((err) => looked.push((err as { code?: string }).code ?? ''));
      const { text } = await exchange(port, 'STOMP\n\n\0');
      expect(looked).toEqual(['HPE_INVALID_METHOD']);
      expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(text).toContain('STOMP over TCP is not enabled on this server');
    });

    it('leaves the application’s requests alone', async () => {
      const port = await attached();
      const res = await fetch(`http://127.0.0.1:${port}/anything`);
      expect(await res.text()).toBe('app');
    });
  });
});

describe('STOMP over TLS', () => {
  let tls: SelfSigned;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    tls = selfSignedCertificate();
    ({ key, cert } = tls);
  });

  afterAll(() => tls.remove());

  it('serves STOMP to a client that trusts the certificate, under transport tcp-tls', async () => {
    const running = await startServer({ tcp: { ...TCP, tls: { key, cert } } });
    const url = `tcps://127.0.0.1:${running.server.tcpAddress!.port}`;
    const c = await RawClient.open(url, undefined, { ca: cert });
    c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
    expect((await c.next()).command).toBe('CONNECTED');
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/tls\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    c.send(Buffer.concat([Buffer.from('SEND\ndestination:/topic/tls\ncontent-length:4\n\n'), Buffer.from([0, 0xff, 0, 1]), Buffer.from([0])]));
    expect((await c.nextCommand('MESSAGE')).body).toEqual(Buffer.from([0, 0xff, 0, 1]));
    expect(running.server.stats().sessions.byTransport).toEqual({ 'tcp-tls': 1 });
  });

  it('drops a client that does not trust the certificate before any session', async () => {
    const running = await startServer({ tcp: { ...TCP, tls: { key, cert } } });
    const url = `tcps://127.0.0.1:${running.server.tcpAddress!.port}`;
    await expect(RawClient.open(url)).rejects.toThrow(/self[- ]signed/i);
    expect(running.server.stats().sessions.total).toBe(0);
  });
});

async function waitUntil(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
