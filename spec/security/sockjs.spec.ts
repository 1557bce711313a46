/**
 * The SockJS transport under hostile input, over the network: raw `ws` sockets speaking SockJS
 * framing and raw HTTP requests. A bad message is its sender's fault only: that session gets
 * a STOMP ERROR and a close, the process lives, and bystanders keep receiving in order.
 * Bodies are bounded as they arrive, requests that cannot open a session keep nothing, one
 * message limit holds for every transport, and a session's id alone does not reach it.
 */
import { ScreenedEndpoint } from '../../broker/transport/screened-endpoint';
import { Agent, request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { StompServer } from '../../broker';
import { SockJsEndpoint } from '../../broker/transport/sockjs/sockjs-endpoint';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { closeSockJsClients, CONNECT, SockJsPolling, SockJsSocket, sessionId, waitUntil } from '../helpers/sockjs';
import { request } from './http';

afterEach(async () => {
  closeSockJsClients();
  await closeClients();
});

afterAll(async () => {
  await closeServers();
});

const CODE = 'STOMP_ERR_MALFORMED_SOCKJS_MESSAGE';

// A real collection before each heap reading, so the figures are what is retained.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The SockJS endpoints of a server (private: the specs look at what they hold). */
/** The server's SockJS endpoints, unwrapped from the router's origin screening. */
function endpointsOf(server: StompServer): SockJsEndpoint[] {
  return server.httpRouter.list
    .map((e) => (e instanceof ScreenedEndpoint ? e.inner : e))
    .filter((e): e is SockJsEndpoint => e instanceof SockJsEndpoint);
}

/** Messages that are not a JSON array of strings, each with the HTTP answer SockJS gives a sender. */
const BAD_MESSAGES: [string, string][] = [
  ['[5]', 'Payload expected.'],
  ['5', 'Payload expected.'],
  ['[null]', 'Payload expected.'],
  ['[true]', 'Payload expected.'],
  ['[{}]', 'Payload expected.'],
  ['{"a":1}', 'Payload expected.'],
  ['[["CONNECT"]]', 'Payload expected.'],
  ['[{"length":20000000}]', 'Payload expected.'],
  ['[83,69,78,68,10,255]', 'Payload expected.'],
  ['["ok", 7]', 'Payload expected.'],
  ['null', 'Payload expected.'],
  ['[broken', 'Broken JSON encoding.'],
];

/**
 * Two bystanders subscribed to /topic/seq, one on plain WebSocket and one on the SockJS
 * websocket transport; `check()` publishes a numbered batch and expects it whole and in order.
 */
async function bystanders(running: Running): Promise<{ check(): Promise<void> }> {
  const plainWs = await RawClient.connected(running.ws('/stomp'));
  plainWs.send('SUBSCRIBE\nid:0\ndestination:/topic/seq\nreceipt:r\n\n\0');
  await plainWs.nextCommand('RECEIPT');
  const sockjs = await SockJsSocket.connected(running.http('/stomp'));
  sockjs.sendMessages('SUBSCRIBE\nid:0\ndestination:/topic/seq\nreceipt:r\n\n\0');
  await sockjs.command('RECEIPT');
  let batch = 0;
  return {
    async check() {
      const expected = Array.from({ length: 10 }, (_, i) => `b${batch}-${i}`);
      batch++;
      for (const body of expected) void running.server.template.convertAndSend('/topic/seq', body);
      const bodies = (frames: { command: string; body: Buffer }[]): string[] => frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString());
      await waitUntil('the plain WebSocket bystander', () => bodies(plainWs.frames).slice(-10).join() === expected.join());
      await waitUntil('the SockJS bystander', () => bodies(sockjs.stomp).slice(-10).join() === expected.join());
      expect(plainWs.closeCode).toBeUndefined();
      expect(sockjs.closeCode).toBeUndefined();
    },
  };
}

describe('a SockJS message that is not a JSON array of strings', () => {
  let running: Running;
  let others: { check(): Promise<void> };

  beforeAll(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
  });

  beforeEach(async () => {
    others = await bystanders(running);
  });

  it.each(BAD_MESSAGES)('%s on the websocket ends that session with ERROR and a close, before CONNECT', async (payload) => {
    const attacker = await SockJsSocket.open(running.http('/stomp'));
    attacker.sendRaw(payload);
    const error = await attacker.command('ERROR');
    expect(header(error, 'code')).toBe(CODE);
    expect(header(error, 'message')).toMatch(/SockJS message (must be a JSON array of strings|is not valid JSON)/);
    expect(await attacker.ended()).toEqual({ close: [1000, CODE], code: 1000 });
    await others.check();
  });

  it.each(BAD_MESSAGES)('%s posted to xhr_send is answered 500 as SockJS does, and ends that session', async (payload, reply) => {
    const attacker = new SockJsPolling(running.port, '/stomp');
    expect((await attacker.poll()).body).toBe('o\n');
    const answer = await attacker.sendRaw(payload);
    expect([answer.status, answer.body]).toEqual([500, reply]);
    const error = await attacker.until('ERROR', () => attacker.stomp.find((f) => f.command === 'ERROR'));
    expect(header(error, 'code')).toBe(CODE);
    await attacker.until('the close frame', () => attacker.close);
    expect(attacker.close).toEqual([1000, CODE]);
    await others.check();
  });

  it.each(BAD_MESSAGES)('%s posted to jsonp_send is answered 500 as SockJS does, and ends that session', async (payload, reply) => {
    const attacker = new SockJsPolling(running.port, '/stomp');
    expect((await attacker.poll()).body).toBe('o\n');
    const answer = await attacker.sendForm(payload);
    expect([answer.status, answer.body]).toEqual([500, reply]);
    await attacker.until('the close frame', () => attacker.close);
    expect(header(attacker.stomp.find((f) => f.command === 'ERROR')!, 'code')).toBe(CODE);
    await others.check();
  });

  it('is refused after CONNECT too, and only for that session', async () => {
    const attacker = await SockJsSocket.connected(running.http('/stomp'));
    attacker.sendRaw('[{"length":1e9}]');
    expect(header(await attacker.command('ERROR'), 'code')).toBe(CODE);
    await attacker.ended();
    await others.check();
  });

  it('refuses a binary websocket message and an xhr_send bare string, which SockJS never sends', async () => {
    const binary = await SockJsSocket.open(running.http('/stomp'));
    binary.sendRaw(Buffer.from('["x"]'), true);
    expect(header(await binary.command('ERROR'), 'message')).toContain('binary');
    const bare = new SockJsPolling(running.port, '/stomp');
    await bare.poll();
    expect((await bare.sendRaw(JSON.stringify(CONNECT))).status).toBe(500);
    await others.check();
  });

  it('lets a bare JSON string through on the websocket, as the protocol allows', async () => {
    const client = await SockJsSocket.open(running.http('/stomp'));
    client.sendRaw(JSON.stringify(CONNECT));
    expect((await client.command('CONNECTED')).command).toBe('CONNECTED');
  });

  it('answers [{"length":1e9}] at once, with no allocation for the claimed length', async () => {
    const payloads = ['[{"length":1e9}]', '[{"length":20000000}]', '[{"length":1e9},{"length":1e9}]'];
    const attackers = payloads.map(() => new SockJsPolling(running.port, '/stomp'));
    for (const attacker of attackers) await attacker.poll();
    const rss = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    const answers = await Promise.all(payloads.map((p, i) => attackers[i].sendRaw(p)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(answers.map((a) => [a.status, a.body])).toEqual(payloads.map(() => [500, 'Payload expected.']));
    expect(ms).toBeLessThan(1000); // sockjs-node: ~1 s per 20 MB claimed, about a minute for 1e9
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024); // it was 1 GB for 1e9
  });
});

describe('text only', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
  });

  it('turns lone surrogates into U+FFFD: what a SockJS sender gets in is always valid UTF-8', () => {
    expect(Buffer.from('\ud800', 'utf8')).toEqual(Buffer.from([0xef, 0xbf, 0xbd]));
    expect(Buffer.from('a\udc00b', 'utf8')).toEqual(Buffer.from([0x61, 0xef, 0xbf, 0xbd, 0x62]));
    expect(Buffer.from('\ud83d\ude00', 'utf8')).toEqual(Buffer.from('😀'));
  });

  it('keeps a SockJS publisher from making a plain WebSocket subscriber disconnect', async () => {
    const subscriber = await RawClient.connected(running.ws('/stomp'));
    subscriber.send('SUBSCRIBE\nid:0\ndestination:/topic/inject\nreceipt:r\n\n\0');
    await subscriber.nextCommand('RECEIPT');
    const publisher = new SockJsPolling(running.port, '/stomp');
    await publisher.connect();
    // Lone surrogates in JSON strings (what sockjs-node turned into raw bytes from arrays of numbers).
    await publisher.sendRaw('["SEND\\ndestination:/topic/inject\\n\\n\\udc00\\ud800 end\\u0000"]');
    // The array-of-numbers trick itself is refused.
    const numbers = new SockJsPolling(running.port, '/stomp');
    await numbers.connect();
    expect((await numbers.sendRaw(JSON.stringify([[...Buffer.from('SEND\ndestination:/topic/inject\n\n\xff\xfe\0', 'latin1')]]))).status).toBe(500);
    await publisher.send('SEND\ndestination:/topic/inject\n\nafter\0');
    const messages = await subscriber.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), 2);
    expect(messages.map((m) => m.binary)).toEqual([false, false]);
    expect(subscriber.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['\ufffd\ufffd end', 'after']);
    expect(subscriber.closeCode).toBeUndefined();
    expect(subscriber.decodeError).toBeUndefined();
  });
});

/** Sends a POST of `size` bytes in 64 KiB chunks; resolves with the status and the ms until the response came. */
function bigPost(port: number, path: string, size: number, declareLength: boolean): Promise<{ status: number; ms: number; written: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let written = 0;
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path, headers: declareLength ? { 'content-length': String(size) } : { 'transfer-encoding': 'chunked' } },
      (res) => {
        resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, written });
        res.resume();
        req.destroy();
      },
    );
    req.on('error', (err) => (written >= size ? reject(err) : undefined)); // the server may cut the upload off
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (written < size && !req.destroyed) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

describe('HTTP bodies', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer({ sockjs: { disconnectDelay: 300 } });
  });

  const MB24 = 24 * 1024 * 1024;

  it('answers a 24 MB xhr_send to a session that does not exist with 404 before reading it', async () => {
    const result = await bigPost(running.port, `/stomp/000/${sessionId()}/xhr_send`, MB24, true);
    expect(result.status).toBe(404);
    expect(result.ms).toBeLessThan(1000); // sockjs-node read it whole with quadratic concatenation: 4-7 s
    expect(result.written).toBeLessThan(MB24);
  });

  it.each([true, false])('answers a 24 MB xhr_send to a live session with 413 (Content-Length given: %p) and ends that session', async (declared) => {
    const victim = new SockJsPolling(running.port, '/stomp');
    await victim.poll();
    const result = await bigPost(running.port, `${victim.base}/xhr_send`, MB24, declared);
    expect(result.status).toBe(413);
    expect(result.ms).toBeLessThan(1000);
    expect(result.written).toBeLessThan(MB24);
    const error = await victim.until('ERROR', () => victim.stomp.find((f) => f.command === 'ERROR'));
    expect(header(error, 'code')).toBe('STOMP_ERR_FRAME_TOO_LARGE');
  });

  it('takes a body up to the limit, which then meets the STOMP frame limit', async () => {
    const client = new SockJsPolling(running.port, '/stomp');
    await client.connect();
    const limit = Math.max(running.server.options.maxFrameSize * 4, 1 << 20);
    const body = JSON.stringify([`SEND\ndestination:/topic/x\n\n${'x'.repeat(limit - 100)}\0`]);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
    expect((await client.sendRaw(body)).status).toBe(204);
    const error = await client.until('ERROR', () => client.stomp.find((f) => f.command === 'ERROR'));
    expect(header(error, 'code')).toBe('STOMP_ERR_FRAME_TOO_LARGE');
  });
});

describe('requests that cannot open a session', () => {
  it('keeps nothing for 20,000 jsonp requests without a callback', async () => {
    const running = await startServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const get = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: running.port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject).end();
      });
    gc();
    const before = process.memoryUsage();
    const started = Date.now();
    const statuses = new Map<number, number>();
    const count = 20000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count && Date.now() - started < 60000) {
          const i = next++;
          const status = await get(`/stomp/000/${i.toString(36)}x${sessionId()}/jsonp`);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    agent.destroy();
    gc();
    const after = process.memoryUsage();
    expect(statuses).toEqual(new Map([[500, count]]));
    expect(endpointsOf(running.server)[0].size).toBe(0);
    expect(running.server.stats().sessions.total).toBe(0);
    // sockjs-node kept ~15 KB each for 30 s: 289 MB for these.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
    console.info(`20,000 jsonp GETs without callback: ${seconds.toFixed(1)} s, heap ${((after.heapUsed - before.heapUsed) / 1048576).toFixed(1)} MB, RSS ${((after.rss - before.rss) / 1048576).toFixed(1)} MB`);
  });

  it('keeps nothing for bad ids, wrong methods or sends to unknown sessions', async () => {
    const running = await startServer();
    const p = running.port;
    const statuses = [
      (await request(p, 'POST', '/stomp/000/a.b/xhr')).status,
      (await request(p, 'POST', `/stomp/000/${'x'.repeat(129)}/xhr`)).status,
      (await request(p, 'POST', '/stomp/000//xhr')).status,
      (await request(p, 'GET', `/stomp/000/${sessionId()}/xhr`)).status,
      (await request(p, 'POST', `/stomp/000/${sessionId()}/jsonp?c=cb`)).status,
      (await request(p, 'GET', `/stomp/000/${sessionId()}/htmlfile`)).status,
      (await request(p, 'GET', `/stomp/000/${sessionId()}/htmlfile?c=%3Cscript%3E`)).status,
      (await request(p, 'POST', `/stomp/000/${sessionId()}/xhr_send`, {}, '["x"]')).status,
      (await request(p, 'POST', `/stomp/000/${sessionId()}/jsonp_send`, {}, 'd=%5B%22x%22%5D')).status,
      (await request(p, 'GET', `/stomp/000/${sessionId()}/nonsense`)).status,
    ];
    expect(statuses).toEqual([404, 404, 404, 405, 405, 500, 500, 404, 404, 404]);
    expect(endpointsOf(running.server)[0].size).toBe(0);
    expect(running.server.stats().sessions.total).toBe(0);
  });
});

/** The close code a client sees after sending one websocket message of `size` bytes (a JSON string). */
async function closeAfterMessage(url: string, protocols: string[], size: number): Promise<number> {
  const ws = new WebSocket(url, protocols);
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send(`["${'a'.repeat(size - 4)}"]`);
  const timer = setTimeout(() => ws.terminate(), 10000);
  const code = await closed;
  clearTimeout(timer);
  return code;
}

describe('one message limit for every transport', () => {
  let running: Running;
  let limit: number;
  beforeAll(async () => {
    running = await startServer();
    limit = Math.max(running.server.options.maxFrameSize * 4, 1 << 20);
  });

  it('refuses a 48 MB SockJS websocket message with 1009, as plain WebSocket does past its limit', async () => {
    const started = Date.now();
    expect(await closeAfterMessage(running.ws(`/stomp/000/${sessionId()}/websocket`), [], 48 * 1024 * 1024)).toBe(1009);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('draws the line at the same byte on plain WebSocket and on SockJS websocket', async () => {
    expect(await closeAfterMessage(running.ws('/stomp'), ['v12.stomp'], limit + 1)).toBe(1009);
    expect(await closeAfterMessage(running.ws(`/stomp/000/${sessionId()}/websocket`), [], limit + 1)).toBe(1009);
    // At the limit the message gets through to STOMP, whose own frame limit then answers.
    const sockjs = await SockJsSocket.open(running.http('/stomp'));
    const head = JSON.stringify(['SEND\ndestination:/topic/x\n\n\0']);
    const atLimit = head.replace('\\n\\n', `\\n\\n${'a'.repeat(limit - head.length)}`);
    expect(Buffer.byteLength(atLimit)).toBe(limit);
    sockjs.sendRaw(atLimit);
    expect(header(await sockjs.command('ERROR'), 'code')).toBe('STOMP_ERR_FRAME_TOO_LARGE');
    expect((await sockjs.ended()).code).toBe(1000);
  });
});

/** A raw request from a given local address (127.0.0.0/8 is all loopback on Linux). */
function requestFrom(localAddress: string, port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, localAddress, headers: { connection: 'close', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('session hijack', () => {
  const victimCookie = { cookie: 'session=victim-token' };
  let running: Running;
  let seen: string[];

  beforeAll(async () => {
    seen = [];
    running = await startServer({
      // Long enough for the victim's session to outlive the strangers' 28 requests on a slow
      // machine: once it expires its id is free, and a new session under it is no hijack.
      sockjs: { disconnectDelay: 10_000 },
      authenticate: ({ request: r }) => {
        seen.push(r.cookies.session ?? '(none)');
        return r.cookies.session === 'victim-token' ? 'victim' : false;
      },
    });
  });

  it('answers 404 to a second client that knows the session id but not its cookie', async () => {
    const victim = new SockJsPolling(running.port, '/stomp', victimCookie);
    await victim.connect();
    expect(header(victim.stomp[0], 'user-name')).toBe('victim');
    await victim.send('SUBSCRIBE\nid:0\ndestination:/topic/private\nreceipt:r\n\n\0');
    await victim.until('RECEIPT', () => victim.stomp.find((f) => f.command === 'RECEIPT'));
    const p = running.port;
    const frame = JSON.stringify(['SEND\ndestination:/topic/private\n\nforged\0']);
    const strangers: Record<string, string>[] = [{}, { cookie: 'session=other' }, { cookie: 'session=victim-token; extra=1' }, { ...victimCookie, authorization: 'Bearer x' }];
    for (const headers of strangers) {
      expect((await request(p, 'POST', `${victim.base}/xhr_send`, headers, frame)).status).toBe(404);
      expect((await request(p, 'POST', `${victim.base}/xhr`, headers)).status).toBe(404);
      expect((await request(p, 'POST', `${victim.base}/xhr_streaming`, headers)).status).toBe(404);
      expect((await request(p, 'GET', `${victim.base}/eventsource`, headers)).status).toBe(404);
      expect((await request(p, 'GET', `${victim.base}/jsonp?c=cb`, headers)).status).toBe(404);
      expect((await request(p, 'GET', `${victim.base}/htmlfile?c=cb`, headers)).status).toBe(404);
      expect((await request(p, 'POST', `${victim.base}/jsonp_send`, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, `d=${encodeURIComponent(frame)}`)).status).toBe(404);
    }
    // The victim's session is untouched: no forged message, and it still works.
    await victim.send('SEND\ndestination:/topic/private\n\nmine\0');
    await victim.until('its own MESSAGE', () => victim.stomp.find((f) => f.command === 'MESSAGE'));
    expect(victim.stomp.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['mine']);
    expect(seen).toEqual(['victim-token']); // authenticate saw the opening request's cookies, once
  });

  it('binds sessions to the remote address only with sockjs.bindRemoteAddress', async () => {
    const frame = JSON.stringify([CONNECT]);
    for (const bindRemoteAddress of [false, true]) {
      const r = await startServer({ sockjs: { bindRemoteAddress, disconnectDelay: 500 } });
      const base = `/stomp/000/${sessionId()}`;
      expect(await requestFrom('127.0.0.1', r.port, 'POST', `${base}/xhr`, victimCookie)).toBe(200);
      expect(await requestFrom('127.0.0.2', r.port, 'POST', `${base}/xhr_send`, victimCookie, frame)).toBe(bindRemoteAddress ? 404 : 204);
      expect(await requestFrom('127.0.0.1', r.port, 'POST', `${base}/xhr_send`, victimCookie, frame)).toBe(204);
    }
  });

  it('never reveals a session id: ids are the client’s own and appear in no response', async () => {
    const id = sessionId();
    const client = new SockJsPolling(running.port, '/stomp', victimCookie, id);
    const replies = [await client.poll(), await client.send(CONNECT), await client.poll()];
    for (const reply of replies) {
      expect(reply.body).not.toContain(id);
      expect(JSON.stringify(reply.headers)).not.toContain(id);
    }
  });
});
